//! Property tests over arbitrary values, resources, overrides and sections (issue 12: "no
//! input makes synth, validate or graph panic, abort or hang"). Generated apps mix valid and
//! invalid types, intrinsics, hostile strings (quotes, backslashes, newlines, `${`, dynamic
//! references, key-shaped values), NaN and infinities, chains far deeper than the nesting
//! limit, list-indexing overrides and cross-stack references. Every run must end in a template
//! that reads back and renders as a graph, or in diagnostics whose codes are all catalogued.
//!
//! Budget: 256 cases per property by default (about 8 s for the three in a debug build on 2
//! cores);
//! `PROPTEST_CASES` raises it for a longer local run.

use proptest::prelude::*;
use serde_json::Value as Json;
use stackforge::value::{Expr, SubPart};
use stackforge::{fns, App, Handle, Output, Parameter, Raw, Val};

/// A value to build, with references by index (materialized against the app under test).
#[derive(Clone, Debug)]
enum Plan {
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    Str(String),
    Json(Json),
    List(Vec<Plan>),
    Map(Vec<(String, Plan)>),
    Ref(usize),
    GetAtt(usize, String),
    Param,
    Sub(Vec<Result<String, Plan>>),
    Join(String, Box<Plan>),
    Select(u32, Box<Plan>),
    If(Box<Plan>, Box<Plan>),
    Base64(Box<Plan>),
    /// A chain of joins this deep (often past the limit).
    Deep(u32),
}

fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,12}",
        Just("${Nope}".to_owned()),
        Just("${AWS::Region}-x".to_owned()),
        Just("{{resolve:secretsmanager:db:SecretString:password}}".to_owned()),
        Just("a\"b\\c\nd".to_owned()),
        Just("rate(5 minute)".to_owned()),
        Just("AKIAIOSFODNN7EXAMPLE".to_owned()),
        Just("postgres://app:hunter2@db/app".to_owned()),
        Just("0.0.0.0/0".to_owned()),
        Just(String::new()),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z][A-Za-z0-9]{0,8}",
        "[A-Za-z0-9_.\\-\\\\\" \n]{0,8}",
        Just("DB_PASS".to_owned()),
        Just("Period".to_owned()),
        Just("ScheduleExpression".to_owned()),
        Just("Tags".to_owned()),
        Just("Fn::GetAtt".to_owned()),
        Just("Ref".to_owned()),
    ]
}

fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(45.0),
        Just(70_000.0),
    ]
}

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i32>().prop_map(Json::from),
        hostile_string().prop_map(Json::String),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::vec((key(), inner), 0..4)
                .prop_map(|kv| Json::Object(kv.into_iter().collect())),
        ]
    })
}

fn plan() -> impl Strategy<Value = Plan> {
    let leaf = prop_oneof![
        Just(Plan::Null),
        any::<bool>().prop_map(Plan::Bool),
        any::<i64>().prop_map(Plan::Int),
        number().prop_map(Plan::Num),
        hostile_string().prop_map(Plan::Str),
        json_value().prop_map(Plan::Json),
        (0usize..6).prop_map(Plan::Ref),
        ((0usize..6), prop_oneof![Just("Arn".to_owned()), key()])
            .prop_map(|(i, a)| Plan::GetAtt(i, a)),
        Just(Plan::Param),
        (0u32..120).prop_map(Plan::Deep),
    ];
    leaf.prop_recursive(6, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Plan::List),
            prop::collection::vec((key(), inner.clone()), 0..4).prop_map(Plan::Map),
            prop::collection::vec(
                prop_oneof![hostile_string().prop_map(Ok), inner.clone().prop_map(Err)],
                0..4
            )
            .prop_map(Plan::Sub),
            (hostile_string(), inner.clone()).prop_map(|(d, p)| Plan::Join(d, Box::new(p))),
            (0u32..4, inner.clone()).prop_map(|(i, p)| Plan::Select(i, Box::new(p))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Plan::If(Box::new(a), Box::new(b))),
            inner.prop_map(|p| Plan::Base64(Box::new(p))),
        ]
    })
}

struct Env {
    handles: Vec<Handle<Raw>>,
    param: Val<String>,
    cond: stackforge::Condition,
}

fn build(p: &Plan, env: &Env) -> Expr {
    let handle = |i: &usize| env.handles[*i % env.handles.len()];
    match p {
        Plan::Null => Expr::Null,
        Plan::Bool(b) => Expr::Bool(*b),
        Plan::Int(n) => Expr::Int(*n),
        Plan::Num(n) => Expr::Num(*n),
        Plan::Str(s) => Expr::Str(s.clone()),
        Plan::Json(j) => Expr::Json(j.clone()),
        Plan::List(items) => Expr::List(items.iter().map(|i| build(i, env)).collect()),
        Plan::Map(kv) => Expr::Map(kv.iter().map(|(k, v)| (k.clone(), build(v, env))).collect()),
        Plan::Ref(i) => handle(i).reference().into_expr(),
        Plan::GetAtt(i, a) => handle(i).get_att::<String>(a.clone()).into_expr(),
        Plan::Param => env.param.clone().into_expr(),
        Plan::Sub(parts) => fns::sub(parts.iter().map(|p| match p {
            Ok(s) => SubPart::Lit(s.clone()),
            Err(x) => SubPart::Expr(build(x, env)),
        }))
        .into_expr(),
        Plan::Join(d, x) => fns::join(d, Val::from_expr(build(x, env))).into_expr(),
        Plan::Select(i, x) => fns::select::<String>(*i, Val::from_expr(build(x, env))).into_expr(),
        Plan::If(a, b) => fns::if_::<String>(
            &env.cond,
            Val::from_expr(build(a, env)),
            Val::from_expr(build(b, env)),
        )
        .into_expr(),
        Plan::Base64(x) => fns::base64(Val::from_expr(build(x, env))).into_expr(),
        Plan::Deep(n) => {
            let mut v: Val<String> = "x".into();
            for _ in 0..*n {
                v = fns::join("-", vec![v]);
            }
            v.into_expr()
        }
    }
}

const TYPES: &[&str] = &[
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::Events::Rule",
    "AWS::CloudWatch::Alarm",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::Lambda::Function",
    "AWS::DynamoDB::Table",
    "AWS::S3::Buckt",
    "Custom::Seeder",
    "Acme::Billing::Invoice",
    "not a type",
];

#[derive(Clone, Debug)]
struct Resource {
    ty: usize,
    stack: bool,
    props: Vec<(String, Plan)>,
    overrides: Vec<(Vec<String>, Option<Plan>)>,
}

fn resource() -> impl Strategy<Value = Resource> {
    let segment = prop_oneof![
        Just("Tags".to_owned()),
        Just("0".to_owned()),
        Just("1".to_owned()),
        Just("-1".to_owned()),
        Just(String::new()),
        key(),
    ];
    (
        0..TYPES.len(),
        any::<bool>(),
        prop::collection::vec((key(), plan()), 0..4),
        prop::collection::vec(
            (
                prop::collection::vec(segment, 0..4),
                prop::option::of(plan()),
            ),
            0..3,
        ),
    )
        .prop_map(|(ty, stack, props, overrides)| Resource {
            ty,
            stack,
            props,
            overrides,
        })
}

#[derive(Clone, Debug)]
struct AppPlan {
    resources: Vec<Resource>,
    outputs: Vec<(String, Plan)>,
    mapping: Json,
    tags: Vec<(String, String)>,
    description: String,
}

fn app_plan() -> impl Strategy<Value = AppPlan> {
    (
        prop::collection::vec(resource(), 1..6),
        prop::collection::vec((key(), plan()), 0..3),
        json_value(),
        prop::collection::vec((hostile_string(), hostile_string()), 0..3),
        hostile_string(),
    )
        .prop_map(|(resources, outputs, mapping, tags, description)| AppPlan {
            resources,
            outputs,
            mapping,
            tags,
            description,
        })
}

fn run(plan: &AppPlan) -> Result<(), TestCaseError> {
    let app = App::new();
    let mut a = app.stack("a");
    let mut b = app.stack("b");
    let param = a.parameter("Env", Parameter::string().allowed_values(["x", "y"]));
    let cond = a.condition("IsX", fns::equals(param.clone(), "x"));
    let mut handles = Vec::new();
    for (i, r) in plan.resources.iter().enumerate() {
        let s = if r.stack { &mut b } else { &mut a };
        handles.push(s.add_raw(&format!("R{i}"), Raw::new(TYPES[r.ty])));
    }
    let env = Env {
        handles: handles.clone(),
        param,
        cond,
    };
    for (i, r) in plan.resources.iter().enumerate() {
        // Properties and overrides go through the resource's own stack.
        let s = if r.stack { &mut b } else { &mut a };
        for (k, v) in &r.props {
            s.override_property(handles[i], &[k.as_str()], build(v, &env));
        }
        for (path, v) in &r.overrides {
            let path: Vec<&str> = path.iter().map(String::as_str).collect();
            match v {
                Some(v) => s.override_property(handles[i], &path, build(v, &env)),
                None => s.delete_property(handles[i], &path),
            }
        }
    }
    for (k, v) in &plan.outputs {
        a.output(k, Output::new(Val::<String>::from_expr(build(v, &env))));
    }
    a.mapping("Map", plan.mapping.clone());
    for (k, v) in &plan.tags {
        b.tag(k.clone(), v.clone());
    }
    b.set_description(plan.description.clone());
    drop((a, b));
    let catalogue: std::collections::BTreeSet<&str> = stackforge::catalogue::CORE
        .iter()
        .map(|i| i.code.as_str())
        .collect();
    match app.synth() {
        Ok(assembly) => {
            for s in &assembly.stacks {
                let back: Json = serde_json::from_str(&s.pretty).map_err(|e| {
                    TestCaseError::fail(format!("template does not read back: {e}"))
                })?;
                prop_assert!(
                    same(&back, &s.template),
                    "the template reads back differently"
                );
            }
            let dot = stackforge::graph::render_dot(&assembly, &[]);
            prop_assert!(dot.ends_with("}\n"), "the DOT output is not closed");
            let mermaid = stackforge::graph::render_mermaid(&assembly, &[]);
            prop_assert!(mermaid.starts_with("flowchart LR\n"));
        }
        Err(e) => {
            prop_assert!(!e.diagnostics().is_empty());
            for d in e.diagnostics() {
                prop_assert!(
                    catalogue.contains(d.code.as_str()),
                    "{} is not catalogued",
                    d.code
                );
                prop_assert!(!d.help.is_empty(), "{d} has no fix");
            }
        }
    }
    // validate gives the same diagnostics without writing anything.
    let _ = app.validate();
    Ok(())
}

/// Values that are always valid: references only to earlier resources (no cycle), finite
/// numbers, plain text, chains well within the limit.
fn valid_plan(resources: usize) -> impl Strategy<Value = Plan> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Plan::Bool),
        (-1_000i64..1_000).prop_map(Plan::Int),
        (-1.0e6f64..1.0e6).prop_map(Plan::Num),
        "[a-z0-9 ]{0,8}".prop_map(Plan::Str),
        (0..resources.max(1)).prop_map(Plan::Ref),
        (0..resources.max(1)).prop_map(|i| Plan::GetAtt(i, "Arn".to_owned())),
        (0u32..20).prop_map(Plan::Deep),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Plan::List),
            prop::collection::vec(("[A-Z][a-z]{0,6}", inner.clone()), 0..4).prop_map(Plan::Map),
            prop::collection::vec(
                prop_oneof!["[a-z/:-]{0,6}".prop_map(Ok), inner.clone().prop_map(Err)],
                1..4
            )
            .prop_map(Plan::Sub),
            ("[,;-]", inner.clone()).prop_map(|(d, p)| Plan::Join(d, Box::new(p))),
            inner.prop_map(|p| Plan::Base64(Box::new(p))),
        ]
    })
}

/// A valid app: resources in two stacks (stack `b` may reference `a`, never the reverse),
/// each with properties that reference only earlier resources.
fn valid_app() -> impl Strategy<Value = Vec<(usize, Vec<(String, Plan)>)>> {
    (2usize..7).prop_flat_map(|n| {
        (0..n)
            .map(|i| {
                (
                    Just(i),
                    prop::collection::vec(("[A-Z][a-z]{0,6}", valid_plan(i)), 0..3),
                )
            })
            .collect::<Vec<_>>()
    })
}

fn run_valid(resources: &[(usize, Vec<(String, Plan)>)]) -> Result<(), TestCaseError> {
    let app = App::new();
    let mut a = app.stack("a");
    let mut b = app.stack("b");
    let half = resources.len() / 2;
    let param = a.parameter("Env", Parameter::string().allowed_values(["x", "y"]));
    let cond = a.condition("IsX", fns::equals(param.clone(), "x"));
    let mut handles = Vec::new();
    for (i, props) in resources {
        let mut raw = Raw::new(if i % 2 == 0 {
            "AWS::SQS::Queue"
        } else {
            "AWS::SNS::Topic"
        });
        let env = Env {
            handles: if handles.is_empty() {
                vec![]
            } else {
                handles.clone()
            },
            param: param.clone(),
            cond: cond.clone(),
        };
        for (k, v) in props {
            if env.handles.is_empty() && plan_has_ref(v) {
                continue;
            }
            raw = raw.prop(k, build(v, &env));
        }
        let s = if *i < half { &mut a } else { &mut b };
        handles.push(s.add_raw(&format!("R{i}"), raw));
    }
    drop((a, b));
    let assembly = app
        .synth()
        .map_err(|e| TestCaseError::fail(format!("a valid app did not synthesize: {e}")))?;
    for s in &assembly.stacks {
        let back: Json = serde_json::from_str(&s.pretty)
            .map_err(|e| TestCaseError::fail(format!("template does not read back: {e}")))?;
        prop_assert!(
            same(&back, &s.template),
            "the template reads back differently"
        );
    }
    let dot = stackforge::graph::render_dot(&assembly, &[]);
    let edges: usize = assembly.stacks.iter().map(|s| s.resource_edges.len()).sum();
    prop_assert_eq!(
        dot.matches(" -> ").count() - dot.matches("style=dashed").count(),
        edges
    );
    Ok(())
}

/// Equal JSON, numbers to within a rounding step (serde_json's default float parser is not
/// correctly rounded in the last digit).
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y || ((x - y) / x.abs().max(y.abs())).abs() < 1e-12,
            _ => x == y,
        },
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn plan_has_ref(p: &Plan) -> bool {
    match p {
        Plan::Ref(_) | Plan::GetAtt(..) => true,
        Plan::List(v) => v.iter().any(plan_has_ref),
        Plan::Map(kv) => kv.iter().any(|(_, v)| plan_has_ref(v)),
        Plan::Sub(parts) => parts
            .iter()
            .any(|p| p.as_ref().err().is_some_and(plan_has_ref)),
        Plan::Join(_, x) | Plan::Select(_, x) | Plan::Base64(x) => plan_has_ref(x),
        Plan::If(a, b) => plan_has_ref(a) || plan_has_ref(b),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
        max_shrink_iters: 2_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_app_synthesizes_or_reports_catalogued_errors_never_panics(plan in app_plan()) {
        run(&plan)?;
    }

    #[test]
    fn valid_apps_always_synthesize_read_back_and_render(resources in valid_app()) {
        run_valid(&resources)?;
    }

    #[test]
    fn semantic_rules_and_the_secret_scanner_take_any_json(ty in 0..TYPES.len(), props in json_value(), name in key(), value in hostile_string()) {
        let _ = stackforge::semantic::check(TYPES[ty], &props);
        let _ = stackforge::secrets::scan_named(&name, &value);
        let _ = stackforge::secrets::scan_value(&value);
    }
}
