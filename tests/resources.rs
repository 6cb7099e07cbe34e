//! The resource patterns of `stackforge-modules`: Bucket, Key, Queue, Topic and LogGroup.
//! GIVEN/WHEN/THEN on synthesized templates: each pattern's defaults, each option, each
//! error code with its path, and each grant's exact actions and resources. Every template is
//! written to `target/cfn-lint/resources/<name>/` for the cfn-lint pass of `scripts/test`;
//! the defaults also go through checkov here.

use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Value as Json};
use stackforge::cfn::{elasticloadbalancingv2 as elb, iam};
use stackforge::diag::codes::{NUMBER_RANGE, PATTERN_MISMATCH};
use stackforge::diag::Diagnostic;
use stackforge::policy::PolicyDocument;
use stackforge::testing::Template;
use stackforge::{App, Code, Parameter, Policy, Scope, Val};
use stackforge_modules::bucket::{
    AlbAccessLogs, Bucket, BucketProps, Lifecycle, ServerAccessLogs, ELB_ACCOUNTS,
};
use stackforge_modules::codes;
use stackforge_modules::key::{Key, KeyProps, KeyService, KmsKey};
use stackforge_modules::log_group::{LogGroup, LogGroupProps};
use stackforge_modules::queue::{DeadLetter, Queue, QueueProps};
use stackforge_modules::refs::ExistingRole;
use stackforge_modules::topic::{Topic, TopicProps};

use crate::common::{lint_dir, write_for_lint};

// ---------------------------------------------------------------- helpers

/// Synthesizes, writes the templates for cfn-lint, and returns the stack's template.
fn synth_ok(app: &App, stack: &str, lint_name: &str) -> Template {
    let a = app.synth().unwrap_or_else(|e| panic!("synth failed: {e}"));
    write_for_lint(&a, "resources", lint_name);
    Template::from_json(a.stack(stack).expect("stack").template.clone())
}

/// The error diagnostics of an app that must fail.
fn errors(app: &App) -> Vec<Diagnostic> {
    match app.synth() {
        Ok(_) => panic!("synth succeeded but an error was expected"),
        Err(e) => e
            .diagnostics()
            .iter()
            .filter(|d| d.is_error())
            .cloned()
            .collect(),
    }
}

/// The only error, which must have `code`, at `logical_id` / `property`.
fn only_error(app: &App, code: Code, logical_id: &str, property: &str) {
    let errs = errors(app);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].code, code, "{errs:#?}");
    assert_eq!(
        errs[0].path.logical_id.as_deref(),
        Some(logical_id),
        "{errs:#?}"
    );
    assert_eq!(
        errs[0].path.property.as_deref(),
        Some(property),
        "{errs:#?}"
    );
}

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

fn task_role(s: &mut Scope<'_>) -> stackforge::Handle<iam::Role> {
    s.add(
        "TaskRole",
        iam::Role::new(PolicyDocument::assumed_by_service(
            "ecs-tasks.amazonaws.com",
        )),
    )
}

/// The statements of a grant policy.
fn statements(t: &Template, policy: &str) -> Vec<Json> {
    let p = t
        .resource(policy)
        .unwrap_or_else(|| panic!("no resource {policy}"));
    p["Properties"]["PolicyDocument"]["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn get_att(id: &str, attr: &str) -> Json {
    json!({"Fn::GetAtt": [id, attr]})
}

fn via(service: &str, key_arn: Json) -> Json {
    json!({"StringEquals": {"kms:ViaService": {"Fn::Sub": [
        format!("{service}.${{Var0}}.${{AWS::URLSuffix}}"),
        {"Var0": {"Fn::Select": [3, {"Fn::Split": [":", key_arn]}]}}
    ]}}})
}

fn tls_deny(action: &str, resource: Json) -> Json {
    json!({
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": action,
        "Resource": resource,
        "Condition": {"Bool": {"aws:SecureTransport": false}}
    })
}

/// Every `aws:SecureTransport` value in a JSON tree.
fn secure_transport_values(v: &Json, out: &mut Vec<Json>) {
    match v {
        Json::Object(m) => {
            for (k, x) in m {
                if k == "aws:SecureTransport" {
                    out.push(x.clone());
                }
                secure_transport_values(x, out);
            }
        }
        Json::Array(a) => a.iter().for_each(|x| secure_transport_values(x, out)),
        _ => {}
    }
}

// ---------------------------------------------------------------- Bucket

#[test]
fn bucket_defaults_are_private_encrypted_versioned_retained_and_tls_only() {
    // GIVEN a bucket with the defaults
    let app = App::new();
    let mut s = app.stack("data");
    let b = Bucket::new(&mut s, "Uploads", BucketProps::default());
    // WHEN it is synthesized
    let t = synth_ok(&app, "data", "bucket-defaults");
    // THEN it is private, owner-enforced, SSE-S3, versioned, with lifecycle rules
    ok(t.resource_count_is("AWS::S3::Bucket", 1));
    ok(t.resource_count_is("AWS::S3::BucketPolicy", 1));
    let bucket = t.resource("UploadsBucket").unwrap();
    assert_eq!(
        bucket["Properties"],
        json!({
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": true, "BlockPublicPolicy": true,
                "IgnorePublicAcls": true, "RestrictPublicBuckets": true
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "VersioningConfiguration": {"Status": "Enabled"},
            "LifecycleConfiguration": {"Rules": [{
                "Id": "Default",
                "Status": "Enabled",
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                "NoncurrentVersionExpiration": {"NoncurrentDays": 90}
            }]}
        })
    );
    assert_eq!(bucket["DeletionPolicy"], "Retain");
    assert_eq!(bucket["UpdateReplacePolicy"], "Retain");
    assert_eq!(bucket["Metadata"]["checkov"]["skip"][0]["id"], "CKV_AWS_18");
    // AND the policy denies every request without TLS, on the bucket and its objects
    let policy = t.resource("UploadsPolicy").unwrap();
    assert_eq!(
        policy["Properties"]["Bucket"],
        json!({"Ref": "UploadsBucket"})
    );
    assert_eq!(
        policy["Properties"]["PolicyDocument"],
        json!({"Version": "2012-10-17", "Statement": [tls_deny(
            "s3:*",
            json!([get_att("UploadsBucket", "Arn"), {"Fn::Sub": "${UploadsBucket.Arn}/*"}])
        )]})
    );
    // AND the accessors name the bucket
    assert_eq!(b.bucket_name(), b.bucket.reference());
    assert_eq!(b.arn(), b.bucket.attr_arn());
    assert!(b.alb_log_attributes().is_empty());
}

#[test]
fn secure_transport_is_the_json_boolean_false_in_every_policy() {
    // GIVEN every pattern with a TLS-only policy, including the dead-letter queue
    let app = App::new();
    let mut s = app.stack("all");
    Bucket::new(&mut s, "B", BucketProps::default());
    Queue::new(
        &mut s,
        "Q",
        QueueProps {
            dead_letter: Some(DeadLetter::default()),
            ..Default::default()
        },
    );
    Topic::new(&mut s, "T", TopicProps::default());
    // WHEN synthesized
    let t = synth_ok(&app, "all", "tls-only");
    // THEN each of the four policies carries aws:SecureTransport = false, a JSON boolean
    let mut found = Vec::new();
    secure_transport_values(t.json(), &mut found);
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(found.iter().all(|v| *v == Json::Bool(false)), "{found:?}");
}

#[test]
fn bucket_with_a_customer_key_uses_sse_kms_with_a_bucket_key() {
    // GIVEN a key and a bucket encrypted with it
    let app = App::new();
    let mut s = app.stack("data");
    let key = Key::new(&mut s, "Data", KeyProps::default());
    Bucket::new(
        &mut s,
        "Reports",
        BucketProps {
            kms_key: Some((&key).into()),
            ..Default::default()
        },
    );
    let t = synth_ok(&app, "data", "bucket-kms");
    // THEN SSE-KMS names the key's ARN, with an S3 bucket key
    ok(t.has_resource_properties(
        "AWS::S3::Bucket",
        json!({"BucketEncryption": {"ServerSideEncryptionConfiguration": [{
            "BucketKeyEnabled": true,
            "ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": get_att("DataKey", "Arn")}
        }]}}),
    ));
}

#[test]
fn bucket_without_versioning_has_no_noncurrent_rule_and_lifecycle_options_apply() {
    // GIVEN an unversioned bucket whose objects expire after 30 days
    let app = App::new();
    let mut s = app.stack("data");
    Bucket::new(
        &mut s,
        "Scratch",
        BucketProps {
            versioned: false,
            lifecycle: Lifecycle {
                expiration_days: Some(30.into()),
                abort_incomplete_multipart_upload_days: Some(1.into()),
                ..Default::default()
            },
            removal_policy: Policy::Delete,
            ..Default::default()
        },
    );
    let t = synth_ok(&app, "data", "bucket-unversioned");
    let b = t.resource("ScratchBucket").unwrap();
    assert!(b["Properties"].get("VersioningConfiguration").is_none());
    assert_eq!(
        b["Properties"]["LifecycleConfiguration"],
        json!({"Rules": [{
            "Id": "Default",
            "Status": "Enabled",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            "ExpirationInDays": 30
        }]})
    );
    assert_eq!(b["DeletionPolicy"], "Delete");

    // GIVEN no lifecycle rule at all THEN there is no LifecycleConfiguration
    let app = App::new();
    let mut s = app.stack("data");
    Bucket::new(
        &mut s,
        "Plain",
        BucketProps {
            lifecycle: Lifecycle {
                noncurrent_version_expiration_days: None,
                abort_incomplete_multipart_upload_days: None,
                expiration_days: None,
            },
            ..Default::default()
        },
    );
    let t = synth_ok(&app, "data", "bucket-no-lifecycle");
    assert!(t.resource("PlainBucket").unwrap()["Properties"]
        .get("LifecycleConfiguration")
        .is_none());
}

#[test]
fn bucket_name_and_server_access_logs_are_options() {
    let app = App::new();
    let mut s = app.stack("data");
    let b = Bucket::new(
        &mut s,
        "Named",
        BucketProps {
            bucket_name: Some("acme-named-bucket".into()),
            server_access_logs: Some(ServerAccessLogs {
                destination_bucket_name: "acme-access-logs".into(),
                prefix: "named/".into(),
            }),
            ..Default::default()
        },
    );
    let t = synth_ok(&app, "data", "bucket-named");
    let r = t.resource("NamedBucket").unwrap();
    assert_eq!(r["Properties"]["BucketName"], "acme-named-bucket");
    assert_eq!(
        r["Properties"]["LoggingConfiguration"],
        json!({"DestinationBucketName": "acme-access-logs", "LogFilePrefix": "named/"})
    );
    // With server access logs configured, nothing is skipped.
    assert!(r.get("Metadata").is_none(), "{r}");
    // object_arn renders a Sub on the bucket's ARN
    s.add_raw(
        "Uses",
        stackforge::Raw::new("AWS::SSM::Parameter")
            .prop("Type", "String")
            .prop("Value", b.object_arn("reports/*")),
    );
    let t = Template::from_app(&app, "data").unwrap();
    assert_eq!(
        t.resource("Uses").unwrap()["Properties"]["Value"],
        json!({"Fn::Sub": "${NamedBucket.Arn}/reports/*"})
    );
}

#[test]
fn bucket_lifecycle_days_are_checked_even_from_a_parameter() {
    // GIVEN noncurrent versions that expire after 0 days
    let app = App::new();
    let mut s = app.stack("data");
    Bucket::new(
        &mut s,
        "Uploads",
        BucketProps {
            lifecycle: Lifecycle {
                noncurrent_version_expiration_days: Some(0.into()),
                ..Default::default()
            },
            ..Default::default()
        },
    );
    // THEN SFM015 names the rule's field
    only_error(
        &app,
        codes::INVALID_BUCKET,
        "UploadsBucket",
        "Properties.LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration.NoncurrentDays",
    );

    // GIVEN the expiration from a parameter that allows 0 or 30
    let app = App::new();
    let mut s = app.stack("data");
    let days: Val<i64> = s.parameter("LogDays", Parameter::integer().allowed_values(["0", "30"]));
    Bucket::new(
        &mut s,
        "Logs",
        BucketProps {
            lifecycle: Lifecycle {
                expiration_days: Some(days),
                ..Default::default()
            },
            ..Default::default()
        },
    );
    // THEN the template refuses 0 at deploy with a rule, and 30 passes. (Not written for
    // cfn-lint: allowing a value the rule refuses is the point of this template.)
    let t = Template::from_app(&app, "data").unwrap();
    let rules = t.json()["Rules"].as_object().expect("a Rules section");
    assert_eq!(rules.len(), 1, "{rules:?}");
    assert!(rules.contains_key("LogsBucketCheck1"), "{rules:?}");
}

#[test]
fn log_target_in_a_known_pre_2022_region_names_that_regions_elb_account() {
    // GIVEN a log bucket in eu-west-1 and a load balancer that logs into it
    let app = App::new();
    let mut s = app.stack("edge");
    let logs = Bucket::new(
        &mut s,
        "Logs",
        BucketProps {
            alb_access_logs: Some(AlbAccessLogs {
                prefix: "alb/web".into(),
                region: Some("eu-west-1".into()),
            }),
            ..Default::default()
        },
    );
    let lb = s.add(
        "Lb",
        elb::LoadBalancer {
            subnets: Some(
                vec![
                    Val::<String>::from("subnet-0123456789abcdef0"),
                    Val::from("subnet-0123456789abcdef1"),
                ]
                .into(),
            ),
            load_balancer_attributes: Some(logs.alb_log_attributes()),
            ..Default::default()
        },
    );
    s.depends_on(lb, logs.policy);
    let t = synth_ok(&app, "edge", "bucket-log-target-eu-west-1");
    // THEN the policy lets the regional ELB account put under <prefix>/AWSLogs/<account>/
    let st = &t.resource("LogsPolicy").unwrap()["Properties"]["PolicyDocument"]["Statement"];
    assert_eq!(
        st[1],
        json!({
            "Sid": "AllowElbAccessLogs",
            "Effect": "Allow",
            "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::156460612806:root"}},
            "Action": "s3:PutObject",
            "Resource": {"Fn::Sub": "${LogsBucket.Arn}/alb/web/AWSLogs/${AWS::AccountId}/*"}
        })
    );
    // AND the load balancer's attributes point at the bucket, and it waits for the policy
    let lb = t.resource("Lb").unwrap();
    assert_eq!(
        lb["Properties"]["LoadBalancerAttributes"],
        json!([
            {"Key": "access_logs.s3.enabled", "Value": "true"},
            {"Key": "access_logs.s3.bucket", "Value": {"Ref": "LogsBucket"}},
            {"Key": "access_logs.s3.prefix", "Value": "alb/web"}
        ])
    );
    assert_eq!(lb["DependsOn"], json!(["LogsPolicy"]));
    // AND there is no mapping or condition
    assert!(t.json().get("Mappings").is_none() && t.json().get("Conditions").is_none());
}

#[test]
fn log_target_in_a_newer_or_unlisted_region_names_the_log_delivery_service() {
    for region in ["eu-central-2", "ap-southeast-3", "il-central-1"] {
        let app = App::new();
        let mut s = app.stack("edge");
        Bucket::new(
            &mut s,
            "Logs",
            BucketProps {
                alb_access_logs: Some(AlbAccessLogs {
                    prefix: String::new(),
                    region: Some(region.into()),
                }),
                ..Default::default()
            },
        );
        let t = synth_ok(&app, "edge", &format!("bucket-log-target-{region}"));
        let st = &t.resource("LogsPolicy").unwrap()["Properties"]["PolicyDocument"]["Statement"];
        assert_eq!(
            st[1]["Principal"],
            json!({"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}),
            "{region}"
        );
        assert_eq!(
            st[1]["Resource"],
            json!({"Fn::Sub": "${LogsBucket.Arn}/AWSLogs/${AWS::AccountId}/*"})
        );
    }
}

#[test]
fn log_target_without_a_region_chooses_at_deploy_with_a_mapping_and_a_condition() {
    // GIVEN a log bucket whose region is not known at synth
    let app = App::new();
    let mut s = app.stack("edge");
    Bucket::new(
        &mut s,
        "Logs",
        BucketProps {
            alb_access_logs: Some(AlbAccessLogs::default()),
            ..Default::default()
        },
    );
    let t = synth_ok(&app, "edge", "bucket-log-target-any-region");
    // THEN the mapping lists every pre-August-2022 region's ELB account
    let map = t.json()["Mappings"]["LogsElbAccounts"].as_object().unwrap();
    assert_eq!(map.len(), ELB_ACCOUNTS.len());
    assert_eq!(map["us-east-1"], json!({"Account": "127311923021"}));
    assert_eq!(map["eu-west-1"], json!({"Account": "156460612806"}));
    assert_eq!(map["us-gov-west-1"], json!({"Account": "048591011584"}));
    // AND the condition is true in exactly those regions (grouped by ten for Fn::Or)
    let cond = &t.json()["Conditions"]["LogsInElbAccountRegion"]["Fn::Or"];
    let regions: Vec<&str> = cond
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["Fn::Or"].as_array().unwrap())
        .map(|e| e["Fn::Equals"][1].as_str().unwrap())
        .collect();
    assert_eq!(regions.len(), ELB_ACCOUNTS.len());
    assert!(cond.as_array().unwrap().len() <= 10);
    // AND the statement is an Fn::If between the account and the log-delivery service
    let st = &t.resource("LogsPolicy").unwrap()["Properties"]["PolicyDocument"]["Statement"][1];
    let branches = st["Fn::If"].as_array().unwrap();
    assert_eq!(branches[0], "LogsInElbAccountRegion");
    assert_eq!(
        branches[1]["Principal"]["AWS"],
        json!({"Fn::Sub": ["arn:${AWS::Partition}:iam::${Var0}:root",
            {"Var0": {"Fn::FindInMap": ["LogsElbAccounts", {"Ref": "AWS::Region"}, "Account"]}}]})
    );
    assert_eq!(
        branches[2]["Principal"],
        json!({"Service": "logdelivery.elasticloadbalancing.amazonaws.com"})
    );
}

#[test]
fn log_target_with_a_kms_key_is_an_error() {
    // GIVEN a log-target bucket with a KMS key
    let app = App::new();
    let mut s = app.stack("edge");
    Bucket::new(
        &mut s,
        "Logs",
        BucketProps {
            alb_access_logs: Some(AlbAccessLogs::default()),
            kms_key: Some(
                "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                    .into(),
            ),
            ..Default::default()
        },
    );
    // THEN SFM014 at the bucket's encryption
    only_error(
        &app,
        codes::LOG_TARGET_KMS_KEY,
        "LogsBucket",
        "Properties.BucketEncryption",
    );
}

#[test]
fn log_target_prefix_and_region_are_checked() {
    for (prefix, region, property) in [
        ("/alb", None, "alb_access_logs.prefix"),
        ("alb/", None, "alb_access_logs.prefix"),
        ("x/AWSLogs", None, "alb_access_logs.prefix"),
        ("a b", None, "alb_access_logs.prefix"),
        ("alb", Some("Ireland"), "alb_access_logs.region"),
    ] {
        let app = App::new();
        let mut s = app.stack("edge");
        Bucket::new(
            &mut s,
            "Logs",
            BucketProps {
                alb_access_logs: Some(AlbAccessLogs {
                    prefix: prefix.into(),
                    region: region.map(str::to_owned),
                }),
                ..Default::default()
            },
        );
        only_error(&app, codes::INVALID_BUCKET, "LogsPolicy", property);
    }
}

#[test]
fn bucket_grants_pin_actions_and_resources() {
    // GIVEN a bucket and four roles, one per grant
    let app = App::new();
    let mut s = app.stack("data");
    let b = Bucket::new(&mut s, "Files", BucketProps::default());
    let reader = ExistingRole::from_name(&s, "Reader", "reader");
    let writer = ExistingRole::from_name(&s, "Writer", "writer");
    let both = ExistingRole::from_name(&s, "Both", "both");
    let putter = ExistingRole::from_name(&s, "Putter", "putter");
    // WHEN each is granted
    let g = b.grant_read(&mut s, &reader);
    assert_eq!(g.logical_id, "ReaderDefaultPolicy");
    b.grant_write(&mut s, &writer);
    b.grant_read_write(&mut s, &both);
    b.grant_put(&mut s, &putter, "uploads/");
    let t = synth_ok(&app, "data", "bucket-grants");
    let objects = json!({"Fn::Sub": "${FilesBucket.Arn}/*"});
    let bucket = get_att("FilesBucket", "Arn");
    // THEN read: GetObject on the objects, ListBucket on the bucket
    assert_eq!(
        statements(&t, "ReaderDefaultPolicy"),
        vec![
            json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": objects}),
            json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket}),
        ]
    );
    // AND write: put, abort and delete on the objects; no listing, no read
    assert_eq!(
        statements(&t, "WriterDefaultPolicy"),
        vec![json!({"Effect": "Allow",
            "Action": ["s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"],
            "Resource": objects})]
    );
    // AND read/write: both on the objects, listing on the bucket
    assert_eq!(
        statements(&t, "BothDefaultPolicy"),
        vec![
            json!({"Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"],
                "Resource": objects}),
            json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket}),
        ]
    );
    // AND put with a prefix: put and abort under the prefix only
    assert_eq!(
        statements(&t, "PutterDefaultPolicy"),
        vec![json!({"Effect": "Allow",
            "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
            "Resource": {"Fn::Sub": "${FilesBucket.Arn}/uploads/*"}})]
    );
}

#[test]
fn bucket_grants_add_the_key_statement_through_s3_when_a_customer_key_is_used() {
    let app = App::new();
    let mut s = app.stack("data");
    let key = Key::new(&mut s, "Data", KeyProps::default());
    let b = Bucket::new(
        &mut s,
        "Files",
        BucketProps {
            kms_key: Some((&key).into()),
            ..Default::default()
        },
    );
    let reader = ExistingRole::from_name(&s, "Reader", "reader");
    let writer = ExistingRole::from_name(&s, "Writer", "writer");
    let putter = ExistingRole::from_name(&s, "Putter", "putter");
    b.grant_read(&mut s, &reader);
    b.grant_write(&mut s, &writer);
    b.grant_put(&mut s, &putter, "in/");
    let t = synth_ok(&app, "data", "bucket-grants-kms");
    let key_arn = get_att("DataKey", "Arn");
    // THEN the reader may decrypt, through S3 only
    assert_eq!(
        statements(&t, "ReaderDefaultPolicy")[2],
        json!({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key_arn,
            "Condition": via("s3", key_arn.clone())})
    );
    // AND writers get a data key (and decrypt, for multipart uploads), through S3 only
    for policy in ["WriterDefaultPolicy", "PutterDefaultPolicy"] {
        assert_eq!(
            statements(&t, policy)[1],
            json!({"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": key_arn, "Condition": via("s3", key_arn.clone())}),
            "{policy}"
        );
    }
}

#[test]
fn a_key_given_by_literal_arn_gets_its_region_from_the_arn_at_synth() {
    let app = App::new();
    let mut s = app.stack("data");
    let arn = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let b = Bucket::new(
        &mut s,
        "Files",
        BucketProps {
            kms_key: Some(arn.into()),
            ..Default::default()
        },
    );
    let reader = ExistingRole::from_name(&s, "Reader", "reader");
    b.grant_read(&mut s, &reader);
    let t = synth_ok(&app, "data", "bucket-grants-kms-arn");
    assert_eq!(
        statements(&t, "ReaderDefaultPolicy")[2],
        json!({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": arn,
            "Condition": {"StringEquals": {"kms:ViaService": {"Fn::Sub": "s3.eu-west-1.${AWS::URLSuffix}"}}}})
    );
}

#[test]
fn grant_put_refuses_a_wildcard_prefix() {
    let app = App::new();
    let mut s = app.stack("data");
    let b = Bucket::new(&mut s, "Files", BucketProps::default());
    let r = ExistingRole::from_name(&s, "Putter", "putter");
    b.grant_put(&mut s, &r, "uploads/*");
    only_error(
        &app,
        codes::INVALID_BUCKET,
        "FilesBucket",
        "grant_put.prefix",
    );
}

// ---------------------------------------------------------------- Key

#[test]
fn key_defaults_rotate_retain_and_let_iam_decide() {
    // GIVEN a key with the defaults
    let app = App::new();
    let mut s = app.stack("keys");
    let k = Key::new(&mut s, "Data", KeyProps::default());
    let t = synth_ok(&app, "keys", "key-defaults");
    // THEN rotation is on, yearly, deletion waits 30 days, and the key is retained
    let r = t.resource("DataKey").unwrap();
    assert_eq!(r["DeletionPolicy"], "Retain");
    assert_eq!(r["UpdateReplacePolicy"], "Retain");
    assert_eq!(
        r["Properties"],
        json!({
            "Description": "Data: customer-managed key",
            "EnableKeyRotation": true,
            "RotationPeriodInDays": 365,
            "PendingWindowInDays": 30,
            "KeyPolicy": {"Version": "2012-10-17", "Statement": [{
                "Sid": "AccountIamPolicies",
                "Effect": "Allow",
                "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                "Action": "kms:*",
                "Resource": "*"
            }]}
        })
    );
    ok(t.resource_count_is("AWS::KMS::Alias", 0));
    assert!(k.alias.is_none());
    assert_eq!(k.arn(), k.key.attr_arn());
    assert_eq!(k.key_id(), k.key.reference());
}

#[test]
fn key_policy_names_each_service_as_aws_documents_it() {
    // GIVEN a key used by every service the pattern knows
    let app = App::new();
    let mut s = app.stack("keys");
    let k = Key::new(
        &mut s,
        "Shared",
        KeyProps {
            services: KeyService::ALL.iter().rev().copied().collect(),
            ..Default::default()
        },
    );
    assert!(KeyService::ALL.iter().all(|svc| k.allows(*svc)));
    let t = synth_ok(&app, "keys", "key-services");
    // THEN the key policy is exactly: the root, then each service in a fixed order
    let account = json!({"Ref": "AWS::AccountId"});
    assert_eq!(
        t.resource("SharedKey").unwrap()["Properties"]["KeyPolicy"],
        json!({"Version": "2012-10-17", "Statement": [
            {
                "Sid": "AccountIamPolicies",
                "Effect": "Allow",
                "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}},
                "Action": "kms:*",
                "Resource": "*"
            },
            {
                "Sid": "CloudWatchLogs",
                "Effect": "Allow",
                "Principal": {"Service": {"Fn::Sub": "logs.${AWS::Region}.${AWS::URLSuffix}"}},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                    {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"}}}
            },
            {
                "Sid": "CloudWatchAlarms",
                "Effect": "Allow",
                "Principal": {"Service": "cloudwatch.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*"
            },
            {
                "Sid": "SnsDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}}
            },
            {
                "Sid": "EventBridgeDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}}
            }
        ]})
    );
}

#[test]
fn key_alias_window_rotation_and_removal_policy_are_options() {
    let app = App::new();
    let mut s = app.stack("keys");
    let k = Key::new(
        &mut s,
        "Data",
        KeyProps {
            description: Some("orders data".into()),
            alias: Some("alias/orders-data".into()),
            pending_window_days: 7.into(),
            rotation_period_days: 90.into(),
            removal_policy: Policy::RetainExceptOnCreate,
            ..Default::default()
        },
    );
    let t = synth_ok(&app, "keys", "key-options");
    ok(t.has_resource(
        "AWS::KMS::Key",
        json!({
            "DeletionPolicy": "RetainExceptOnCreate",
            "UpdateReplacePolicy": "Retain",
            "Properties": {"Description": "orders data", "PendingWindowInDays": 7, "RotationPeriodInDays": 90}
        }),
    ));
    assert_eq!(
        t.resource("DataAlias").unwrap()["Properties"],
        json!({"AliasName": "alias/orders-data", "TargetKeyId": {"Ref": "DataKey"}})
    );
    assert!(k.alias.is_some());
}

#[test]
fn key_settings_are_checked() {
    type Case = (
        fn(&mut Scope<'_>, &mut KeyProps),
        Code,
        &'static str,
        &'static str,
    );
    let cases: [Case; 8] = [
        // A literal out of range is the schema rule's error (SF102), once.
        (
            |_, p| p.pending_window_days = 5.into(),
            NUMBER_RANGE,
            "DataKey",
            "Properties.PendingWindowInDays",
        ),
        (
            |_, p| p.rotation_period_days = 30.into(),
            NUMBER_RANGE,
            "DataKey",
            "Properties.RotationPeriodInDays",
        ),
        // A parameter whose every allowed value is out of range is the pattern's (SFM016).
        (
            |s, p| {
                p.pending_window_days =
                    s.parameter("Window", Parameter::integer().allowed_values(["3", "5"]))
            },
            codes::INVALID_KEY,
            "DataKey",
            "Properties.PendingWindowInDays",
        ),
        (
            |s, p| {
                p.rotation_period_days =
                    s.parameter("Rotation", Parameter::integer().allowed_values(["30"]))
            },
            codes::INVALID_KEY,
            "DataKey",
            "Properties.RotationPeriodInDays",
        ),
        (
            |_, p| p.removal_policy = Policy::Snapshot,
            codes::UNSUPPORTED_REMOVAL_POLICY,
            "DataKey",
            "DeletionPolicy",
        ),
        (
            |_, p| p.alias = Some("alias/aws/mine".into()),
            codes::INVALID_KEY,
            "DataAlias",
            "Properties.AliasName",
        ),
        (
            |_, p| p.alias = Some("orders".into()),
            PATTERN_MISMATCH,
            "DataAlias",
            "Properties.AliasName",
        ),
        (
            |s, p| {
                p.alias = Some(s.parameter(
                    "Alias",
                    Parameter::string().allowed_values(["orders", "alias/aws/x"]),
                ))
            },
            codes::INVALID_KEY,
            "DataAlias",
            "Properties.AliasName",
        ),
    ];
    for (edit, code, id, property) in cases {
        let app = App::new();
        let mut s = app.stack("keys");
        let mut props = KeyProps::default();
        edit(&mut s, &mut props);
        Key::new(&mut s, "Data", props);
        only_error(&app, code, id, property);
    }
}

#[test]
fn key_window_from_a_parameter_is_checked_per_allowed_value() {
    // GIVEN a deletion window from a parameter that allows 3 or 30
    let app = App::new();
    let mut s = app.stack("keys");
    let days: Val<i64> = s.parameter("Window", Parameter::integer().allowed_values(["3", "30"]));
    Key::new(
        &mut s,
        "Data",
        KeyProps {
            pending_window_days: days,
            ..Default::default()
        },
    );
    // THEN a template rule refuses 3 at deploy; 30 passes (not written for cfn-lint, which
    // warns about the allowed 3 that the rule refuses: W1030)
    let t = Template::from_app(&app, "keys").unwrap();
    let rule = &t.json()["Rules"]["DataKeyCheck1"];
    assert!(rule.is_object(), "{}", t.json());
    // GIVEN a parameter without AllowedValues THEN it cannot be checked: SF021
    let app = App::new();
    let mut s = app.stack("keys");
    let days: Val<i64> = s.parameter("Window", Parameter::integer());
    Key::new(
        &mut s,
        "Data",
        KeyProps {
            pending_window_days: days,
            ..Default::default()
        },
    );
    let errs = errors(&app);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].code.as_str(), "SF021");
    assert_eq!(errs[0].path.logical_id.as_deref(), Some("DataKey"));
}

#[test]
fn key_grants_pin_actions_and_resources() {
    let app = App::new();
    let mut s = app.stack("keys");
    let k = Key::new(&mut s, "Data", KeyProps::default());
    let (e, d, b) = (
        ExistingRole::from_name(&s, "Enc", "enc"),
        ExistingRole::from_name(&s, "Dec", "dec"),
        ExistingRole::from_name(&s, "Both", "both"),
    );
    k.grant_encrypt(&mut s, &e);
    k.grant_decrypt(&mut s, &d);
    k.grant_encrypt_decrypt(&mut s, &b);
    let t = synth_ok(&app, "keys", "key-grants");
    let arn = get_att("DataKey", "Arn");
    assert_eq!(
        statements(&t, "EncDefaultPolicy"),
        vec![json!({"Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], "Resource": arn})]
    );
    assert_eq!(
        statements(&t, "DecDefaultPolicy"),
        vec![json!({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": arn})]
    );
    assert_eq!(
        statements(&t, "BothDefaultPolicy"),
        vec![json!({"Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            "Resource": arn})]
    );
}

// ---------------------------------------------------------------- Queue

#[test]
fn queue_defaults_are_encrypted_tls_only_without_a_dead_letter_queue() {
    let app = App::new();
    let mut s = app.stack("work");
    let q = Queue::new(&mut s, "Orders", QueueProps::default());
    let t = synth_ok(&app, "work", "queue-defaults");
    ok(t.resource_count_is("AWS::SQS::Queue", 1));
    let r = t.resource("OrdersQueue").unwrap();
    assert_eq!(
        r["Properties"],
        json!({
            "SqsManagedSseEnabled": true,
            "MessageRetentionPeriod": 345600,
            "VisibilityTimeout": 30
        })
    );
    assert_eq!(r["DeletionPolicy"], "Delete");
    assert_eq!(
        t.resource("OrdersPolicy").unwrap()["Properties"],
        json!({
            "Queues": [{"Ref": "OrdersQueue"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                tls_deny("sqs:*", get_att("OrdersQueue", "Arn"))
            ]}
        })
    );
    assert!(q.dead_letter.is_none());
    assert_eq!(q.queue_url(), q.queue.reference());
    assert_eq!(q.arn(), q.queue.attr_arn());
    assert_eq!(q.queue_name(), q.queue.attr_queue_name());
}

#[test]
fn queue_dead_letter_queue_is_its_own_queue_with_a_redrive_policy() {
    let app = App::new();
    let mut s = app.stack("work");
    let q = Queue::new(
        &mut s,
        "Orders",
        QueueProps {
            retention_period_seconds: 86_400.into(),
            visibility_timeout_seconds: 120.into(),
            dead_letter: Some(DeadLetter {
                max_receive_count: 3.into(),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    let t = synth_ok(&app, "work", "queue-dead-letter");
    ok(t.resource_count_is("AWS::SQS::Queue", 2));
    ok(t.resource_count_is("AWS::SQS::QueuePolicy", 2));
    assert_eq!(
        t.resource("OrdersQueue").unwrap()["Properties"]["RedrivePolicy"],
        json!({"deadLetterTargetArn": get_att("OrdersDeadLetterQueue", "Arn"), "maxReceiveCount": 3})
    );
    assert_eq!(
        t.resource("OrdersDeadLetterQueue").unwrap()["Properties"],
        json!({
            "SqsManagedSseEnabled": true,
            "MessageRetentionPeriod": 1209600,
            "VisibilityTimeout": 120
        })
    );
    assert!(t.resource("OrdersDeadLetterPolicy").is_some());
    let dlq = q.dead_letter.as_ref().unwrap();
    assert_eq!(dlq.name, "OrdersDeadLetter");
}

#[test]
fn fifo_queue_gets_its_suffix_and_a_fifo_dead_letter_queue() {
    let app = App::new();
    let mut s = app.stack("work");
    Queue::new(
        &mut s,
        "Payments",
        QueueProps {
            fifo: true,
            queue_name: Some("payments".into()),
            dead_letter: Some(DeadLetter::default()),
            ..Default::default()
        },
    );
    let t = synth_ok(&app, "work", "queue-fifo");
    ok(t.has_resource_properties(
        "AWS::SQS::Queue",
        json!({"QueueName": "payments.fifo", "FifoQueue": true}),
    ));
    assert_eq!(
        t.resource("PaymentsDeadLetterQueue").unwrap()["Properties"]["FifoQueue"],
        true
    );
    // A name that already ends with .fifo is kept as it is.
    let app = App::new();
    let mut s = app.stack("work");
    Queue::new(
        &mut s,
        "Payments",
        QueueProps {
            fifo: true,
            queue_name: Some("payments.fifo".into()),
            ..Default::default()
        },
    );
    let t = synth_ok(&app, "work", "queue-fifo-named");
    ok(t.has_resource_properties("AWS::SQS::Queue", json!({"QueueName": "payments.fifo"})));
}

#[test]
fn queue_with_a_customer_key_and_allowed_topics() {
    let app = App::new();
    let mut s = app.stack("work");
    let key = Key::new(
        &mut s,
        "Work",
        KeyProps {
            services: vec![KeyService::Sns],
            ..Default::default()
        },
    );
    let topic_arn: Val<String> = "arn:aws:sns:eu-west-1:123456789012:orders".into();
    Queue::new(
        &mut s,
        "Orders",
        QueueProps {
            kms_key: Some(key.into()),
            allowed_topics: vec![topic_arn],
            ..Default::default()
        },
    );
    let t = synth_ok(&app, "work", "queue-kms");
    let r = t.resource("OrdersQueue").unwrap();
    assert_eq!(r["Properties"]["KmsMasterKeyId"], get_att("WorkKey", "Arn"));
    assert!(r["Properties"].get("SqsManagedSseEnabled").is_none());
    assert_eq!(
        t.resource("OrdersPolicy").unwrap()["Properties"]["PolicyDocument"]["Statement"][1],
        json!({
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": get_att("OrdersQueue", "Arn"),
            "Condition": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:eu-west-1:123456789012:orders"}}
        })
    );
}

#[test]
fn queue_settings_are_checked() {
    type Case = (
        fn(&mut Scope<'_>, &mut QueueProps),
        Code,
        &'static str,
        &'static str,
    );
    let cases: [Case; 10] = [
        // Literals out of range: the schema rule's error (SF102), once.
        (
            |_, p| p.retention_period_seconds = 30.into(),
            NUMBER_RANGE,
            "OrdersQueue",
            "Properties.MessageRetentionPeriod",
        ),
        (
            |_, p| p.retention_period_seconds = 1_209_601.into(),
            NUMBER_RANGE,
            "OrdersQueue",
            "Properties.MessageRetentionPeriod",
        ),
        (
            |_, p| p.visibility_timeout_seconds = 43_201.into(),
            NUMBER_RANGE,
            "OrdersQueue",
            "Properties.VisibilityTimeout",
        ),
        // Parameters whose every allowed value is out of range: the pattern's (SFM017).
        (
            |s, p| {
                p.retention_period_seconds = s.parameter(
                    "Retention",
                    Parameter::integer().allowed_values(["30", "45"]),
                )
            },
            codes::INVALID_QUEUE,
            "OrdersQueue",
            "Properties.MessageRetentionPeriod",
        ),
        (
            |s, p| {
                p.visibility_timeout_seconds =
                    s.parameter("Visibility", Parameter::integer().allowed_values(["50000"]))
            },
            codes::INVALID_QUEUE,
            "OrdersQueue",
            "Properties.VisibilityTimeout",
        ),
        (
            |_, p| p.queue_name = Some("orders.fifo".into()),
            codes::INVALID_QUEUE,
            "OrdersQueue",
            "Properties.QueueName",
        ),
        (
            |_, p| p.queue_name = Some("orders!".into()),
            codes::INVALID_QUEUE,
            "OrdersQueue",
            "Properties.QueueName",
        ),
        (
            |_, p| {
                p.dead_letter = Some(DeadLetter {
                    max_receive_count: 0.into(),
                    ..Default::default()
                })
            },
            codes::INVALID_MAX_RECEIVE_COUNT,
            "OrdersQueue",
            "Properties.RedrivePolicy.maxReceiveCount",
        ),
        (
            |_, p| {
                p.dead_letter = Some(DeadLetter {
                    max_receive_count: 1001.into(),
                    ..Default::default()
                })
            },
            codes::INVALID_MAX_RECEIVE_COUNT,
            "OrdersQueue",
            "Properties.RedrivePolicy.maxReceiveCount",
        ),
        (
            |_, p| {
                p.retention_period_seconds = 1_209_600.into();
                p.dead_letter = Some(DeadLetter {
                    retention_period_seconds: 86_400.into(),
                    ..Default::default()
                })
            },
            codes::INVALID_QUEUE,
            "OrdersDeadLetterQueue",
            "Properties.MessageRetentionPeriod",
        ),
    ];
    for (edit, code, id, property) in cases {
        let app = App::new();
        let mut s = app.stack("work");
        let mut props = QueueProps::default();
        edit(&mut s, &mut props);
        Queue::new(&mut s, "Orders", props);
        only_error(&app, code, id, property);
    }
}

#[test]
fn fifo_name_from_a_parameter_must_end_with_fifo() {
    let app = App::new();
    let mut s = app.stack("work");
    let name: Val<String> = s.parameter(
        "QueueName",
        Parameter::string().allowed_values(["orders", "other"]),
    );
    Queue::new(
        &mut s,
        "Orders",
        QueueProps {
            fifo: true,
            queue_name: Some(name),
            ..Default::default()
        },
    );
    only_error(
        &app,
        codes::INVALID_QUEUE,
        "OrdersQueue",
        "Properties.QueueName",
    );
}

#[test]
fn queue_grants_pin_actions_and_resources_with_and_without_a_key() {
    let app = App::new();
    let mut s = app.stack("work");
    let plain = Queue::new(&mut s, "Plain", QueueProps::default());
    let key = Key::new(&mut s, "Work", KeyProps::default());
    let secret = Queue::new(
        &mut s,
        "Secret",
        QueueProps {
            kms_key: Some(key.into()),
            ..Default::default()
        },
    );
    let producer = ExistingRole::from_name(&s, "Producer", "producer");
    let consumer = ExistingRole::from_name(&s, "Consumer", "consumer");
    plain.grant_send(&mut s, &producer);
    secret.grant_send(&mut s, &producer);
    plain.grant_consume(&mut s, &consumer);
    secret.grant_consume(&mut s, &consumer);
    let t = synth_ok(&app, "work", "queue-grants");
    let key_arn = get_att("WorkKey", "Arn");
    let send = json!([
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:SendMessage"
    ]);
    let consume = json!([
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage"
    ]);
    assert_eq!(
        statements(&t, "ProducerDefaultPolicy"),
        vec![
            json!({"Effect": "Allow", "Action": send, "Resource": get_att("PlainQueue", "Arn")}),
            json!({"Effect": "Allow", "Action": send, "Resource": get_att("SecretQueue", "Arn")}),
            json!({"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": key_arn, "Condition": via("sqs", key_arn.clone())}),
        ]
    );
    assert_eq!(
        statements(&t, "ConsumerDefaultPolicy"),
        vec![
            json!({"Effect": "Allow", "Action": consume, "Resource": get_att("PlainQueue", "Arn")}),
            json!({"Effect": "Allow", "Action": consume, "Resource": get_att("SecretQueue", "Arn")}),
            json!({"Effect": "Allow", "Action": "kms:Decrypt",
                "Resource": key_arn, "Condition": via("sqs", key_arn.clone())}),
        ]
    );
}

// ---------------------------------------------------------------- Topic

#[test]
fn topic_defaults_create_a_key_cloudwatch_may_use_and_a_tls_only_policy() {
    let app = App::new();
    let mut s = app.stack("ops");
    let topic = Topic::new(&mut s, "Alarms", TopicProps::default());
    let t = synth_ok(&app, "ops", "topic-defaults");
    // THEN the topic is encrypted with its own key, whose policy names CloudWatch
    assert_eq!(
        t.resource("AlarmsTopic").unwrap()["Properties"],
        json!({"KmsMasterKeyId": get_att("AlarmsKey", "Arn")})
    );
    let key = t.resource("AlarmsKey").unwrap();
    assert_eq!(
        key["Properties"]["KeyPolicy"]["Statement"][1]["Principal"],
        json!({"Service": "cloudwatch.amazonaws.com"})
    );
    assert_eq!(key["DeletionPolicy"], "Delete");
    assert_eq!(
        key["Properties"]["Description"],
        "Alarms: encrypts the SNS topic"
    );
    // AND the policy denies publishing without TLS and lets this account's alarms publish
    assert_eq!(
        t.resource("AlarmsPolicy").unwrap()["Properties"],
        json!({
            "Topics": [{"Ref": "AlarmsTopic"}],
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                tls_deny("sns:Publish", json!({"Ref": "AlarmsTopic"})),
                {
                    "Sid": "CloudWatchAlarms",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": {"Ref": "AlarmsTopic"},
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                        "ArnLike": {"aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"}}
                    }
                }
            ]}
        })
    );
    assert!(topic.key.is_some());
    assert_eq!(topic.arn(), topic.topic.reference());
}

#[test]
fn topic_takes_a_key_that_names_cloudwatch_and_refuses_one_that_does_not() {
    // GIVEN a shared key that names CloudWatch THEN no key is created
    let app = App::new();
    let mut s = app.stack("ops");
    let key = Key::new(
        &mut s,
        "Ops",
        KeyProps {
            services: vec![KeyService::CloudWatch],
            ..Default::default()
        },
    );
    let topic = Topic::new(
        &mut s,
        "Alarms",
        TopicProps {
            kms_key: Some((&key).into()),
            topic_name: Some("alarms".into()),
            display_name: Some("Alarms".into()),
            ..Default::default()
        },
    );
    assert!(topic.key.is_none());
    let t = synth_ok(&app, "ops", "topic-shared-key");
    ok(t.resource_count_is("AWS::KMS::Key", 1));
    ok(t.has_resource_properties(
        "AWS::SNS::Topic",
        json!({"KmsMasterKeyId": get_att("OpsKey", "Arn"), "TopicName": "alarms", "DisplayName": "Alarms"}),
    ));
    // GIVEN a key that does not name CloudWatch THEN SFM019 at the topic's key
    let app = App::new();
    let mut s = app.stack("ops");
    let key = Key::new(&mut s, "Ops", KeyProps::default());
    Topic::new(
        &mut s,
        "Alarms",
        TopicProps {
            kms_key: Some(key.into()),
            ..Default::default()
        },
    );
    only_error(
        &app,
        codes::KEY_MISSING_SERVICE,
        "AlarmsTopic",
        "Properties.KmsMasterKeyId",
    );
    // GIVEN alarms are not allowed THEN the key needs no CloudWatch statement
    let app = App::new();
    let mut s = app.stack("ops");
    Topic::new(
        &mut s,
        "Events",
        TopicProps {
            allow_cloudwatch_alarms: false,
            ..Default::default()
        },
    );
    let t = synth_ok(&app, "ops", "topic-no-alarms");
    assert_eq!(
        t.resource("EventsKey").unwrap()["Properties"]["KeyPolicy"]["Statement"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        t.resource("EventsPolicy").unwrap()["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn topic_subscriptions_to_email_queue_and_lambda() {
    let app = App::new();
    let mut s = app.stack("ops");
    let topic = Topic::new(&mut s, "Alarms", TopicProps::default());
    let key = Key::new(
        &mut s,
        "Work",
        KeyProps {
            services: vec![KeyService::Sns],
            ..Default::default()
        },
    );
    let queue = Queue::new(
        &mut s,
        "Inbox",
        QueueProps {
            kms_key: Some(key.into()),
            allowed_topics: vec![topic.arn()],
            ..Default::default()
        },
    );
    topic.subscribe_email(&mut s, "Oncall", "oncall@example.com");
    topic.subscribe_queue(&mut s, &queue, true);
    topic.subscribe_lambda(
        &mut s,
        "Pager",
        "arn:aws:lambda:eu-west-1:123456789012:function:pager",
    );
    let t = synth_ok(&app, "ops", "topic-subscriptions");
    assert_eq!(
        t.resource("AlarmsOncallSubscription").unwrap()["Properties"],
        json!({"Protocol": "email", "Endpoint": "oncall@example.com", "TopicArn": {"Ref": "AlarmsTopic"}})
    );
    assert_eq!(
        t.resource("AlarmsInboxSubscription").unwrap()["Properties"],
        json!({"Protocol": "sqs", "Endpoint": get_att("InboxQueue", "Arn"),
            "RawMessageDelivery": true, "TopicArn": {"Ref": "AlarmsTopic"}})
    );
    assert_eq!(
        t.resource("AlarmsPagerSubscription").unwrap()["Properties"]["Protocol"],
        "lambda"
    );
    assert_eq!(
        t.resource("AlarmsPagerPermission").unwrap()["Properties"],
        json!({
            "Action": "lambda:InvokeFunction",
            "FunctionName": "arn:aws:lambda:eu-west-1:123456789012:function:pager",
            "Principal": "sns.amazonaws.com",
            "SourceArn": {"Ref": "AlarmsTopic"}
        })
    );
    // The queue's policy lets exactly this topic deliver.
    assert_eq!(
        t.resource("InboxPolicy").unwrap()["Properties"]["PolicyDocument"]["Statement"][1]
            ["Condition"],
        json!({"ArnEquals": {"aws:SourceArn": {"Ref": "AlarmsTopic"}}})
    );
}

#[test]
fn a_queue_subscription_across_stacks_lives_in_the_queues_stack() {
    // GIVEN a topic in an ops stack and a queue in a work stack that allows it
    let app = App::new();
    let mut ops = app.stack("ops");
    let mut work = app.stack("work");
    let topic = Topic::new(&mut ops, "Alarms", TopicProps::default());
    let queue = Queue::new(
        &mut work,
        "Inbox",
        QueueProps {
            allowed_topics: vec![topic.topic.attr_topic_arn()],
            ..Default::default()
        },
    );
    // WHEN the topic subscribes it through the topic's scope
    topic.subscribe_queue(&mut ops, &queue, false);
    // THEN the subscription is in the queue's stack, which alone imports: no cycle
    let a = app.synth().unwrap_or_else(|e| panic!("{e}"));
    write_for_lint(&a, "resources", "topic-queue-cross-stack");
    let work_t = Template::from_json(a.stack("work").unwrap().template.clone());
    let ops_t = Template::from_json(a.stack("ops").unwrap().template.clone());
    assert_eq!(
        work_t.resource("AlarmsInboxSubscription").unwrap()["Properties"]["TopicArn"],
        json!({"Fn::ImportValue": "ops:AlarmsTopic"})
    );
    ok(ops_t.resource_count_is("AWS::SNS::Subscription", 0));
    assert!(!ops_t.contains_string("Fn::ImportValue"));
}

#[test]
fn topic_subscription_errors() {
    // GIVEN a queue that does not allow the topic
    let app = App::new();
    let mut s = app.stack("ops");
    let topic = Topic::new(&mut s, "Alarms", TopicProps::default());
    let queue = Queue::new(&mut s, "Inbox", QueueProps::default());
    topic.subscribe_queue(&mut s, &queue, false);
    only_error(
        &app,
        codes::INVALID_SUBSCRIPTION,
        "AlarmsInboxSubscription",
        "Properties.Endpoint",
    );
    // GIVEN an email address without @
    let app = App::new();
    let mut s = app.stack("ops");
    let topic = Topic::new(&mut s, "Alarms", TopicProps::default());
    topic.subscribe_email(&mut s, "Oncall", "oncall.example.com");
    only_error(
        &app,
        codes::INVALID_SUBSCRIPTION,
        "AlarmsOncallSubscription",
        "Properties.Endpoint",
    );
    // GIVEN a FIFO queue
    let app = App::new();
    let mut s = app.stack("ops");
    let topic = Topic::new(&mut s, "Alarms", TopicProps::default());
    let queue = Queue::new(
        &mut s,
        "Inbox",
        QueueProps {
            fifo: true,
            allowed_topics: vec![topic.arn()],
            ..Default::default()
        },
    );
    topic.subscribe_queue(&mut s, &queue, false);
    only_error(
        &app,
        codes::INVALID_SUBSCRIPTION,
        "AlarmsInboxSubscription",
        "Properties.Endpoint",
    );
    // GIVEN a queue whose key does not let SNS use it
    let app = App::new();
    let mut s = app.stack("ops");
    let topic = Topic::new(&mut s, "Alarms", TopicProps::default());
    let key = Key::new(&mut s, "Work", KeyProps::default());
    let queue = Queue::new(
        &mut s,
        "Inbox",
        QueueProps {
            kms_key: Some(key.into()),
            allowed_topics: vec![topic.arn()],
            ..Default::default()
        },
    );
    topic.subscribe_queue(&mut s, &queue, false);
    only_error(
        &app,
        codes::KEY_MISSING_SERVICE,
        "AlarmsInboxSubscription",
        "Properties.Endpoint",
    );
}

#[test]
fn topic_grant_publish_pins_actions_and_adds_the_key_through_sns() {
    let app = App::new();
    let mut s = app.stack("ops");
    let topic = Topic::new(&mut s, "Alarms", TopicProps::default());
    let r = ExistingRole::from_name(&s, "Publisher", "publisher");
    topic.grant_publish(&mut s, &r);
    let t = synth_ok(&app, "ops", "topic-grant");
    let key_arn = get_att("AlarmsKey", "Arn");
    assert_eq!(
        statements(&t, "PublisherDefaultPolicy"),
        vec![
            json!({"Effect": "Allow", "Action": "sns:Publish", "Resource": {"Ref": "AlarmsTopic"}}),
            json!({"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": key_arn, "Condition": via("sns", key_arn.clone())}),
        ]
    );
}

// ---------------------------------------------------------------- LogGroup

#[test]
fn log_group_defaults_keep_a_year_and_are_retained() {
    let app = App::new();
    let mut s = app.stack("ops");
    let g = LogGroup::new(&mut s, "Audit", LogGroupProps::default());
    let t = synth_ok(&app, "ops", "log-group-defaults");
    let r = t.resource("AuditLogGroup").unwrap();
    assert_eq!(r["Properties"], json!({"RetentionInDays": 365}));
    assert_eq!(r["DeletionPolicy"], "Retain");
    assert_eq!(r["Metadata"]["checkov"]["skip"][0]["id"], "CKV_AWS_158");
    assert_eq!(g.log_group_name(), g.log_group.reference());
}

#[test]
fn log_group_with_a_key_that_names_logs() {
    let app = App::new();
    let mut s = app.stack("ops");
    let key = Key::new(
        &mut s,
        "Logs",
        KeyProps {
            services: vec![KeyService::Logs],
            ..Default::default()
        },
    );
    LogGroup::new(
        &mut s,
        "Audit",
        LogGroupProps {
            kms_key: Some(key.into()),
            log_group_name: Some("/acme/audit".into()),
            retention_days: 3653.into(),
            removal_policy: Policy::Delete,
        },
    );
    let t = synth_ok(&app, "ops", "log-group-kms");
    let r = t.resource("AuditLogGroup").unwrap();
    assert_eq!(
        r["Properties"],
        json!({"KmsKeyId": get_att("LogsKey", "Arn"), "LogGroupName": "/acme/audit", "RetentionInDays": 3653})
    );
    assert!(r.get("Metadata").is_none());
    // A key that does not name Logs is refused.
    let app = App::new();
    let mut s = app.stack("ops");
    let key = Key::new(&mut s, "Logs", KeyProps::default());
    LogGroup::new(
        &mut s,
        "Audit",
        LogGroupProps {
            kms_key: Some(key.into()),
            ..Default::default()
        },
    );
    only_error(
        &app,
        codes::KEY_MISSING_SERVICE,
        "AuditLogGroup",
        "Properties.KmsKeyId",
    );
}

#[test]
fn log_group_retention_is_one_cloudwatch_accepts() {
    let app = App::new();
    let mut s = app.stack("ops");
    LogGroup::new(
        &mut s,
        "Audit",
        LogGroupProps {
            retention_days: 42.into(),
            ..Default::default()
        },
    );
    only_error(
        &app,
        codes::INVALID_LOG_RETENTION,
        "AuditLogGroup",
        "Properties.RetentionInDays",
    );
    // From a parameter whose allowed values include a bad one: a rule refuses it at deploy.
    let app = App::new();
    let mut s = app.stack("ops");
    let days: Val<i64> = s.parameter(
        "Retention",
        Parameter::integer().allowed_values(["30", "42"]),
    );
    LogGroup::new(
        &mut s,
        "Audit",
        LogGroupProps {
            retention_days: days,
            ..Default::default()
        },
    );
    // (Not written for cfn-lint, which warns about the allowed 42 that the rule refuses.)
    let t = Template::from_app(&app, "ops").unwrap();
    assert!(t.json()["Rules"]["AuditLogGroupCheck1"].is_object());
}

#[test]
fn log_group_grant_write_pins_actions_on_the_groups_streams() {
    let app = App::new();
    let mut s = app.stack("ops");
    let g = LogGroup::new(&mut s, "Audit", LogGroupProps::default());
    let role = task_role(&mut s);
    let grant = g.grant_write(&mut s, &role);
    assert_eq!(grant.logical_id, "TaskRoleDefaultPolicy");
    let t = synth_ok(&app, "ops", "log-group-grant");
    assert_eq!(
        statements(&t, "TaskRoleDefaultPolicy"),
        vec![json!({"Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": get_att("AuditLogGroup", "Arn")})]
    );
}

#[test]
fn removal_policies_fit_each_type() {
    // GIVEN Snapshot on types without snapshots THEN SFM022 at the resource's DeletionPolicy
    let app = App::new();
    let mut s = app.stack("data");
    Bucket::new(
        &mut s,
        "B",
        BucketProps {
            removal_policy: Policy::Snapshot,
            ..Default::default()
        },
    );
    only_error(
        &app,
        codes::UNSUPPORTED_REMOVAL_POLICY,
        "BBucket",
        "DeletionPolicy",
    );
    let app = App::new();
    let mut s = app.stack("data");
    Queue::new(
        &mut s,
        "Q",
        QueueProps {
            removal_policy: Policy::Snapshot,
            ..Default::default()
        },
    );
    only_error(
        &app,
        codes::UNSUPPORTED_REMOVAL_POLICY,
        "QQueue",
        "DeletionPolicy",
    );
    let app = App::new();
    let mut s = app.stack("data");
    LogGroup::new(
        &mut s,
        "L",
        LogGroupProps {
            removal_policy: Policy::Snapshot,
            ..Default::default()
        },
    );
    only_error(
        &app,
        codes::UNSUPPORTED_REMOVAL_POLICY,
        "LLogGroup",
        "DeletionPolicy",
    );
    // GIVEN RetainExceptOnCreate, which exists for DeletionPolicy only THEN a replaced
    // resource is retained
    let app = App::new();
    let mut s = app.stack("data");
    Bucket::new(
        &mut s,
        "B",
        BucketProps {
            removal_policy: Policy::RetainExceptOnCreate,
            ..Default::default()
        },
    );
    let t = synth_ok(&app, "data", "bucket-retain-except-on-create");
    let b = t.resource("BBucket").unwrap();
    assert_eq!(b["DeletionPolicy"], "RetainExceptOnCreate");
    assert_eq!(b["UpdateReplacePolicy"], "Retain");
}

// ---------------------------------------------------------------- across patterns

#[test]
fn a_grant_to_a_role_of_another_stack_lands_in_the_roles_stack_without_a_cycle() {
    // GIVEN a bucket in a data stack and a role in an app stack
    let app = App::new();
    let mut data = app.stack("data");
    let mut svc = app.stack("app");
    let role = task_role(&mut svc);
    let key = Key::new(&mut data, "Data", KeyProps::default());
    let bucket = Bucket::new(
        &mut data,
        "Uploads",
        BucketProps {
            kms_key: Some(key.into()),
            ..Default::default()
        },
    );
    let queue = Queue::new(&mut data, "Jobs", QueueProps::default());
    // WHEN both grant through the data stack's scope
    let g = bucket.grant_read(&mut data, &role);
    queue.grant_consume(&mut data, &role);
    // THEN the policy is the role's, in the role's stack
    assert_eq!(
        (g.stack.as_str(), g.logical_id.as_str()),
        ("app", "TaskRoleDefaultPolicy")
    );
    let a = app.synth().unwrap_or_else(|e| panic!("{e}"));
    write_for_lint(&a, "resources", "cross-stack-grant");
    let app_t = Template::from_json(a.stack("app").unwrap().template.clone());
    let data_t = Template::from_json(a.stack("data").unwrap().template.clone());
    ok(app_t.resource_count_is("AWS::IAM::Policy", 1));
    ok(data_t.resource_count_is("AWS::IAM::Policy", 0));
    let st = statements(&app_t, "TaskRoleDefaultPolicy");
    assert_eq!(
        st[0]["Resource"],
        json!({"Fn::Sub": ["${Var0}/*", {"Var0": {"Fn::ImportValue": "data:UploadsBucket:Arn"}}]})
    );
    assert_eq!(
        st[1]["Resource"],
        json!({"Fn::ImportValue": "data:UploadsBucket:Arn"})
    );
    assert_eq!(
        st[2]["Resource"],
        json!({"Fn::ImportValue": "data:DataKey:Arn"})
    );
    assert_eq!(
        st[3]["Resource"],
        json!({"Fn::ImportValue": "data:JobsQueue:Arn"})
    );
    // AND the data stack imports nothing: the only dependency is app -> data
    assert!(!data_t.contains_string("Fn::ImportValue"));
    let order: Vec<&str> = a.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(order, ["data", "app"]);
}

#[test]
fn grants_from_many_resources_carry_no_sid_so_one_policy_never_repeats_one() {
    // GIVEN two buckets with two keys and two tables' worth of grants on one role
    let app = App::new();
    let mut s = app.stack("data");
    let role = task_role(&mut s);
    for i in 0..2 {
        let key = Key::new(&mut s, &format!("K{i}"), KeyProps::default());
        let b = Bucket::new(
            &mut s,
            &format!("B{i}"),
            BucketProps {
                kms_key: Some(key.into()),
                ..Default::default()
            },
        );
        b.grant_read_write(&mut s, &role);
        b.grant_read(&mut s, &role);
    }
    let t = synth_ok(&app, "data", "no-duplicate-sids");
    // THEN no statement has a Sid (IAM requires Sids unique within a policy)
    let st = statements(&t, "TaskRoleDefaultPolicy");
    assert!(!st.is_empty());
    assert!(st.iter().all(|s| s.get("Sid").is_none()), "{st:#?}");
    // AND identical statements (a second read of the same bucket) are added once
    let mut seen = st.clone();
    seen.dedup();
    assert_eq!(seen.len(), st.len());
}

/// The policy as IAM measures it after CloudFormation resolves it: references become the
/// longest values they can take (bucket names 63 characters, queue and topic names 80 and
/// 256, generated log group names, 12-digit accounts, `us-gov-west-1` and `aws-us-gov`), and
/// IAM does not count whitespace.
fn resolved_worst_case(v: &Json) -> Json {
    fn name_of(id: &str) -> String {
        // A generated physical name: <stack>-<logical id>-<13 random characters>, capped.
        format!("app-{}-ABCDEFGHIJKLM", id.to_ascii_lowercase())
    }
    fn arn_of(id: &str, attr: &str) -> String {
        let region = "us-gov-west-1";
        let acct = "123456789012";
        let n = name_of(id);
        if id.ends_with("Bucket") {
            format!("arn:aws-us-gov:s3:::{}", "b".repeat(63))
        } else if id.ends_with("Key") {
            format!("arn:aws-us-gov:kms:{region}:{acct}:key/12345678-1234-1234-1234-123456789012")
        } else if id.ends_with("Queue") {
            format!("arn:aws-us-gov:sqs:{region}:{acct}:{}", "q".repeat(80))
        } else if id.ends_with("Topic") {
            format!("arn:aws-us-gov:sns:{region}:{acct}:{}", "t".repeat(256))
        } else if id.ends_with("LogGroup") {
            format!("arn:aws-us-gov:logs:{region}:{acct}:log-group:{n}:*")
        } else {
            format!("{id}.{attr}")
        }
    }
    fn sub(text: &str, vars: &serde_json::Map<String, Json>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let end = rest[i..].find('}').map(|e| i + e).unwrap_or(rest.len() - 1);
            let name = &rest[i + 2..end];
            let value = match vars.get(name) {
                Some(v) => resolved_worst_case(v)
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                None => match name {
                    "AWS::Partition" => "aws-us-gov".to_owned(),
                    "AWS::Region" => "us-gov-west-1".to_owned(),
                    "AWS::AccountId" => "123456789012".to_owned(),
                    "AWS::URLSuffix" => "amazonaws.com".to_owned(),
                    other => match other.split_once('.') {
                        Some((id, attr)) => arn_of(id, attr),
                        None => name_of(other),
                    },
                },
            };
            out.push_str(&value);
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }
    match v {
        Json::Object(m) if m.len() == 1 && m.contains_key("Fn::GetAtt") => {
            let a = &m["Fn::GetAtt"];
            Json::String(arn_of(a[0].as_str().unwrap(), a[1].as_str().unwrap()))
        }
        Json::Object(m) if m.len() == 1 && m.contains_key("Ref") => {
            let id = m["Ref"].as_str().unwrap();
            Json::String(if id.ends_with("Topic") {
                arn_of(id, "")
            } else {
                name_of(id)
            })
        }
        Json::Object(m) if m.len() == 1 && m.contains_key("Fn::Sub") => match &m["Fn::Sub"] {
            Json::String(s) => Json::String(sub(s, &serde_json::Map::new())),
            Json::Array(a) => Json::String(sub(a[0].as_str().unwrap(), a[1].as_object().unwrap())),
            other => panic!("unexpected Fn::Sub {other}"),
        },
        Json::Object(m) if m.len() == 1 && m.contains_key("Fn::Select") => {
            Json::String("us-gov-west-1".into())
        }
        Json::Object(m) => Json::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), resolved_worst_case(x)))
                .collect(),
        ),
        Json::Array(a) => Json::Array(a.iter().map(resolved_worst_case).collect()),
        other => other.clone(),
    }
}

#[test]
fn fifteen_grants_on_one_role_stay_under_the_iam_policy_size_limit() {
    // GIVEN one role and fifteen grants across every resource pattern, customer keys included
    let app = App::new();
    let mut s = app.stack("app");
    let role = task_role(&mut s);
    let key = Key::new(
        &mut s,
        "Data",
        KeyProps {
            services: vec![KeyService::Sns, KeyService::Logs],
            ..Default::default()
        },
    );
    let kms: Option<KmsKey> = Some((&key).into());
    let mut grants = 0;
    for i in 0..4 {
        let b = Bucket::new(
            &mut s,
            &format!("Files{i}"),
            BucketProps {
                kms_key: kms.clone(),
                ..Default::default()
            },
        );
        b.grant_read_write(&mut s, &role);
        grants += 1;
    }
    let b = Bucket::new(&mut s, "Uploads", BucketProps::default());
    b.grant_put(&mut s, &role, "incoming/");
    grants += 1;
    for i in 0..3 {
        let q = Queue::new(
            &mut s,
            &format!("Jobs{i}"),
            QueueProps {
                kms_key: kms.clone(),
                ..Default::default()
            },
        );
        q.grant_send(&mut s, &role);
        q.grant_consume(&mut s, &role);
        grants += 2;
    }
    for i in 0..2 {
        let topic = Topic::new(&mut s, &format!("Events{i}"), TopicProps::default());
        topic.grant_publish(&mut s, &role);
        grants += 1;
    }
    let g = LogGroup::new(&mut s, "Audit", LogGroupProps::default());
    g.grant_write(&mut s, &role);
    key.grant_decrypt(&mut s, &role);
    grants += 2;
    assert_eq!(grants, 15);
    let t = synth_ok(&app, "app", "fifteen-grants");
    // WHEN the role's policy document is measured, minified
    let doc = &t.resource("TaskRoleDefaultPolicy").unwrap()["Properties"]["PolicyDocument"];
    let template_chars = serde_json::to_string(doc).unwrap().chars().count();
    let resolved_chars = serde_json::to_string(&resolved_worst_case(doc))
        .unwrap()
        .chars()
        .count();
    // THEN both the template's document and its worst-case resolution fit in 10,240
    assert!(template_chars < 10_240, "{template_chars} characters");
    assert!(
        resolved_chars < 10_240,
        "{resolved_chars} characters resolved"
    );
    // (and the resolution really is the larger, so the bound is the meaningful one)
    assert!(
        resolved_chars > template_chars,
        "{resolved_chars} <= {template_chars}"
    );
}

// ---------------------------------------------------------------- checkov on the defaults

/// `checkov` from `$STACKFORGE_VENV/checkov/bin` or `<repo>/.venv/checkov/bin`. Missing is a
/// failure, never a skip: `scripts/setup-tools` installs it.
fn checkov() -> PathBuf {
    let venv = std::env::var_os("STACKFORGE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv"));
    let tool = venv.join("checkov").join("bin").join("checkov");
    assert!(
        tool.is_file(),
        "{} is missing: run scripts/setup-tools (pinned in scripts/requirements-checkov.txt)",
        tool.display()
    );
    tool
}

#[test]
fn each_patterns_default_template_passes_checkov() {
    // GIVEN each pattern with its defaults, alone in a stack
    let app = App::new();
    Bucket::new(&mut app.stack("bucket"), "Data", BucketProps::default());
    Key::new(&mut app.stack("key"), "Data", KeyProps::default());
    Queue::new(&mut app.stack("queue"), "Jobs", QueueProps::default());
    Topic::new(&mut app.stack("topic"), "Alarms", TopicProps::default());
    LogGroup::new(
        &mut app.stack("log-group"),
        "Audit",
        LogGroupProps::default(),
    );
    let a = app.synth().unwrap_or_else(|e| panic!("{e}"));
    let dir = lint_dir("resources", "checkov-defaults");
    // A stale template from an earlier run must not be judged (or hide a missing one).
    let _ = std::fs::remove_dir_all(&dir);
    write_for_lint(&a, "resources", "checkov-defaults");
    // WHEN checkov runs on them
    let out = Command::new(checkov())
        .arg("-d")
        .arg(&dir)
        .args([
            "--framework",
            "cloudformation",
            "--skip-download",
            "-o",
            "json",
        ])
        .output()
        .expect("run checkov");
    let text = String::from_utf8_lossy(&out.stdout);
    let report: Json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("checkov did not print JSON ({e}): {text}"));
    let reports = match report {
        Json::Array(a) => a,
        one => vec![one],
    };
    // THEN nothing fails, and every skip carries a written reason
    let mut failed = Vec::new();
    let mut skipped = Vec::new();
    for r in &reports {
        for c in r["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            failed.push(format!(
                "{} {} {}",
                c["check_id"], c["resource"], c["file_path"]
            ));
        }
        for c in r["results"]["skipped_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let reason = c["check_result"]["suppress_comment"].as_str().unwrap_or("");
            skipped.push((
                c["check_id"].as_str().unwrap_or("").to_owned(),
                reason.len(),
            ));
        }
        let passed = r["summary"]["passed"].as_u64().unwrap_or(0);
        assert!(passed > 0, "checkov checked nothing: {r}");
    }
    assert!(failed.is_empty(), "checkov failed: {failed:#?}");
    assert!(skipped.iter().all(|(_, n)| *n > 20), "{skipped:?}");
    let mut ids: Vec<&str> = skipped.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["CKV_AWS_158", "CKV_AWS_18", "CKV_AWS_27"]);
}
