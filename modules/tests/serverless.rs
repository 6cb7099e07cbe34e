//! Issue 11, the serverless building blocks (feature `serverless`): deterministic code assets,
//! `Function`, `HttpApi`, `Schedule` and `EventRule`. Each friction point the issue quotes
//! has a test that failed before. Templates that synthesize are written to
//! `target/cfn-lint/serverless/<test>/` for cfn-lint.
//!
//! Run by `cargo test --workspace` (the `orders-api` example turns the feature on) or
//! `cargo test -p stackforge-modules --features serverless`.

use std::path::{Path, PathBuf};

use serde_json::json;
use stackforge::testing::{self, Template};
use stackforge::{App, Assembly};
use stackforge_modules::code::{zip_dir, zip_file, Code};
use stackforge_modules::events::{
    check_schedule_expression, EcsTaskTarget, EventRule, EventRuleProps, Schedule,
    ScheduleExpression, ScheduleProps, TimeUnit,
};
use stackforge_modules::existing::SecretRef;
use stackforge_modules::fargate::{
    Cluster, QueueProcessingFargateService, QueueProcessingServiceProps,
};
use stackforge_modules::function::{Destination, Function, FunctionProps, Runtime, VpcPlacement};
use stackforge_modules::http_api::{route_arn_parts, HttpApi, HttpApiProps, RouteAuthorization};
use stackforge_modules::network::{Network, NetworkProps};
use stackforge_modules::queue::{DeadLetter, Queue, QueueProps};
use stackforge_modules::topic::{Topic, TopicProps};

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn synth(app: &App, lint_name: &str) -> Assembly {
    let a = app.synth().unwrap_or_else(|e| panic!("{e}"));
    a.write(&target_dir().join("cfn-lint/serverless").join(lint_name))
        .expect("write templates for cfn-lint");
    a
}

fn errors(app: &App) -> Vec<String> {
    match app.synth() {
        Ok(_) => Vec::new(),
        Err(e) => e
            .diagnostics()
            .iter()
            .map(|d| d.code.as_str().to_owned())
            .collect(),
    }
}

/// A fresh directory under the target dir (removed first).
fn scratch(name: &str) -> PathBuf {
    let d = target_dir()
        .join("serverless-scratch")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A handler directory: nested files, an executable, written in a scrambled order.
fn handler_tree(root: &Path) {
    write(
        &root.join("lib/util.py"),
        "def twice(x):\n    return 2 * x\n",
    );
    write(
        &root.join("index.py"),
        "from lib.util import twice\n\ndef handler(event, context):\n    return twice(21)\n",
    );
    write(
        &root.join("bin/bootstrap"),
        "#!/bin/sh\nexec python3 index.py\n",
    );
    write(&root.join("lib/__init__.py"), "");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            root.join("bin/bootstrap"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
}

/// Copies `from` to `to` file by file in reverse order, then gives every file another
/// timestamp and (on Unix) other group/other permission bits, as another machine's checkout
/// with another umask would.
fn copy_elsewhere(from: &Path, to: &Path) {
    let mut files = Vec::new();
    let mut stack = vec![from.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    files.reverse();
    for f in files {
        let rel = f.strip_prefix(from).unwrap();
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&f, &dest).unwrap();
        let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        let file = std::fs::File::options().write(true).open(&dest).unwrap();
        file.set_times(
            std::fs::FileTimes::new()
                .set_accessed(old)
                .set_modified(old),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&dest).unwrap().permissions().mode();
            // umask 002 instead of 022: group-writable; executables stay executable.
            std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(mode | 0o020)).unwrap();
        }
    }
}

// 1. "No code assets": a hand-made content hash and zip, uploaded by hand.
#[test]
fn the_code_zip_is_byte_identical_from_a_copied_directory_with_other_timestamps_and_modes() {
    let a = scratch("zip-a");
    handler_tree(&a);
    let b = scratch("zip-b");
    copy_elsewhere(&a, &b);
    let za = zip_dir(&a).unwrap();
    let zb = zip_dir(&b).unwrap();
    assert_eq!(
        za, zb,
        "same content, other timestamps/modes/order: same bytes"
    );
    assert_eq!(za, zip_dir(&a).unwrap(), "two runs: same bytes");
    // Entries sorted, relative with `/`, directories not listed.
    let names = zip_entry_names(&za);
    assert_eq!(
        names,
        [
            "bin/bootstrap",
            "index.py",
            "lib/__init__.py",
            "lib/util.py"
        ]
    );
    // Fixed timestamp (DOS 1980-01-01 00:00) and modes: 0755 for the executable, 0644 else.
    let modes = zip_entry_modes(&za);
    if cfg!(unix) {
        assert_eq!(modes, [0o100755, 0o100644, 0o100644, 0o100644]);
    }
    for (time, date) in zip_entry_dos_times(&za) {
        assert_eq!((time, date), (0, (1 << 5) | 1), "1980-01-01 00:00");
    }
    // A change to the content is another zip.
    write(
        &b.join("index.py"),
        "def handler(event, context):\n    return 43\n",
    );
    assert_ne!(za, zip_dir(&b).unwrap());
}

/// The central directory's entries: (name, external attributes, DOS time, DOS date).
fn central_entries(zip: &[u8]) -> Vec<(String, u32, u16, u16)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 46 <= zip.len() {
        if zip[i..i + 4] == [0x50, 0x4b, 0x01, 0x02] {
            let u16_at = |o: usize| u16::from_le_bytes([zip[i + o], zip[i + o + 1]]);
            let u32_at = |o: usize| {
                u32::from_le_bytes([zip[i + o], zip[i + o + 1], zip[i + o + 2], zip[i + o + 3]])
            };
            let (time, date) = (u16_at(12), u16_at(14));
            let (n, m, k) = (
                u16_at(28) as usize,
                u16_at(30) as usize,
                u16_at(32) as usize,
            );
            let name = String::from_utf8(zip[i + 46..i + 46 + n].to_vec()).unwrap();
            assert_eq!(
                m, 0,
                "{name}: no extra fields (no owner, no extended timestamps)"
            );
            out.push((name, u32_at(38), time, date));
            i += 46 + n + m + k;
        } else {
            i += 1;
        }
    }
    out
}

fn zip_entry_names(zip: &[u8]) -> Vec<String> {
    central_entries(zip).into_iter().map(|e| e.0).collect()
}

fn zip_entry_modes(zip: &[u8]) -> Vec<u32> {
    central_entries(zip)
        .into_iter()
        .map(|e| e.1 >> 16)
        .collect()
}

fn zip_entry_dos_times(zip: &[u8]) -> Vec<(u16, u16)> {
    central_entries(zip)
        .into_iter()
        .map(|e| (e.2, e.3))
        .collect()
}

#[test]
fn a_function_from_a_directory_stages_its_zip_in_the_assembly_by_content_hash() {
    let dir = scratch("fn-dir");
    handler_tree(&dir);
    let app = App::new();
    let mut s = app.stack("api");
    let f = Function::new(
        &mut s,
        "Orders",
        FunctionProps {
            code: Some(Code::from_dir(&dir)),
            ..Default::default()
        },
    );
    drop(s);
    let a = synth(&app, "function-dir");
    let loc = f.asset.clone().expect("an asset");
    assert_eq!(a.assets.len(), 1);
    let m = a.manifest();
    assert_eq!(m["assets"][0]["id"], loc.sha256.as_str());
    assert_eq!(m["assets"][0]["kind"], "file-zip");
    assert_eq!(m["assets"][0]["stacks"], json!(["api"]));
    let t = Template::from_json(a.stacks[0].template.clone());
    t.has_resource_properties(
        "AWS::Lambda::Function",
        json!({"Code": {
            "S3Bucket": {"Fn::Sub": "stackforge-staging-${AWS::AccountId}-${AWS::Region}"},
            "S3Key": format!("assets/{}.zip", loc.sha256)
        }}),
    )
    .unwrap();
    // The bytes are the deterministic zip.
    assert_eq!(
        loc.sha256,
        stackforge::assembly::sha256_hex(&zip_dir(&dir).unwrap())
    );
    // The same code again is the same key (a no-op deploy); a change is a new key.
    let again = App::new();
    let mut s = again.stack("api");
    let g = Function::new(
        &mut s,
        "Orders",
        FunctionProps {
            code: Some(Code::from_dir(&dir)),
            ..Default::default()
        },
    );
    assert_eq!(g.asset.unwrap().key, loc.key);
    write(&dir.join("index.py"), "def handler(e, c):\n    return 0\n");
    let h = Function::new(
        &mut s,
        "Other",
        FunctionProps {
            code: Some(Code::from_dir(&dir)),
            ..Default::default()
        },
    );
    assert_ne!(h.asset.unwrap().key, loc.key);
}

#[test]
fn a_function_from_one_file_zips_it_at_the_root_and_inline_code_stays_an_option() {
    let dir = scratch("fn-file");
    write(&dir.join("index.py"), "def handler(e, c):\n    return 1\n");
    let z = zip_file(&dir.join("index.py")).unwrap();
    assert_eq!(zip_entry_names(&z), ["index.py"]);
    let app = App::new();
    let mut s = app.stack("api");
    Function::new(
        &mut s,
        "File",
        FunctionProps {
            code: Some(Code::from_file(dir.join("index.py"))),
            ..Default::default()
        },
    );
    Function::new(
        &mut s,
        "Inline",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            ..Default::default()
        },
    );
    drop(s);
    let a = synth(&app, "function-file-inline");
    let t = Template::from_json(a.stacks[0].template.clone());
    assert_eq!(
        t.resource("InlineFunction").unwrap()["Properties"]["Code"],
        json!({"ZipFile": "def handler(e, c):\n    return 1\n"})
    );
    assert_eq!(a.assets.len(), 1);
}

#[test]
fn missing_or_unpackageable_code_is_an_error_never_a_panic() {
    let app = App::new();
    let mut s = app.stack("api");
    Function::new(&mut s, "NoCode", FunctionProps::default());
    Function::new(
        &mut s,
        "Missing",
        FunctionProps {
            code: Some(Code::from_dir("/nonexistent/stackforge/handler")),
            ..Default::default()
        },
    );
    let empty = scratch("empty");
    Function::new(
        &mut s,
        "Empty",
        FunctionProps {
            code: Some(Code::from_dir(&empty)),
            ..Default::default()
        },
    );
    Function::new(
        &mut s,
        "InlineJava",
        FunctionProps {
            code: Some(Code::inline("class A {}")),
            runtime: Runtime::Java21,
            ..Default::default()
        },
    );
    drop(s);
    assert_eq!(errors(&app).iter().filter(|c| *c == "SFM040").count(), 4);
}

#[test]
fn memory_and_timeout_are_checked_through_check_values() {
    for (memory, timeout, bad) in [
        (128, 3, 0),
        (10_240, 900, 0),
        (64, 3, 1),
        (128, 0, 1),
        (20_000, 901, 2),
    ] {
        let app = App::new();
        let mut s = app.stack("api");
        Function::new(
            &mut s,
            "F",
            FunctionProps {
                code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
                memory_mib: memory.into(),
                timeout_seconds: timeout.into(),
                ..Default::default()
            },
        );
        drop(s);
        assert_eq!(
            errors(&app).iter().filter(|c| *c == "SFM041").count(),
            bad,
            "memory {memory}, timeout {timeout}"
        );
    }
}

#[test]
fn the_function_has_its_own_log_group_and_a_role_with_only_logs_tracing_and_grants() {
    let app = App::new();
    let mut s = app.stack("api");
    let q = Queue::new(&mut s, "Jobs", QueueProps::default());
    let f = Function::new(
        &mut s,
        "Api",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            log_retention_days: 14.into(),
            environment: vec![("QUEUE_URL".into(), q.queue_url())],
            ..Default::default()
        },
    );
    q.grant_send(&mut s, &f);
    drop(s);
    let a = synth(&app, "function-role");
    let t = Template::from_json(a.stacks[0].template.clone());
    assert_eq!(
        t.resource("ApiLogGroup").unwrap()["Properties"]["RetentionInDays"],
        14
    );
    let p = &t.resource("ApiFunction").unwrap()["Properties"];
    assert_eq!(
        p["LoggingConfig"]["LogGroup"],
        testing::reference(&app, f.log_group.log_group)
    );
    assert_eq!(
        p["Environment"]["Variables"]["QUEUE_URL"],
        testing::reference(&app, q.queue)
    );
    assert_eq!(p["Role"], testing::get_att(&app, f.role, "Arn"));
    t.role_allows_exactly(
        "ApiRole",
        &[
            (
                &["logs:CreateLogStream", "logs:PutLogEvents"],
                &[testing::get_att(&app, f.log_group.log_group, "Arn")],
            ),
            (
                &["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
                &[json!("*")],
            ),
            (
                &[
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                    "sqs:SendMessage",
                ],
                &[testing::get_att(&app, q.queue, "Arn")],
            ),
        ],
    )
    .unwrap();
    // No managed policy outside a VPC; the function waits for its grants.
    assert!(t.resource("ApiRole").unwrap()["Properties"]
        .get("ManagedPolicyArns")
        .is_none());
    assert!(t.resource("ApiFunction").unwrap()["DependsOn"]
        .to_string()
        .contains("ApiRoleDefaultPolicy"));
}

#[test]
fn secrets_are_refused_as_plain_environment_values_and_given_as_arns_with_a_read_grant() {
    let app = App::new();
    let mut s = app.stack("api");
    Function::new(
        &mut s,
        "Leaky",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            environment: vec![
                ("DB_PASSWORD".into(), "hunter2".into()),
                (
                    "TOKEN_FROM_SECRET".into(),
                    stackforge::dynamic::secrets_manager("prod/db", Some("password")),
                ),
            ],
            ..Default::default()
        },
    );
    drop(s);
    assert_eq!(errors(&app).iter().filter(|c| *c == "SFM004").count(), 2);

    let app = App::new();
    let mut s = app.stack("api");
    let secret = SecretRef::from_name(&mut s, "prod/db");
    let f = Function::new(
        &mut s,
        "Safe",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            secrets: vec![("DB_SECRET_ARN".into(), secret.clone())],
            ..Default::default()
        },
    );
    drop(s);
    let a = synth(&app, "function-secrets");
    let t = Template::from_json(a.stacks[0].template.clone());
    let perms = t.role_permissions("SafeRole");
    assert!(
        perms
            .iter()
            .any(|(a, r)| a == "secretsmanager:GetSecretValue" && r.contains("prod/db-??????")),
        "{perms:?}"
    );
    assert!(!t.contains_string("hunter2"));
    let _ = f;
}

#[test]
fn a_dead_letter_queue_or_an_on_failure_destination_with_its_grant_but_not_both() {
    let app = App::new();
    let mut s = app.stack("api");
    let dlq = Queue::new(&mut s, "Failed", QueueProps::default());
    let topic = Topic::new(&mut s, "Failures", TopicProps::default());
    let f = Function::new(
        &mut s,
        "WithDlq",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            dead_letter_queue: Some(dlq.clone()),
            ..Default::default()
        },
    );
    let g = Function::new(
        &mut s,
        "WithDestination",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            on_failure: Some(Destination::Topic(topic.clone())),
            ..Default::default()
        },
    );
    drop(s);
    let a = synth(&app, "function-failures");
    let t = Template::from_json(a.stacks[0].template.clone());
    assert_eq!(
        t.resource("WithDlqFunction").unwrap()["Properties"]["DeadLetterConfig"]["TargetArn"],
        testing::get_att(&app, dlq.queue, "Arn")
    );
    assert!(t.role_permissions("WithDlqRole").contains(&(
        "sqs:SendMessage".into(),
        testing::get_att(&app, dlq.queue, "Arn").to_string()
    )));
    let cfg = &t.resource("WithDestinationEventInvokeConfig").unwrap()["Properties"];
    assert_eq!(cfg["FunctionName"], testing::reference(&app, g.function));
    assert_eq!(
        cfg["DestinationConfig"]["OnFailure"]["Destination"],
        testing::reference(&app, topic.topic)
    );
    assert!(t.role_permissions("WithDestinationRole").contains(&(
        "sns:Publish".into(),
        testing::reference(&app, topic.topic).to_string()
    )));
    let _ = f;

    let app = App::new();
    let mut s = app.stack("api");
    let dlq = Queue::new(&mut s, "Failed", QueueProps::default());
    Function::new(
        &mut s,
        "Both",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            dead_letter_queue: Some(dlq.clone()),
            on_failure: Some(Destination::Queue(dlq)),
            ..Default::default()
        },
    );
    drop(s);
    assert!(errors(&app).contains(&"SFM041".to_owned()));
}

#[test]
fn a_function_in_a_vpc_of_another_stack_gets_private_subnets_a_security_group_and_is_connectable() {
    let app = App::new();
    let mut n = app.stack("network");
    let net = Network::new(&mut n, "Net", NetworkProps::default());
    drop(n);
    let mut s = app.stack("api");
    let f = Function::new(
        &mut s,
        "Api",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            vpc: Some(VpcPlacement::private(&net)),
            ..Default::default()
        },
    );
    drop(s);
    let a = synth(&app, "function-vpc");
    let t = Template::from_json(a.stack("api").unwrap().template.clone());
    let vpc = &t.resource("ApiFunction").unwrap()["Properties"]["VpcConfig"];
    assert_eq!(
        vpc["SecurityGroupIds"],
        json!([testing::get_att(&app, f.security_group.unwrap(), "GroupId")])
    );
    assert_eq!(vpc["SubnetIds"].as_array().unwrap().len(), 2);
    assert!(vpc["SubnetIds"][0].get("Fn::ImportValue").is_some());
    assert!(
        t.resource("ApiRole").unwrap()["Properties"]["ManagedPolicyArns"]
            .to_string()
            .contains("AWSLambdaVPCAccessExecutionRole")
    );
    use stackforge_modules::connections::Connectable;
    assert_eq!(f.connection_name(), "Api");
    assert!(a
        .stack("api")
        .unwrap()
        .dependencies
        .contains(&"network".to_owned()));
}

// 3. "No building blocks for … HTTP APIs … or the permissions and source ARNs that tie them".
#[test]
fn an_http_api_route_has_its_integration_route_and_a_permission_with_the_exact_source_arn() {
    let app = App::new();
    let mut s = app.stack("api");
    let f = Function::new(
        &mut s,
        "Orders",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            ..Default::default()
        },
    );
    let api = HttpApi::new(&mut s, "Http", HttpApiProps::default());
    let get = api.add_route(
        &mut s,
        "GetOrder",
        "GET /orders/{id}",
        &f,
        RouteAuthorization::Iam,
    );
    api.add_route(&mut s, "Any", "ANY /{proxy+}", &f, RouteAuthorization::Iam);
    api.add_route(
        &mut s,
        "Default",
        "$default",
        &f,
        RouteAuthorization::None {
            reason: "A public health endpoint for the uptime checker".into(),
        },
    );
    drop(s);
    let a = synth(&app, "http-api");
    let t = Template::from_json(a.stacks[0].template.clone());
    let arn = |path: &str| json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{HttpApi}}/*/{path}")});
    assert_eq!(
        t.resource("HttpGetOrderPermission").unwrap()["Properties"]["SourceArn"],
        arn("GET/orders/*")
    );
    assert_eq!(
        t.resource("HttpAnyPermission").unwrap()["Properties"]["SourceArn"],
        arn("*/*")
    );
    assert_eq!(
        t.resource("HttpDefaultPermission").unwrap()["Properties"]["SourceArn"],
        arn("$default")
    );
    let perm = &t.resource("HttpGetOrderPermission").unwrap()["Properties"];
    assert_eq!(perm["Principal"], "apigateway.amazonaws.com");
    assert_eq!(perm["Action"], "lambda:InvokeFunction");
    assert_eq!(
        perm["FunctionName"],
        testing::get_att(&app, f.function, "Arn")
    );
    let route = &t.resource("HttpGetOrderRoute").unwrap()["Properties"];
    assert_eq!(route["RouteKey"], "GET /orders/{id}");
    assert_eq!(route["AuthorizationType"], "AWS_IAM");
    assert_eq!(
        route["Target"],
        json!({"Fn::Sub": "integrations/${HttpGetOrderIntegration}"})
    );
    let integration = &t.resource("HttpGetOrderIntegration").unwrap()["Properties"];
    assert_eq!(integration["IntegrationType"], "AWS_PROXY");
    assert_eq!(integration["PayloadFormatVersion"], "2.0");
    // The stage logs to its own group and throttles.
    let stage = &t.resource("HttpStage").unwrap()["Properties"];
    assert_eq!(stage["StageName"], "$default");
    assert_eq!(
        stage["AccessLogSettings"]["DestinationArn"],
        testing::get_att(&app, api.access_logs.log_group, "Arn")
    );
    assert_eq!(stage["DefaultRouteSettings"]["ThrottlingBurstLimit"], 200);
    assert_eq!(stage["DefaultRouteSettings"]["ThrottlingRateLimit"], 100.0);
    // A public route says why, next to the checkov skip.
    assert_eq!(
        t.resource("HttpDefaultRoute").unwrap()["Metadata"]["checkov"]["skip"][0]["id"],
        "CKV_AWS_309"
    );
    let _ = get;
}

#[test]
fn malformed_route_keys_and_zero_throttling_are_errors() {
    for bad in [
        "GET orders",
        "FETCH /orders",
        "GET /orders/{id",
        "GET /{proxy+}/x",
        "/orders",
    ] {
        assert!(route_arn_parts(bad).is_err(), "{bad}");
    }
    let app = App::new();
    let mut s = app.stack("api");
    let f = Function::new(
        &mut s,
        "F",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            ..Default::default()
        },
    );
    let api = HttpApi::new(
        &mut s,
        "Http",
        HttpApiProps {
            throttling_rate_limit: 0.0.into(),
            ..Default::default()
        },
    );
    api.add_route(&mut s, "Bad", "GET orders", &f, RouteAuthorization::Iam);
    drop(s);
    assert_eq!(errors(&app).iter().filter(|c| *c == "SFM042").count(), 2);
}

// 3. "`rate(5 minute)` passed synth" (cfn-lint caught it).
#[test]
fn rate_5_minute_is_an_error_at_synth_and_typed_rates_render_singular_or_plural() {
    let app = App::new();
    let mut s = app.stack("ops");
    let f = Function::new(
        &mut s,
        "Job",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            ..Default::default()
        },
    );
    Schedule::new(
        &mut s,
        "Every5",
        ScheduleProps {
            schedule: ScheduleExpression::parse("rate(5 minute)"),
            targets: vec![(&f).into()],
            ..Default::default()
        },
    );
    drop(s);
    assert!(errors(&app).contains(&"SF034".to_owned()));

    assert_eq!(
        ScheduleExpression::rate(5, TimeUnit::Minutes)
            .render()
            .unwrap(),
        "rate(5 minutes)"
    );
    assert_eq!(
        ScheduleExpression::rate(1, TimeUnit::Hours)
            .render()
            .unwrap(),
        "rate(1 hour)"
    );
    assert_eq!(
        ScheduleExpression::rate(2, TimeUnit::Days)
            .render()
            .unwrap(),
        "rate(2 days)"
    );
    assert!(ScheduleExpression::rate(0, TimeUnit::Minutes)
        .render()
        .is_err());
    for bad in [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 hours)",
        "rate(5 weeks)",
        "rate(five minutes)",
        "every 5 minutes",
    ] {
        assert!(check_schedule_expression(bad).is_err(), "{bad}");
    }
}

#[test]
fn cron_has_six_fields_with_ranges_and_one_question_mark() {
    for ok in [
        "cron(0 3 * * ? *)",
        "cron(0/15 * * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)",
        "cron(15 10 ? * 6L 2027-2030)",
        "cron(0 12 ? * 2#1 *)",
        "cron(0 0 LW * ? *)",
        "cron(5,35 14 * JAN,JUL ? *)",
    ] {
        check_schedule_expression(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for bad in [
        "cron(0 3 * * *)",       // five fields (Unix cron)
        "cron(0 3 * * * *)",     // both day fields
        "cron(0 3 ? * ? *)",     // neither day field
        "cron(60 3 * * ? *)",    // minute 60
        "cron(0 24 * * ? *)",    // hour 24
        "cron(0 3 32 * ? *)",    // day 32
        "cron(0 3 ? 13 MON *)",  // month 13
        "cron(0 3 ? * 8 *)",     // day of week 8
        "cron(0 3 ? * MON#6 *)", // sixth Monday
        "cron(0 3 * * ? 1969)",  // year
    ] {
        assert!(check_schedule_expression(bad).is_err(), "{bad}");
    }
}

#[test]
fn schedule_targets_get_their_permission_policy_statement_or_role() {
    let app = App::new();
    let mut s = app.stack("ops");
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    let f = Function::new(
        &mut s,
        "Job",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            ..Default::default()
        },
    );
    let q = Queue::new(
        &mut s,
        "Inbox",
        QueueProps {
            dead_letter: Some(DeadLetter::default()),
            ..Default::default()
        },
    );
    let worker = QueueProcessingFargateService::new(
        &mut s,
        "Worker",
        &net,
        &cluster,
        &q,
        QueueProcessingServiceProps {
            image: "public.ecr.aws/docker/library/python:3.13-slim".into(),
            ..Default::default()
        },
    );
    use stackforge_modules::connections::Connectable;
    let task = EcsTaskTarget::new(&cluster, &worker.task, &net, worker.security_group_id());
    let sched = Schedule::new(
        &mut s,
        "Nightly",
        ScheduleProps {
            schedule: ScheduleExpression::cron("0 3 * * ? *"),
            targets: vec![(&f).into(), (&q).into(), task.into()],
            ..Default::default()
        },
    );
    drop(s);
    let a = synth(&app, "schedule-targets");
    let t = Template::from_json(a.stacks[0].template.clone());
    let rule = &t.resource("NightlyRule").unwrap()["Properties"];
    assert_eq!(rule["ScheduleExpression"], "cron(0 3 * * ? *)");
    assert_eq!(rule["Targets"].as_array().unwrap().len(), 3);
    // The function: a permission for EventBridge from this rule only.
    let perm = &t.resource("NightlyJobPermission").unwrap()["Properties"];
    assert_eq!(perm["Principal"], "events.amazonaws.com");
    assert_eq!(perm["SourceArn"], testing::get_att(&app, sched.rule, "Arn"));
    // The queue: a statement in its own (single) policy, from this rule only; the TLS-only
    // deny is kept.
    t.resource_count_is("AWS::SQS::QueuePolicy", 2).unwrap();
    let stmts = &t.resource("InboxPolicy").unwrap()["Properties"]["PolicyDocument"]["Statement"];
    assert_eq!(stmts[0]["Sid"], "DenyInsecureTransport");
    assert_eq!(
        stmts[1]["Principal"],
        json!({"Service": "events.amazonaws.com"})
    );
    assert_eq!(
        stmts[1]["Condition"]["ArnEquals"]["aws:SourceArn"],
        testing::get_att(&app, sched.rule, "Arn")
    );
    // The task: a role that may run exactly that task definition and pass its two roles.
    let role = sched.role.expect("an events role");
    assert_eq!(
        rule["Targets"][2]["RoleArn"],
        testing::get_att(&app, role, "Arn")
    );
    t.role_allows_exactly(
        "NightlyEventsRole",
        &[
            (
                &["ecs:RunTask"],
                &[testing::reference(&app, worker.task_definition)],
            ),
            (
                &["iam:PassRole"],
                &[
                    testing::get_att(&app, worker.execution_role, "Arn"),
                    testing::get_att(&app, worker.task_role, "Arn"),
                ],
            ),
        ],
    )
    .unwrap();
}

#[test]
fn an_event_rule_needs_a_pattern_and_one_to_five_targets() {
    let app = App::new();
    let mut s = app.stack("ops");
    EventRule::new(&mut s, "Nothing", EventRuleProps::default());
    let f = Function::new(
        &mut s,
        "Job",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            ..Default::default()
        },
    );
    let ok = EventRule::new(
        &mut s,
        "Uploads",
        EventRuleProps {
            event_pattern: stackforge::json!({"source": ["aws.s3"], "detail-type": ["Object Created"]}),
            targets: vec![(&f).into()],
            ..Default::default()
        },
    );
    drop(s);
    let found = errors(&app);
    assert_eq!(
        found.iter().filter(|c| *c == "SFM048").count(),
        2,
        "{found:?}"
    );
    let _ = ok;
}

#[test]
fn function_and_api_metrics_have_the_names_and_dimensions_cloudwatch_publishes_under() {
    let app = App::new();
    let mut s = app.stack("api");
    let f = Function::new(
        &mut s,
        "Orders",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            ..Default::default()
        },
    );
    let api = HttpApi::new(&mut s, "Http", HttpApiProps::default());
    let topic = Topic::new(&mut s, "Alarms", TopicProps::default());
    let cases = [
        (
            f.metric_errors(),
            "AWS/Lambda",
            "Errors",
            "FunctionName",
            testing::reference(&app, f.function),
        ),
        (
            f.metric_throttles(),
            "AWS/Lambda",
            "Throttles",
            "FunctionName",
            testing::reference(&app, f.function),
        ),
        (
            f.metric_duration(),
            "AWS/Lambda",
            "Duration",
            "FunctionName",
            testing::reference(&app, f.function),
        ),
        (
            api.metric_5xx(),
            "AWS/ApiGateway",
            "5xx",
            "ApiId",
            testing::reference(&app, api.api),
        ),
        (
            api.metric_latency(),
            "AWS/ApiGateway",
            "Latency",
            "ApiId",
            testing::reference(&app, api.api),
        ),
    ];
    let mut expect = Vec::new();
    for (i, (m, ns, name, dim, value)) in cases.into_iter().enumerate() {
        stackforge_modules::alarm::Alarm::new(
            &mut s,
            &format!("M{i}"),
            stackforge_modules::alarm::AlarmProps {
                actions: vec![(&topic).into()],
                ..stackforge_modules::alarm::AlarmProps::new(m)
            },
        );
        expect.push((format!("M{i}Alarm"), ns, name, dim, value));
    }
    drop(s);
    let a = synth(&app, "function-metrics");
    let t = Template::from_json(a.stacks[0].template.clone());
    for (id, ns, name, dim, value) in expect {
        let p = &t.resource(&id).unwrap()["Properties"];
        assert_eq!(
            (p["Namespace"].as_str(), p["MetricName"].as_str()),
            (Some(ns), Some(name))
        );
        assert_eq!(
            p["Dimensions"],
            json!([{"Name": dim, "Value": value}]),
            "{name}"
        );
    }
    // Counts: Sum and notBreaching; Duration and Latency: p99.
    assert_eq!(
        t.resource("M0Alarm").unwrap()["Properties"]["Statistic"],
        "Sum"
    );
    assert_eq!(
        t.resource("M0Alarm").unwrap()["Properties"]["TreatMissingData"],
        "notBreaching"
    );
    assert_eq!(
        t.resource("M2Alarm").unwrap()["Properties"]["ExtendedStatistic"],
        "p99"
    );
}

#[test]
fn a_topic_subscribes_a_function_with_a_typed_permission_from_that_topic_only() {
    let app = App::new();
    let mut s = app.stack("ops");
    let topic = Topic::new(&mut s, "Alerts", TopicProps::default());
    let f = Function::new(
        &mut s,
        "Pager",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            ..Default::default()
        },
    );
    topic.subscribe_function(&mut s, &f);
    drop(s);
    let a = synth(&app, "topic-function");
    let t = Template::from_json(a.stacks[0].template.clone());
    let perm = &t.resource("AlertsPagerPermission").unwrap()["Properties"];
    assert_eq!(perm["Principal"], "sns.amazonaws.com");
    assert_eq!(perm["SourceArn"], testing::reference(&app, topic.topic));
    let sub = &t.resource("AlertsPagerSubscription").unwrap()["Properties"];
    assert_eq!(sub["Protocol"], "lambda");
    assert_eq!(sub["Endpoint"], testing::get_att(&app, f.function, "Arn"));
}

#[test]
fn invoke_grants_customer_keys_and_jwt_routes() {
    let app = App::new();
    let mut s = app.stack("api");
    let key = stackforge_modules::key::Key::new(
        &mut s,
        "Env",
        stackforge_modules::key::KeyProps::default(),
    );
    let f = Function::new(
        &mut s,
        "Orders",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            environment: vec![("STAGE".into(), "prod".into())],
            kms_key: Some((&key).into()),
            ..Default::default()
        },
    );
    let caller = s.add(
        "Caller",
        stackforge::cfn::iam::Role::new(stackforge::policy::PolicyDocument::assumed_by_service(
            "ecs-tasks.amazonaws.com",
        )),
    );
    f.grant_invoke(&mut s, &caller);
    let api = HttpApi::new(&mut s, "Http", HttpApiProps::default());
    api.add_route(
        &mut s,
        "Me",
        "GET /me",
        &f,
        RouteAuthorization::Jwt {
            authorizer_id: "abc123".into(),
            scopes: vec!["orders/read".into()],
        },
    );
    drop(s);
    let a = synth(&app, "function-kms-invoke-jwt");
    let t = Template::from_json(a.stacks[0].template.clone());
    t.role_allows_exactly(
        "Caller",
        &[(
            &["lambda:InvokeFunction"],
            &[testing::get_att(&app, f.function, "Arn")],
        )],
    )
    .unwrap();
    assert_eq!(
        t.resource("OrdersFunction").unwrap()["Properties"]["KmsKeyArn"],
        testing::get_att(&app, key.key, "Arn")
    );
    assert!(t.role_permissions("OrdersRole").contains(&(
        "kms:Decrypt".into(),
        testing::get_att(&app, key.key, "Arn").to_string()
    )));
    // With a customer key, CKV_AWS_173 is not skipped.
    assert!(!t.resource("OrdersFunction").unwrap()["Metadata"]
        .to_string()
        .contains("CKV_AWS_173"));
    let route = &t.resource("HttpMeRoute").unwrap()["Properties"];
    assert_eq!(route["AuthorizationType"], "JWT");
    assert_eq!(route["AuthorizerId"], "abc123");
    assert_eq!(route["AuthorizationScopes"], json!(["orders/read"]));
}

#[test]
fn allowing_a_function_outside_a_vpc_into_a_database_is_an_error() {
    let app = App::new();
    let mut s = app.stack("api");
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let db = stackforge_modules::postgres::PostgresDatabase::new(
        &mut s,
        "Db",
        &net,
        stackforge_modules::postgres::PostgresProps::default(),
    );
    let outside = Function::new(
        &mut s,
        "Outside",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            ..Default::default()
        },
    );
    db.allow_from(&mut s, &outside);
    drop(s);
    assert!(errors(&app).contains(&"SFM008".to_owned()));

    let app = App::new();
    let mut s = app.stack("api");
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let db = stackforge_modules::postgres::PostgresDatabase::new(
        &mut s,
        "Db",
        &net,
        stackforge_modules::postgres::PostgresProps::default(),
    );
    let inside = Function::new(
        &mut s,
        "Inside",
        FunctionProps {
            code: Some(Code::inline("def handler(e, c):\n    return 1\n")),
            vpc: Some(VpcPlacement::private(&net)),
            ..Default::default()
        },
    );
    db.allow_from(&mut s, &inside);
    drop(s);
    let a = synth(&app, "function-allowed-into-db");
    let t = Template::from_json(a.stacks[0].template.clone());
    let rule = &t.resource("DbIngressFromInside").unwrap()["Properties"];
    assert_eq!(
        rule["SourceSecurityGroupId"],
        testing::get_att(&app, inside.security_group.unwrap(), "GroupId")
    );
    assert_eq!(rule["FromPort"], 5432);
    assert!(
        t.resource("InsideEgressToDb").is_some(),
        "the function's egress is restricted"
    );
}
