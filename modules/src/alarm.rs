//! [`Alarm`]: a CloudWatch alarm on a typed [`Metric`], with a threshold, a comparison and
//! actions (SNS topics).
//!
//! Checked at synth: the period (10, 20, 30 or a multiple of 60 s, `SF035`), the
//! evaluation periods and datapoints, the dimensions (the right attribute of the right
//! resource, `SFM045`), a count metric's statistic (`Sum`, `SFM046`), and at least one action
//! (`SFM046`: an alarm nobody hears is a dashboard). Count metrics treat missing data as not
//! breaching (no errors published means no errors); gauges keep CloudWatch's `missing`.
//!
//! Logical ID (for id `Errors`): `ErrorsAlarm`.
//!
//! ```
//! use stackforge::App;
//! use stackforge_modules::alarm::{Alarm, AlarmProps, Comparison};
//! use stackforge_modules::queue::{Queue, QueueProps};
//! use stackforge_modules::topic::{Topic, TopicProps};
//!
//! let app = App::new();
//! let mut s = app.stack("ops");
//! let topic = Topic::new(&mut s, "Alarms", TopicProps::default());
//! let q = Queue::new(&mut s, "Jobs", QueueProps::default());
//! Alarm::new(&mut s, "Backlog", AlarmProps {
//!     threshold: 1000.0.into(),
//!     comparison: Comparison::GreaterThanOrEqual,
//!     actions: vec![(&topic).into()],
//!     ..AlarmProps::new(q.metric_depth())
//! });
//! let t = &app.synth().unwrap().stacks[0].template;
//! assert_eq!(t["Resources"]["BacklogAlarm"]["Properties"]["Dimensions"][0]["Name"], "QueueName");
//! ```

use stackforge::cfn::cloudwatch;
use stackforge::{Handle, Scope, Val};

use crate::codes;
use crate::metrics::{check_metric, Metric, MetricKind, Statistic};
use crate::topic::Topic;

/// How the metric is compared with the threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comparison {
    /// `>=`.
    GreaterThanOrEqual,
    /// `>`.
    GreaterThan,
    /// `<`.
    LessThan,
    /// `<=`.
    LessThanOrEqual,
}

impl From<Comparison> for cloudwatch::alarm::ComparisonOperator {
    fn from(c: Comparison) -> Self {
        use cloudwatch::alarm::ComparisonOperator as C;
        match c {
            Comparison::GreaterThanOrEqual => C::GreaterThanOrEqualToThreshold,
            Comparison::GreaterThan => C::GreaterThanThreshold,
            Comparison::LessThan => C::LessThanThreshold,
            Comparison::LessThanOrEqual => C::LessThanOrEqualToThreshold,
        }
    }
}

/// How the alarm reads periods without data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingData {
    /// Not breaching (the default for count metrics).
    NotBreaching,
    /// Breaching (e.g. a heartbeat that stopped).
    Breaching,
    /// Ignore the period.
    Ignore,
    /// CloudWatch's own default: missing (the default for gauges).
    Missing,
}

/// What the alarm notifies: an SNS topic (by ARN).
#[derive(Clone, Debug, PartialEq)]
pub struct AlarmAction {
    /// The topic ARN.
    pub arn: Val<String>,
}

impl From<&Topic> for AlarmAction {
    fn from(t: &Topic) -> Self {
        AlarmAction { arn: t.arn() }
    }
}

/// Options of [`Alarm`].
#[derive(Clone, Debug, PartialEq)]
pub struct AlarmProps {
    /// The metric. Required: build with [`AlarmProps::new`].
    pub metric: Metric,
    /// The threshold. Default: `0`.
    pub threshold: Val<f64>,
    /// The comparison. Default: [`Comparison::GreaterThanOrEqual`].
    pub comparison: Comparison,
    /// Periods evaluated (1–100… the product with the period at most a day). Default: `1`.
    pub evaluation_periods: Val<i64>,
    /// Breaching periods among them that fire the alarm. Default: `None` (all of them).
    pub datapoints_to_alarm: Option<Val<i64>>,
    /// Topics notified when the alarm fires. Default: none, which is an error (`SFM046`).
    pub actions: Vec<AlarmAction>,
    /// Also notify the topics when the alarm returns to OK. Default: `false`.
    pub notify_ok: bool,
    /// How missing data is read. Default: `None`: [`MissingData::NotBreaching`] for a count
    /// metric, [`MissingData::Missing`] for a gauge.
    pub treat_missing_data: Option<MissingData>,
    /// The description. Default: `None` (a description naming the metric and threshold).
    pub description: Option<Val<String>>,
}

impl AlarmProps {
    /// Props for an alarm on `metric` with the defaults.
    pub fn new(metric: Metric) -> Self {
        AlarmProps {
            metric,
            threshold: 0.0.into(),
            comparison: Comparison::GreaterThanOrEqual,
            evaluation_periods: 1.into(),
            datapoints_to_alarm: None,
            actions: Vec::new(),
            notify_ok: false,
            treat_missing_data: None,
            description: None,
        }
    }
}

/// A CloudWatch alarm.
#[derive(Clone, Debug, PartialEq)]
pub struct Alarm {
    /// The `AWS::CloudWatch::Alarm` (id `<id>Alarm`).
    pub alarm: Handle<cloudwatch::Alarm>,
    /// The pattern's full path.
    pub name: String,
}

impl Alarm {
    /// Creates the alarm under `id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: AlarmProps) -> Self {
        let name = scope.logical_id_for(id);
        let mut s = scope.child(id);
        if props.actions.is_empty() {
            s.error(
                codes::INVALID_ALARM_SETUP,
                "Alarm",
                Some("Properties.AlarmActions"),
                "the alarm has no action: nobody would hear it",
                "add a topic: actions: vec![(&topic).into()]",
            );
        }
        let alarm = alarm_resource(&mut s, "Alarm", &props);
        Alarm { alarm, name }
    }

    /// The alarm's ARN.
    pub fn arn(&self) -> Val<String> {
        self.alarm.attr_arn()
    }
}

/// Checks the props and adds the `AWS::CloudWatch::Alarm` as `id` in `scope` (for patterns
/// that make alarms without actions, such as step scaling, whose action is a policy).
pub fn alarm_resource(
    s: &mut Scope<'_>,
    id: &str,
    props: &AlarmProps,
) -> Handle<cloudwatch::Alarm> {
    let m = &props.metric;
    check_metric(s, id, m);
    if m.kind == MetricKind::Count && m.statistic != Statistic::Sum {
        s.error(
            codes::INVALID_ALARM_SETUP,
            id,
            Some("Properties.Statistic"),
            format!(
                "`{}` is a count metric; {:?} of a count hides how many happened",
                m.name, m.statistic
            ),
            "use Statistic::Sum (the count metrics' default)",
        );
    }
    s.check_values(
        codes::INVALID_ALARM,
        id,
        Some("Properties.EvaluationPeriods"),
        &[
            props.evaluation_periods.expr(),
            props
                .datapoints_to_alarm
                .as_ref()
                .unwrap_or(&props.evaluation_periods)
                .expr(),
            m.period_seconds.expr(),
        ],
        |v| {
            let (Some(n), Some(d), Some(p)) = (
                crate::key::whole(&v[0]),
                crate::key::whole(&v[1]),
                crate::key::whole(&v[2]),
            ) else {
                return Err("evaluation periods and datapoints must be whole numbers".into());
            };
            if n < 1 || d < 1 || d > n {
                return Err(format!(
                    "{d} datapoints out of {n} evaluation periods: both must be at least 1, datapoints at most the periods"
                ));
            }
            if n * p > 86_400 {
                return Err(format!(
                    "{n} periods of {p} s is more than a day, the longest CloudWatch evaluates"
                ));
            }
            Ok(())
        },
    );
    use cloudwatch::alarm::TreatMissingData as T;
    let missing = props.treat_missing_data.unwrap_or(match m.kind {
        MetricKind::Count => MissingData::NotBreaching,
        MetricKind::Gauge => MissingData::Missing,
    });
    let missing = match missing {
        MissingData::NotBreaching => T::NotBreaching,
        MissingData::Breaching => T::Breaching,
        MissingData::Ignore => T::Ignore,
        MissingData::Missing => T::Missing,
    };
    let op = match props.comparison {
        Comparison::GreaterThanOrEqual => ">=",
        Comparison::GreaterThan => ">",
        Comparison::LessThan => "<",
        Comparison::LessThanOrEqual => "<=",
    };
    let description = props.description.clone().unwrap_or_else(|| {
        let threshold = props
            .threshold
            .expr()
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| match props.threshold.expr() {
                stackforge::Expr::Num(n) => n.to_string(),
                stackforge::Expr::Int(n) => n.to_string(),
                _ => "the threshold".to_owned(),
            });
        format!(
            "{}: {} {} {op} {threshold}",
            s.logical_id_for(id),
            m.namespace,
            m.name
        )
        .into()
    });
    let actions: Vec<Val<String>> = props.actions.iter().map(|a| a.arn.clone()).collect();
    let mut alarm = cloudwatch::Alarm {
        alarm_description: Some(description),
        comparison_operator: Some(
            cloudwatch::alarm::ComparisonOperator::from(props.comparison).into(),
        ),
        evaluation_periods: Some(props.evaluation_periods.clone()),
        datapoints_to_alarm: props.datapoints_to_alarm.clone(),
        threshold: Some(props.threshold.clone()),
        treat_missing_data: Some(missing.into()),
        alarm_actions: (!actions.is_empty()).then(|| actions.clone().into()),
        ok_actions: (props.notify_ok && !actions.is_empty()).then(|| actions.into()),
        ..Default::default()
    };
    m.apply_to(&mut alarm);
    s.add(id, alarm)
}
