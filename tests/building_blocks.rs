//! Issue 11, the parts that need no serverless feature: the queue worker on the shared Fargate
//! base, metrics and alarms, sidecars on the queue service, and typed patches
//! (`Scope::merge`). Each friction point the issue quotes has a test that failed before.
//! (The serverless parts — code assets, `Function`, `HttpApi`, schedules — are tested in
//! `modules/tests/serverless.rs` and by `examples/orders-api`.)
//!
//! Templates that synthesize are written to `target/cfn-lint/building-blocks/<test>/`.

use serde_json::json;
use stackforge::cfn::{ecs, elasticloadbalancingv2 as elb};
use stackforge::testing::{self, Template};
use stackforge::{App, Assembly, Parameter};
use stackforge_modules::alarm::{Alarm, AlarmProps, Comparison};
use stackforge_modules::codes;
use stackforge_modules::existing::SecretRef;
use stackforge_modules::fargate::{
    Cluster, ContainerHealthCheck, ContainerSpec, LoadBalancedFargateService,
    QueueProcessingFargateService, QueueProcessingServiceProps, ScalingStep, ServiceProps,
    StartCondition,
};
use stackforge_modules::metrics::{Metric, Statistic};
use stackforge_modules::network::{Network, NetworkProps};
use stackforge_modules::postgres::{PostgresDatabase, PostgresProps};
use stackforge_modules::queue::{DeadLetter, Queue, QueueProps};
use stackforge_modules::redis_cache::{RedisCache, RedisCacheProps};
use stackforge_modules::topic::{Topic, TopicProps};

use crate::common::write_for_lint;

fn synth(app: &App, lint_name: &str) -> Assembly {
    let a = app.synth().unwrap_or_else(|e| panic!("{e}"));
    write_for_lint(&a, "building-blocks", lint_name);
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

fn worker_props() -> QueueProcessingServiceProps {
    QueueProcessingServiceProps {
        image: "public.ecr.aws/docker/library/python:3.13-slim".into(),
        command: vec!["python".into(), "-m".into(), "worker".into()],
        ..Default::default()
    }
}

/// A worker consuming a queue with a dead-letter queue, in stack `work`.
fn worker_app() -> (App, QueueProcessingFargateService, Queue) {
    let app = App::new();
    let mut s = app.stack("work");
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    let q = Queue::new(
        &mut s,
        "Jobs",
        QueueProps {
            dead_letter: Some(DeadLetter::default()),
            ..Default::default()
        },
    );
    let w =
        QueueProcessingFargateService::new(&mut s, "Worker", &net, &cluster, &q, worker_props());
    (app, w, q)
}

// 2. "No queue worker": LoadBalancedFargateService always made an ALB and wanted a health
// check path; the worker took 284 lines.
#[test]
fn the_queue_worker_has_no_load_balancer_and_consumes_its_queue_only() {
    let (app, _, q) = worker_app();
    let a = synth(&app, "queue-worker");
    let t = Template::from_json(a.stacks[0].template.clone());
    t.resource_count_is("AWS::ElasticLoadBalancingV2::LoadBalancer", 0)
        .unwrap();
    t.resource_count_is("AWS::ECS::Service", 1).unwrap();
    let svc = t.resource("WorkerService").expect("WorkerService");
    assert!(svc["Properties"].get("LoadBalancers").is_none());
    assert!(svc["Properties"]
        .get("HealthCheckGracePeriodSeconds")
        .is_none());
    // The queue's URL and name reach the main container.
    let env = &t.resource("WorkerTaskDefinition").unwrap()["Properties"]["ContainerDefinitions"][0]
        ["Environment"];
    assert_eq!(env[0]["Name"], "QUEUE_URL");
    assert_eq!(env[0]["Value"], testing::reference(&app, q.queue));
    // The task role may consume exactly this queue, nothing else.
    t.role_allows_exactly(
        "WorkerTaskRole",
        &[(
            &[
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
            ],
            &[json!({"Fn::GetAtt": ["JobsQueue", "Arn"]})],
        )],
    )
    .unwrap();
    // The service starts only once the consume grant is attached.
    let deps = svc["DependsOn"].to_string();
    assert!(deps.contains("WorkerTaskRoleDefaultPolicy"), "{deps}");
}

#[test]
fn the_queue_worker_scales_in_steps_on_queue_depth_with_two_policies_and_two_alarms_plus_cpu() {
    let (app, w, q) = worker_app();
    let a = synth(&app, "queue-worker-steps");
    let t = Template::from_json(a.stacks[0].template.clone());
    for id in [
        "WorkerQueueDepthScaleOutPolicy",
        "WorkerQueueDepthScaleOutAlarm",
        "WorkerQueueDepthScaleInPolicy",
        "WorkerQueueDepthScaleInAlarm",
        "WorkerCpuScaling",
        "WorkerScalableTarget",
    ] {
        assert!(t.resource(id).is_some(), "{id} is missing");
    }
    let out = &t.resource("WorkerQueueDepthScaleOutPolicy").unwrap()["Properties"];
    assert_eq!(out["PolicyType"], "StepScaling");
    assert_eq!(
        out["StepScalingPolicyConfiguration"]["StepAdjustments"],
        json!([
            {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 400, "ScalingAdjustment": 1},
            {"MetricIntervalLowerBound": 400, "ScalingAdjustment": 5}
        ])
    );
    let alarm = &t.resource("WorkerQueueDepthScaleOutAlarm").unwrap()["Properties"];
    assert_eq!(alarm["ComparisonOperator"], "GreaterThanOrEqualToThreshold");
    assert_eq!(alarm["Threshold"], 100.0);
    assert_eq!(alarm["MetricName"], "ApproximateNumberOfMessagesVisible");
    assert_eq!(
        alarm["Dimensions"],
        json!([{"Name": "QueueName", "Value": testing::get_att(&app, q.queue, "QueueName")}])
    );
    assert_eq!(
        alarm["AlarmActions"],
        json!([testing::reference(
            &app,
            w.queue_depth_scaling.scale_out.unwrap().0
        )])
    );
    let scale_in = &t.resource("WorkerQueueDepthScaleInPolicy").unwrap()["Properties"];
    assert_eq!(
        scale_in["StepScalingPolicyConfiguration"]["StepAdjustments"],
        json!([{"MetricIntervalUpperBound": 0, "ScalingAdjustment": -1}])
    );
    let alarm_in = &t.resource("WorkerQueueDepthScaleInAlarm").unwrap()["Properties"];
    assert_eq!(alarm_in["ComparisonOperator"], "LessThanOrEqualToThreshold");
    assert_eq!(alarm_in["Threshold"], 0.0);
}

#[test]
fn scaling_steps_that_overlap_or_go_the_wrong_way_are_errors() {
    let app = App::new();
    let mut s = app.stack("work");
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    let q = Queue::new(&mut s, "Jobs", QueueProps::default());
    QueueProcessingFargateService::new(
        &mut s,
        "Worker",
        &net,
        &cluster,
        &q,
        QueueProcessingServiceProps {
            scaling_steps: vec![
                ScalingStep::at_or_above(100.0, -1),
                ScalingStep::at_or_below(200.0, -1),
            ],
            ..worker_props()
        },
    );
    let codes_found = errors(&app);
    assert!(
        codes_found.iter().filter(|c| *c == "SFM047").count() >= 2,
        "{codes_found:?}"
    );
}

// Both services are thin layers on one base: the same task definition, roles, log group and
// ECS service shapes.
#[test]
fn both_services_share_the_base_task_definition_and_service_shape() {
    let app = App::new();
    let mut s = app.stack("both");
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    let q = Queue::new(&mut s, "Jobs", QueueProps::default());
    LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &net,
        &cluster,
        ServiceProps {
            image: "public.ecr.aws/nginx/nginx:1.27".into(),
            health_check_path: "/health".into(),
            ..Default::default()
        },
    );
    QueueProcessingFargateService::new(&mut s, "Worker", &net, &cluster, &q, worker_props());
    let a = synth(&app, "both-services");
    let t = Template::from_json(a.stacks[0].template.clone());
    for suffix in [
        "LogGroup",
        "ExecutionRole",
        "ExecutionRoleDefaultPolicy",
        "TaskRole",
        "TaskDefinition",
        "Service",
        "ScalableTarget",
        "CpuScaling",
        "ServiceSecurityGroup",
    ] {
        for svc in ["Web", "Worker"] {
            assert!(
                t.resource(&format!("{svc}{suffix}")).is_some(),
                "{svc}{suffix}"
            );
        }
    }
    let keys = |id: &str| -> Vec<String> {
        let mut k: Vec<String> = t.resource(id).unwrap()["Properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        k.sort();
        k
    };
    assert_eq!(keys("WebTaskDefinition"), keys("WorkerTaskDefinition"));
    let mut web = keys("WebService");
    web.retain(|k| k != "LoadBalancers" && k != "HealthCheckGracePeriodSeconds");
    assert_eq!(web, keys("WorkerService"));
}

// 5. "No supported way to add a sidecar container": a sidecar with its own image, ports,
// environment, secrets, health check and start order, on the queue service.
#[test]
fn the_queue_worker_takes_a_sidecar_with_its_own_image_ports_env_secrets_health_check_and_start_order(
) {
    let app = App::new();
    let mut s = app.stack("work");
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    let q = Queue::new(&mut s, "Jobs", QueueProps::default());
    let agent_key = SecretRef::from_name(&mut s, "observability/agent");
    QueueProcessingFargateService::new(
        &mut s,
        "Worker",
        &net,
        &cluster,
        &q,
        QueueProcessingServiceProps {
            sidecars: vec![ContainerSpec {
                name: "otel".into(),
                image: "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.1".into(),
                ports: vec![4317],
                environment: vec![("OTEL_LOG_LEVEL".into(), "info".into())],
                secrets: vec![("AGENT_KEY".into(), agent_key.field("key"))],
                health_check: Some(ContainerHealthCheck::command(["CMD", "/healthcheck"])),
                essential: false,
                ..Default::default()
            }],
            ..worker_props()
        },
    );
    let a = synth(&app, "queue-worker-sidecar");
    let t = Template::from_json(a.stacks[0].template.clone());
    let defs = &t.resource("WorkerTaskDefinition").unwrap()["Properties"]["ContainerDefinitions"];
    assert_eq!(defs.as_array().unwrap().len(), 2);
    let otel = &defs[1];
    assert_eq!(otel["Name"], "otel");
    assert_eq!(
        otel["Image"],
        "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.1"
    );
    assert_eq!(otel["PortMappings"][0]["ContainerPort"], 4317);
    assert_eq!(otel["Environment"][0]["Name"], "OTEL_LOG_LEVEL");
    assert_eq!(otel["Secrets"][0]["Name"], "AGENT_KEY");
    assert_eq!(
        otel["HealthCheck"]["Command"],
        json!(["CMD", "/healthcheck"])
    );
    assert_eq!(otel["Essential"], false);
    // The execution role may read the sidecar's secret.
    let exec = t.role_permissions("WorkerExecutionRole");
    assert!(
        exec.iter()
            .any(|(a, r)| a == "secretsmanager:GetSecretValue"
                && r.contains("observability/agent-??????")),
        "{exec:?}"
    );
}

#[test]
fn a_sidecar_start_order_naming_an_unknown_container_is_an_error() {
    let (app, _, _) = {
        let app = App::new();
        let mut s = app.stack("work");
        let net = Network::new(&mut s, "Net", NetworkProps::default());
        let cluster = Cluster::new(&mut s, "Cluster");
        let q = Queue::new(&mut s, "Jobs", QueueProps::default());
        let w = QueueProcessingFargateService::new(
            &mut s,
            "Worker",
            &net,
            &cluster,
            &q,
            QueueProcessingServiceProps {
                sidecars: vec![ContainerSpec {
                    name: "proxy".into(),
                    image: "public.ecr.aws/nginx/nginx:1.27".into(),
                    depends_on: vec![("nope".into(), StartCondition::Healthy)],
                    ..Default::default()
                }],
                ..worker_props()
            },
        );
        drop(s);
        (app, w, q)
    };
    assert!(errors(&app).contains(&"SFM009".to_owned()));
}

// 5. "…or to change a pattern's task definition beyond its props": a typed patch.
#[test]
fn merge_deep_merges_a_typed_patch_into_a_patterns_child() {
    let (app, w, _) = worker_app();
    let mut s = app.stack("work");
    s.merge(
        w.task_definition,
        ecs::TaskDefinition {
            ephemeral_storage: Some(ecs::task_definition::EphemeralStorage {
                size_in_gib: Some(50.into()),
            }),
            runtime_platform: Some(ecs::task_definition::RuntimePlatform {
                cpu_architecture: Some(ecs::task_definition::CpuArchitecture::Arm64.into()),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    s.merge(
        w.service,
        ecs::Service {
            deployment_configuration: Some(ecs::service::DeploymentConfiguration {
                minimum_healthy_percent: Some(50.into()),
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    drop(s);
    let a = synth(&app, "merge");
    let t = Template::from_json(a.stacks[0].template.clone());
    let td = &t.resource("WorkerTaskDefinition").unwrap()["Properties"];
    assert_eq!(td["EphemeralStorage"]["SizeInGiB"], 50);
    assert_eq!(td["RuntimePlatform"]["CpuArchitecture"], "ARM64");
    // Everything the pattern set is kept.
    assert_eq!(td["Cpu"], "256");
    assert_eq!(td["ContainerDefinitions"][0]["Name"], "worker");
    // Nested objects merge key by key: the circuit breaker and maximum stay.
    let dc = &t.resource("WorkerService").unwrap()["Properties"]["DeploymentConfiguration"];
    assert_eq!(dc["MinimumHealthyPercent"], 50);
    assert_eq!(dc["MaximumPercent"], 200);
    assert_eq!(dc["DeploymentCircuitBreaker"]["Rollback"], true);
    // No override was used: the template has no trace of one, and the metadata is clean.
    assert!(t
        .resource("WorkerTaskDefinition")
        .unwrap()
        .get("Metadata")
        .is_none());
}

#[test]
fn a_merged_patch_is_validated_like_any_typed_resource() {
    let (app, _, q) = worker_app();
    let mut s = app.stack("work");
    // SQS keeps messages 60 s to 14 days: the generated schema rule catches 10.
    s.merge(
        q.queue,
        stackforge::cfn::sqs::Queue {
            message_retention_period: Some(10.into()),
            ..Default::default()
        },
    );
    drop(s);
    let found = errors(&app);
    assert!(
        found.iter().any(|c| c.starts_with("SF1")),
        "a generated rule catches it: {found:?}"
    );
}

#[test]
fn merge_through_a_scope_of_another_stack_is_sf013() {
    let (app, w, _) = worker_app();
    let mut other = app.stack("other");
    other.merge(w.service, ecs::Service::default());
    drop(other);
    assert!(errors(&app).contains(&"SF013".to_owned()));
}

// 3. "An alarm Period of 45 passed synth" (cfn-lint caught it).
#[test]
fn an_alarm_period_of_45_is_an_error_and_10_20_30_and_multiples_of_60_pass() {
    for (period, ok) in [
        (45, false),
        (90, false),
        (0, false),
        (10, true),
        (20, true),
        (30, true),
        (60, true),
        (300, true),
    ] {
        let app = App::new();
        let mut s = app.stack("ops");
        let topic = Topic::new(&mut s, "Alarms", TopicProps::default());
        let q = Queue::new(&mut s, "Jobs", QueueProps::default());
        Alarm::new(
            &mut s,
            "Backlog",
            AlarmProps {
                threshold: 10.0.into(),
                actions: vec![(&topic).into()],
                ..AlarmProps::new(q.metric_depth().period(period))
            },
        );
        drop(s);
        let found = errors(&app);
        assert_eq!(
            found.contains(&"SF035".to_owned()),
            !ok,
            "period {period}: {found:?}"
        );
    }
}

#[test]
fn an_alarm_period_from_a_parameter_with_allowed_values_is_checked_per_value() {
    let app = App::new();
    let mut s = app.stack("ops");
    let period = s.parameter(
        "Period",
        Parameter::integer()
            .allowed_values(["60", "45"])
            .default_value("60"),
    );
    let topic = Topic::new(&mut s, "Alarms", TopicProps::default());
    let q = Queue::new(&mut s, "Jobs", QueueProps::default());
    Alarm::new(
        &mut s,
        "Backlog",
        AlarmProps {
            threshold: 10.0.into(),
            actions: vec![(&topic).into()],
            ..AlarmProps::new(q.metric_depth().period(period))
        },
    );
    drop(s);
    // One failing value of one parameter: a template rule refuses it at deploy.
    let a = app.synth().unwrap_or_else(|e| panic!("{e}"));
    let rules = a.stacks[0].template["Rules"].to_string();
    assert!(rules.contains("45"), "{rules}");
}

// 4. "Passing a load balancer's handle where its full name belongs compiles and synthesizes,
// and the alarm never fires."
#[test]
fn a_load_balancer_handle_where_its_full_name_belongs_is_an_error() {
    let app = App::new();
    let mut s = app.stack("web");
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    let web = LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &net,
        &cluster,
        ServiceProps {
            image: "public.ecr.aws/nginx/nginx:1.27".into(),
            health_check_path: "/health".into(),
            ..Default::default()
        },
    );
    let topic = Topic::new(&mut s, "Alarms", TopicProps::default());
    let lb: stackforge::Handle<elb::LoadBalancer> = web.load_balancer;
    // What the new user wrote: the handle (its Ref, the ARN) as the dimension.
    Alarm::new(
        &mut s,
        "Lb5xx",
        AlarmProps {
            threshold: 1.0.into(),
            actions: vec![(&topic).into()],
            ..AlarmProps::new(
                Metric::count("AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count")
                    .dimension("LoadBalancer", lb),
            )
        },
    );
    // A target group's ARN attribute where its full name belongs.
    Alarm::new(
        &mut s,
        "Healthy",
        AlarmProps {
            threshold: 1.0.into(),
            comparison: Comparison::LessThan,
            actions: vec![(&topic).into()],
            ..AlarmProps::new(
                Metric::new("AWS/ApplicationELB", "HealthyHostCount")
                    .dimension("TargetGroup", web.target_group.attr_target_group_arn())
                    .dimension("LoadBalancer", lb.attr_load_balancer_full_name()),
            )
        },
    );
    drop(s);
    let found = errors(&app);
    assert_eq!(
        found.iter().filter(|c| *c == "SFM045").count(),
        2,
        "{found:?}"
    );
}

#[test]
fn wrong_attributes_of_queues_services_and_functions_are_errors_too() {
    let (app, w, q) = worker_app();
    let mut s = app.stack("work");
    let topic = Topic::new(&mut s, "Alarms", TopicProps::default());
    let cases = [
        (
            "QueueUrl",
            Metric::new("AWS/SQS", "ApproximateNumberOfMessagesVisible")
                .dimension("QueueName", q.queue_url()),
        ),
        (
            "ServiceArn",
            Metric::new("AWS/ECS", "CPUUtilization")
                .dimension("ClusterName", w.cluster_name.clone())
                .dimension("ServiceName", w.service.reference()),
        ),
        (
            "FunctionArn",
            Metric::count("AWS/Lambda", "Errors").dimension(
                "FunctionName",
                "arn:aws:lambda:eu-west-1:123456789012:function:f",
            ),
        ),
    ];
    for (id, m) in cases {
        Alarm::new(
            &mut s,
            id,
            AlarmProps {
                threshold: 1.0.into(),
                actions: vec![(&topic).into()],
                ..AlarmProps::new(m)
            },
        );
    }
    drop(s);
    assert_eq!(errors(&app).iter().filter(|c| *c == "SFM045").count(), 3);
}

#[test]
fn count_metrics_use_sum_and_treat_missing_data_as_not_breaching_and_an_alarm_needs_an_action() {
    let app = App::new();
    let mut s = app.stack("ops");
    let topic = Topic::new(&mut s, "Alarms", TopicProps::default());
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    let web = LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &net,
        &cluster,
        ServiceProps {
            image: "public.ecr.aws/nginx/nginx:1.27".into(),
            health_check_path: "/health".into(),
            ..Default::default()
        },
    );
    Alarm::new(
        &mut s,
        "Web5xx",
        AlarmProps {
            threshold: 5.0.into(),
            actions: vec![(&topic).into()],
            ..AlarmProps::new(web.metric_target_5xx())
        },
    );
    Alarm::new(
        &mut s,
        "WebCpu",
        AlarmProps {
            threshold: 90.0.into(),
            actions: vec![(&topic).into()],
            ..AlarmProps::new(web.metric_cpu())
        },
    );
    drop(s);
    let a = synth(&app, "alarms");
    let t = Template::from_json(a.stacks[0].template.clone());
    let count = &t.resource("Web5xxAlarm").unwrap()["Properties"];
    assert_eq!(count["Statistic"], "Sum");
    assert_eq!(count["TreatMissingData"], "notBreaching");
    assert_eq!(
        count["AlarmActions"],
        json!([testing::reference(&app, topic.topic)])
    );
    let gauge = &t.resource("WebCpuAlarm").unwrap()["Properties"];
    assert_eq!(gauge["Statistic"], "Average");
    assert_eq!(gauge["TreatMissingData"], "missing");

    // An Average of a count metric, and an alarm without an action.
    let app = App::new();
    let mut s = app.stack("ops");
    let q = Queue::new(&mut s, "Jobs", QueueProps::default());
    let _ = q;
    Alarm::new(
        &mut s,
        "Errors",
        AlarmProps::new(Metric::count("AWS/Lambda", "Errors").statistic(Statistic::Average)),
    );
    drop(s);
    assert_eq!(errors(&app).iter().filter(|c| *c == "SFM046").count(), 2);
}

/// A metric, its namespace and name, and its dimensions as they render.
type MetricCase = (
    Metric,
    &'static str,
    &'static str,
    Vec<(&'static str, serde_json::Value)>,
);

// Tests pin each metric's namespace and dimensions, as they render in an alarm.
#[test]
fn each_patterns_metrics_have_the_namespace_and_dimensions_cloudwatch_publishes_under() {
    let app = App::new();
    let mut s = app.stack("all");
    let net = Network::new(&mut s, "Net", NetworkProps::default());
    let cluster = Cluster::new(&mut s, "Cluster");
    let web = LoadBalancedFargateService::new(
        &mut s,
        "Web",
        &net,
        &cluster,
        ServiceProps {
            image: "public.ecr.aws/nginx/nginx:1.27".into(),
            health_check_path: "/health".into(),
            ..Default::default()
        },
    );
    let db = PostgresDatabase::new(&mut s, "Db", &net, PostgresProps::default());
    let cache = RedisCache::new(&mut s, "Cache", &net, RedisCacheProps::default());
    let q = Queue::new(&mut s, "Jobs", QueueProps::default());
    let w =
        QueueProcessingFargateService::new(&mut s, "Worker", &net, &cluster, &q, worker_props());
    let topic = Topic::new(&mut s, "Alarms", TopicProps::default());
    let lb_full = testing::get_att(&app, web.load_balancer, "LoadBalancerFullName");
    let tg_full = testing::get_att(&app, web.target_group, "TargetGroupFullName");
    let cluster_ref = testing::reference(&app, cluster.cluster);
    let node = json!({"Fn::Sub": "${CacheReplicationGroup}-001"});
    let cases: Vec<MetricCase> = vec![
        (
            web.metric_cpu(),
            "AWS/ECS",
            "CPUUtilization",
            vec![
                ("ClusterName", cluster_ref.clone()),
                ("ServiceName", testing::get_att(&app, web.service, "Name")),
            ],
        ),
        (
            web.metric_memory(),
            "AWS/ECS",
            "MemoryUtilization",
            vec![
                ("ClusterName", cluster_ref.clone()),
                ("ServiceName", testing::get_att(&app, web.service, "Name")),
            ],
        ),
        (
            web.metric_load_balancer_5xx(),
            "AWS/ApplicationELB",
            "HTTPCode_ELB_5XX_Count",
            vec![("LoadBalancer", lb_full.clone())],
        ),
        (
            web.metric_target_5xx(),
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            vec![("LoadBalancer", lb_full.clone())],
        ),
        (
            web.metric_latency(),
            "AWS/ApplicationELB",
            "TargetResponseTime",
            vec![("LoadBalancer", lb_full.clone())],
        ),
        (
            web.metric_healthy_hosts(),
            "AWS/ApplicationELB",
            "HealthyHostCount",
            vec![("TargetGroup", tg_full), ("LoadBalancer", lb_full)],
        ),
        (
            db.metric_cpu(),
            "AWS/RDS",
            "CPUUtilization",
            vec![(
                "DBInstanceIdentifier",
                testing::reference(&app, db.instance),
            )],
        ),
        (
            db.metric_free_storage(),
            "AWS/RDS",
            "FreeStorageSpace",
            vec![(
                "DBInstanceIdentifier",
                testing::reference(&app, db.instance),
            )],
        ),
        (
            db.metric_connections(),
            "AWS/RDS",
            "DatabaseConnections",
            vec![(
                "DBInstanceIdentifier",
                testing::reference(&app, db.instance),
            )],
        ),
        (
            cache.metric_cpu(),
            "AWS/ElastiCache",
            "EngineCPUUtilization",
            vec![("CacheClusterId", node.clone())],
        ),
        (
            cache.metric_evictions(),
            "AWS/ElastiCache",
            "Evictions",
            vec![("CacheClusterId", node)],
        ),
        (
            q.metric_depth(),
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            vec![("QueueName", testing::get_att(&app, q.queue, "QueueName"))],
        ),
        (
            q.metric_age_of_oldest(),
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            vec![("QueueName", testing::get_att(&app, q.queue, "QueueName"))],
        ),
        (
            w.metric_cpu(),
            "AWS/ECS",
            "CPUUtilization",
            vec![
                ("ClusterName", cluster_ref.clone()),
                ("ServiceName", testing::get_att(&app, w.service, "Name")),
            ],
        ),
        (
            w.metric_memory(),
            "AWS/ECS",
            "MemoryUtilization",
            vec![
                ("ClusterName", cluster_ref),
                ("ServiceName", testing::get_att(&app, w.service, "Name")),
            ],
        ),
    ];
    let mut expected = Vec::new();
    for (i, (m, ns, name, dims)) in cases.into_iter().enumerate() {
        Alarm::new(
            &mut s,
            &format!("M{i}"),
            AlarmProps {
                actions: vec![(&topic).into()],
                ..AlarmProps::new(m)
            },
        );
        let dims: Vec<serde_json::Value> = dims
            .into_iter()
            .map(|(n, v)| json!({"Name": n, "Value": v}))
            .collect();
        expected.push((format!("M{i}Alarm"), ns, name, dims));
    }
    drop(s);
    let a = synth(&app, "metrics");
    let t = Template::from_json(a.stacks[0].template.clone());
    for (id, ns, name, dims) in expected {
        let p = &t.resource(&id).unwrap()["Properties"];
        assert_eq!(p["Namespace"], ns, "{id}");
        assert_eq!(p["MetricName"], name, "{id}");
        assert_eq!(p["Dimensions"], json!(dims), "{id} ({name})");
    }
    // Count metrics are typed as counts.
    assert_eq!(cache.metric_evictions().statistic, Statistic::Sum);
    assert_eq!(web.metric_target_5xx().statistic, Statistic::Sum);
    assert_eq!(codes::WRONG_METRIC_DIMENSION.as_str(), "SFM045");
}

#[test]
fn grant_redrive_lets_a_role_move_dead_letters_back_and_needs_a_dead_letter_queue() {
    let (app, _, q) = worker_app();
    let mut s = app.stack("work");
    let role = s.add(
        "Redriver",
        stackforge::cfn::iam::Role::new(stackforge::policy::PolicyDocument::assumed_by_service(
            "lambda.amazonaws.com",
        )),
    );
    assert!(q.grant_redrive(&mut s, &role).is_some());
    drop(s);
    let a = synth(&app, "grant-redrive");
    let t = Template::from_json(a.stacks[0].template.clone());
    t.role_allows_exactly(
        "Redriver",
        &[
            (
                stackforge_modules::grants::SQS_REDRIVE_SOURCE,
                &[json!({"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]})],
            ),
            (
                &["sqs:SendMessage"],
                &[json!({"Fn::GetAtt": ["JobsQueue", "Arn"]})],
            ),
        ],
    )
    .unwrap();

    let app = App::new();
    let mut s = app.stack("work");
    let plain = Queue::new(&mut s, "Plain", QueueProps::default());
    let role = s.add(
        "Redriver",
        stackforge::cfn::iam::Role::new(stackforge::policy::PolicyDocument::assumed_by_service(
            "lambda.amazonaws.com",
        )),
    );
    assert!(plain.grant_redrive(&mut s, &role).is_none());
    drop(s);
    assert!(errors(&app).contains(&"SFM017".to_owned()));
}
