//! `orders-api`: its templates (written for cfn-lint and checkov), its wiring facts, the
//! promise that it needs no fallback, and snapshots of its three templates.

use std::path::PathBuf;

use orders_api::{build, build_parts, Options};
use serde_json::json;
use stackforge::testing::{self, Template};
use stackforge::Assembly;

/// The workspace's `target/` (or `CARGO_TARGET_DIR`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

fn synth() -> Assembly {
    let a = build(&Options::default())
        .synth()
        .unwrap_or_else(|e| panic!("{e}"));
    // scripts/lint-templates (cfn-lint 0/0) and scripts/checkov-templates read these.
    a.write(&target_dir().join("cfn-lint/examples/orders-api"))
        .expect("write templates for cfn-lint and checkov");
    a
}

fn template(a: &Assembly, stack: &str) -> Template {
    Template::from_json(
        a.stack(stack)
            .unwrap_or_else(|| panic!("no stack {stack}"))
            .template
            .clone(),
    )
}

#[test]
fn synthesizes_the_shared_registry_and_two_environments() {
    let a = synth();
    let names: Vec<&str> = a.stacks.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["registry", "dev-orders", "prod-orders"]);
    let m = a.manifest();
    assert_eq!(m["stacks"][1]["environment"], "dev");
    assert_eq!(m["stacks"][2]["environment"], "prod");
    assert!(
        m["stacks"][0]["environment"].is_null(),
        "the registry is shared"
    );
    for env in ["dev-orders", "prod-orders"] {
        assert_eq!(a.stack(env).unwrap().dependencies, ["registry"]);
    }
}

#[test]
fn both_environments_share_two_code_assets_listed_in_the_manifest() {
    let (app, parts) = build_parts(&Options::default());
    let a = app.synth().unwrap();
    assert_eq!(
        a.assets.len(),
        2,
        "the API's directory and the re-drive file"
    );
    let m = a.manifest();
    for asset in m["assets"].as_array().unwrap() {
        assert_eq!(asset["kind"], "file-zip");
        assert_eq!(asset["stacks"], json!(["dev-orders", "prod-orders"]));
    }
    let (dev, prod) = (&parts[0], &parts[1]);
    assert_eq!(dev.api_function.asset, prod.api_function.asset);
    let key = dev.api_function.asset.as_ref().unwrap().key.clone();
    assert_eq!(
        key.as_literal().unwrap(),
        format!(
            "assets/{}.zip",
            dev.api_function.asset.as_ref().unwrap().sha256
        )
    );
    // No inline code anywhere.
    for s in &a.stacks {
        assert!(!s.template.to_string().contains("ZipFile"), "{}", s.name);
    }
}

#[test]
fn http_api_to_function_to_queue_with_dlq_to_worker_to_table_and_bucket() {
    let (app, parts) = build_parts(&Options::default());
    let a = app.synth().unwrap();
    let t = template(&a, "prod-orders");
    let p = &parts[1];
    // API -> function, IAM-authorized, with exact source ARNs.
    for (route, key, path) in [
        ("CreateOrder", "POST /orders", "POST/orders"),
        ("GetOrder", "GET /orders/{id}", "GET/orders/*"),
    ] {
        let r = &t.resource(&format!("Http{route}Route")).unwrap()["Properties"];
        assert_eq!(r["RouteKey"], key);
        assert_eq!(r["AuthorizationType"], "AWS_IAM");
        let perm = &t.resource(&format!("Http{route}Permission")).unwrap()["Properties"];
        assert_eq!(
            perm["FunctionName"],
            testing::get_att(&app, p.api_function.function, "Arn")
        );
        assert_eq!(
            perm["SourceArn"],
            json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{HttpApi}}/*/{path}")})
        );
    }
    // Function -> queue (send) and table (read); nothing else.
    let env = &t.resource("ApiFunction").unwrap()["Properties"]["Environment"]["Variables"];
    assert_eq!(env["QUEUE_URL"], testing::reference(&app, p.queue.queue));
    assert_eq!(env["TABLE_NAME"], testing::reference(&app, p.table.table));
    let table_arn = testing::get_att(&app, p.table.table, "Arn");
    t.role_allows_exactly(
        "ApiRole",
        &[
            (
                &["logs:CreateLogStream", "logs:PutLogEvents"],
                &[testing::get_att(
                    &app,
                    p.api_function.log_group.log_group,
                    "Arn",
                )],
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
                &[testing::get_att(&app, p.queue.queue, "Arn")],
            ),
            (
                &[
                    "dynamodb:BatchGetItem",
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:DescribeTable",
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:Scan",
                ],
                &[
                    table_arn.clone(),
                    json!({"Fn::Sub": "${OrdersTable.Arn}/index/*"}),
                ],
            ),
        ],
    )
    .unwrap();
    // Queue -> DLQ after 5 receives.
    let redrive = &t.resource("OrdersQueue").unwrap()["Properties"]["RedrivePolicy"];
    assert_eq!(redrive["maxReceiveCount"], 5);
    // Worker: consumes the queue, writes the table, puts receipts; no load balancer.
    t.resource_count_is("AWS::ElasticLoadBalancingV2::LoadBalancer", 0)
        .unwrap();
    t.role_allows_exactly(
        "WorkerTaskRole",
        &[
            (
                &[
                    "sqs:ChangeMessageVisibility",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                    "sqs:ReceiveMessage",
                ],
                &[testing::get_att(&app, p.queue.queue, "Arn")],
            ),
            (
                &[
                    "dynamodb:BatchWriteItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:DescribeTable",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                ],
                &[table_arn],
            ),
            (
                &["s3:AbortMultipartUpload", "s3:PutObject"],
                &[json!({"Fn::Sub": "${ReceiptsBucket.Arn}/receipts/*"})],
            ),
        ],
    )
    .unwrap();
    assert!(t.resource("WorkerQueueDepthScaleOutAlarm").is_some());
}

#[test]
fn a_nightly_schedule_redrives_the_dead_letter_queue() {
    let (app, parts) = build_parts(&Options::default());
    let a = app.synth().unwrap();
    let t = template(&a, "dev-orders");
    let p = &parts[0];
    let rule = &t.resource("NightlyRedriveRule").unwrap()["Properties"];
    assert_eq!(rule["ScheduleExpression"], "cron(0 3 * * ? *)");
    assert_eq!(
        rule["Targets"][0]["Arn"],
        testing::get_att(&app, p.redrive.function, "Arn")
    );
    let perm = &t.resource("NightlyRedriveRedrivePermission").unwrap()["Properties"];
    assert_eq!(
        perm["SourceArn"],
        testing::get_att(&app, p.schedule.rule, "Arn")
    );
    let dlq = p.queue.dead_letter.as_ref().unwrap();
    let dlq_arn = testing::get_att(&app, dlq.queue, "Arn");
    t.role_allows_exactly(
        "RedriveRole",
        &[
            (
                &["logs:CreateLogStream", "logs:PutLogEvents"],
                &[testing::get_att(&app, p.redrive.log_group.log_group, "Arn")],
            ),
            (
                &["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
                &[json!("*")],
            ),
            (
                &[
                    "sqs:CancelMessageMoveTask",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:ListMessageMoveTasks",
                    "sqs:ReceiveMessage",
                    "sqs:StartMessageMoveTask",
                ],
                &[dlq_arn],
            ),
            (
                &["sqs:SendMessage"],
                &[testing::get_att(&app, p.queue.queue, "Arn")],
            ),
        ],
    )
    .unwrap();
}

#[test]
fn five_alarms_go_to_the_topic_and_only_prod_pages_oncall() {
    let (app, parts) = build_parts(&Options::default());
    let a = app.synth().unwrap();
    for (stack, p, subscriptions) in [("dev-orders", &parts[0], 0), ("prod-orders", &parts[1], 1)] {
        let t = template(&a, stack);
        t.resource_count_is("AWS::SNS::Subscription", subscriptions)
            .unwrap();
        for alarm in &p.alarm_list {
            let id = app.logical_id(alarm.alarm).unwrap();
            let props = &t.resource(&id).unwrap()["Properties"];
            assert_eq!(
                props["AlarmActions"],
                json!([testing::reference(&app, p.alarms.topic)]),
                "{id}"
            );
        }
        assert_eq!(p.alarm_list.len(), 5);
        let api5xx = &t.resource("Api5xxAlarm").unwrap()["Properties"];
        assert_eq!(api5xx["MetricName"], "5xx");
        assert_eq!(api5xx["TreatMissingData"], "notBreaching");
    }
    // The environments differ where the stage says so.
    let dev = template(&a, "dev-orders");
    let prod = template(&a, "prod-orders");
    dev.resource_count_is("AWS::EC2::NatGateway", 1).unwrap();
    prod.resource_count_is("AWS::EC2::NatGateway", 2).unwrap();
    assert_eq!(
        dev.resource("WorkerScalableTarget").unwrap()["Properties"]["MaxCapacity"],
        2
    );
    assert_eq!(
        prod.resource("WorkerScalableTarget").unwrap()["Properties"]["MaxCapacity"],
        10
    );
}

/// "Written with no raw override, no hand-written JSON and no inline-code workaround": the
/// builder's source uses none of the escape hatches.
#[test]
fn the_example_uses_no_raw_resource_override_hand_written_json_or_inline_code() {
    let src = include_str!("../src/lib.rs");
    for hatch in [
        "add_raw",
        "Raw::",
        "override_property",
        "delete_property",
        "serde_json",
        "json!",
        "Code::inline",
        "include_str!",
        "suppress_cfn_lint",
        "skip_checkov",
        "Expr::",
    ] {
        assert!(!src.contains(hatch), "src/lib.rs uses `{hatch}`");
    }
    let a = synth();
    for s in &a.stacks {
        for (id, r) in s.template["Resources"].as_object().unwrap() {
            assert!(
                r["Metadata"]["cfn-lint"].is_null(),
                "{id}: a cfn-lint suppression"
            );
        }
    }
}

#[test]
fn every_checkov_skip_has_a_written_reason_listed_in_security_md() {
    let security =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../SECURITY.md"))
            .expect("SECURITY.md exists");
    let a = synth();
    for s in &a.stacks {
        for (id, r) in s.template["Resources"].as_object().unwrap() {
            for skip in r["Metadata"]["checkov"]["skip"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let check = skip["id"].as_str().unwrap();
                let reason = skip["comment"].as_str().unwrap_or("");
                assert!(reason.len() > 20, "{id} {check}: no written reason");
                assert!(
                    security.contains(check),
                    "SECURITY.md does not list {check} ({id})"
                );
            }
        }
    }
}

#[test]
fn templates_are_snapshots() {
    let a = synth();
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(concat!(env!("CARGO_MANIFEST_DIR"), "/../../snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for s in &a.stacks {
            insta::assert_json_snapshot!(format!("orders-api-{}", s.name), s.template);
        }
    });
}
