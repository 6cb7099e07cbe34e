//! Depth-safe values (issue 12, "Depth"): a documented nesting limit enforced when a value is
//! built, iterative drop, measuring and walks, and typed errors instead of aborts. These run
//! in the debug build on the test threads' 2 MiB stacks, where a recursive drop or render of
//! a few thousand levels overflows.

use std::collections::BTreeMap;

use stackforge::depth::MAX_DEPTH;
use stackforge::diag::codes;
use stackforge::{fns, App, Diagnostic, Expr, Output, Raw, Val};

fn errors(app: &App) -> Vec<Diagnostic> {
    match app.synth() {
        Ok(_) => Vec::new(),
        Err(e) => e.diagnostics().to_vec(),
    }
}

fn one(app: &App, code: stackforge::Code) -> Diagnostic {
    let errs = errors(app);
    let hits: Vec<&Diagnostic> = errs.iter().filter(|d| d.code == code).collect();
    assert_eq!(hits.len(), 1, "{errs:#?}");
    hits[0].clone()
}

#[test]
fn a_million_nested_joins_is_a_typed_error_not_an_abort() {
    let mut v: Val<String> = "x".into();
    for _ in 0..1_000_000 {
        v = fns::join(",", vec![v]);
    }
    // Too deep is sticky: everything built on a too-deep value is one small value.
    assert_eq!(v.depth(), None);
    assert_eq!(v.expr(), &Expr::TooDeep);
    let app = App::new();
    app.stack("deep")
        .add_raw("Topic", Raw::new("AWS::SNS::Topic").prop("TopicName", v));
    let d = one(&app, codes::VALUE_TOO_DEEP);
    assert_eq!(d.path.stack.as_deref(), Some("deep"));
    assert_eq!(d.path.logical_id.as_deref(), Some("Topic"));
    assert_eq!(d.path.property.as_deref(), Some("Properties.TopicName"));
}

#[test]
fn depth_is_counted_in_rendered_json_levels_and_checked_in_constant_time() {
    let leaf: Val<String> = "x".into();
    assert_eq!(leaf.depth(), Some(0));
    let list: Val<stackforge::List<String>> = vec![leaf.clone()].into();
    assert_eq!(list.depth(), Some(1));
    // {"Fn::Join": ["-", ["x"]]}: the object, its argument list, the joined list.
    assert_eq!(fns::join("-", vec![leaf]).depth(), Some(3));
    let mut v: Val<String> = "x".into();
    let mut levels = 0;
    while let Some(d) = fns::join("-", vec![v.clone()]).depth() {
        v = fns::join("-", vec![v]);
        levels = d;
    }
    assert!(levels <= MAX_DEPTH && levels > MAX_DEPTH - 3, "{levels}");
    // The deepest value allowed synthesizes, and its template stays small: pretty output
    // grows with depth², so the limit bounds it.
    let app = App::new();
    app.stack("deep")
        .add_raw("Topic", Raw::new("AWS::SNS::Topic").prop("TopicName", v));
    let a = app.synth().expect("a value at the limit synthesizes");
    let pretty = &a.stacks[0].pretty;
    assert!(pretty.len() < 200_000, "{} bytes", pretty.len());
    // And the template reads back with serde_json's 128-level limit.
    let back: serde_json::Value = serde_json::from_str(pretty).expect("readable");
    assert_eq!(back["Resources"]["Topic"]["Type"], "AWS::SNS::Topic");
}

#[test]
fn a_raw_expression_40000_levels_deep_is_cut_and_reported_not_rendered() {
    let mut e = Expr::Str("x".into());
    for _ in 0..40_000 {
        e = Expr::List(vec![e]);
    }
    let app = App::new();
    app.stack("deep")
        .add_raw("Queue", Raw::new("AWS::SQS::Queue").prop("Tags", e));
    let d = one(&app, codes::VALUE_TOO_DEEP);
    assert_eq!(d.path.logical_id.as_deref(), Some("Queue"));
    let p = d.path.property.clone().unwrap();
    assert!(p.starts_with("Properties.Tags[0][0]"), "{p}");
    // The cut is at the limit: the path has about MAX_DEPTH list steps, not 40,000.
    assert!(p.matches("[0]").count() <= MAX_DEPTH as usize, "{p}");
}

#[test]
fn dropping_a_million_levels_does_not_overflow_the_stack() {
    let mut e = Expr::Str("x".into());
    for i in 0..1_000_000 {
        e = match i % 4 {
            0 => Expr::List(vec![e]),
            1 => Expr::Map(BTreeMap::from([("k".to_owned(), e)])),
            2 => Expr::Not(Box::new(e)),
            _ => Expr::Join("-".into(), Box::new(e)),
        };
    }
    drop(e);
    // And a deep JSON value inside an expression.
    let mut j = serde_json::Value::Null;
    for _ in 0..200_000 {
        j = serde_json::Value::Array(vec![j]);
    }
    drop(Expr::Json(j));
}

#[test]
fn a_deep_json_value_is_cut_where_it_enters() {
    let mut j = serde_json::Value::Null;
    for _ in 0..100_000 {
        j = serde_json::Value::Array(vec![j]);
    }
    let v = fns::json(j);
    assert_eq!(v.expr(), &Expr::TooDeep);
    let app = App::new();
    let mut s = app.stack("deep");
    let q = s.add_raw(
        "Queue",
        Raw::new("AWS::SQS::Queue").prop("RedrivePolicy", v),
    );
    let mut deep = serde_json::Value::Null;
    for _ in 0..100_000 {
        let mut m = serde_json::Map::new();
        m.insert("a".into(), deep);
        deep = serde_json::Value::Object(m);
    }
    s.set_metadata(q, "Deep", deep);
    let errs = errors(&app);
    let paths: Vec<(&str, Option<&str>)> = errs
        .iter()
        .filter(|d| d.code == codes::VALUE_TOO_DEEP)
        .map(|d| {
            (
                d.path.logical_id.as_deref().unwrap_or(""),
                d.path.property.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        [
            ("Queue", Some("Metadata.Deep")),
            ("Queue", Some("Properties.RedrivePolicy"))
        ],
        "{errs:#?}"
    );
}

#[test]
fn deep_conditions_overrides_and_outputs_are_reported_with_their_paths() {
    let app = App::new();
    let mut s = app.stack("deep");
    let q = s.add_raw("Queue", Raw::new("AWS::SQS::Queue"));
    let mut c = fns::equals::<String>("a", "b");
    for _ in 0..100_000 {
        c = fns::not(c);
    }
    s.condition("Never", c);
    let mut e = Expr::Str("x".into());
    for _ in 0..10_000 {
        e = Expr::Not(Box::new(e));
    }
    s.override_property(q, &["Policy", "Statement"], e);
    let mut big: Val<String> = "x".into();
    for _ in 0..1_000 {
        big = fns::base64(big);
    }
    s.output("Big", Output::new(big));
    let long_path: Vec<String> = (0..200).map(|i| format!("k{i}")).collect();
    let long_path: Vec<&str> = long_path.iter().map(String::as_str).collect();
    s.override_property(q, &long_path, Expr::Int(1));
    let errs = errors(&app);
    let mut got: Vec<(String, String, String)> = errs
        .iter()
        .map(|d| {
            (
                d.code.to_string(),
                d.path.logical_id.clone().unwrap_or_default(),
                d.path.property.clone().unwrap_or_default(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("SF016".to_owned(), "Queue".to_owned(), String::new()),
            ("SF023".into(), "Big".into(), "Value".into()),
            ("SF023".into(), "Never".into(), String::new()),
            (
                "SF023".into(),
                "Queue".into(),
                format!("Properties.Policy.Statement{}", ".Fn::Not[0]".repeat(49))
            ),
        ],
        "{errs:#?}"
    );
}

#[test]
fn nan_and_infinity_are_errors_wherever_they_are() {
    let app = App::new();
    let mut s = app.stack("nums");
    s.add_raw(
        "Alarm",
        Raw::new("AWS::CloudWatch::Alarm").prop("Threshold", Val::<f64>::from(f64::NAN)),
    );
    s.add_raw(
        "Queue",
        Raw::new("AWS::SQS::Queue").prop(
            "Tags",
            Expr::List(vec![Expr::Map(BTreeMap::from([(
                "Value".to_owned(),
                Expr::Num(f64::NEG_INFINITY),
            )]))]),
        ),
    );
    s.output("Ratio", Output::new(Val::<f64>::from(f64::INFINITY)));
    let errs = errors(&app);
    let mut got: Vec<(String, String)> = errs
        .iter()
        .filter(|d| d.code == codes::NON_FINITE_NUMBER)
        .map(|d| {
            (
                d.path.logical_id.clone().unwrap_or_default(),
                d.path.property.clone().unwrap_or_default(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("Alarm".to_owned(), "Properties.Threshold".to_owned()),
            ("Queue".into(), "Properties.Tags[0].Value".into()),
            ("Ratio".into(), "Value".into()),
        ],
        "{errs:#?}"
    );
}
