//! Typed CloudWatch metrics: a [`Metric`] names its namespace, metric name, dimensions (as
//! values, so a `Ref` or `GetAtt` of a resource in this or another stack works), statistic and
//! period. Every pattern offers accessors for the metrics worth alarming on
//! (`service.metric_cpu()`, `queue.metric_depth()`, `function.metric_errors()`, …), built here
//! so that each dimension holds exactly the attribute CloudWatch publishes under.
//!
//! Getting a dimension wrong is silent in AWS: an alarm on `LoadBalancer = <the ALB's ARN>`
//! watches a series that never exists and never fires. So:
//! - the typed constructors take typed names ([`LoadBalancerFullName`],
//!   [`TargetGroupFullName`]) that only the right attribute makes: a load balancer's handle
//!   where its full name belongs does not compile;
//! - [`check_dimensions`] (run by [`crate::alarm::Alarm`] and step scaling) refuses, with
//!   [`crate::codes::WRONG_METRIC_DIMENSION`], the wrong attribute of the right resource in a
//!   hand-built metric: a `Ref` where CloudWatch wants a full name, a queue URL, a service ARN.
//!
//! ```
//! use stackforge_modules::metrics::{Metric, Statistic};
//! let m = Metric::new("AWS/SQS", "ApproximateNumberOfMessagesVisible")
//!     .dimension("QueueName", "orders")
//!     .statistic(Statistic::Maximum);
//! assert_eq!(m.period_seconds.as_literal(), Some(300));
//! ```

use stackforge::cfn::{cloudwatch, elasticloadbalancingv2 as elb};
use stackforge::{Expr, Handle, Scope, Val};

use crate::codes;

/// How data points are aggregated over a period.
#[derive(Clone, Debug, PartialEq)]
pub enum Statistic {
    /// The mean.
    Average,
    /// The total: the only meaningful statistic of a count metric.
    Sum,
    /// The lowest value.
    Minimum,
    /// The highest value.
    Maximum,
    /// The number of data points.
    SampleCount,
    /// A percentile, e.g. `Percentile(99.0)` for `p99` (`ExtendedStatistic`).
    Percentile(f64),
}

/// What a metric measures, which decides its statistic and how missing data is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricKind {
    /// A count of events (errors, 5xx responses, throttles): published only when something
    /// happens, so missing data means zero. Alarms use `Sum` and treat missing data as not
    /// breaching.
    Count,
    /// A level (CPU, depth, latency, free storage): missing data means no data.
    Gauge,
}

/// A CloudWatch metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// The namespace, e.g. `AWS/ECS`.
    pub namespace: String,
    /// The metric name, e.g. `CPUUtilization`.
    pub name: String,
    /// Dimensions, in order (name, value).
    pub dimensions: Vec<(String, Val<String>)>,
    /// The statistic. Default: `Average` for a gauge, `Sum` for a count.
    pub statistic: Statistic,
    /// The period in seconds: 10, 20, 30 or a multiple of 60 (checked where it is used).
    /// Default: `300`.
    pub period_seconds: Val<i64>,
    /// Count or gauge. Default: [`MetricKind::Gauge`].
    pub kind: MetricKind,
}

impl Metric {
    /// A gauge metric with no dimensions, `Average` over 5 minutes.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Metric {
            namespace: namespace.into(),
            name: name.into(),
            dimensions: Vec::new(),
            statistic: Statistic::Average,
            period_seconds: 300.into(),
            kind: MetricKind::Gauge,
        }
    }

    /// A count metric (`Sum` over 5 minutes; missing data is zero).
    pub fn count(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Metric {
            statistic: Statistic::Sum,
            kind: MetricKind::Count,
            ..Metric::new(namespace, name)
        }
    }

    /// Adds a dimension.
    pub fn dimension(mut self, name: impl Into<String>, value: impl Into<Val<String>>) -> Self {
        self.dimensions.push((name.into(), value.into()));
        self
    }

    /// Sets the statistic.
    pub fn statistic(mut self, s: Statistic) -> Self {
        self.statistic = s;
        self
    }

    /// Sets the period in seconds.
    pub fn period(mut self, seconds: impl Into<Val<i64>>) -> Self {
        self.period_seconds = seconds.into();
        self
    }

    /// The alarm properties this metric fills: namespace, name, dimensions, statistic (or
    /// extended statistic) and period.
    pub fn apply_to(&self, alarm: &mut cloudwatch::Alarm) {
        alarm.namespace = Some(self.namespace.clone().into());
        alarm.metric_name = Some(self.name.clone().into());
        alarm.dimensions = (!self.dimensions.is_empty()).then(|| {
            self.dimensions
                .iter()
                .map(|(n, v)| cloudwatch::alarm::Dimension::new(n.clone(), v.clone()))
                .collect()
        });
        use cloudwatch::alarm::Statistic as S;
        let (stat, extended) = match &self.statistic {
            Statistic::Average => (Some(S::Average), None),
            Statistic::Sum => (Some(S::Sum), None),
            Statistic::Minimum => (Some(S::Minimum), None),
            Statistic::Maximum => (Some(S::Maximum), None),
            Statistic::SampleCount => (Some(S::SampleCount), None),
            Statistic::Percentile(p) => (None, Some(format!("p{p}"))),
        };
        alarm.statistic = stat.map(Into::into);
        alarm.extended_statistic = extended.map(Into::into);
        alarm.period = Some(self.period_seconds.clone());
    }
}

/// Checks a metric period: 10, 20, 30 or a multiple of 60 seconds (CloudWatch's rule for
/// alarms; high-resolution periods below 60 need a high-resolution metric).
pub fn check_period(seconds: i64) -> Result<(), PeriodError> {
    if matches!(seconds, 10 | 20 | 30) || (seconds >= 60 && seconds % 60 == 0) {
        Ok(())
    } else {
        Err(PeriodError { seconds })
    }
}

/// A metric period CloudWatch refuses ([`check_period`]); its code is
/// [`codes::INVALID_ALARM`] (`SF035`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a period of {seconds} s is not 10, 20, 30 or a multiple of 60")]
#[non_exhaustive]
pub struct PeriodError {
    /// The period given, in seconds.
    pub seconds: i64,
}

impl PeriodError {
    /// The code: [`codes::INVALID_ALARM`] (`SF035`).
    pub fn code(&self) -> stackforge::Code {
        codes::INVALID_ALARM
    }
}

/// Checks a metric's period (through [`Scope::check_values`]) and dimensions, reporting at
/// `id`.
pub fn check_metric(scope: &mut Scope<'_>, id: &str, m: &Metric) {
    scope.check_values(
        codes::INVALID_ALARM,
        id,
        Some("Properties.Period"),
        &[m.period_seconds.expr()],
        |v| match crate::key::whole(&v[0]) {
            Some(p) => check_period(p).map_err(|e| e.to_string()),
            None => Err(format!("the period {} is not a whole number", v[0])),
        },
    );
    for (message, help) in check_dimensions(m) {
        scope.error(
            codes::WRONG_METRIC_DIMENSION,
            id,
            Some("Properties.Dimensions"),
            message,
            help,
        );
    }
}

/// What each well-known dimension must hold: `(namespace, dimension, rule)`.
enum DimRule {
    /// `GetAtt <attr>`, or a literal starting with the prefix; a `Ref` is wrong.
    GetAtt(&'static str, &'static str),
    /// `Ref`, or a literal that is not an ARN; a `GetAtt` of another attribute is wrong.
    Ref(&'static str),
}

const DIMENSION_RULES: &[(&str, &str, DimRule)] = &[
    (
        "AWS/ApplicationELB",
        "LoadBalancer",
        DimRule::GetAtt("LoadBalancerFullName", "app/"),
    ),
    (
        "AWS/ApplicationELB",
        "TargetGroup",
        DimRule::GetAtt("TargetGroupFullName", "targetgroup/"),
    ),
    ("AWS/SQS", "QueueName", DimRule::GetAtt("QueueName", "")),
    ("AWS/ECS", "ServiceName", DimRule::GetAtt("Name", "")),
    (
        "AWS/Lambda",
        "FunctionName",
        DimRule::Ref("a function name"),
    ),
    (
        "AWS/RDS",
        "DBInstanceIdentifier",
        DimRule::Ref("a DB instance identifier"),
    ),
    ("AWS/ApiGateway", "ApiId", DimRule::Ref("an API ID")),
];

/// The wrong-attribute problems of a metric's dimensions: `(message, help)` pairs.
pub fn check_dimensions(m: &Metric) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, value) in &m.dimensions {
        let Some((_, _, rule)) = DIMENSION_RULES
            .iter()
            .find(|(ns, d, _)| *ns == m.namespace && d == name)
        else {
            continue;
        };
        match (rule, value.expr()) {
            (DimRule::GetAtt(attr, _), Expr::Ref(_)) => out.push((
                format!(
                    "the {} dimension `{name}` holds a resource's `Ref`; CloudWatch publishes `{}` under its `{attr}`, so the alarm would never fire",
                    m.namespace, m.name
                ),
                format!("use the resource's `attr_{}()`, or the pattern's metric accessor", snake(attr)),
            )),
            (DimRule::GetAtt(attr, _), Expr::GetAtt(_, a)) if a.as_ref() != *attr => out.push((
                format!(
                    "the {} dimension `{name}` holds `GetAtt {a}`; CloudWatch publishes `{}` under `{attr}`, so the alarm would never fire",
                    m.namespace, m.name
                ),
                format!("use `attr_{}()`, or the pattern's metric accessor", snake(attr)),
            )),
            (DimRule::GetAtt(attr, prefix), Expr::Str(s))
                if s.starts_with("arn:") || s.starts_with("https://") || !s.starts_with(prefix) =>
            {
                out.push((
                    format!("the {} dimension `{name}` is `{s}`, which is not a {attr}", m.namespace),
                    format!("use the {attr} (e.g. `{prefix}…`), not an ARN or URL"),
                ))
            }
            (DimRule::Ref(what), Expr::GetAtt(_, a)) => out.push((
                format!(
                    "the {} dimension `{name}` holds `GetAtt {a}`; it must be {what} (the resource's `Ref`), so the alarm would never fire",
                    m.namespace
                ),
                "use the resource's handle (`Ref`), or the pattern's metric accessor".to_owned(),
            )),
            (DimRule::Ref(what), Expr::Str(s)) if s.starts_with("arn:") => out.push((
                format!("the {} dimension `{name}` is an ARN; it must be {what}", m.namespace),
                "give the name, not the ARN".to_owned(),
            )),
            _ => {}
        }
    }
    out
}

fn snake(attr: &str) -> String {
    let mut s = String::new();
    for (i, c) in attr.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            s.push('_');
        }
        s.push(c.to_ascii_lowercase());
    }
    s
}

/// An Application Load Balancer's full name (`app/<name>/<id>`), the value of the
/// `LoadBalancer` dimension. Only [`LoadBalancerFullName::of`] (the `LoadBalancerFullName`
/// attribute) makes one, so the typed ALB metrics cannot get the load balancer's ARN:
///
/// ```
/// # use stackforge::{App, cfn::elasticloadbalancingv2 as elb};
/// # use stackforge_modules::metrics::{alb, LoadBalancerFullName};
/// # let app = App::new();
/// # let mut s = app.stack("web");
/// let lb = s.add("Lb", elb::LoadBalancer::default());
/// let m = alb::elb_5xx(&LoadBalancerFullName::of(lb));
/// # let _ = m;
/// ```
///
/// A load balancer's handle where its full name belongs does not compile:
///
/// ```compile_fail
/// # use stackforge::{App, cfn::elasticloadbalancingv2 as elb};
/// # use stackforge_modules::metrics::{alb, LoadBalancerFullName};
/// # let app = App::new();
/// # let mut s = app.stack("web");
/// let lb = s.add("Lb", elb::LoadBalancer::default());
/// let m = alb::elb_5xx(&lb);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LoadBalancerFullName(Val<String>);

impl LoadBalancerFullName {
    /// The full name of a load balancer of this app.
    pub fn of(lb: Handle<elb::LoadBalancer>) -> Self {
        LoadBalancerFullName(lb.attr_load_balancer_full_name())
    }
    /// The value.
    pub fn value(&self) -> Val<String> {
        self.0.clone()
    }
}

/// A target group's full name (`targetgroup/<name>/<id>`), the value of the `TargetGroup`
/// dimension.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetGroupFullName(Val<String>);

impl TargetGroupFullName {
    /// The full name of a target group of this app.
    pub fn of(tg: Handle<elb::TargetGroup>) -> Self {
        TargetGroupFullName(tg.attr_target_group_full_name())
    }
    /// The value.
    pub fn value(&self) -> Val<String> {
        self.0.clone()
    }
}

/// Application Load Balancer metrics (`AWS/ApplicationELB`).
pub mod alb {
    use super::{LoadBalancerFullName, Metric, Statistic, TargetGroupFullName};

    const NS: &str = "AWS/ApplicationELB";

    /// 5xx responses the load balancer itself returned (`HTTPCode_ELB_5XX_Count`).
    pub fn elb_5xx(lb: &LoadBalancerFullName) -> Metric {
        Metric::count(NS, "HTTPCode_ELB_5XX_Count").dimension("LoadBalancer", lb.value())
    }
    /// 5xx responses from the targets (`HTTPCode_Target_5XX_Count`).
    pub fn target_5xx(lb: &LoadBalancerFullName) -> Metric {
        Metric::count(NS, "HTTPCode_Target_5XX_Count").dimension("LoadBalancer", lb.value())
    }
    /// Target response time in seconds, p99 (`TargetResponseTime`).
    pub fn latency(lb: &LoadBalancerFullName) -> Metric {
        Metric::new(NS, "TargetResponseTime")
            .dimension("LoadBalancer", lb.value())
            .statistic(Statistic::Percentile(99.0))
    }
    /// Healthy targets of a target group, minimum (`HealthyHostCount`, with `TargetGroup`
    /// and `LoadBalancer`).
    pub fn healthy_hosts(tg: &TargetGroupFullName, lb: &LoadBalancerFullName) -> Metric {
        Metric::new(NS, "HealthyHostCount")
            .dimension("TargetGroup", tg.value())
            .dimension("LoadBalancer", lb.value())
            .statistic(Statistic::Minimum)
            .period(60)
    }
}

/// ECS service metrics (`AWS/ECS`, `ClusterName` and `ServiceName`).
pub mod ecs {
    use super::Metric;
    use stackforge::Val;

    /// Average CPU utilisation of a service's tasks, percent.
    pub fn cpu(cluster_name: Val<String>, service_name: Val<String>) -> Metric {
        Metric::new("AWS/ECS", "CPUUtilization")
            .dimension("ClusterName", cluster_name)
            .dimension("ServiceName", service_name)
    }
    /// Average memory utilisation of a service's tasks, percent.
    pub fn memory(cluster_name: Val<String>, service_name: Val<String>) -> Metric {
        Metric::new("AWS/ECS", "MemoryUtilization")
            .dimension("ClusterName", cluster_name)
            .dimension("ServiceName", service_name)
    }
}

// ---- Accessors on the patterns ----

use crate::fargate::LoadBalancedFargateService;
use crate::postgres::PostgresDatabase;
use crate::queue::Queue;
use crate::redis_cache::RedisCache;

impl LoadBalancedFargateService {
    /// The load balancer's full name (the `LoadBalancer` dimension).
    pub fn load_balancer_full_name(&self) -> LoadBalancerFullName {
        LoadBalancerFullName::of(self.load_balancer)
    }
    /// Average CPU utilisation of the service's tasks (`AWS/ECS`, `ClusterName`,
    /// `ServiceName`).
    pub fn metric_cpu(&self) -> Metric {
        ecs::cpu(self.cluster_name.clone(), self.service.attr_name())
    }
    /// Average memory utilisation of the service's tasks.
    pub fn metric_memory(&self) -> Metric {
        ecs::memory(self.cluster_name.clone(), self.service.attr_name())
    }
    /// 5xx responses the load balancer returned itself (no healthy target, timeouts).
    pub fn metric_load_balancer_5xx(&self) -> Metric {
        alb::elb_5xx(&self.load_balancer_full_name())
    }
    /// 5xx responses from the service's tasks.
    pub fn metric_target_5xx(&self) -> Metric {
        alb::target_5xx(&self.load_balancer_full_name())
    }
    /// p99 target response time, in seconds.
    pub fn metric_latency(&self) -> Metric {
        alb::latency(&self.load_balancer_full_name())
    }
    /// The minimum number of healthy tasks behind the target group, per minute.
    pub fn metric_healthy_hosts(&self) -> Metric {
        alb::healthy_hosts(
            &TargetGroupFullName::of(self.target_group),
            &self.load_balancer_full_name(),
        )
    }
}

impl PostgresDatabase {
    fn rds_metric(&self, name: &str) -> Metric {
        Metric::new("AWS/RDS", name).dimension("DBInstanceIdentifier", self.instance.reference())
    }
    /// Average CPU utilisation of the instance (`AWS/RDS`, `DBInstanceIdentifier` = its `Ref`).
    pub fn metric_cpu(&self) -> Metric {
        self.rds_metric("CPUUtilization")
    }
    /// Minimum free storage, in bytes.
    pub fn metric_free_storage(&self) -> Metric {
        self.rds_metric("FreeStorageSpace")
            .statistic(Statistic::Minimum)
    }
    /// Maximum open connections.
    pub fn metric_connections(&self) -> Metric {
        self.rds_metric("DatabaseConnections")
            .statistic(Statistic::Maximum)
    }
}

impl RedisCache {
    /// The primary node's id at creation (`<replication group>-001`), the `CacheClusterId`
    /// dimension ElastiCache publishes node metrics under.
    fn node_metric(&self, name: &str) -> Metric {
        Metric::new("AWS/ElastiCache", name).dimension(
            "CacheClusterId",
            stackforge::sub!(self.replication_group.reference(), "-001"),
        )
    }
    /// Average Redis engine CPU utilisation of node 001 (`EngineCPUUtilization`: Redis is
    /// single-threaded, so host CPU hides a saturated engine).
    pub fn metric_cpu(&self) -> Metric {
        self.node_metric("EngineCPUUtilization")
    }
    /// Keys evicted for lack of memory on node 001 (a count).
    pub fn metric_evictions(&self) -> Metric {
        Metric {
            statistic: Statistic::Sum,
            kind: MetricKind::Count,
            ..self.node_metric("Evictions")
        }
    }
}

impl Queue {
    fn sqs_metric(&self, name: &str) -> Metric {
        Metric::new("AWS/SQS", name)
            .dimension("QueueName", self.queue_name())
            .statistic(Statistic::Maximum)
            .period(60)
    }
    /// Messages waiting (`ApproximateNumberOfMessagesVisible`, maximum per minute, `QueueName`).
    pub fn metric_depth(&self) -> Metric {
        self.sqs_metric("ApproximateNumberOfMessagesVisible")
    }
    /// Age of the oldest message, in seconds (`ApproximateAgeOfOldestMessage`, maximum per
    /// minute).
    pub fn metric_age_of_oldest(&self) -> Metric {
        self.sqs_metric("ApproximateAgeOfOldestMessage")
    }
}
