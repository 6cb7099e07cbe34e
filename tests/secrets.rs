//! Secrets caught by value as well as by name (issue 12, "Secrets"): the detector's positive
//! and negative corpora, every example's templates without a finding, and the container
//! environment cases that passed before (`SFM004`).

use serde_json::Value as Json;
use stackforge::secrets::{name_strength, scan_named, scan_value, NameStrength, SecretKind};
use stackforge::App;
use stackforge_examples::{chatbot, ec2_fleet, falafel_api, fargate_app, hello_redis};
use stackforge_modules::codes;
use stackforge_modules::fargate::{Cluster, LoadBalancedFargateService, ServiceProps};
use stackforge_modules::network::{Network, NetworkProps};

#[test]
fn secrets_are_caught_by_value() {
    let cases: &[(&str, SecretKind)] = &[
        ("AKIAIOSFODNN7EXAMPLE", SecretKind::AwsAccessKeyId),
        ("key id ASIAY34FZKBOKMUTVV7A in a sentence", SecretKind::AwsAccessKeyId),
        (
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            SecretKind::AwsSecretAccessKey,
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
            SecretKind::PrivateKey,
        ),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", SecretKind::PrivateKey),
        ("-----BEGIN PRIVATE KEY-----", SecretKind::PrivateKey),
        ("postgres://app:hunter2@db/app", SecretKind::UrlWithPassword),
        ("https://admin:s3cr3t@example.com:8443/x", SecretKind::UrlWithPassword),
        ("redis://:token123@cache:6379", SecretKind::UrlWithPassword),
        ("ghp_0123456789abcdefghijABCDEFGHIJ012345", SecretKind::Token("GitHub")),
        ("glpat-0123456789abcdefghij", SecretKind::Token("GitLab")),
        ("xoxb-1234567890-abcdefghijklmnop", SecretKind::Token("Slack")),
        (
            "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            SecretKind::Token("Slack"),
        ),
        ("sk_live_0123456789abcdefghijklmn", SecretKind::Token("Stripe")),
        ("AIzaSyA0123456789abcdefghijklmnopqrstuv", SecretKind::Token("Google")),
        ("npm_0123456789abcdefghijABCDEFGHIJ012345", SecretKind::Token("npm")),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            SecretKind::Token("JWT"),
        ),
    ];
    for (v, kind) in cases {
        let f = scan_value(v).unwrap_or_else(|| panic!("not caught: {v}"));
        assert_eq!(f.kind, *kind, "{v}");
    }
}

#[test]
fn secrets_are_caught_by_name() {
    for (name, value) in [
        ("DB_PASS", "hunter2"),
        ("PASSWORD", "correct horse battery staple"),
        ("dbPassword", "Tr0ub4dor&3"),
        ("API_TOKEN", "abc123"),
        ("STRIPE_API_KEY", "not-a-known-shape"),
        ("ClientSecret", "s"),
        ("SMTP_CREDENTIALS", "user:pass"),
        ("DB_PASSWORD_PROD", "x9!x9!x9"),
    ] {
        let f = scan_named(name, value).unwrap_or_else(|| panic!("not caught: {name}={value}"));
        assert_eq!(f.kind, SecretKind::UnderSecretName, "{name}");
    }
    let f = scan_named(
        "AWS_SECRET_ACCESS_KEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    )
    .unwrap();
    assert_eq!(f.kind, SecretKind::AwsSecretAccessKey);
    // A weak name catches only high-entropy values.
    assert_eq!(
        scan_named("SIGNING_SALT", "Zq8vN2mR7tX4pL9wK3jH6fD1").map(|f| f.kind),
        Some(SecretKind::HighEntropy)
    );
    assert_eq!(scan_named("SIGNING_SALT", "pepper"), None);
    assert_eq!(name_strength("CACHE_KEY"), NameStrength::Weak);
}

/// Values that look random or sensitive but are not secrets.
const NEGATIVE: &[&str] = &[
    "arn:aws:iam::123456789012:role/app-TaskRole-1A2B3C4D5E6F",
    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf",
    "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "public.ecr.aws/nginx/nginx@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:3f2c1ab",
    "1234abcd-12ab-34cd-56ef-1234567890ab",
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "d41d8cd98f00b204e9800998ecf8427e",
    "aGVsbG8gd29ybGQsIHRoaXMgaXMganVzdCB0ZXh0",
    "IyEvYmluL2Jhc2gKZWNobyAiaGVsbG8iCg==",
    "ami-0123456789abcdef0",
    "sg-0123456789abcdef0",
    "vpc-0a1b2c3d",
    "subnet-0123456789abcdef0",
    "i-0123456789abcdef0",
    "{{resolve:secretsmanager:prod/db:SecretString:password}}",
    "{{resolve:ssm-secure:/prod/db/password:3}}",
    "postgres://db.internal:5432/app",
    "https://example.com/path?query=1",
    "postgres://app:${Password}@db/app",
    "cron(0 12 * * ? *)",
    "10.0.0.0/16",
    "assets/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.zip",
    "-----BEGIN CERTIFICATE-----",
    "-----BEGIN PUBLIC KEY-----",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB3ysRTOdgfdVmn9 deploy@ci",
];

#[test]
fn the_negative_corpus_gives_no_finding() {
    for v in NEGATIVE {
        assert_eq!(scan_value(v), None, "{v}");
        for name in [
            "VALUE",
            "IMAGE",
            "CACHE_KEY",
            "S3Key",
            "KmsKeyId",
            "SecretArn",
            "PublicKey",
        ] {
            assert_eq!(scan_named(name, v), None, "{name}={v}");
        }
    }
    // References under secret names are not secrets.
    for v in [
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
        "{{resolve:secretsmanager:db:SecretString:password}}",
        "/prod/db/password",
        "${DbPassword}",
        "true",
        "",
    ] {
        assert_eq!(scan_named("DB_PASSWORD", v), None, "{v}");
    }
}

/// Every string of a template, with the key it sits under (or `None`).
fn strings(t: &Json) -> Vec<(Option<String>, String)> {
    let mut out = Vec::new();
    let mut stack: Vec<(Option<String>, &Json)> = vec![(None, t)];
    while let Some((key, v)) = stack.pop() {
        match v {
            Json::String(s) => out.push((key, s.clone())),
            Json::Array(a) => stack.extend(a.iter().map(|x| (None, x))),
            Json::Object(m) => stack.extend(m.iter().map(|(k, x)| (Some(k.clone()), x))),
            _ => {}
        }
    }
    out
}

#[test]
fn every_examples_templates_give_no_finding() {
    let apps: Vec<(&str, App)> = vec![
        (
            "fargate-app",
            fargate_app::build(&fargate_app::Options::default()),
        ),
        ("chatbot", chatbot::build(&chatbot::Options::default())),
        (
            "hello-redis",
            hello_redis::build(&hello_redis::Options::default()),
        ),
        (
            "hello-redis-ec2",
            hello_redis::build(&hello_redis::Options {
                ec2: true,
                ..Default::default()
            }),
        ),
        (
            "falafel-api",
            falafel_api::build(&falafel_api::Options::default()),
        ),
        (
            "ec2-fleet",
            ec2_fleet::build(&ec2_fleet::Options::default()),
        ),
    ];
    let mut checked = 0;
    for (name, app) in apps {
        let a = app.synth().unwrap_or_else(|e| panic!("{name}: {e}"));
        for s in &a.stacks {
            for (key, v) in strings(&s.template) {
                let f = match &key {
                    Some(k) if !k.starts_with("Fn::") && k != "Ref" => scan_named(k, &v),
                    _ => scan_value(&v),
                };
                assert_eq!(f, None, "{name}/{}: {key:?} = {v}", s.name);
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "only {checked} strings");
}

fn service_with(env: Vec<(&str, &str)>) -> App {
    let app = App::new();
    let mut s = app.stack("svc");
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &net,
        &cluster,
        ServiceProps {
            image: "public.ecr.aws/nginx/nginx:1.27".into(),
            container_port: 8080,
            health_check_path: "/health".into(),
            environment: env
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.into()))
                .collect(),
            ..Default::default()
        },
    );
    app
}

#[test]
fn container_environments_catch_keys_credential_urls_and_secret_names() {
    let app = service_with(vec![
        (
            "AWS_SECRET_ACCESS_KEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        ("DATABASE_URL", "postgres://app:hunter2@db/app"),
        ("DB_PASS", "hunter2"),
        ("DB_HOST", "db.internal"),
        ("LOG_LEVEL", "info"),
    ]);
    let errs = app.synth().unwrap_err();
    let mut got: Vec<(String, String, String)> = errs
        .diagnostics()
        .iter()
        .map(|d| {
            (
                d.code.to_string(),
                d.path.logical_id.clone().unwrap_or_default(),
                d.path.property.clone().unwrap_or_default(),
            )
        })
        .collect();
    got.sort();
    let at = |i: usize| {
        (
            codes::SECRET_IN_ENVIRONMENT.to_string(),
            "WebTaskDefinition".to_owned(),
            format!("Properties.ContainerDefinitions[0].Environment[{i}]"),
        )
    };
    // One error each (the template-wide scan does not repeat the pattern's).
    assert_eq!(got, [at(0), at(1), at(2)], "{errs}");
}
