//! EventBridge: [`Schedule`] (a rule on a [`ScheduleExpression`]) and [`EventRule`] (a rule
//! on an event pattern), each with targets that get exactly the permission or role they need:
//!
//! - a [`Function`]: an `AWS::Lambda::Permission` for `events.amazonaws.com` from this rule
//!   only (`SourceArn` = the rule's ARN);
//! - a [`Queue`]: a statement in the queue's own policy for `events.amazonaws.com` from this
//!   rule only ([`Queue::allow_service_send`]). Put the rule in the queue's stack: in another
//!   stack, the rule imports the queue's ARN and the queue's policy the rule's ARN, which is a
//!   stack cycle (`SF005`);
//! - an ECS task ([`EcsTaskTarget`]): a role (`<rule>EventsRole`) that may run that task
//!   definition on that cluster (`ecs:RunTask` with an `ecs:cluster` condition) and pass its
//!   two roles to ECS only.
//!
//! Schedule expressions are typed and checked at synth (`SF034`, the core's code): `rate(5 minutes)` (the
//! unit is singular for 1 and plural otherwise: `rate(5 minute)` is refused), and
//! `cron(…)` with EventBridge's six fields (minutes, hours, day of month, month, day of week,
//! year), their ranges, and the rule that one of day-of-month and day-of-week is `?`.
//!
//! Logical IDs (for id `Nightly`): `NightlyRule`; with an ECS target `NightlyEventsRole` and
//! its `NightlyEventsRoleDefaultPolicy`; per function target `<rule><function>Permission`
//! (`NightlyRedriveFunctionPermission`) at the root of the rule's stack.

use stackforge::cfn::{events, iam, lambda};
use stackforge::policy::PolicyDocument;
use stackforge::{Handle, Json, Scope, Val};

use crate::codes;
use crate::fargate::FargateTaskDefinition;
use crate::function::Function;
use crate::grants;
use crate::queue::Queue;
use crate::refs::{ClusterRef, Grantee, VpcRef};

/// The unit of a rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    /// Minutes.
    Minutes,
    /// Hours.
    Hours,
    /// Days.
    Days,
}

/// When a schedule fires.
#[derive(Clone, Debug, PartialEq)]
pub enum ScheduleExpression {
    /// Every `value` units: rendered `rate(1 minute)`, `rate(5 minutes)`.
    Rate {
        /// How many units (at least 1).
        value: u32,
        /// The unit.
        unit: TimeUnit,
    },
    /// A cron expression: the six fields inside `cron(…)`, e.g. `0 3 * * ? *`.
    Cron(String),
    /// An expression as EventBridge writes it (`rate(…)` or `cron(…)`), checked at synth.
    Text(String),
}

impl ScheduleExpression {
    /// Every `value` units.
    pub fn rate(value: u32, unit: TimeUnit) -> Self {
        ScheduleExpression::Rate { value, unit }
    }
    /// A cron expression of six fields (without `cron(` and `)`).
    pub fn cron(fields: impl Into<String>) -> Self {
        ScheduleExpression::Cron(fields.into())
    }
    /// An expression as written (`rate(5 minutes)`, `cron(0 3 * * ? *)`).
    pub fn parse(text: impl Into<String>) -> Self {
        ScheduleExpression::Text(text.into())
    }
    /// The expression EventBridge gets, or why it is not one.
    pub fn render(&self) -> Result<String, ScheduleExpressionError> {
        let text = match self {
            ScheduleExpression::Rate { value, unit } => {
                let unit = match (unit, *value == 1) {
                    (TimeUnit::Minutes, true) => "minute",
                    (TimeUnit::Minutes, false) => "minutes",
                    (TimeUnit::Hours, true) => "hour",
                    (TimeUnit::Hours, false) => "hours",
                    (TimeUnit::Days, true) => "day",
                    (TimeUnit::Days, false) => "days",
                };
                format!("rate({value} {unit})")
            }
            ScheduleExpression::Cron(fields) => format!("cron({})", fields.trim()),
            ScheduleExpression::Text(t) => t.trim().to_owned(),
        };
        check_schedule_expression(&text)?;
        Ok(text)
    }
}

/// Why a schedule expression is refused ([`check_schedule_expression`],
/// [`ScheduleExpression::render`]); its code is [`codes::INVALID_SCHEDULE`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleExpressionError {
    /// Neither `rate(…)` nor `cron(…)`.
    #[error("`{text}` is not `rate(<value> <unit>)` or `cron(<six fields>)`")]
    Form {
        /// The expression.
        text: String,
    },
    /// A `rate(…)` that is wrong: the reason names the value or the unit.
    #[error("{reason}")]
    Rate {
        /// The expression.
        text: String,
        /// What is wrong (it quotes the expression).
        reason: String,
    },
    /// A `cron(…)` that is wrong: the reason names the field.
    #[error("`{text}`: {reason}")]
    Cron {
        /// The expression.
        text: String,
        /// What is wrong.
        reason: String,
    },
}

impl ScheduleExpressionError {
    /// The code: [`codes::INVALID_SCHEDULE`].
    pub fn code(&self) -> stackforge::Code {
        codes::INVALID_SCHEDULE
    }
}

/// Checks an EventBridge schedule expression: `rate(N unit)` or `cron(six fields)`.
pub fn check_schedule_expression(text: &str) -> Result<(), ScheduleExpressionError> {
    if let Some(inner) = text.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        return check_rate(text, inner).map_err(|reason| ScheduleExpressionError::Rate {
            text: text.to_owned(),
            reason,
        });
    }
    if let Some(inner) = text.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        return check_cron(inner).map_err(|reason| ScheduleExpressionError::Cron {
            text: text.to_owned(),
            reason,
        });
    }
    Err(ScheduleExpressionError::Form {
        text: text.to_owned(),
    })
}

/// The message for a wrong `rate(…)` (`text` is the whole expression).
fn check_rate(text: &str, inner: &str) -> Result<(), String> {
    let mut parts = inner.split_whitespace();
    let (Some(n), Some(unit), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!("`{text}` is not `rate(<value> <unit>)`"));
    };
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{n}` in `{text}` is not a whole number"))?;
    if n == 0 {
        return Err(format!("`{text}`: a rate must be at least 1"));
    }
    let singular = matches!(unit, "minute" | "hour" | "day");
    let plural = matches!(unit, "minutes" | "hours" | "days");
    match (n == 1, singular, plural) {
        (true, true, _) | (false, _, true) => Ok(()),
        (true, _, true) => Err(format!(
            "`{text}`: a rate of 1 takes the singular unit (`rate(1 {})`)",
            unit.trim_end_matches('s')
        )),
        (false, true, _) => Err(format!(
            "`{text}`: a rate above 1 takes the plural unit (`rate({n} {unit}s)`)"
        )),
        _ => Err(format!(
            "`{unit}` in `{text}` is not minute(s), hour(s) or day(s)"
        )),
    }
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// One cron field's name, range and names.
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const FIELDS: [Field; 6] = [
    Field {
        name: "minutes",
        min: 0,
        max: 59,
        names: &[],
    },
    Field {
        name: "hours",
        min: 0,
        max: 23,
        names: &[],
    },
    Field {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
    },
    Field {
        name: "month",
        min: 1,
        max: 12,
        names: MONTHS,
    },
    Field {
        name: "day-of-week",
        min: 1,
        max: 7,
        names: DAYS,
    },
    Field {
        name: "year",
        min: 1970,
        max: 2199,
        names: &[],
    },
];

fn check_cron(inner: &str) -> Result<(), String> {
    let fields: Vec<&str> = inner.split_whitespace().collect();
    if fields.len() != 6 {
        return Err(format!(
            "EventBridge cron has 6 fields (minutes hours day-of-month month day-of-week year), not {}",
            fields.len()
        ));
    }
    for (i, (text, f)) in fields.iter().zip(FIELDS.iter()).enumerate() {
        for item in text.split(',') {
            check_cron_item(item, f, i).map_err(|e| format!("{} field `{text}`: {e}", f.name))?;
        }
    }
    match (fields[2] == "?", fields[4] == "?") {
        (true, false) | (false, true) => Ok(()),
        (true, true) => Err("day-of-month and day-of-week cannot both be `?`".into()),
        (false, false) => Err(
            "one of day-of-month and day-of-week must be `?` (EventBridge does not take both)"
                .into(),
        ),
    }
}

fn cron_value(v: &str, f: &Field) -> Result<u32, String> {
    let n = match f.names.iter().position(|n| n.eq_ignore_ascii_case(v)) {
        Some(i) => i as u32 + f.min,
        None => v
            .parse()
            .map_err(|_| format!("`{v}` is not a number or a name"))?,
    };
    if (f.min..=f.max).contains(&n) {
        Ok(n)
    } else {
        Err(format!("{n} is outside {}..={}", f.min, f.max))
    }
}

fn check_cron_item(item: &str, f: &Field, index: usize) -> Result<(), String> {
    let dom = index == 2;
    let dow = index == 4;
    match item {
        "" => return Err("an empty item".into()),
        "*" => return Ok(()),
        "?" if dom || dow => return Ok(()),
        "L" if dom || dow => return Ok(()),
        "LW" if dom => return Ok(()),
        _ => {}
    }
    if dom {
        if let Some(d) = item.strip_suffix('W') {
            return cron_value(d, f).map(|_| ());
        }
    }
    if dow {
        if let Some((d, nth)) = item.split_once('#') {
            cron_value(d, f)?;
            return match nth.parse::<u32>() {
                Ok(1..=5) => Ok(()),
                _ => Err(format!("`#{nth}`: the week must be 1 to 5")),
            };
        }
        if let Some(d) = item.strip_suffix('L') {
            return cron_value(d, f).map(|_| ());
        }
    }
    let (range, step) = match item.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (item, None),
    };
    if let Some(s) = step {
        match s.parse::<u32>() {
            Ok(n) if n >= 1 && n <= f.max => {}
            _ => return Err(format!("`/{s}` is not an increment within the field")),
        }
    }
    if range == "*" && step.is_some() {
        return Ok(());
    }
    match range.split_once('-') {
        Some((a, b)) => {
            cron_value(a, f)?;
            cron_value(b, f)?;
            Ok(())
        }
        None => cron_value(range, f).map(|_| ()),
    }
}

/// An ECS task to run on each event.
#[derive(Clone, Debug)]
pub struct EcsTaskTarget {
    /// The cluster's ARN.
    pub cluster_arn: Val<String>,
    /// The task definition and its roles.
    pub task: FargateTaskDefinition,
    /// The subnets of the task (private).
    pub subnet_ids: Vec<Val<String>>,
    /// The task's security groups.
    pub security_group_ids: Vec<Val<String>>,
    /// Tasks to start per event. Default: `1`.
    pub task_count: i64,
}

impl EcsTaskTarget {
    /// Runs `task` on `cluster` in `vpc`'s private subnets with `security_group_id`.
    pub fn new(
        cluster: &dyn ClusterRef,
        task: &FargateTaskDefinition,
        vpc: &dyn VpcRef,
        security_group_id: Val<String>,
    ) -> Self {
        EcsTaskTarget {
            cluster_arn: cluster.cluster_arn(),
            task: task.clone(),
            subnet_ids: vpc.private_subnet_ids(),
            security_group_ids: vec![security_group_id],
            task_count: 1,
        }
    }
}

/// What a rule starts.
#[derive(Clone, Debug)]
pub enum RuleTarget {
    /// Invoke a function (asynchronously).
    Function(Function),
    /// Send the event to a queue.
    Queue(Queue),
    /// Run an ECS task.
    EcsTask(EcsTaskTarget),
}

impl From<&Function> for RuleTarget {
    fn from(f: &Function) -> Self {
        RuleTarget::Function(f.clone())
    }
}

impl From<&Queue> for RuleTarget {
    fn from(q: &Queue) -> Self {
        RuleTarget::Queue(q.clone())
    }
}

impl From<EcsTaskTarget> for RuleTarget {
    fn from(t: EcsTaskTarget) -> Self {
        RuleTarget::EcsTask(t)
    }
}

/// Options of [`Schedule`].
#[derive(Clone, Debug)]
pub struct ScheduleProps {
    /// When it fires. Default: every hour.
    pub schedule: ScheduleExpression,
    /// What it starts (1 to 5). Default: none, which is an error (`SFM048`).
    pub targets: Vec<RuleTarget>,
    /// The description. Default: `None`.
    pub description: Option<Val<String>>,
    /// Whether the rule is enabled. Default: `true`.
    pub enabled: bool,
}

impl Default for ScheduleProps {
    fn default() -> Self {
        ScheduleProps {
            schedule: ScheduleExpression::rate(1, TimeUnit::Hours),
            targets: Vec::new(),
            description: None,
            enabled: true,
        }
    }
}

/// Options of [`EventRule`].
#[derive(Clone, Debug)]
pub struct EventRuleProps {
    /// The event pattern (`stackforge::json!({"source": ["aws.s3"]})`). Default: `{}`, which
    /// is an error: a pattern must match something.
    pub event_pattern: Val<Json>,
    /// The bus. Default: `None` (the account's default bus).
    pub event_bus_name: Option<Val<String>>,
    /// What it starts (1 to 5). Default: none, which is an error (`SFM048`).
    pub targets: Vec<RuleTarget>,
    /// The description. Default: `None`.
    pub description: Option<Val<String>>,
    /// Whether the rule is enabled. Default: `true`.
    pub enabled: bool,
}

impl Default for EventRuleProps {
    fn default() -> Self {
        EventRuleProps {
            event_pattern: stackforge::json!({}),
            event_bus_name: None,
            targets: Vec::new(),
            description: None,
            enabled: true,
        }
    }
}

/// A rule that fires on a schedule.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// The `AWS::Events::Rule` (id `<id>Rule`).
    pub rule: Handle<events::Rule>,
    /// The role EventBridge uses for ECS targets (id `<id>EventsRole`).
    pub role: Option<Handle<iam::Role>>,
    /// The permissions of function targets.
    pub permissions: Vec<Handle<lambda::Permission>>,
    /// The pattern's full path.
    pub name: String,
}

/// A rule that fires on matching events.
#[derive(Clone, Debug, PartialEq)]
pub struct EventRule {
    /// The `AWS::Events::Rule` (id `<id>Rule`).
    pub rule: Handle<events::Rule>,
    /// The role EventBridge uses for ECS targets (id `<id>EventsRole`).
    pub role: Option<Handle<iam::Role>>,
    /// The permissions of function targets.
    pub permissions: Vec<Handle<lambda::Permission>>,
    /// The pattern's full path.
    pub name: String,
}

impl Schedule {
    /// Creates the rule and its targets' permissions under `id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: ScheduleProps) -> Self {
        let name = scope.logical_id_for(id);
        let mut s = scope.child(id);
        let expression = match props.schedule.render() {
            Ok(e) => e,
            Err(why) => {
                s.error(
                    codes::INVALID_SCHEDULE,
                    "Rule",
                    Some("Properties.ScheduleExpression"),
                    why.to_string(),
                    "use ScheduleExpression::rate(5, TimeUnit::Minutes) or a six-field cron such as `0 3 * * ? *`",
                );
                "rate(1 hour)".to_owned()
            }
        };
        let rule = events::Rule {
            schedule_expression: Some(expression.into()),
            description: props.description.clone(),
            state: Some(state(props.enabled)),
            ..Default::default()
        };
        let (rule, role, permissions) = build(&mut s, &name, rule, &props.targets);
        Schedule {
            rule,
            role,
            permissions,
            name,
        }
    }

    /// The rule's ARN.
    pub fn arn(&self) -> Val<String> {
        self.rule.attr_arn()
    }
}

impl EventRule {
    /// Creates the rule and its targets' permissions under `id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: EventRuleProps) -> Self {
        let name = scope.logical_id_for(id);
        let mut s = scope.child(id);
        let pattern = props.event_pattern.expr();
        let empty = match pattern {
            stackforge::Expr::Map(m) => m.is_empty(),
            stackforge::Expr::Json(j) => j.as_object().is_none_or(|o| o.is_empty()),
            _ => false,
        };
        if empty {
            s.error(
                codes::INVALID_EVENT_RULE,
                "Rule",
                Some("Properties.EventPattern"),
                "the event pattern is empty or not an object: it would match nothing",
                "give a pattern such as json!({\"source\": [\"aws.s3\"]})",
            );
        }
        let rule = events::Rule {
            event_pattern: Some(props.event_pattern.clone()),
            event_bus_name: props.event_bus_name.clone(),
            description: props.description.clone(),
            state: Some(state(props.enabled)),
            ..Default::default()
        };
        let (rule, role, permissions) = build(&mut s, &name, rule, &props.targets);
        EventRule {
            rule,
            role,
            permissions,
            name,
        }
    }

    /// The rule's ARN.
    pub fn arn(&self) -> Val<String> {
        self.rule.attr_arn()
    }
}

fn state(enabled: bool) -> Val<events::rule::State> {
    if enabled {
        events::rule::State::Enabled.into()
    } else {
        events::rule::State::Disabled.into()
    }
}

/// Target ids: the target pattern's full path (letters and digits, at most 64).
fn target_id(name: &str) -> String {
    name.chars().take(64).collect()
}

type Built = (
    Handle<events::Rule>,
    Option<Handle<iam::Role>>,
    Vec<Handle<lambda::Permission>>,
);

fn build(s: &mut Scope<'_>, name: &str, mut rule: events::Rule, targets: &[RuleTarget]) -> Built {
    if targets.is_empty() || targets.len() > 5 {
        s.error(
            codes::INVALID_EVENT_RULE,
            "Rule",
            Some("Properties.Targets"),
            format!("the rule has {} targets; it needs 1 to 5", targets.len()),
            "add what the rule starts: targets: vec![(&function).into()]",
        );
    }
    let needs_role = targets.iter().any(|t| matches!(t, RuleTarget::EcsTask(_)));
    let role = needs_role.then(|| {
        s.add(
            "EventsRole",
            iam::Role {
                description: Some(
                    format!("{name}: lets EventBridge run the rule's ECS tasks").into(),
                ),
                ..iam::Role::new(PolicyDocument::assumed_by_service("events.amazonaws.com"))
            },
        )
    });
    let mut rendered = Vec::new();
    for t in targets {
        let r = match t {
            RuleTarget::Function(f) => events::rule::Target::new(f.arn(), target_id(&f.name)),
            RuleTarget::Queue(q) => events::rule::Target::new(q.arn(), target_id(&q.name)),
            RuleTarget::EcsTask(task) => {
                let mut r = events::rule::Target::new(
                    task.cluster_arn.clone(),
                    target_id(&format!("{}Task", s.path())),
                );
                r.role_arn = role.map(|h| h.attr_arn());
                let mut net = events::rule::AwsVpcConfiguration::new(task.subnet_ids.clone());
                net.security_groups = Some(task.security_group_ids.clone().into());
                net.assign_public_ip = Some(events::rule::AssignPublicIp::Disabled.into());
                r.ecs_parameters = Some(events::rule::EcsParameters {
                    launch_type: Some(events::rule::LaunchType::Fargate.into()),
                    platform_version: Some("LATEST".into()),
                    task_count: Some(task.task_count.into()),
                    network_configuration: Some(events::rule::NetworkConfiguration {
                        aws_vpc_configuration: Some(net),
                    }),
                    ..events::rule::EcsParameters::new(task.task.task_definition.reference())
                });
                r
            }
        };
        rendered.push(r);
    }
    rule.targets = (!rendered.is_empty()).then_some(rendered);
    let rule = s.add("Rule", rule);
    let arn = rule.attr_arn();
    let mut permissions = Vec::new();
    for t in targets {
        match t {
            RuleTarget::Function(f) => permissions.push(f.allow_invoke(
                s,
                &format!("{name}{}Permission", f.name),
                "events.amazonaws.com",
                arn.clone(),
            )),
            RuleTarget::Queue(q) => q.allow_service_send(s, "events.amazonaws.com", arn.clone()),
            RuleTarget::EcsTask(task) => {
                if let Some(role) = role {
                    let g = role.grant_role();
                    s.grant(
                        &g,
                        [
                            grants::allow_unnamed(
                                &["ecs:RunTask"],
                                vec![task.task.task_definition.reference()],
                            )
                            .condition(
                                "ArnEquals",
                                "ecs:cluster",
                                &task.cluster_arn,
                            ),
                            grants::allow_unnamed(
                                &["iam:PassRole"],
                                vec![
                                    task.task.execution_role.attr_arn(),
                                    task.task.task_role.attr_arn(),
                                ],
                            )
                            .condition(
                                "StringEquals",
                                "iam:PassedToService",
                                "ecs-tasks.amazonaws.com",
                            ),
                        ],
                    );
                    s.wait_for_grants(rule, &g);
                }
            }
        }
    }
    (rule, role, permissions)
}
