//! Exact API sequences with `aws-smithy-mocks`: every rule is consumed in order
//! (`RuleMode::Sequential` panics on a call out of order, and on a call with no rule left),
//! and each test checks that every rule was used.

use std::time::Duration;

use aws_sdk_cloudformation::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_cloudformation::error::ErrorMetadata;
use aws_sdk_cloudformation::operation::create_change_set::CreateChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_change_set::DeleteChangeSetOutput;
use aws_sdk_cloudformation::operation::delete_stack::DeleteStackOutput;
use aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput;
use aws_sdk_cloudformation::operation::describe_stack_events::{
    DescribeStackEventsError, DescribeStackEventsOutput,
};
use aws_sdk_cloudformation::operation::describe_stacks::{
    DescribeStacksError, DescribeStacksOutput,
};
use aws_sdk_cloudformation::operation::execute_change_set::ExecuteChangeSetOutput;
use aws_sdk_cloudformation::operation::get_stack_policy::GetStackPolicyOutput;
use aws_sdk_cloudformation::operation::get_template::GetTemplateOutput;
use aws_sdk_cloudformation::types::{
    Change, ChangeAction, ChangeSetStatus, ChangeSetType, ExecutionStatus, Output, ResourceChange,
    ResourceStatus, Stack, StackEvent, StackStatus,
};
use aws_sdk_cloudformation::Client as Cfn;
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
use aws_sdk_sts::Client as Sts;
use aws_smithy_mocks::{create_mock_http_client, mock, MockResponseInterceptor, Rule, RuleMode};
use aws_smithy_types::DateTime;
use stackforge::assembly::CloudAssembly;
use stackforge::cli::online::{exit_code, CliObserver};
use stackforge::cli::{exit, Mode, Printer};
use stackforge::deploy::{
    Clients, DeployError, Engine, Event, Observer, Options, Outcome, Question, StackReport,
};
use stackforge::{App, Raw};
use stackforge_deploy_tests::{large, lit, small, tempdir, two_stacks};

const STACK_ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/tiny/1";
const CS_ID: &str = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/cs/1";

fn interceptor(rules: &[Rule]) -> MockResponseInterceptor {
    rules.iter().fold(
        MockResponseInterceptor::new().rule_mode(RuleMode::Sequential),
        |i, r| i.with_rule(r),
    )
}

fn clients_with(cfn_rules: &[Rule], ecr_rules: Option<&[Rule]>) -> (Clients, Rule) {
    let identity = mock!(Sts::get_caller_identity).then_output(|| {
        GetCallerIdentityOutput::builder()
            .account("123456789012")
            .arn("arn:aws:iam::123456789012:user/test")
            .build()
    });
    let creds = Credentials::new("AKIDTEST", "not-a-secret", None, None, "test");
    let cfn = Cfn::from_conf(
        aws_sdk_cloudformation::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(creds.clone())
            .http_client(create_mock_http_client())
            .interceptor(interceptor(cfn_rules))
            .retry_config(aws_sdk_cloudformation::config::retry::RetryConfig::disabled())
            .build(),
    );
    let sts = Sts::from_conf(
        aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new("us-east-1"))
            .credentials_provider(creds)
            .http_client(create_mock_http_client())
            .interceptor(interceptor(std::slice::from_ref(&identity)))
            .build(),
    );
    (
        Clients {
            cfn,
            sts,
            s3: None,
            ecr: ecr_rules.map(|rules| {
                aws_sdk_ecr::Client::from_conf(
                    aws_sdk_ecr::Config::builder()
                        .behavior_version(aws_sdk_ecr::config::BehaviorVersion::latest())
                        .region(aws_sdk_ecr::config::Region::new("us-east-1"))
                        .credentials_provider(aws_sdk_ecr::config::Credentials::new(
                            "AKIDTEST",
                            "not-a-secret",
                            None,
                            None,
                            "test",
                        ))
                        .http_client(create_mock_http_client())
                        .interceptor(interceptor(rules))
                        .build(),
                )
            }),
            region: "us-east-1".to_owned(),
            endpoint_url: None,
        },
        identity,
    )
}

fn settings(name: &str) -> Options {
    Options {
        outputs_dir: Some(tempdir(name)),
        ..Options::immediate()
    }
}

/// Renders events as the CLI does (into `text`) and keeps them typed (`events`).
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

/// Deploys `app` against the mocked rules; returns the result and everything printed.
fn deploy(
    app: App,
    rules: &[Rule],
    settings: Options,
) -> (Result<Vec<StackReport>, DeployError>, String) {
    run(app, rules, None, settings, false)
}

/// Runs deploy (or destroy) against the mocked rules (and ECR rules, if given).
fn run(
    app: App,
    rules: &[Rule],
    ecr_rules: Option<&[Rule]>,
    settings: Options,
    destroy: bool,
) -> (Result<Vec<StackReport>, DeployError>, String) {
    run_selected(app, rules, ecr_rules, settings, destroy, &[])
}

fn run_selected(
    app: App,
    rules: &[Rule],
    ecr_rules: Option<&[Rule]>,
    settings: Options,
    destroy: bool,
    selected: &[String],
) -> (Result<Vec<StackReport>, DeployError>, String) {
    let (r, out, _) = run_engine(app, rules, ecr_rules, settings, destroy, selected);
    (r, out)
}

/// Runs deploy (or destroy) against the mocked rules; returns the result, the text the CLI
/// prints, and the typed events. Checks that GetCallerIdentity came first and every rule
/// was used.
fn run_engine(
    app: App,
    rules: &[Rule],
    ecr_rules: Option<&[Rule]>,
    settings: Options,
    destroy: bool,
    selected: &[String],
) -> (Result<Vec<StackReport>, DeployError>, String, Vec<Event>) {
    let assembly = CloudAssembly::from_synth(&app.synth().expect("the test app synthesizes"));
    let (clients, identity) = clients_with(rules, ecr_rules);
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
            let mut engine = Engine::new(clients, settings, &mut both);
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("runtime");
            if destroy {
                rt.block_on(engine.destroy(&assembly, selected))
            } else {
                rt.block_on(engine.deploy(&assembly, selected))
            }
        };
        (result, both.events)
    };
    assert_eq!(
        identity.num_calls(),
        1,
        "GetCallerIdentity comes first, once"
    );
    for (i, r) in rules
        .iter()
        .chain(ecr_rules.unwrap_or_default())
        .enumerate()
    {
        assert!(r.num_calls() > 0, "rule #{i} was never used");
    }
    (result, String::from_utf8(out).expect("utf-8"), events)
}

fn meta(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

fn not_found() -> Rule {
    mock!(Cfn::describe_stacks).then_error(|| {
        DescribeStacksError::generic(meta("ValidationError", "Stack with id tiny does not exist"))
    })
}

fn stack(status: StackStatus) -> Stack {
    Stack::builder()
        .stack_name("tiny")
        .stack_id(STACK_ID)
        .creation_time(DateTime::from_secs(0))
        .stack_status(status)
        .build()
}

fn stack_is(status: StackStatus) -> Rule {
    mock!(Cfn::describe_stacks).then_output(move || {
        DescribeStacksOutput::builder()
            .stacks(stack(status.clone()))
            .build()
    })
}

fn stack_done_with_outputs(status: StackStatus) -> Rule {
    mock!(Cfn::describe_stacks).then_output(move || {
        let mut s = stack(status.clone());
        s.outputs = Some(vec![Output::builder()
            .output_key("QueueUrl")
            .output_value("https://sqs.us-east-1.amazonaws.com/123456789012/tiny-Queue")
            .build()]);
        DescribeStacksOutput::builder().stacks(s).build()
    })
}

fn create_change_set(kind: ChangeSetType) -> Rule {
    mock!(Cfn::create_change_set)
        .match_requests(move |r| {
            r.change_set_type() == Some(&kind)
                && r.template_body().is_some_and(|b| !b.contains('\n'))
        })
        .then_output(|| {
            CreateChangeSetOutput::builder()
                .id(CS_ID)
                .stack_id(STACK_ID)
                .build()
        })
}

fn change(action: ChangeAction, id: &str, ty: &str) -> Change {
    Change::builder()
        .resource_change(
            ResourceChange::builder()
                .action(action)
                .logical_resource_id(id)
                .resource_type(ty)
                .build(),
        )
        .build()
}

fn change_set_ready(changes: Vec<Change>) -> Rule {
    mock!(Cfn::describe_change_set).then_output(move || {
        DescribeChangeSetOutput::builder()
            .status(ChangeSetStatus::CreateComplete)
            .execution_status(ExecutionStatus::Available)
            .set_changes(Some(changes.clone()))
            .build()
    })
}

fn event(
    id: &str,
    logical: &str,
    ty: &str,
    status: ResourceStatus,
    reason: Option<&str>,
) -> StackEvent {
    StackEvent::builder()
        .stack_id(STACK_ID)
        .stack_name("tiny")
        .event_id(id)
        .logical_resource_id(logical)
        .resource_type(ty)
        .resource_status(status)
        .set_resource_status_reason(reason.map(str::to_owned))
        .timestamp(DateTime::from_secs(1))
        .build()
}

/// Events newest first, as CloudFormation returns them.
fn events(list: Vec<StackEvent>) -> Rule {
    mock!(Cfn::describe_stack_events).then_output(move || {
        DescribeStackEventsOutput::builder()
            .set_stack_events(Some(list.clone()))
            .build()
    })
}

fn review_event() -> StackEvent {
    event(
        "e0",
        "tiny",
        "AWS::CloudFormation::Stack",
        ResourceStatus::from("REVIEW_IN_PROGRESS"),
        None,
    )
}

fn execute() -> Rule {
    mock!(Cfn::execute_change_set)
        .match_requests(|r| r.change_set_name() == Some(CS_ID))
        .then_output(|| ExecuteChangeSetOutput::builder().build())
}

fn delete_change_set() -> Rule {
    mock!(Cfn::delete_change_set).then_output(|| DeleteChangeSetOutput::builder().build())
}

fn no_stack_policy() -> Rule {
    mock!(Cfn::get_stack_policy).then_output(|| GetStackPolicyOutput::builder().build())
}

fn deployed_template() -> Rule {
    let body = small("tiny").synth().expect("synth").stacks[0]
        .template
        .to_string();
    mock!(Cfn::get_template).then_output(move || {
        GetTemplateOutput::builder()
            .template_body(body.clone())
            .build()
    })
}

/// `small("tiny")` with one more resource, so there is something to update.
fn small_plus_one() -> App {
    let app = App::new();
    let mut s = app.stack("tiny");
    let q = s.add_raw("Queue", Raw::new("AWS::SQS::Queue"));
    s.add_raw("Topic", Raw::new("AWS::SNS::Topic"));
    s.add_raw("Extra", Raw::new("AWS::SQS::Queue"));
    s.output("QueueUrl", stackforge::Output::new(q.reference()));
    app
}

#[test]
fn create_ok_streams_each_event_once_and_writes_outputs() {
    let topic = "AWS::SNS::Topic";
    let rules = [
        not_found(),
        create_change_set(ChangeSetType::Create),
        change_set_ready(vec![
            change(ChangeAction::Add, "Queue", "AWS::SQS::Queue"),
            change(ChangeAction::Add, "Topic", topic),
        ]),
        events(vec![review_event()]),
        execute(),
        events(vec![
            event("e1", "Topic", topic, ResourceStatus::CreateInProgress, None),
            review_event(),
        ]),
        stack_is(StackStatus::CreateInProgress),
        events(vec![
            event(
                "e3",
                "tiny",
                "AWS::CloudFormation::Stack",
                ResourceStatus::CreateComplete,
                None,
            ),
            event("e2", "Topic", topic, ResourceStatus::CreateComplete, None),
            event("e1", "Topic", topic, ResourceStatus::CreateInProgress, None),
            review_event(),
        ]),
        stack_done_with_outputs(StackStatus::CreateComplete),
    ];
    let s = settings("mock-create");
    let out_dir = s.outputs_dir.clone().expect("an outputs dir");
    let (r, out) = deploy(small("tiny"), &rules, s);
    let reports = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(reports[0].outcome, Outcome::Created);
    assert!(
        out.starts_with("account 123456789012 region us-east-1"),
        "{out}"
    );
    assert!(out.contains("[+] Add     AWS::SNS::Topic Topic"), "{out}");
    assert_eq!(
        out.matches("Topic  AWS::SNS::Topic  CREATE_IN_PROGRESS")
            .count(),
        1,
        "{out}"
    );
    assert_eq!(
        out.matches("Topic  AWS::SNS::Topic  CREATE_COMPLETE")
            .count(),
        1,
        "{out}"
    );
    assert!(
        !out.contains("REVIEW_IN_PROGRESS"),
        "events from before the deploy are not printed: {out}"
    );
    assert!(out.contains("tiny.QueueUrl = https://sqs"), "{out}");
    let outputs: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("outputs.json")).expect("outputs.json"),
    )
    .expect("JSON");
    assert_eq!(
        outputs["tiny"]["QueueUrl"],
        "https://sqs.us-east-1.amazonaws.com/123456789012/tiny-Queue"
    );
}

#[test]
fn update_ok_uses_an_update_change_set() {
    let rules = [
        stack_is(StackStatus::CreateComplete),
        deployed_template(),
        no_stack_policy(),
        create_change_set(ChangeSetType::Update),
        change_set_ready(vec![change(ChangeAction::Add, "Extra", "AWS::SQS::Queue")]),
        events(vec![review_event()]),
        execute(),
        events(vec![
            event(
                "e2",
                "tiny",
                "AWS::CloudFormation::Stack",
                ResourceStatus::UpdateComplete,
                None,
            ),
            event(
                "e1",
                "Extra",
                "AWS::SQS::Queue",
                ResourceStatus::CreateComplete,
                None,
            ),
            review_event(),
        ]),
        stack_done_with_outputs(StackStatus::UpdateComplete),
    ];
    let (r, out) = deploy(small_plus_one(), &rules, settings("mock-update"));
    let reports = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(reports[0].outcome, Outcome::Updated);
    assert!(
        out.contains("(UPDATE)") && out.contains("tiny: UPDATE_COMPLETE"),
        "{out}"
    );
}

#[test]
fn no_changes_failed_form_is_success_and_deletes_the_change_set() {
    let rules = [
        stack_is(StackStatus::UpdateComplete),
        deployed_template(),
        no_stack_policy(),
        create_change_set(ChangeSetType::Update),
        mock!(Cfn::describe_change_set).then_output(|| {
            DescribeChangeSetOutput::builder()
                .status(ChangeSetStatus::Failed)
                .execution_status(ExecutionStatus::Unavailable)
                .status_reason("The submitted information didn't contain changes. Submit different information to create a change set.")
                .build()
        }),
        delete_change_set(),
        stack_done_with_outputs(StackStatus::UpdateComplete),
    ];
    let (r, out) = deploy(small("tiny"), &rules, settings("mock-nochange-failed"));
    let reports = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(reports[0].outcome, Outcome::NoChanges);
    assert!(out.contains("tiny: no changes"), "{out}");
}

#[test]
fn no_changes_available_form_with_zero_changes_is_success_and_deletes_the_change_set() {
    let rules = [
        stack_is(StackStatus::UpdateComplete),
        deployed_template(),
        no_stack_policy(),
        create_change_set(ChangeSetType::Update),
        change_set_ready(vec![]),
        delete_change_set(),
        stack_done_with_outputs(StackStatus::UpdateComplete),
    ];
    let (r, out) = deploy(small("tiny"), &rules, settings("mock-nochange-empty"));
    let reports = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(reports[0].outcome, Outcome::NoChanges);
}

#[test]
fn failed_create_shows_the_first_failure_and_the_rollback_outcome() {
    let reason = "Resource handler returned message: \"Invalid parameter: TopicName\"";
    let topic = "AWS::SNS::Topic";
    let rules = [
        not_found(),
        create_change_set(ChangeSetType::Create),
        change_set_ready(vec![change(ChangeAction::Add, "Topic", topic)]),
        events(vec![review_event()]),
        execute(),
        events(vec![
            event(
                "e5",
                "tiny",
                "AWS::CloudFormation::Stack",
                ResourceStatus::RollbackComplete,
                None,
            ),
            event(
                "e4",
                "Queue",
                "AWS::SQS::Queue",
                ResourceStatus::DeleteComplete,
                None,
            ),
            event(
                "e3",
                "Queue",
                "AWS::SQS::Queue",
                ResourceStatus::CreateFailed,
                Some("Resource creation cancelled"),
            ),
            event(
                "e2",
                "tiny",
                "AWS::CloudFormation::Stack",
                ResourceStatus::RollbackInProgress,
                Some("The following resource(s) failed to create: [Topic, Queue]."),
            ),
            event(
                "e1",
                "Topic",
                topic,
                ResourceStatus::CreateFailed,
                Some(reason),
            ),
            review_event(),
        ]),
        stack_is(StackStatus::RollbackComplete),
    ];
    let (r, out) = deploy(small("tiny"), &rules, settings("mock-failed"));
    let e = r.expect_err("the create failed");
    assert_eq!(exit_code(&e), exit::DEPLOY_FAILED);
    match &e {
        DeployError::Failed {
            status,
            first_failure,
            ..
        } => {
            assert_eq!(status, "ROLLBACK_COMPLETE");
            assert_eq!(
                first_failure.as_deref(),
                Some(format!("Topic (AWS::SNS::Topic): {reason}").as_str())
            );
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    assert!(
        out.contains("first failure: Topic (AWS::SNS::Topic)"),
        "{out}"
    );
    assert!(out.contains("rollback outcome: ROLLBACK_COMPLETE"), "{out}");
}

#[test]
fn timeout_stops_waiting_with_a_named_error() {
    let rules = [
        not_found(),
        create_change_set(ChangeSetType::Create),
        change_set_ready(vec![change(ChangeAction::Add, "Topic", "AWS::SNS::Topic")]),
        events(vec![review_event()]),
        execute(),
        events(vec![review_event()]),
        stack_is(StackStatus::CreateInProgress),
    ];
    let s = Options {
        timeout: Duration::ZERO,
        ..settings("mock-timeout")
    };
    let (r, out) = deploy(small("tiny"), &rules, s);
    let e = r.expect_err("timed out");
    assert!(
        matches!(&e, DeployError::Timeout { status, .. } if status == "CREATE_IN_PROGRESS"),
        "{e:?}\n{out}"
    );
    assert_eq!(exit_code(&e), exit::TIMEOUT);
    assert!(e.to_string().contains("--timeout"), "{e}");
}

#[test]
fn throttled_calls_back_off_and_retry() {
    let rules = [
        not_found(),
        create_change_set(ChangeSetType::Create),
        change_set_ready(vec![change(ChangeAction::Add, "Topic", "AWS::SNS::Topic")]),
        events(vec![review_event()]),
        execute(),
        mock!(Cfn::describe_stack_events)
            .sequence()
            .error(|| DescribeStackEventsError::generic(meta("Throttling", "Rate exceeded")))
            .times(2)
            .output(|| {
                DescribeStackEventsOutput::builder()
                    .stack_events(event(
                        "e1",
                        "tiny",
                        "AWS::CloudFormation::Stack",
                        ResourceStatus::CreateComplete,
                        None,
                    ))
                    .build()
            })
            .build(),
        stack_done_with_outputs(StackStatus::CreateComplete),
    ];
    let (r, out) = deploy(small("tiny"), &rules, settings("mock-throttle"));
    r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(
        rules[5].num_calls(),
        3,
        "two throttled calls, then the answer"
    );
    assert_eq!(
        out.matches("throttled on DescribeStackEvents (Throttling)")
            .count(),
        2,
        "{out}"
    );
}

#[test]
fn broadening_change_without_a_terminal_is_refused_and_cleaned_up() {
    // A new IAM role is a broadening change: approval is needed, and without a terminal or
    // --yes deploy refuses, deletes its change set and the empty REVIEW_IN_PROGRESS stack.
    let app = App::new();
    app.stack("tiny").add_raw(
        "Role",
        Raw::new("AWS::IAM::Role").prop(
            "AssumeRolePolicyDocument",
            lit(serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})),
        ),
    );
    let rules = [
        not_found(),
        mock!(Cfn::create_change_set)
            .match_requests(|r| {
                r.capabilities()
                    .iter()
                    .any(|c| c.as_str() == "CAPABILITY_IAM")
            })
            .then_output(|| {
                CreateChangeSetOutput::builder()
                    .id(CS_ID)
                    .stack_id(STACK_ID)
                    .build()
            }),
        change_set_ready(vec![change(ChangeAction::Add, "Role", "AWS::IAM::Role")]),
        delete_change_set(),
        stack_is(StackStatus::ReviewInProgress),
        mock!(Cfn::delete_stack).then_output(|| DeleteStackOutput::builder().build()),
    ];
    let (r, out) = deploy(app, &rules, settings("mock-refused"));
    let e = r.expect_err("refused");
    assert_eq!(exit_code(&e), exit::APPROVAL_REFUSED);
    let msg = e.to_string();
    assert!(
        msg.contains("no terminal") && msg.contains("--yes"),
        "{msg}"
    );
    assert!(
        out.contains("[broadening] new IAM trust statement on Role"),
        "{out}"
    );
}

#[test]
fn template_over_the_inline_limit_without_a_bucket_names_the_limit_and_the_flag() {
    let app = large("tiny");
    let bytes = app.synth().expect("synth").stacks[0].minified_bytes;
    assert!(
        bytes > 51_200,
        "the test template must be over the limit: {bytes}"
    );
    let (r, _) = deploy(app, &[not_found()], settings("mock-large"));
    let e = r.expect_err("too large");
    assert!(
        matches!(e, DeployError::TemplateTooLarge { limit: 51_200, .. }),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("51200") && msg.contains("--bucket"), "{msg}");
}

fn yes(name: &str) -> Options {
    Options {
        yes: true,
        ..settings(name)
    }
}

#[test]
fn rollback_complete_stack_is_deleted_after_confirmation_then_created() {
    let rules = [
        stack_is(StackStatus::RollbackComplete),
        mock!(Cfn::delete_stack)
            .match_requests(|r| r.stack_name() == Some("tiny"))
            .then_output(|| DeleteStackOutput::builder().build()),
        events(vec![event(
            "e1",
            "tiny",
            "AWS::CloudFormation::Stack",
            ResourceStatus::RollbackComplete,
            None,
        )]),
        events(vec![
            event(
                "e2",
                "tiny",
                "AWS::CloudFormation::Stack",
                ResourceStatus::DeleteComplete,
                None,
            ),
            event(
                "e1",
                "tiny",
                "AWS::CloudFormation::Stack",
                ResourceStatus::RollbackComplete,
                None,
            ),
        ]),
        stack_is(StackStatus::DeleteComplete),
        create_change_set(ChangeSetType::Create),
        change_set_ready(vec![change(ChangeAction::Add, "Topic", "AWS::SNS::Topic")]),
        events(vec![review_event()]),
        execute(),
        events(vec![event(
            "e3",
            "tiny",
            "AWS::CloudFormation::Stack",
            ResourceStatus::CreateComplete,
            None,
        )]),
        stack_done_with_outputs(StackStatus::CreateComplete),
    ];
    let (r, out) = deploy(small("tiny"), &rules, yes("mock-rollback-complete"));
    let reports = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(reports[0].outcome, Outcome::Created);
    assert!(
        out.contains("tiny: ROLLBACK_COMPLETE: its first create failed"),
        "{out}"
    );
    assert!(
        out.contains("tiny: deleted the ROLLBACK_COMPLETE stack"),
        "{out}"
    );
}

#[test]
fn rollback_complete_without_confirmation_is_refused_and_nothing_is_deleted() {
    let (r, _) = deploy(
        small("tiny"),
        &[stack_is(StackStatus::RollbackComplete)],
        settings("mock-rollback-refused"),
    );
    let e = r.expect_err("refused");
    assert_eq!(exit_code(&e), exit::APPROVAL_REFUSED);
    assert!(e.to_string().contains("ROLLBACK_COMPLETE"), "{e}");
}

#[test]
fn update_rollback_failed_offers_continue_update_rollback() {
    let (r, out) = deploy(
        small("tiny"),
        &[stack_is(StackStatus::UpdateRollbackFailed)],
        settings("mock-urf"),
    );
    let e = r.expect_err("needs confirmation");
    assert_eq!(exit_code(&e), exit::APPROVAL_REFUSED);
    assert!(e.to_string().contains("ContinueUpdateRollback"), "{e}");
    assert!(out.contains("UPDATE_ROLLBACK_FAILED"), "{out}");
}

#[test]
fn dropping_an_export_that_is_still_imported_is_refused_with_both_stack_names() {
    let rules = [
        mock!(Cfn::describe_stacks).then_output(|| {
            let mut s = stack(StackStatus::UpdateComplete);
            s.outputs = Some(vec![Output::builder()
                .output_key("QueueArn")
                .output_value("arn:aws:sqs:us-east-1:123456789012:q")
                .export_name("tiny:QueueArn")
                .build()]);
            DescribeStacksOutput::builder().stacks(s).build()
        }),
        mock!(Cfn::list_imports)
            .match_requests(|r| r.export_name() == Some("tiny:QueueArn"))
            .then_output(|| {
                aws_sdk_cloudformation::operation::list_imports::ListImportsOutput::builder()
                    .imports("billing")
                    .build()
            }),
    ];
    let (r, _) = deploy(small("tiny"), &rules, yes("mock-export"));
    let e = r.expect_err("refused");
    assert!(
        matches!(&e, DeployError::ExportInUse { stack, export, importers } if stack == "tiny" && export == "tiny:QueueArn" && importers == &["billing".to_owned()]),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("`billing`") && msg.contains("export_value"),
        "{msg}"
    );
}

#[test]
fn destroy_stops_on_database_deletion_protection_with_the_exact_steps() {
    let app = App::new();
    let mut s = app.stack("tiny");
    let db = s.add_raw(
        "Db",
        Raw::new("AWS::RDS::DBInstance")
            .prop("DeletionProtection", lit(true.into()))
            .prop("Engine", lit("postgres".into())),
    );
    s.set_deletion_policy(db, stackforge::Policy::Snapshot);
    let body = app.synth().expect("synth").stacks[0].template.to_string();
    let rules = [
        stack_is(StackStatus::CreateComplete),
        mock!(Cfn::get_template).then_output(move || GetTemplateOutput::builder().template_body(body.clone()).build()),
        mock!(Cfn::describe_stack_resources).then_output(|| {
            aws_sdk_cloudformation::operation::describe_stack_resources::DescribeStackResourcesOutput::builder()
                .stack_resources(
                    aws_sdk_cloudformation::types::StackResource::builder()
                        .logical_resource_id("Db")
                        .physical_resource_id("tiny-db-abc123")
                        .resource_type("AWS::RDS::DBInstance")
                        .timestamp(DateTime::from_secs(0))
                        .resource_status(ResourceStatus::CreateComplete)
                        .build(),
                )
                .build()
        }),
    ];
    let (r, out) = run(app, &rules, None, yes("mock-destroy"), true);
    let e = r.expect_err("blocked");
    assert_eq!(exit_code(&e), exit::DEPLOY_FAILED);
    let msg = e.to_string();
    assert!(msg.contains("aws rds modify-db-instance --db-instance-identifier tiny-db-abc123 --no-deletion-protection"), "{msg}");
    assert!(msg.contains("deploy once"), "{msg}");
    assert!(
        out.contains("Db (AWS::RDS::DBInstance) is snapshotted before deletion"),
        "{out}"
    );
}

#[test]
fn a_missing_image_stops_the_deploy_before_any_change() {
    let app = small("tiny");
    app.stack("tiny")
        .require(stackforge::Requirement::ImageExists {
            repository: "web".to_owned(),
            tag: "v1".to_owned(),
            producer: None,
        });
    let ecr = [mock!(aws_sdk_ecr::Client::describe_images)
        .match_requests(|r| r.repository_name() == Some("web"))
        .then_error(|| {
            aws_sdk_ecr::operation::describe_images::DescribeImagesError::ImageNotFoundException(
                aws_sdk_ecr::types::error::ImageNotFoundException::builder()
                    .message("The image with imageId {imageTag:'v1'} does not exist")
                    .meta(meta("ImageNotFoundException", "not found"))
                    .build(),
            )
        })];
    let (r, _) = run(app, &[not_found()], Some(&ecr), yes("mock-image"), false);
    let e = r.expect_err("unmet");
    assert_eq!(exit_code(&e), exit::REQUIREMENT_UNMET);
    let msg = e.to_string();
    assert!(msg.contains("docker push"), "{msg}");
    // After the push commands, the command that deploys the stopped stack.
    assert!(msg.trim_end().ends_with("deploy --stack tiny"), "{msg}");
}

#[test]
fn replacing_a_database_is_called_out_and_needs_approval() {
    let app = App::new();
    app.stack("tiny").add_raw(
        "Db",
        Raw::new("AWS::RDS::DBInstance")
            .prop("Engine", lit("postgres".into()))
            .prop("DBName", lit("app2".into())),
    );
    let old = App::new();
    old.stack("tiny").add_raw(
        "Db",
        Raw::new("AWS::RDS::DBInstance")
            .prop("Engine", lit("postgres".into()))
            .prop("DBName", lit("app".into())),
    );
    let body = old.synth().expect("synth").stacks[0].template.to_string();
    let rules = [
        stack_is(StackStatus::UpdateComplete),
        mock!(Cfn::get_template).then_output(move || {
            GetTemplateOutput::builder()
                .template_body(body.clone())
                .build()
        }),
        no_stack_policy(),
        create_change_set(ChangeSetType::Update),
        mock!(Cfn::describe_change_set).then_output(|| {
            DescribeChangeSetOutput::builder()
                .status(ChangeSetStatus::CreateComplete)
                .execution_status(ExecutionStatus::Available)
                .changes(
                    Change::builder()
                        .resource_change(
                            ResourceChange::builder()
                                .action(ChangeAction::Modify)
                                .logical_resource_id("Db")
                                .resource_type("AWS::RDS::DBInstance")
                                .replacement(aws_sdk_cloudformation::types::Replacement::True)
                                .build(),
                        )
                        .build(),
                )
                .build()
        }),
        delete_change_set(),
    ];
    let (r, out) = deploy(app, &rules, settings("mock-replace-db"));
    let e = r.expect_err("needs approval");
    assert_eq!(exit_code(&e), exit::APPROVAL_REFUSED);
    assert!(
        out.contains("[!] Modify  AWS::RDS::DBInstance Db  Replacement: True"),
        "{out}"
    );
    assert!(
        out.contains("!!! STATEFUL RESOURCE REPLACED: Db (AWS::RDS::DBInstance)"),
        "{out}"
    );
    assert!(
        e.to_string()
            .contains("stateful resource(s) replaced or deleted: Db"),
        "{e}"
    );
}

#[test]
fn deploying_one_stack_requires_its_dependencies_to_be_deployed() {
    let rules = [mock!(Cfn::describe_stacks)
        .match_requests(|r| r.stack_name() == Some("producer"))
        .then_error(|| {
            DescribeStacksError::generic(meta(
                "ValidationError",
                "Stack with id producer does not exist",
            ))
        })];
    let (r, _) = run_selected(
        two_stacks(true),
        &rules,
        None,
        yes("mock-deps"),
        false,
        &["consumer".to_owned()],
    );
    let e = r.expect_err("producer missing");
    let msg = e.to_string();
    assert!(
        msg.contains("`producer` is not deployed") && msg.contains("`consumer` depends on it"),
        "{msg}"
    );
}

/// Runs an online diff against the mocked rules; returns the diffs.
fn diff(app: App, rules: &[Rule]) -> Vec<stackforge::diff::StackDiff> {
    let assembly = CloudAssembly::from_synth(&app.synth().expect("synthesizes"));
    let (clients, _identity) = clients_with(rules, None);
    let mut rec = stackforge::deploy::Recorder::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let d = rt
        .block_on(Engine::new(clients, Options::immediate(), &mut rec).diff(&assembly, &[]))
        .unwrap_or_else(|e| panic!("{e}"));
    for (i, r) in rules.iter().enumerate() {
        assert!(r.num_calls() > 0, "rule #{i} was never used");
    }
    assert!(
        matches!(rec.events[0], Event::Identity(_)),
        "{:?}",
        rec.events
    );
    d
}

/// GetTemplate returns the text a stack was created with: a YAML template with short forms
/// is read as the JSON it means, so it diffs as unchanged (it used to become `null`, and
/// every resource diffed as added).
#[test]
fn a_deployed_yaml_template_with_short_forms_diffs_as_unchanged() {
    let t = small("tiny").synth().expect("synth").stacks[0]
        .template
        .clone();
    let yaml = format!(
        "AWSTemplateFormatVersion: '2010-09-09'\nDescription: {}\nResources:\n  Queue:\n    Type: AWS::SQS::Queue\n  Topic:\n    Type: AWS::SNS::Topic\nOutputs:\n  QueueUrl:\n    Value: !Ref Queue\n",
        serde_json::to_string(&t["Description"]).expect("a string")
    );
    let rules = [
        stack_is(StackStatus::CreateComplete),
        mock!(Cfn::get_template).then_output(move || {
            GetTemplateOutput::builder()
                .template_body(yaml.clone())
                .build()
        }),
        no_stack_policy(),
    ];
    let d = diff(small("tiny"), &rules);
    assert!(d[0].existed);
    assert!(d[0].diff.is_empty(), "{:?}", d[0].diff);
    // The same YAML with one more resource is one addition, not three.
    let rules = [
        stack_is(StackStatus::CreateComplete),
        mock!(Cfn::get_template).then_output(|| {
            GetTemplateOutput::builder()
                .template_body("Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n")
                .build()
        }),
        no_stack_policy(),
    ];
    let d = diff(small("tiny"), &rules);
    assert_eq!(d[0].diff.resources.len(), 1, "{:?}", d[0].diff);
    assert_eq!(d[0].diff.resources[0].logical_id, "Queue");
}

/// Termination protection and a stack policy set in code are applied, and shown in the
/// review, even when the template did not change.
#[test]
fn stack_settings_are_applied_when_only_they_change() {
    let app = || {
        let app = small("tiny");
        let mut s = app.stack("tiny");
        s.set_termination_protection(true);
        s.set_stack_policy(stackforge::assembly::StackPolicy::ProtectStateful);
        app
    };
    let rules = [
        stack_is(StackStatus::UpdateComplete),
        deployed_template(),
        no_stack_policy(),
        create_change_set(ChangeSetType::Update),
        mock!(Cfn::describe_change_set).then_output(|| {
            DescribeChangeSetOutput::builder()
                .status(ChangeSetStatus::Failed)
                .status_reason("The submitted information didn't contain changes. Submit different information to create a change set.")
                .build()
        }),
        delete_change_set(),
        mock!(Cfn::update_termination_protection)
            .match_requests(|r| r.enable_termination_protection() == Some(true))
            .then_output(|| aws_sdk_cloudformation::operation::update_termination_protection::UpdateTerminationProtectionOutput::builder().build()),
        mock!(Cfn::set_stack_policy)
            .match_requests(|r| {
                r.stack_policy_body()
                    .is_some_and(|b| b.contains("Update:Replace") && b.contains("LogicalResourceId/Queue"))
            })
            .then_output(|| aws_sdk_cloudformation::operation::set_stack_policy::SetStackPolicyOutput::builder().build()),
        stack_done_with_outputs(StackStatus::UpdateComplete),
    ];
    let (r, out, events) = run_engine(app(), &rules, None, yes("mock-settings"), false, &[]);
    let reports = r.unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(reports[0].outcome, Outcome::Updated);
    let review = events.iter().find_map(|e| match e {
        Event::Review(r) => Some(r),
        _ => None,
    });
    let settings: Vec<_> = review
        .expect("a review of the setting changes")
        .settings
        .iter()
        .map(|s| s.setting)
        .collect();
    assert_eq!(
        settings,
        [
            stackforge::diff::Setting::TerminationProtection,
            stackforge::diff::Setting::StackPolicy
        ]
    );
    assert!(out.contains("tiny: set termination_protection"), "{out}");
    assert!(out.contains("tiny: set stack_policy"), "{out}");
}

/// The typed stream of a create: identity, change set, review with typed changes, the
/// execution, resource events, and the report, in that order.
#[test]
fn a_create_emits_typed_events_in_order() {
    let rules = [
        not_found(),
        create_change_set(ChangeSetType::Create),
        change_set_ready(vec![change(ChangeAction::Add, "Topic", "AWS::SNS::Topic")]),
        events(vec![review_event()]),
        execute(),
        events(vec![
            event(
                "e1",
                "Topic",
                "AWS::SNS::Topic",
                ResourceStatus::CreateComplete,
                None,
            ),
            review_event(),
        ]),
        stack_done_with_outputs(StackStatus::CreateComplete),
    ];
    let (r, _, events) = run_engine(
        small("tiny"),
        &rules,
        None,
        settings("mock-typed"),
        false,
        &[],
    );
    r.expect("created");
    let kinds: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::Identity(_) => Some("identity"),
            Event::ChangeSetCreated { .. } => Some("change-set"),
            Event::Review(_) => Some("review"),
            Event::Started { .. } => Some("started"),
            Event::Resource { .. } => Some("resource"),
            Event::Finished(_) => Some("finished"),
            _ => None,
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "identity",
            "change-set",
            "review",
            "started",
            "resource",
            "finished"
        ]
    );
    let Some(Event::Review(review)) = events.iter().find(|e| matches!(e, Event::Review(_))) else {
        panic!("no review");
    };
    assert_eq!(review.changes[0].action, ChangeAction::Add);
    assert_eq!(
        review.changes[0].replacement,
        stackforge::deploy::Replacement::Never
    );
    assert!(review.approval.is_none());
}

/// The bootstrap stack is made of stackforge's typed resources; its template goes to the
/// cfn-lint pass of `scripts/test` (0 errors, 0 warnings).
#[test]
fn the_bootstrap_template_is_linted() {
    let a = stackforge::deploy::bootstrap_app()
        .synth()
        .expect("synthesizes");
    assert!(a.warnings.is_empty(), "{:?}", a.warnings);
    let t = &a.stacks[0].template;
    let bucket = &t["Resources"]["StagingBucket"]["Properties"];
    assert_eq!(bucket["VersioningConfiguration"]["Status"], "Enabled");
    assert_eq!(
        bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"],
        true
    );
    assert_eq!(
        bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
            ["ServerSideEncryptionByDefault"]["SSEAlgorithm"],
        "AES256"
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    a.write(&target.join("cfn-lint/deploy/bootstrap"))
        .expect("write for cfn-lint");
}

/// An online diff checks the stack's pinned account and region like deploy does (it used
/// to skip the check), before it reads anything of the stack.
#[test]
fn an_online_diff_refuses_a_stack_pinned_to_another_account() {
    let app = small("tiny");
    app.stack("tiny")
        .pin_environment("210987654321", "us-east-1");
    let assembly = CloudAssembly::from_synth(&app.synth().expect("synthesizes"));
    let (clients, identity) = clients_with(&[], None);
    let mut rec = stackforge::deploy::Recorder::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let e = rt
        .block_on(Engine::new(clients, Options::immediate(), &mut rec).diff(&assembly, &[]))
        .expect_err("pinned to another account");
    assert!(
        matches!(&e, DeployError::EnvironmentMismatch { what: "account", pinned, .. } if pinned == "210987654321"),
        "{e:?}"
    );
    assert_eq!(exit_code(&e), exit::INVALID);
    assert_eq!(identity.num_calls(), 1);
}
