//! Many stacks at once, environments in two regions, dry runs, `--no-rollback`, rollback
//! triggers, drift, parameters per environment: against a small in-memory CloudFormation
//! (`Fake`) built from `aws-smithy-mocks` rules that compute each answer from the request
//! and the fake's state, and log every call. Concurrent stacks make their calls in an order
//! the rules cannot fix in advance (`RuleMode::Sequential` could not express it), so the
//! tests assert on the log: who called what, in which order.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_cloudformation::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cloudformation::error::ErrorMetadata;
use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_change_set::DeleteChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_stack::DeleteStackOutput;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_stack_drift_detection_status::DescribeStackDriftDetectionStatusOutput;
use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
use aws_sdk_cloudformation::operation::describe_stack_resource_drifts::DescribeStackResourceDriftsOutput;
use aws_sdk_cloudformation::operation::describe_stacks::{
    DescribeStacksError, DescribeStacksOutput,
};
use aws_sdk_cloudformation::operation::detect_stack_drift::DetectStackDriftOutput;
use aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput;
use aws_sdk_cloudformation::operation::get_stack_policy::GetStackPolicyOutput;
use aws_sdk_cloudformation::operation::get_template::GetTemplateOutput;
use aws_sdk_cloudformation::types::{
    Change, ChangeAction, ChangeSetStatus, ChangeSetType, DifferenceType, ExecutionStatus,
    PropertyDifference, ResourceChange, Stack, StackDriftDetectionStatus, StackDriftStatus,
    StackResourceDrift, StackResourceDriftStatus, StackStatus,
};
use aws_sdk_cloudformation::Client as Cfn;
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
use aws_sdk_sts::Client as Sts;
use aws_smithy_mocks::{
    create_mock_http_client, mock, MockResponse, MockResponseInterceptor, Rule, RuleMode,
};
use aws_smithy_types::DateTime;
use stackforge::assembly::CloudAssembly;
use stackforge::cli::online::CliObserver;
use stackforge::cli::{Mode, Printer};
use stackforge::deploy::{
    Clients, DeployError, Engine, Event, Observer, Options, Outcome, Question,
};
use stackforge::{App, EnvironmentProps, Parameter, Raw};
use stackforge_deploy_tests::tempdir;

const ACCOUNT: &str = "123456789012";

/// One stack of the fake.
#[derive(Clone, Debug)]
struct FakeStack {
    status: StackStatus,
    /// Polls of DescribeStacks left before an operation in progress ends.
    polls_left: u32,
    /// The status the operation in progress ends in.
    ends_in: StackStatus,
}

/// How the fake treats the stacks it does not have yet.
#[derive(Clone, Debug, Default)]
struct Script {
    /// Polls each stack's create takes (default 1).
    polls: BTreeMap<String, u32>,
    /// Stacks whose create fails (ROLLBACK_COMPLETE).
    failing: Vec<String>,
}

#[derive(Default)]
struct State {
    stacks: BTreeMap<String, FakeStack>,
    log: Vec<String>,
    script: Script,
    drift_polls: u32,
}

/// An in-memory CloudFormation for one region.
#[derive(Clone)]
struct Fake {
    region: &'static str,
    state: Arc<Mutex<State>>,
}

fn meta(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

/// `arn:...:stack/<name>/1` or `arn:...:changeSet/<name>/1` or a plain name → the name.
fn name_of(r: Option<&str>) -> String {
    let r = r.unwrap_or_default();
    match r.split('/').nth(1) {
        Some(n) if r.starts_with("arn:") => n.to_owned(),
        _ => r.to_owned(),
    }
}

impl Fake {
    fn new(region: &'static str, script: Script) -> Self {
        Fake {
            region,
            state: Arc::new(Mutex::new(State {
                script,
                ..State::default()
            })),
        }
    }

    fn log(&self) -> Vec<String> {
        self.state.lock().expect("lock").log.clone()
    }

    fn with_stack(&self, name: &str, status: StackStatus) -> Self {
        self.state.lock().expect("lock").stacks.insert(
            name.to_owned(),
            FakeStack {
                status: status.clone(),
                polls_left: 0,
                ends_in: status,
            },
        );
        self.clone()
    }

    fn rules(&self) -> Vec<Rule> {
        let region = self.region;
        let s = self.state.clone();
        let describe = mock!(Cfn::describe_stacks).then_compute_response(move |r| {
            let name = name_of(r.stack_name());
            let mut st = s.lock().expect("lock");
            let Some(stack) = st.stacks.get_mut(&name) else {
                st.log.push(format!("DescribeStacks {name} -"));
                return MockResponse::Error(DescribeStacksError::generic(meta(
                    "ValidationError",
                    &format!("Stack with id {name} does not exist"),
                )));
            };
            if stack.status.as_str().ends_with("_IN_PROGRESS")
                && stack.status != StackStatus::ReviewInProgress
            {
                if stack.polls_left == 0 {
                    stack.status = stack.ends_in.clone();
                } else {
                    stack.polls_left -= 1;
                }
            }
            let status = stack.status.clone();
            st.log
                .push(format!("DescribeStacks {name} {}", status.as_str()));
            if status == StackStatus::DeleteComplete {
                st.stacks.remove(&name);
            }
            MockResponse::Output(
                DescribeStacksOutput::builder()
                    .stacks(
                        Stack::builder()
                            .stack_name(&name)
                            .stack_id(format!(
                                "arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{name}/1"
                            ))
                            .creation_time(DateTime::from_secs(0))
                            .stack_status(status)
                            .build(),
                    )
                    .build(),
            )
        });
        let s = self.state.clone();
        let create_cs = mock!(Cfn::create_change_set).then_compute_output(move |r| {
            let name = r.stack_name().unwrap_or_default().to_owned();
            let mut st = s.lock().expect("lock");
            let params: Vec<String> = r
                .parameters()
                .iter()
                .map(|p| {
                    format!(
                        "{}={}",
                        p.parameter_key().unwrap_or_default(),
                        p.parameter_value().unwrap_or_default()
                    )
                })
                .collect();
            let rollback = r
                .rollback_configuration()
                .map(|c| {
                    let arns: Vec<&str> = c
                        .rollback_triggers()
                        .iter()
                        .filter_map(|t| t.arn())
                        .collect();
                    format!(
                        " triggers={} minutes={:?}",
                        arns.join(","),
                        c.monitoring_time_in_minutes()
                    )
                })
                .unwrap_or_default();
            st.log.push(format!(
                "CreateChangeSet {name} {} [{}]{rollback}",
                r.change_set_type().map_or("", |t| t.as_str()),
                params.join(" ")
            ));
            if r.change_set_type() == Some(&ChangeSetType::Create) {
                st.stacks.insert(
                    name.clone(),
                    FakeStack {
                        status: StackStatus::ReviewInProgress,
                        polls_left: 0,
                        ends_in: StackStatus::ReviewInProgress,
                    },
                );
            }
            CreateChangeSetOutput::builder()
                .id(format!(
                    "arn:aws:cloudformation:{region}:{ACCOUNT}:changeSet/{name}/1"
                ))
                .stack_id(format!(
                    "arn:aws:cloudformation:{region}:{ACCOUNT}:stack/{name}/1"
                ))
                .build()
        });
        let s = self.state.clone();
        let describe_cs = mock!(Cfn::describe_change_set).then_compute_output(move |r| {
            let name = name_of(r.change_set_name());
            let mut st = s.lock().expect("lock");
            let creating =
                st.stacks.get(&name).map(|x| x.status.clone()) == Some(StackStatus::ReviewInProgress);
            st.log.push(format!("DescribeChangeSet {name}"));
            if creating {
                DescribeChangeSetOutput::builder()
                    .status(ChangeSetStatus::CreateComplete)
                    .execution_status(ExecutionStatus::Available)
                    .changes(
                        Change::builder()
                            .resource_change(
                                ResourceChange::builder()
                                    .action(ChangeAction::Add)
                                    .logical_resource_id("Topic")
                                    .resource_type("AWS::SNS::Topic")
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            } else {
                DescribeChangeSetOutput::builder()
                    .status(ChangeSetStatus::Failed)
                    .status_reason("The submitted information didn't contain changes. Submit different information to create a change set.")
                    .build()
            }
        });
        let s = self.state.clone();
        let execute = mock!(Cfn::execute_change_set).then_compute_output(move |r| {
            let name = name_of(r.change_set_name());
            let mut st = s.lock().expect("lock");
            let polls = st.script.polls.get(&name).copied().unwrap_or(1);
            let fails = st.script.failing.contains(&name);
            let no_rollback = if r.disable_rollback() == Some(true) {
                " no-rollback"
            } else {
                ""
            };
            st.log.push(format!("ExecuteChangeSet {name}{no_rollback}"));
            if let Some(stack) = st.stacks.get_mut(&name) {
                stack.status = StackStatus::CreateInProgress;
                stack.polls_left = polls;
                stack.ends_in = match (fails, no_rollback.is_empty()) {
                    (true, true) => StackStatus::RollbackComplete,
                    (true, false) => StackStatus::CreateFailed,
                    _ => StackStatus::CreateComplete,
                };
            }
            ExecuteChangeSetOutput::builder().build()
        });
        let s = self.state.clone();
        let delete_cs = mock!(Cfn::delete_change_set).then_compute_output(move |r| {
            let mut st = s.lock().expect("lock");
            st.log
                .push(format!("DeleteChangeSet {}", name_of(r.change_set_name())));
            DeleteChangeSetOutput::builder().build()
        });
        let s = self.state.clone();
        let delete = mock!(Cfn::delete_stack).then_compute_output(move |r| {
            let name = name_of(r.stack_name());
            let mut st = s.lock().expect("lock");
            let polls = st.script.polls.get(&name).copied().unwrap_or(1);
            st.log.push(format!("DeleteStack {name}"));
            if let Some(stack) = st.stacks.get_mut(&name) {
                if stack.status == StackStatus::ReviewInProgress {
                    st.stacks.remove(&name);
                } else {
                    stack.status = StackStatus::DeleteInProgress;
                    stack.polls_left = polls;
                    stack.ends_in = StackStatus::DeleteComplete;
                }
            }
            DeleteStackOutput::builder().build()
        });
        let events = mock!(Cfn::describe_stack_events)
            .then_compute_output(|_| DescribeStackEventsOutput::builder().build());
        let s = self.state.clone();
        let template = mock!(Cfn::get_template).then_compute_output(move |r| {
            let name = name_of(r.stack_name());
            s.lock()
                .expect("lock")
                .log
                .push(format!("GetTemplate {name}"));
            GetTemplateOutput::builder()
                .template_body(
                    topic_app(&name).synth().expect("synth").stacks[0]
                        .template
                        .to_string(),
                )
                .build()
        });
        let policy = mock!(Cfn::get_stack_policy)
            .then_compute_output(|_| GetStackPolicyOutput::builder().build());
        let s = self.state.clone();
        let detect = mock!(Cfn::detect_stack_drift).then_compute_output(move |r| {
            let name = name_of(r.stack_name());
            s.lock()
                .expect("lock")
                .log
                .push(format!("DetectStackDrift {name}"));
            DetectStackDriftOutput::builder()
                .stack_drift_detection_id(format!("drift-{name}"))
                .build()
        });
        let s = self.state.clone();
        let detect_status =
            mock!(Cfn::describe_stack_drift_detection_status).then_compute_output(move |r| {
                let mut st = s.lock().expect("lock");
                let id = r.stack_drift_detection_id().unwrap_or_default().to_owned();
                let done = st.drift_polls == 0;
                st.drift_polls = st.drift_polls.saturating_sub(1);
                st.log.push(format!(
                    "DescribeStackDriftDetectionStatus {id} {}",
                    if done { "complete" } else { "in-progress" }
                ));
                let b = DescribeStackDriftDetectionStatusOutput::builder()
                    .stack_id("x")
                    .stack_drift_detection_id(id)
                    .timestamp(DateTime::from_secs(0));
                if done {
                    b.detection_status(StackDriftDetectionStatus::DetectionComplete)
                        .stack_drift_status(StackDriftStatus::Drifted)
                        .build()
                } else {
                    b.detection_status(StackDriftDetectionStatus::DetectionInProgress)
                        .build()
                }
            });
        let s = self.state.clone();
        let resource_drifts =
            mock!(Cfn::describe_stack_resource_drifts).then_compute_output(move |r| {
                let name = name_of(r.stack_name());
                let filters: Vec<&str> = r
                    .stack_resource_drift_status_filters()
                    .iter()
                    .map(|f| f.as_str())
                    .collect();
                s.lock().expect("lock").log.push(format!(
                    "DescribeStackResourceDrifts {name} {}",
                    filters.join(",")
                ));
                DescribeStackResourceDriftsOutput::builder()
                    .stack_resource_drifts(
                        StackResourceDrift::builder()
                            .stack_id("x")
                            .logical_resource_id("Queue")
                            .physical_resource_id("https://sqs/queue")
                            .resource_type("AWS::SQS::Queue")
                            .stack_resource_drift_status(StackResourceDriftStatus::Modified)
                            .timestamp(DateTime::from_secs(0))
                            .property_differences(
                                PropertyDifference::builder()
                                    .property_path("/VisibilityTimeout")
                                    .expected_value("30")
                                    .actual_value("120")
                                    .difference_type(DifferenceType::NotEqual)
                                    .build(),
                            )
                            .build(),
                    )
                    .build()
            });
        vec![
            describe,
            create_cs,
            describe_cs,
            execute,
            delete_cs,
            delete,
            events,
            template,
            policy,
            detect,
            detect_status,
            resource_drifts,
        ]
    }

    /// Clients over this fake; each GetCallerIdentity is logged.
    fn clients(&self) -> Clients {
        let creds = Credentials::new("AKIDTEST", "not-a-secret", None, None, "test");
        let interceptor = self.rules().iter().fold(
            MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
            |i, r| i.with_rule(r),
        );
        let s = self.state.clone();
        let region = self.region;
        let identity = mock!(Sts::get_caller_identity).then_compute_output(move |_| {
            s.lock()
                .expect("lock")
                .log
                .push(format!("GetCallerIdentity {region}"));
            GetCallerIdentityOutput::builder()
                .account(ACCOUNT)
                .arn(format!("arn:aws:iam::{ACCOUNT}:user/test"))
                .build()
        });
        Clients {
            cfn: Cfn::from_conf(
                aws_sdk_cloudformation::Config::builder()
                    .behavior_version(BehaviorVersion::latest())
                    .region(Region::new(region))
                    .credentials_provider(creds.clone())
                    .http_client(create_mock_http_client())
                    .interceptor(interceptor)
                    .retry_config(aws_sdk_cloudformation::config::retry::RetryConfig::disabled())
                    .build(),
            ),
            sts: Sts::from_conf(
                aws_sdk_sts::Config::builder()
                    .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
                    .region(aws_sdk_sts::config::Region::new(region))
                    .credentials_provider(creds)
                    .http_client(create_mock_http_client())
                    .interceptor(
                        MockResponseInterceptor::new()
                            .rule_mode(RuleMode::MatchAny)
                            .with_rule(&identity),
                    )
                    .build(),
            ),
            s3: None,
            ecr: None,
            region: region.to_owned(),
            endpoint_url: None,
        }
    }
}

/// A stack with one topic.
fn topic_app(name: &str) -> App {
    let app = App::new();
    app.stack(name)
        .add_raw("Topic", Raw::new("AWS::SNS::Topic"));
    app
}

/// Three independent stacks `a`, `b`, `c` with a topic each.
fn three_independent() -> App {
    let app = App::new();
    for n in ["a", "b", "c"] {
        app.stack(n).add_raw("Topic", Raw::new("AWS::SNS::Topic"));
    }
    app
}

/// Events rendered as the CLI does, and kept typed.
struct Both<'a, 'w> {
    cli: CliObserver<'a, 'w>,
    events: Vec<Event>,
}

impl Observer for Both<'_, '_> {
    fn event(&mut self, e: &Event) {
        self.events.push(e.clone());
        self.cli.event(e);
    }
    fn confirm(&mut self, q: &Question) -> Option<bool> {
        self.cli.confirm(q)
    }
}

/// What a run gives back: the outcomes (or the error), the text printed, the events.
type Run = (
    Result<Vec<(String, Outcome)>, DeployError>,
    String,
    Vec<Event>,
);

enum Verb {
    Deploy,
    Destroy,
    Drift,
}

/// Runs `verb` on `app` with `default` clients and per-environment ones; returns the
/// result (deploy and destroy: the stacks' outcomes), the text printed, and the events.
fn run(
    app: &App,
    verb: Verb,
    default: &Fake,
    environments: &[(&str, &Fake)],
    options: Options,
) -> Run {
    let assembly = CloudAssembly::from_synth(&app.synth().expect("the test app synthesizes"));
    let mut out = Vec::new();
    let mut err = Vec::new();
    let (result, events) = {
        let mut printer = Printer::new(
            &mut out,
            &mut err,
            Mode {
                json: false,
                quiet: false,
            },
        );
        let mut both = Both {
            cli: CliObserver::new(&mut printer, false),
            events: Vec::new(),
        };
        let result = {
            let mut engine = Engine::new(default.clients(), options, &mut both);
            for (name, fake) in environments {
                engine = engine.with_environment(*name, fake.clients());
            }
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("runtime");
            let outcomes = |r: Vec<stackforge::deploy::StackReport>| {
                r.into_iter().map(|r| (r.stack, r.outcome)).collect()
            };
            match verb {
                Verb::Deploy => rt.block_on(engine.deploy(&assembly, &[])).map(outcomes),
                Verb::Destroy => rt.block_on(engine.destroy(&assembly, &[])).map(outcomes),
                Verb::Drift => rt.block_on(engine.drift(&assembly, &[])).map(|d| {
                    d.into_iter()
                        .map(|d| (d.stack, Outcome::NoChanges))
                        .collect()
                }),
            }
        };
        (result, both.events)
    };
    (result, String::from_utf8(out).expect("utf-8"), events)
}

fn options(name: &str, concurrency: usize) -> Options {
    Options {
        outputs_dir: Some(tempdir(name)),
        concurrency,
        ..Options::immediate()
    }
}

/// The index of the first log line that starts with `prefix`.
fn at(log: &[String], prefix: &str) -> usize {
    log.iter()
        .position(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` in\n{}", log.join("\n")))
}

/// Stacks in flight after each log line: a stack is in flight from its CreateChangeSet (or
/// DeleteStack) to the DescribeStacks that reports it done. (A run of several stacks first
/// describes each one for the export check; that is not a stack in flight.)
fn max_in_flight(log: &[String], stacks: &[&str]) -> usize {
    let mut in_flight = std::collections::BTreeSet::new();
    let mut max = 0;
    for l in log {
        let mut parts = l.split(' ');
        let (Some(_op), Some(stack)) = (parts.next(), parts.next()) else {
            continue;
        };
        if !stacks.contains(&stack) {
            continue;
        }
        let done = l.starts_with("DescribeStacks")
            && (l.ends_with("_COMPLETE") || l.ends_with("_FAILED"))
            && !l.ends_with("REVIEW_IN_PROGRESS");
        if done {
            in_flight.remove(stack);
        } else if l.starts_with("CreateChangeSet") || l.starts_with("DeleteStack") {
            in_flight.insert(stack.to_owned());
            max = max.max(in_flight.len());
        }
    }
    max
}

#[test]
fn three_independent_stacks_deploy_two_at_a_time() {
    let fake = Fake::new(
        "us-east-1",
        Script {
            polls: [
                ("a".to_owned(), 4),
                ("b".to_owned(), 1),
                ("c".to_owned(), 1),
            ]
            .into(),
            ..Script::default()
        },
    );
    let (r, out, events) = run(
        &three_independent(),
        Verb::Deploy,
        &fake,
        &[],
        options("scale-three", 2),
    );
    let outcomes = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(outcomes.len(), 3, "{outcomes:?}");
    assert!(outcomes.iter().all(|(_, o)| *o == Outcome::Created));
    let log = fake.log();
    let text = log.join("\n");
    // a and b start together; c waits for a free slot: b finishes first (one poll), so c
    // starts while a is still creating, and a finishes last.
    assert!(
        at(&log, "ExecuteChangeSet b") < at(&log, "DescribeStacks a CREATE_COMPLETE"),
        "{text}"
    );
    assert!(
        at(&log, "DescribeStacks b CREATE_COMPLETE") < at(&log, "CreateChangeSet c"),
        "{text}"
    );
    assert!(
        at(&log, "ExecuteChangeSet c") < at(&log, "DescribeStacks a CREATE_COMPLETE"),
        "{text}"
    );
    assert_eq!(max_in_flight(&log, &["a", "b", "c"]), 2, "{text}");
    // The interleaving, as the engine's events show it.
    let order: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::ChangeSetCreated { stack, .. } => Some(format!("start {stack}")),
            Event::Finished(r) => Some(format!("done {}", r.stack)),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        ["start a", "start b", "done b", "start c", "done c", "done a"],
        "{out}"
    );
    assert_eq!(
        log.iter()
            .filter(|l| l.starts_with("GetCallerIdentity"))
            .count(),
        1
    );
}

#[test]
fn concurrency_one_is_the_old_sequential_order() {
    let fake = Fake::new("us-east-1", Script::default());
    let (r, out, events) = run(
        &three_independent(),
        Verb::Deploy,
        &fake,
        &[],
        options("scale-one", 1),
    );
    r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    let order: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::ChangeSetCreated { stack, .. } => Some(format!("start {stack}")),
            Event::Finished(r) => Some(format!("done {}", r.stack)),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        ["start a", "done a", "start b", "done b", "start c", "done c"]
    );
    assert_eq!(max_in_flight(&fake.log(), &["a", "b", "c"]), 1);
}

#[test]
fn the_first_failure_stops_new_stacks_and_running_ones_finish() {
    let fake = Fake::new(
        "us-east-1",
        Script {
            polls: [("a".to_owned(), 1), ("b".to_owned(), 3)].into(),
            failing: vec!["a".to_owned()],
        },
    );
    let (r, out, events) = run(
        &three_independent(),
        Verb::Deploy,
        &fake,
        &[],
        options("scale-fail", 2),
    );
    let err = r.expect_err("a fails");
    assert!(
        matches!(&err, DeployError::Failed { stack, status, .. } if stack == "a" && status == "ROLLBACK_COMPLETE"),
        "{err:?}"
    );
    let log = fake.log();
    let text = log.join("\n");
    // b was running when a failed: it is watched to the end, and succeeds.
    assert!(
        at(&log, "DescribeStacks a ROLLBACK_COMPLETE")
            < at(&log, "DescribeStacks b CREATE_COMPLETE"),
        "{text}"
    );
    // c never starts: after the run's export check (one DescribeStacks), not one call
    // about it.
    let about_c: Vec<&String> = log
        .iter()
        .filter(|l| l.split(' ').nth(1) == Some("c"))
        .collect();
    assert_eq!(about_c, ["DescribeStacks c -"], "{text}");
    assert!(
        at(&log, "DescribeStacks c -") < at(&log, "CreateChangeSet a"),
        "{text}"
    );
    assert!(events.iter().any(
        |e| matches!(e, Event::Finished(r) if r.stack == "b" && r.outcome == Outcome::Created)
    ));
    let halted = events.iter().find_map(|e| match e {
        Event::Halted {
            failed,
            not_started,
        } => Some((failed.clone(), not_started.clone())),
        _ => None,
    });
    let (failed, not_started) = halted.expect("a Halted event");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].0, "a");
    assert!(failed[0].1.contains("ROLLBACK_COMPLETE"), "{failed:?}");
    assert_eq!(not_started, ["c"]);
    assert!(out.contains("stopped after a failure"), "{out}");
    assert!(out.contains("  failed: a: "), "{out}");
    assert!(out.contains("  not started: c"), "{out}");
}

/// `prod` in eu-west-1 and `dev` in us-east-1, two independent stacks each, one parameter.
fn two_environments() -> App {
    let app = App::new();
    for (env, region) in [("prod", "eu-west-1"), ("dev", "us-east-1")] {
        let e = app.environment(
            env,
            EnvironmentProps {
                account: Some(ACCOUNT.into()),
                region: Some(region.into()),
                ..Default::default()
            },
        );
        for n in ["api", "web"] {
            let mut s = e.stack(n);
            let size = s.parameter("Size", Parameter::<String>::string().default_value("1"));
            s.add_raw(
                "Topic",
                Raw::new("AWS::SNS::Topic").prop("DisplayName", size),
            );
        }
    }
    app
}

#[test]
fn two_environments_in_two_regions_deploy_grouped_by_environment() {
    let prod = Fake::new(
        "eu-west-1",
        Script {
            polls: [("prod-api".to_owned(), 2), ("prod-web".to_owned(), 1)].into(),
            ..Script::default()
        },
    );
    let dev = Fake::new("us-east-1", Script::default());
    let unused = Fake::new("ap-south-1", Script::default());
    let mut o = options("scale-envs", 4);
    o.environment_concurrency = Some(1);
    o.parameters = vec![
        ("Size".into(), "2".into()),
        ("prod:Size".into(), "8".into()),
        ("prod-web:Size".into(), "9".into()),
    ];
    let (r, out, _) = run(
        &two_environments(),
        Verb::Deploy,
        &unused,
        &[("prod", &prod), ("dev", &dev)],
        o,
    );
    let outcomes = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(outcomes.len(), 4);
    let (p, d) = (prod.log(), dev.log());
    // Each environment's stacks go to its own region's clients, and only there.
    let touches =
        |log: &[String], stack: &str| log.iter().any(|l| l.split(' ').nth(1) == Some(stack));
    for s in ["prod-api", "prod-web"] {
        assert!(touches(&p, s) && !touches(&d, s), "{s}");
    }
    for s in ["dev-api", "dev-web"] {
        assert!(touches(&d, s) && !touches(&p, s), "{s}");
    }
    assert!(unused.log().is_empty(), "{:?}", unused.log());
    // One identity per environment, each region checked against its pins.
    assert_eq!(
        p.iter()
            .filter(|l| l.starts_with("GetCallerIdentity"))
            .count(),
        1
    );
    assert_eq!(
        d.iter()
            .filter(|l| l.starts_with("GetCallerIdentity"))
            .count(),
        1
    );
    assert!(
        out.contains("region eu-west-1") && out.contains("region us-east-1"),
        "{out}"
    );
    // One stack at a time within an environment, both environments at once.
    assert_eq!(max_in_flight(&p, &["prod-api", "prod-web"]), 1, "{p:?}");
    assert_eq!(max_in_flight(&d, &["dev-api", "dev-web"]), 1, "{d:?}");
    // Parameters: the stack's scope wins over the environment's, which wins over none.
    assert!(
        p.iter()
            .any(|l| l == "CreateChangeSet prod-api CREATE [Size=8]"),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|l| l == "CreateChangeSet prod-web CREATE [Size=9]"),
        "{p:?}"
    );
    assert!(
        d.iter()
            .any(|l| l == "CreateChangeSet dev-api CREATE [Size=2]"),
        "{d:?}"
    );
}

#[test]
fn environments_overlap_in_time_within_the_overall_bound() {
    // Both environments' first stacks run at once: the walk interleaves regions.
    let prod = Fake::new(
        "eu-west-1",
        Script {
            polls: [("prod-api".to_owned(), 3)].into(),
            ..Script::default()
        },
    );
    let dev = Fake::new(
        "us-east-1",
        Script {
            polls: [("dev-api".to_owned(), 3)].into(),
            ..Script::default()
        },
    );
    let unused = Fake::new("ap-south-1", Script::default());
    let mut o = options("scale-envs-overlap", 2);
    o.environment_concurrency = Some(1);
    let (r, out, events) = run(
        &two_environments(),
        Verb::Deploy,
        &unused,
        &[("prod", &prod), ("dev", &dev)],
        o,
    );
    r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    let order: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::ChangeSetCreated { stack, .. } => Some(format!("start {stack}")),
            Event::Finished(r) => Some(format!("done {}", r.stack)),
            _ => None,
        })
        .collect();
    // The manifest orders stacks prod-api, prod-web, dev-api, dev-web (declaration order).
    assert_eq!(
        &order[..2],
        ["start prod-api", "start dev-api"],
        "{order:?}"
    );
}

#[test]
fn destroy_runs_in_reverse_dependency_order_with_the_same_bound() {
    // b depends on a; c is independent. Destroy: b and c at once, a after b.
    let app = App::new();
    let t = app.stack("a").add_raw("Topic", Raw::new("AWS::SNS::Topic"));
    app.stack("b").add_raw(
        "Sub",
        Raw::new("AWS::SNS::Subscription")
            .prop("TopicArn", t.reference())
            .prop("Protocol", stackforge_deploy_tests::lit("email".into()))
            .prop(
                "Endpoint",
                stackforge_deploy_tests::lit("x@example.com".into()),
            ),
    );
    app.stack("c").add_raw("Topic", Raw::new("AWS::SNS::Topic"));
    let fake = Fake::new(
        "us-east-1",
        Script {
            polls: [("b".to_owned(), 2)].into(),
            ..Script::default()
        },
    )
    .with_stack("a", StackStatus::CreateComplete)
    .with_stack("b", StackStatus::CreateComplete)
    .with_stack("c", StackStatus::CreateComplete);
    let mut o = options("scale-destroy", 2);
    o.yes = true;
    let (r, out, _) = run(&app, Verb::Destroy, &fake, &[], o);
    let outcomes = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert!(
        outcomes.iter().all(|(_, o)| *o == Outcome::Deleted),
        "{outcomes:?}"
    );
    let log = fake.log();
    let text = log.join("\n");
    assert!(
        at(&log, "DeleteStack c") < at(&log, "DescribeStacks b DELETE_COMPLETE"),
        "{text}"
    );
    assert!(
        at(&log, "DescribeStacks b DELETE_COMPLETE") < at(&log, "DeleteStack a"),
        "{text}"
    );
    assert_eq!(
        max_in_flight(&log[at(&log, "DeleteStack")..], &["a", "b", "c"]),
        2,
        "{text}"
    );
}

#[test]
fn dry_run_creates_shows_and_deletes_the_change_set() {
    let fake = Fake::new("us-east-1", Script::default());
    let mut o = options("scale-dry", 4);
    o.dry_run = true;
    let (r, out, _) = run(&topic_app("solo"), Verb::Deploy, &fake, &[], o);
    let outcomes = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(outcomes, [("solo".to_owned(), Outcome::DryRun)]);
    let log = fake.log();
    assert_eq!(
        log,
        [
            "GetCallerIdentity us-east-1",
            "DescribeStacks solo -",
            "CreateChangeSet solo CREATE []",
            "DescribeChangeSet solo",
            "DeleteChangeSet solo",
            "DescribeStacks solo REVIEW_IN_PROGRESS",
            "DeleteStack solo",
        ]
    );
    assert!(out.contains("[+] Add     AWS::SNS::Topic Topic"), "{out}");
    assert!(
        out.contains("solo: dry run: change set deleted, nothing changed"),
        "{out}"
    );
}

#[test]
fn no_rollback_executes_without_rollback_and_the_next_deploy_prints_the_remedy() {
    let fake = Fake::new(
        "us-east-1",
        Script {
            failing: vec!["solo".to_owned()],
            ..Script::default()
        },
    );
    let mut o = options("scale-no-rollback", 4);
    o.disable_rollback = true;
    let (r, out, _) = run(&topic_app("solo"), Verb::Deploy, &fake, &[], o);
    let err = r.expect_err("the create fails");
    assert!(
        matches!(&err, DeployError::Failed { status, .. } if status == "CREATE_FAILED"),
        "{err:?}\n{out}"
    );
    assert!(
        fake.log()
            .iter()
            .any(|l| l == "ExecuteChangeSet solo no-rollback"),
        "{:?}",
        fake.log()
    );
    // The next deploy finds CREATE_FAILED, says how to go on, and goes on.
    let (r, out, _) = run(
        &topic_app("solo"),
        Verb::Deploy,
        &fake,
        &[],
        options("scale-no-rollback-2", 4),
    );
    r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert!(
        out.contains("solo: CREATE_FAILED: the last deploy ran with --no-rollback"),
        "{out}"
    );
    assert!(
        out.contains("aws cloudformation rollback-stack --stack-name solo"),
        "{out}"
    );
    assert!(out.contains("stackforge destroy --stack solo"), "{out}");
}

#[test]
fn rollback_triggers_go_with_the_change_set() {
    let arn = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-errors";
    let app = topic_app("solo");
    {
        let mut s = app.stack("solo");
        s.add_rollback_alarm(arn);
        s.set_rollback_monitoring_minutes(10);
    }
    let fake = Fake::new("us-east-1", Script::default());
    let (r, out, _) = run(&app, Verb::Deploy, &fake, &[], options("scale-triggers", 4));
    r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    let expected = format!("CreateChangeSet solo CREATE [] triggers={arn} minutes=Some(10)");
    assert!(fake.log().contains(&expected), "{:?}", fake.log());
}

#[test]
fn drift_shows_the_drifted_properties() {
    let fake =
        Fake::new("us-east-1", Script::default()).with_stack("solo", StackStatus::CreateComplete);
    fake.state.lock().expect("lock").drift_polls = 1;
    let (r, out, events) = run(
        &topic_app("solo"),
        Verb::Drift,
        &fake,
        &[],
        options("scale-drift", 4),
    );
    r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(
        fake.log(),
        [
            "GetCallerIdentity us-east-1",
            "DescribeStacks solo CREATE_COMPLETE",
            "DetectStackDrift solo",
            "DescribeStackDriftDetectionStatus drift-solo in-progress",
            "DescribeStackDriftDetectionStatus drift-solo complete",
            "DescribeStackResourceDrifts solo MODIFIED,DELETED",
        ]
    );
    let d = events.iter().find_map(|e| match e {
        Event::Drift(d) => Some(d.clone()),
        _ => None,
    });
    let d = d.expect("a drift event");
    assert_eq!(d.status, "DRIFTED");
    assert_eq!(d.resources[0].differences[0].path, "/VisibilityTimeout");
    assert!(out.contains("solo: DRIFTED"), "{out}");
    assert!(
        out.contains("[MODIFIED] AWS::SQS::Queue Queue (https://sqs/queue)"),
        "{out}"
    );
    assert!(
        out.contains("NOT_EQUAL /VisibilityTimeout: expected 30 actual 120"),
        "{out}"
    );
}
