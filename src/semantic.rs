//! Rules beyond the schemas: what CloudFormation (or the service behind it) refuses although
//! the resource schema allows it, such as `rate(5 minute)` or an alarm `Period` of 45.
//!
//! One table, [`RULES`], keyed by resource type. Each rule names the cfn-lint rules it covers
//! and the code it reports. Synth runs every rule whose type matches on each resource's
//! final properties (after aspects and overrides); values that are intrinsics (`Ref`,
//! `Fn::…`) are skipped, since they are only known at deploy. A new rule is one entry and one
//! function.

use serde_json::{Map, Value as Json};

use crate::diag::{codes, Code};

/// Resource types that hold data: replacing or deleting one loses it (diff flags them, the
/// `ProtectStateful` stack policy and the retain aspect cover them).
pub const STATEFUL_TYPES: &[&str] = &[
    "AWS::DocDB::DBCluster",
    "AWS::DynamoDB::GlobalTable",
    "AWS::DynamoDB::Table",
    "AWS::EC2::Volume",
    "AWS::ECR::Repository",
    "AWS::EFS::FileSystem",
    "AWS::ElastiCache::CacheCluster",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::KMS::Key",
    "AWS::Neptune::DBCluster",
    "AWS::OpenSearchService::Domain",
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::SecretsManager::Secret",
];

/// True if the type holds data.
pub fn is_stateful(type_name: &str) -> bool {
    STATEFUL_TYPES.binary_search(&type_name).is_ok()
}

/// A problem one rule found in a resource's properties.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The property path, from `Properties` (`Properties.ScheduleExpression`).
    pub property: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// A check of one resource's `Properties` object.
pub type Check = fn(&Map<String, Json>, &mut Vec<Finding>);

/// One semantic rule.
#[derive(Clone, Copy, Debug)]
pub struct SemanticRule {
    /// A short name (`schedule-expression`).
    pub name: &'static str,
    /// The resource types it applies to.
    pub types: &'static [&'static str],
    /// The cfn-lint rules it covers (`E3027`), if any.
    pub cfn_lint: &'static [&'static str],
    /// The code of its findings.
    pub code: Code,
    /// The check.
    pub check: Check,
}

/// Every semantic rule.
pub const RULES: &[SemanticRule] = &[
    SemanticRule {
        name: "event-rule-schedule",
        types: &["AWS::Events::Rule"],
        cfn_lint: &["E3027"],
        code: codes::INVALID_SCHEDULE,
        check: events_rule_schedule,
    },
    SemanticRule {
        name: "scheduler-schedule",
        types: &["AWS::Scheduler::Schedule"],
        cfn_lint: &[],
        code: codes::INVALID_SCHEDULE,
        check: scheduler_schedule,
    },
    SemanticRule {
        name: "alarm-period",
        types: &["AWS::CloudWatch::Alarm"],
        cfn_lint: &["E3615"],
        code: codes::INVALID_ALARM,
        check: alarm_period,
    },
    SemanticRule {
        name: "alarm-metric",
        types: &["AWS::CloudWatch::Alarm"],
        cfn_lint: &["E3014"],
        code: codes::INVALID_ALARM,
        check: alarm_metric,
    },
    SemanticRule {
        name: "security-group-ports",
        types: &[
            "AWS::EC2::SecurityGroup",
            "AWS::EC2::SecurityGroupIngress",
            "AWS::EC2::SecurityGroupEgress",
        ],
        cfn_lint: &["E3687", "E3688"],
        code: codes::INVALID_PORT_RANGE,
        check: security_group_ports,
    },
    SemanticRule {
        name: "dynamodb-billing",
        types: &["AWS::DynamoDB::Table"],
        cfn_lint: &["E3638", "E3639"],
        code: codes::CONFLICTING_PROPERTIES,
        check: dynamodb_billing,
    },
    SemanticRule {
        name: "rds-monitoring",
        types: &["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"],
        cfn_lint: &["E3689"],
        code: codes::CONFLICTING_PROPERTIES,
        check: rds_monitoring,
    },
    SemanticRule {
        name: "rds-kms-needs-encryption",
        types: &["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"],
        cfn_lint: &["E3720"],
        code: codes::CONFLICTING_PROPERTIES,
        check: rds_kms_encryption,
    },
    SemanticRule {
        name: "autoscaling-group-sizes",
        types: &["AWS::AutoScaling::AutoScalingGroup"],
        cfn_lint: &["E3706"],
        code: codes::CONFLICTING_PROPERTIES,
        check: asg_sizes,
    },
    SemanticRule {
        name: "ecs-essential-container",
        types: &["AWS::ECS::TaskDefinition"],
        cfn_lint: &["E3042"],
        code: codes::CONFLICTING_PROPERTIES,
        check: ecs_essential_container,
    },
    SemanticRule {
        name: "ecs-fargate-scheduling",
        types: &["AWS::ECS::Service"],
        cfn_lint: &["E3044"],
        code: codes::CONFLICTING_PROPERTIES,
        check: ecs_fargate_scheduling,
    },
    SemanticRule {
        name: "alb-two-subnets",
        types: &["AWS::ElasticLoadBalancingV2::LoadBalancer"],
        cfn_lint: &["E3680"],
        code: codes::CONFLICTING_PROPERTIES,
        check: alb_two_subnets,
    },
    SemanticRule {
        name: "lambda-environment",
        types: &["AWS::Lambda::Function"],
        cfn_lint: &["E3663", "E3697"],
        code: codes::CONFLICTING_PROPERTIES,
        check: lambda_environment,
    },
    SemanticRule {
        name: "sqs-fifo-name",
        types: &["AWS::SQS::Queue"],
        cfn_lint: &["E3501"],
        code: codes::CONFLICTING_PROPERTIES,
        check: sqs_fifo,
    },
];

fn finding(property: &str, message: impl Into<String>, help: &str) -> Finding {
    Finding {
        property: format!("Properties.{property}"),
        message: message.into(),
        help: help.into(),
    }
}

/// A literal boolean (CloudFormation also reads `"true"`/`"false"`).
fn literal_bool(v: &Json) -> Option<bool> {
    match v {
        Json::Bool(b) => Some(*b),
        Json::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn dynamodb_billing(m: &Map<String, Json>, out: &mut Vec<Finding>) {
    let mode = match m.get("BillingMode") {
        None => Some("PROVISIONED"),
        Some(v) => v.as_str(),
    };
    let has = |k: &str| m.get(k).is_some_and(|v| !v.is_null());
    match mode {
        Some("PAY_PER_REQUEST") if has("ProvisionedThroughput") => out.push(finding(
            "ProvisionedThroughput",
            "BillingMode PAY_PER_REQUEST takes no ProvisionedThroughput",
            "remove ProvisionedThroughput (on-demand tables scale by themselves), or use BillingMode PROVISIONED",
        )),
        Some("PROVISIONED") if !has("ProvisionedThroughput") => out.push(finding(
            "ProvisionedThroughput",
            "a PROVISIONED table (the default BillingMode) needs ProvisionedThroughput",
            "set BillingMode PAY_PER_REQUEST, or give ReadCapacityUnits and WriteCapacityUnits",
        )),
        _ => {}
    }
    if mode == Some("PAY_PER_REQUEST") {
        if let Some(Json::Array(gsis)) = m.get("GlobalSecondaryIndexes") {
            for (i, g) in gsis.iter().enumerate() {
                if g.get("ProvisionedThroughput").is_some_and(|v| !v.is_null()) {
                    out.push(finding(
                        &format!("GlobalSecondaryIndexes[{i}].ProvisionedThroughput"),
                        "an index of a PAY_PER_REQUEST table takes no ProvisionedThroughput",
                        "remove the index's ProvisionedThroughput",
                    ));
                }
            }
        }
    }
}

fn rds_monitoring(m: &Map<String, Json>, out: &mut Vec<Finding>) {
    let interval = m.get("MonitoringInterval").and_then(literal_num);
    let role = m.get("MonitoringRoleArn").is_some_and(|v| !v.is_null());
    match interval {
        Some(i) if i > 0.0 && !role => out.push(finding(
            "MonitoringRoleArn",
            format!("MonitoringInterval {i} needs a MonitoringRoleArn"),
            "give a role that monitoring.rds.amazonaws.com may assume (AmazonRDSEnhancedMonitoringRole), or set MonitoringInterval 0",
        )),
        Some(i) if i == 0.0 && role => out.push(finding(
            "MonitoringRoleArn",
            "MonitoringRoleArn is set, but MonitoringInterval is 0 (monitoring off)",
            "set a MonitoringInterval (1, 5, 10, 15, 30 or 60) or remove the role",
        )),
        _ => {}
    }
}

fn rds_kms_encryption(m: &Map<String, Json>, out: &mut Vec<Finding>) {
    let kms = m.get("KmsKeyId").is_some_and(|v| !v.is_null());
    let encrypted = m.get("StorageEncrypted").and_then(literal_bool);
    if kms && encrypted != Some(true) && !m.get("StorageEncrypted").is_some_and(is_intrinsic) {
        out.push(finding(
            "StorageEncrypted",
            "KmsKeyId is set, but StorageEncrypted is not true",
            "set StorageEncrypted: true (a KMS key only applies to encrypted storage)",
        ));
    }
}

fn asg_sizes(m: &Map<String, Json>, out: &mut Vec<Finding>) {
    let n = |k: &str| m.get(k).and_then(literal_num);
    let (min, max, desired) = (n("MinSize"), n("MaxSize"), n("DesiredCapacity"));
    if let (Some(a), Some(b)) = (min, max) {
        if a > b {
            out.push(finding(
                "MaxSize",
                format!("MaxSize {b} is below MinSize {a}"),
                "make MinSize <= DesiredCapacity <= MaxSize",
            ));
            return;
        }
    }
    if let Some(d) = desired {
        if min.is_some_and(|a| d < a) || max.is_some_and(|b| d > b) {
            out.push(finding(
                "DesiredCapacity",
                format!("DesiredCapacity {d} is outside MinSize..MaxSize"),
                "make MinSize <= DesiredCapacity <= MaxSize",
            ));
        }
    }
}

fn ecs_essential_container(m: &Map<String, Json>, out: &mut Vec<Finding>) {
    let Some(Json::Array(cs)) = m.get("ContainerDefinitions") else {
        return;
    };
    if cs.is_empty() {
        return;
    }
    let essential = |c: &Json| match c.get("Essential") {
        None => true,
        Some(v) => literal_bool(v).unwrap_or(true),
    };
    if !cs.iter().any(essential) {
        out.push(finding(
            "ContainerDefinitions",
            "no container of the task is essential",
            "mark the main container Essential: true (the default)",
        ));
    }
}

fn ecs_fargate_scheduling(m: &Map<String, Json>, out: &mut Vec<Finding>) {
    let launch = literal_str(m, "LaunchType");
    if matches!(launch, Some("FARGATE" | "EXTERNAL"))
        && literal_str(m, "SchedulingStrategy") == Some("DAEMON")
    {
        out.push(finding(
            "SchedulingStrategy",
            format!(
                "a {} service cannot use the DAEMON scheduling strategy",
                launch.unwrap_or_default()
            ),
            "use SchedulingStrategy REPLICA (the default)",
        ));
    }
}

fn alb_two_subnets(m: &Map<String, Json>, out: &mut Vec<Finding>) {
    let application = match m.get("Type") {
        None => true,
        Some(v) => v.as_str() == Some("application"),
    };
    if !application || m.contains_key("SubnetMappings") {
        return;
    }
    if let Some(Json::Array(subnets)) = m.get("Subnets") {
        if subnets.len() < 2 {
            out.push(finding(
                "Subnets",
                format!("an application load balancer needs subnets in at least 2 Availability Zones, {} given", subnets.len()),
                "give a public subnet in each of 2 or more Availability Zones (Network with az_count >= 2)",
            ));
        }
    }
}

/// Names Lambda sets itself (cfn-lint E3663).
const LAMBDA_RESERVED: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

fn lambda_environment(m: &Map<String, Json>, out: &mut Vec<Finding>) {
    let Some(vars) = m
        .get("Environment")
        .and_then(|e| e.get("Variables"))
        .and_then(Json::as_object)
    else {
        return;
    };
    for k in vars.keys() {
        if LAMBDA_RESERVED.contains(&k.as_str()) {
            out.push(finding(
                &format!("Environment.Variables.{k}"),
                format!("`{k}` is set by Lambda itself and cannot be overridden"),
                "rename the variable",
            ));
        }
    }
    // Lambda's limit: 4 KB for all variables, names and values, as JSON.
    let size: usize = vars
        .iter()
        .map(|(k, v)| k.len() + v.as_str().map_or_else(|| v.to_string().len(), str::len))
        .sum();
    if size > 4096 {
        out.push(finding(
            "Environment.Variables",
            format!("the environment variables take {size} bytes; Lambda allows 4 KB"),
            "move large values to SSM Parameter Store or S3 and read them at start",
        ));
    }
}

fn sqs_fifo(m: &Map<String, Json>, out: &mut Vec<Finding>) {
    let fifo = m.get("FifoQueue").and_then(literal_bool).unwrap_or(false);
    if let Some(name) = literal_str(m, "QueueName") {
        if fifo != name.ends_with(".fifo") {
            out.push(finding(
                "QueueName",
                if fifo {
                    format!("the FIFO queue's name `{name}` must end with `.fifo`")
                } else {
                    format!("`{name}` ends with `.fifo`, but the queue is not FIFO")
                },
                "end a FIFO queue's name with .fifo (and set FifoQueue: true), and only a FIFO queue's",
            ));
        }
    }
    if !fifo
        && m.get("ContentBasedDeduplication")
            .and_then(literal_bool)
            .unwrap_or(false)
    {
        out.push(finding(
            "ContentBasedDeduplication",
            "ContentBasedDeduplication applies to FIFO queues only",
            "set FifoQueue: true, or remove ContentBasedDeduplication",
        ));
    }
}

/// Runs the rules that apply to `type_name` on `props` (the rendered `Properties`).
pub fn check(type_name: &str, props: &Json) -> Vec<(Code, Finding)> {
    let Some(map) = props.as_object() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for rule in RULES.iter().filter(|r| r.types.contains(&type_name)) {
        let mut found = Vec::new();
        (rule.check)(map, &mut found);
        out.extend(found.into_iter().map(|f| (rule.code, f)));
    }
    out
}

/// True for `{"Ref": …}`, `{"Fn::…": …}` and `{"Condition": …}`: a value known at deploy.
pub fn is_intrinsic(v: &Json) -> bool {
    v.as_object().is_some_and(|m| {
        m.len() == 1
            && m.keys()
                .next()
                .is_some_and(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
    })
}

/// A literal string property.
fn literal_str<'a>(m: &'a Map<String, Json>, key: &str) -> Option<&'a str> {
    m.get(key).and_then(Json::as_str)
}

/// A literal number property (CloudFormation also accepts numbers written as strings).
fn literal_num(v: &Json) -> Option<f64> {
    match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn events_rule_schedule(m: &Map<String, Json>, out: &mut Vec<Finding>) {
    if let Some(s) = literal_str(m, "ScheduleExpression") {
        if let Err(why) = check_schedule(s, false) {
            out.push(schedule_finding(s, why, false));
        }
    }
}

fn scheduler_schedule(m: &Map<String, Json>, out: &mut Vec<Finding>) {
    if let Some(s) = literal_str(m, "ScheduleExpression") {
        if let Err(why) = check_schedule(s, true) {
            out.push(schedule_finding(s, why, true));
        }
    }
}

fn schedule_finding(s: &str, why: ScheduleError, at: bool) -> Finding {
    Finding {
        property: "Properties.ScheduleExpression".into(),
        message: format!("`{s}` is not a schedule expression: {why}"),
        help: format!(
            "write `rate(1 minute)`, `rate(5 minutes)` (singular for 1, plural otherwise), or `cron(Minutes Hours Day-of-month Month Day-of-week Year)` with `?` in exactly one of the day fields, e.g. `cron(0 12 * * ? *)`{}",
            if at { ", or `at(2030-01-31T09:00:00)`" } else { "" }
        ),
    }
}

/// Why a schedule expression is refused ([`check_schedule`]); its code is
/// [`codes::INVALID_SCHEDULE`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// Neither `rate(…)`, `cron(…)` nor (where allowed) `at(…)`.
    #[error("{}", if *at_allowed { "it must be `rate(…)`, `cron(…)` or `at(…)`" } else { "it must be `rate(…)` or `cron(…)`" })]
    Form {
        /// Whether `at(…)` was allowed (EventBridge Scheduler).
        at_allowed: bool,
    },
    /// A `rate(…)` expression that is wrong: the reason names the part.
    #[error("{reason}")]
    Rate {
        /// What is wrong, naming the value or unit.
        reason: String,
    },
    /// A `cron(…)` expression that is wrong: the reason names the field.
    #[error("{reason}")]
    Cron {
        /// What is wrong, naming the field.
        reason: String,
    },
    /// An `at(…)` expression that is not a date and time.
    #[error("{reason}")]
    At {
        /// What is wrong.
        reason: String,
    },
}

impl ScheduleError {
    /// The diagnostic code: [`codes::INVALID_SCHEDULE`].
    pub fn code(&self) -> Code {
        codes::INVALID_SCHEDULE
    }
}

/// Checks an EventBridge schedule expression: `rate(N unit)` or `cron(6 fields)` (and
/// `at(yyyy-mm-ddThh:mm:ss)` for EventBridge Scheduler when `allow_at`).
pub fn check_schedule(expr: &str, allow_at: bool) -> Result<(), ScheduleError> {
    if let Some(inner) = expr.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
        return check_rate(inner).map_err(|reason| ScheduleError::Rate { reason });
    }
    if let Some(inner) = expr.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
        return check_cron(inner).map_err(|reason| ScheduleError::Cron { reason });
    }
    if allow_at {
        if let Some(inner) = expr.strip_prefix("at(").and_then(|r| r.strip_suffix(')')) {
            return check_at(inner).map_err(|reason| ScheduleError::At { reason });
        }
    }
    Err(ScheduleError::Form {
        at_allowed: allow_at,
    })
}

fn check_rate(inner: &str) -> Result<(), String> {
    let parts: Vec<&str> = inner.split(' ').collect();
    let [value, unit] = parts[..] else {
        return Err(format!("`rate({inner})` must be `rate(Value Unit)`"));
    };
    if value.is_empty() || !value.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("`{value}` is not a positive whole number"));
    }
    let n: u64 = value
        .parse()
        .map_err(|_| format!("`{value}` is too large"))?;
    if n == 0 {
        return Err("the value must be at least 1".into());
    }
    let units: &[&str] = if n == 1 {
        &["minute", "hour", "day"]
    } else {
        &["minutes", "hours", "days"]
    };
    if !units.contains(&unit) {
        return Err(format!(
            "the unit `{unit}` must be one of {} for {n}",
            units.join(", ")
        ));
    }
    Ok(())
}

const MONTHS: &[&str] = &[
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: &[&str] = &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Minutes,
    Hours,
    DayOfMonth,
    Month,
    DayOfWeek,
    Year,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Minutes => "minutes",
            Field::Hours => "hours",
            Field::DayOfMonth => "day-of-month",
            Field::Month => "month",
            Field::DayOfWeek => "day-of-week",
            Field::Year => "year",
        }
    }
    fn range(self) -> (u32, u32) {
        match self {
            Field::Minutes => (0, 59),
            Field::Hours => (0, 23),
            Field::DayOfMonth => (1, 31),
            Field::Month => (1, 12),
            Field::DayOfWeek => (1, 7),
            Field::Year => (1970, 2199),
        }
    }
    fn value(self, s: &str) -> Result<u32, String> {
        let names = match self {
            Field::Month => MONTHS,
            Field::DayOfWeek => DAYS,
            _ => &[],
        };
        let upper = s.to_ascii_uppercase();
        let n = if let Some(i) = names.iter().position(|n| *n == upper) {
            i as u32 + 1
        } else if !s.is_empty() && s.len() <= 4 && s.chars().all(|c| c.is_ascii_digit()) {
            s.parse().map_err(|_| format!("`{s}` is not a number"))?
        } else {
            return Err(format!("`{s}` is not a valid {} value", self.name()));
        };
        let (lo, hi) = self.range();
        if !(lo..=hi).contains(&n) {
            return Err(format!("{} value {s} is outside {lo}-{hi}", self.name()));
        }
        Ok(n)
    }
}

fn check_cron(inner: &str) -> Result<(), String> {
    let fields: Vec<&str> = inner.split(' ').collect();
    if fields.len() != 6 {
        return Err(format!(
            "cron takes 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), not {}",
            fields.len()
        ));
    }
    let kinds = [
        Field::Minutes,
        Field::Hours,
        Field::DayOfMonth,
        Field::Month,
        Field::DayOfWeek,
        Field::Year,
    ];
    for (f, kind) in fields.iter().zip(kinds) {
        check_cron_field(f, kind)?;
    }
    let (dom, dow) = (fields[2], fields[4]);
    match (dom == "?", dow == "?") {
        (true, true) => Err("only one of day-of-month and day-of-week may be `?`".into()),
        (false, false) => {
            Err("day-of-month and day-of-week cannot both be given: put `?` in one of them".into())
        }
        _ => Ok(()),
    }
}

fn check_cron_field(f: &str, kind: Field) -> Result<(), String> {
    if f.is_empty() {
        return Err(format!("the {} field is empty", kind.name()));
    }
    if f == "?" {
        return if matches!(kind, Field::DayOfMonth | Field::DayOfWeek) {
            Ok(())
        } else {
            Err(format!("`?` is not allowed in the {} field", kind.name()))
        };
    }
    for item in f.split(',') {
        check_cron_item(item, kind)?;
    }
    Ok(())
}

fn check_cron_item(item: &str, kind: Field) -> Result<(), String> {
    // Day-of-month: `L`, `LW`, `15W`. Day-of-week: `L`, `5L`, `FRI#2`.
    if kind == Field::DayOfMonth && (item == "L" || item == "LW") {
        return Ok(());
    }
    if kind == Field::DayOfMonth {
        if let Some(d) = item.strip_suffix('W') {
            return kind.value(d).map(|_| ());
        }
    }
    if kind == Field::DayOfWeek {
        if item == "L" {
            return Ok(());
        }
        if let Some(d) = item.strip_suffix('L') {
            return kind.value(d).map(|_| ());
        }
        if let Some((d, nth)) = item.split_once('#') {
            kind.value(d)?;
            return match nth.parse::<u32>() {
                Ok(1..=5) => Ok(()),
                _ => Err(format!("`#{nth}` must be #1 to #5")),
            };
        }
    }
    let (base, step) = match item.split_once('/') {
        Some((b, s)) => (b, Some(s)),
        None => (item, None),
    };
    if let Some(s) = step {
        match s.parse::<u32>() {
            Ok(n) if n >= 1 && !s.starts_with('+') => {}
            _ => return Err(format!("`/{s}` is not a positive step")),
        }
    }
    if base == "*" {
        return Ok(());
    }
    match base.split_once('-') {
        Some((a, b)) => {
            kind.value(a)?;
            kind.value(b)?;
            Ok(())
        }
        None => kind.value(base).map(|_| ()),
    }
}

fn check_at(inner: &str) -> Result<(), String> {
    let ok = inner.len() == 19
        && inner.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == 'T',
            13 | 16 => c == ':',
            _ => c.is_ascii_digit(),
        });
    if !ok {
        return Err(format!("`at({inner})` must be `at(yyyy-mm-ddThh:mm:ss)`"));
    }
    let num = |r: std::ops::Range<usize>| inner[r].parse::<u32>().unwrap_or(0);
    let (mo, d, h, mi, s) = (num(5..7), num(8..10), num(11..13), num(14..16), num(17..19));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return Err(format!("`{inner}` is not a date and time"));
    }
    Ok(())
}

/// An alarm period CloudWatch refuses ([`check_alarm_period`]); its code is
/// [`codes::INVALID_ALARM`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("a period of {period} seconds is not 10, 20, 30 or a multiple of 60")]
#[non_exhaustive]
pub struct AlarmPeriodError {
    /// The period given, in seconds.
    pub period: f64,
}

impl AlarmPeriodError {
    /// The diagnostic code: [`codes::INVALID_ALARM`].
    pub fn code(&self) -> Code {
        codes::INVALID_ALARM
    }
}

/// Valid alarm periods: 10, 20 or 30 seconds (high resolution), or a multiple of 60.
pub fn check_alarm_period(p: f64) -> Result<(), AlarmPeriodError> {
    let ok =
        p.fract() == 0.0 && (p == 10.0 || p == 20.0 || p == 30.0 || (p >= 60.0 && p % 60.0 == 0.0));
    if ok {
        Ok(())
    } else {
        Err(AlarmPeriodError { period: p })
    }
}

fn alarm_period(m: &Map<String, Json>, out: &mut Vec<Finding>) {
    let mut check = |v: &Json, at: String| {
        if let Some(p) = literal_num(v) {
            if let Err(why) = check_alarm_period(p) {
                out.push(Finding {
                    property: at,
                    message: why.to_string(),
                    help: "use 10, 20 or 30 seconds (high-resolution metrics) or a multiple of 60, e.g. 60 or 300".into(),
                });
            }
        }
    };
    if let Some(v) = m.get("Period") {
        check(v, "Properties.Period".into());
    }
    if let Some(Json::Array(metrics)) = m.get("Metrics") {
        for (i, q) in metrics.iter().enumerate() {
            if let Some(v) = q.pointer("/MetricStat/Period") {
                check(v, format!("Properties.Metrics[{i}].MetricStat.Period"));
            }
        }
    }
}

fn alarm_metric(m: &Map<String, Json>, out: &mut Vec<Finding>) {
    const ONE_OF: [&str; 3] = ["MetricName", "Metrics", "EvaluationCriteria"];
    let given: Vec<&str> = ONE_OF
        .iter()
        .copied()
        .filter(|k| m.get(*k).is_some_and(|v| !v.is_null()))
        .collect();
    match given.len() {
        1 => {}
        0 => out.push(Finding {
            property: "Properties.MetricName".into(),
            message: "the alarm watches no metric: it has none of MetricName, Metrics or EvaluationCriteria".into(),
            help: "set MetricName (with Namespace, Statistic and Period) for one metric, or Metrics for metric math".into(),
        }),
        _ => out.push(Finding {
            property: format!("Properties.{}", given[1]),
            message: format!("the alarm sets {}; exactly one of them is allowed", given.join(" and ")),
            help: "keep MetricName for one metric, or Metrics for metric math, not both".into(),
        }),
    }
}

fn security_group_ports(m: &Map<String, Json>, out: &mut Vec<Finding>) {
    // A standalone rule has the ports at the top; a group has lists of rules.
    if m.contains_key("IpProtocol") {
        check_rule_ports(m, "Properties", out);
    }
    for key in ["SecurityGroupIngress", "SecurityGroupEgress"] {
        if let Some(Json::Array(rules)) = m.get(key) {
            for (i, r) in rules.iter().enumerate() {
                if let Some(r) = r.as_object() {
                    check_rule_ports(r, &format!("Properties.{key}[{i}]"), out);
                }
            }
        }
    }
}

fn check_rule_ports(r: &Map<String, Json>, at: &str, out: &mut Vec<Finding>) {
    let protocol = r
        .get("IpProtocol")
        .and_then(|p| match p {
            Json::String(s) => Some(s.to_ascii_lowercase()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .unwrap_or_default();
    let from = r.get("FromPort").and_then(literal_num);
    let to = r.get("ToPort").and_then(literal_num);
    let mut bad = |field: &str, message: String, help: &str| {
        out.push(Finding {
            property: format!("{at}.{field}"),
            message,
            help: help.into(),
        })
    };
    match protocol.as_str() {
        "tcp" | "udp" | "6" | "17" => {
            for (field, v) in [("FromPort", from), ("ToPort", to)] {
                if let Some(p) = v {
                    if p.fract() != 0.0 || !(0.0..=65535.0).contains(&p) {
                        bad(
                            field,
                            format!("port {p} is outside 0-65535"),
                            "use a TCP/UDP port from 0 to 65535",
                        );
                    }
                }
            }
            if let (Some(a), Some(b)) = (from, to) {
                if a > b && (0.0..=65535.0).contains(&a) && (0.0..=65535.0).contains(&b) {
                    bad(
                        "ToPort",
                        format!("the range {a}-{b} ends before it starts"),
                        "make FromPort the lower port and ToPort the higher",
                    );
                }
            }
        }
        "icmp" | "1" | "icmpv6" | "58" => {
            for (field, v) in [("FromPort", from), ("ToPort", to)] {
                if let Some(p) = v {
                    if p.fract() != 0.0 || !(-1.0..=255.0).contains(&p) {
                        bad(field, format!("ICMP type/code {p} is outside -1-255"), "use an ICMP type (FromPort) and code (ToPort) from 0 to 255, or -1 for all");
                    }
                }
            }
        }
        "-1" | "all" => {
            for (field, v) in [("FromPort", from), ("ToPort", to)] {
                if let Some(p) = v {
                    if p != -1.0 && !(p == 0.0 && field == "FromPort" && to == Some(65535.0)) {
                        bad(field, format!("protocol -1 (all traffic) takes no port range, but {field} is {p}"), "leave FromPort and ToPort out (or -1) for all traffic, or name a protocol");
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    /// `is_stateful` binary-searches the list: it must stay sorted (byte order), or types
    /// such as `AWS::SQS::Queue` are silently not found.
    #[test]
    fn stateful_types_are_sorted_and_all_found() {
        assert!(
            STATEFUL_TYPES.windows(2).all(|w| w[0] < w[1]),
            "{STATEFUL_TYPES:?}"
        );
        for t in STATEFUL_TYPES {
            assert!(is_stateful(t), "{t}");
        }
    }

    use super::*;

    #[test]
    fn rate_expressions() {
        for ok in [
            "rate(1 minute)",
            "rate(5 minutes)",
            "rate(1 day)",
            "rate(12 hours)",
        ] {
            assert_eq!(check_schedule(ok, false), Ok(()), "{ok}");
        }
        for bad in [
            "rate(5 minute)",
            "rate(1 minutes)",
            "rate(0 minutes)",
            "rate(-5 minutes)",
            "rate(5)",
            "rate(five minutes)",
            "rate(5  minutes)",
            "rate(5 weeks)",
            "every 5 minutes",
        ] {
            assert!(check_schedule(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn cron_expressions() {
        for ok in [
            "cron(0 12 * * ? *)",
            "cron(15 10 ? * 6L 2030)",
            "cron(0/15 * ? * MON-FRI *)",
            "cron(0 8 1 * ? *)",
            "cron(0 18 ? * MON#2 *)",
            "cron(5,35 14 LW * ? *)",
            "cron(0 9 15W JAN-MAR ? 2025-2030)",
        ] {
            assert_eq!(check_schedule(ok, false), Ok(()), "{ok}");
        }
        for bad in [
            "cron(0 12 * * * *)",
            "cron(0 12 ? * ? *)",
            "cron(0 12 * *)",
            "cron(60 12 * * ? *)",
            "cron(0 24 * * ? *)",
            "cron(0 12 32 * ? *)",
            "cron(0 12 ? 13 * *)",
            "cron(0 12 ? * 8 *)",
            "cron(0 12 ? * MON#6 *)",
            "cron(0 12 * * ? 1969)",
            "cron(? 12 * * ? *)",
            "cron(0/0 12 * * ? *)",
        ] {
            assert!(check_schedule(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn at_expressions_only_for_the_scheduler() {
        assert_eq!(check_schedule("at(2030-01-31T09:00:00)", true), Ok(()));
        assert_eq!(
            check_schedule("at(2030-01-31T09:00:00)", false),
            Err(ScheduleError::Form { at_allowed: false })
        );
        assert_eq!(
            check_schedule("every day", true).map_err(|e| e.to_string()),
            Err("it must be `rate(…)`, `cron(…)` or `at(…)`".to_owned())
        );
        assert!(check_schedule("at(2030-13-31T09:00:00)", true).is_err());
    }

    #[test]
    fn alarm_periods() {
        for ok in [10.0, 20.0, 30.0, 60.0, 300.0, 86_400.0] {
            assert!(check_alarm_period(ok).is_ok(), "{ok}");
        }
        for bad in [0.0, 45.0, 90.0, 15.0, -60.0, 60.5] {
            assert!(check_alarm_period(bad).is_err(), "{bad}");
        }
    }
}
