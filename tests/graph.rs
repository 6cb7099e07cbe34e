//! `graph::render_dot` and `graph::render_mermaid`: the CLI's graph output as pure functions
//! over the assembly, with every label escaped (issue 12: property keys with `\` or a
//! newline injected nodes).

use std::collections::BTreeSet;

use stackforge::cli::{exit, run_from, NoOptions};
use stackforge::graph::{escape_dot, escape_mermaid, render_dot, render_mermaid};
use stackforge::{App, Raw};

use crate::synth_output::demo_app;

fn cli(args: &[&str]) -> String {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = run_from::<NoOptions>(args.iter().copied(), |_| demo_app(), &mut out, &mut err);
    assert_eq!(code, exit::OK, "{}", String::from_utf8_lossy(&err));
    String::from_utf8(out).unwrap()
}

#[test]
fn the_functions_print_what_the_cli_prints_for_ordinary_names() {
    let a = demo_app().synth().unwrap();
    assert_eq!(render_dot(&a, &[]), cli(&["demo", "graph"]));
    assert_eq!(
        render_mermaid(&a, &[]),
        cli(&["demo", "graph", "--format", "mermaid"])
    );
    assert_eq!(
        render_dot(&a, &["service"]),
        cli(&["demo", "graph", "--stack", "service"])
    );
}

/// An app whose property keys hold a backslash, quotes, a newline and DOT/Mermaid syntax.
fn hostile() -> App {
    let app = App::new();
    let mut s = app.stack("evil");
    let q = s.add_raw("Target", Raw::new("AWS::SQS::Queue"));
    for (i, key) in [
        "a\\",
        "b\"];\nInjected [label=\"x\"];\nTarget -> Injected [label=\"",
        "c\n  evil_Injected2[\"x\"]\n  evil_Source --> evil_Injected2 %%",
        "d|\"#<b>`",
    ]
    .iter()
    .enumerate()
    {
        s.add_raw(
            &format!("Source{i}"),
            Raw::new("AWS::SNS::Topic").prop(key, q.get_att::<String>("Arn")),
        );
    }
    app
}

/// The DOT text outside double-quoted strings (escapes honoured), and the strings.
fn lex_dot(dot: &str) -> (String, Vec<String>) {
    let mut outside = String::new();
    let mut strings = Vec::new();
    let mut chars = dot.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            outside.push(c);
            continue;
        }
        let mut s = String::new();
        loop {
            match chars.next() {
                Some('\\') => {
                    s.push('\\');
                    s.extend(chars.next());
                }
                Some('"') | None => break,
                Some(x) => {
                    assert_ne!(x, '\n', "a raw newline inside a DOT string: {dot}");
                    s.push(x);
                }
            }
        }
        outside.push_str("\"\"");
        strings.push(s);
    }
    (outside, strings)
}

#[test]
fn dot_labels_cannot_add_nodes_or_edges() {
    let a = hostile().synth().unwrap();
    let dot = render_dot(&a, &[]);
    let (outside, strings) = lex_dot(&dot);
    // Outside the strings: only the statements stackforge writes.
    let mut nodes = BTreeSet::new();
    let mut edges = BTreeSet::new();
    for line in outside.lines().map(str::trim) {
        match line {
            "digraph stackforge {"
            | "rankdir=LR;"
            | "subgraph cluster_0 {"
            | "label=\"\";"
            | "}" => {}
            l if l.ends_with(" [label=\"\"];") && l.contains(" -> ") => {
                let (from, rest) = l.split_once(" -> ").unwrap();
                edges.insert((from.to_owned(), rest.split(' ').next().unwrap().to_owned()));
            }
            l if l.ends_with(" [label=\"\"];") => {
                nodes.insert(l.split(' ').next().unwrap().to_owned());
            }
            other => panic!("unexpected DOT statement `{other}` in\n{dot}"),
        }
    }
    let want_nodes: BTreeSet<String> = [
        "evil_Target",
        "evil_Source0",
        "evil_Source1",
        "evil_Source2",
        "evil_Source3",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_eq!(nodes, want_nodes);
    assert_eq!(edges.len(), 4);
    assert!(edges.iter().all(|(_, to)| to == "evil_Target"), "{edges:?}");
    // The key is in its label, escaped.
    assert!(
        strings
            .iter()
            .any(|s| s == "GetAtt Arn at Properties.a\\\\"),
        "{strings:?}"
    );
}

#[test]
fn mermaid_labels_cannot_add_nodes_or_edges() {
    let a = hostile().synth().unwrap();
    let m = render_mermaid(&a, &[]);
    let lines: Vec<&str> = m.lines().collect();
    // One statement a line: the header, the subgraph and its end, 5 nodes, 4 edges.
    assert_eq!(lines.len(), 1 + 2 + 5 + 4, "{m}");
    let edges: Vec<&&str> = lines.iter().filter(|l| l.contains(" -->|")).collect();
    assert_eq!(edges.len(), 4, "{m}");
    for e in edges {
        // `  A -->|"label"| B`: exactly two quotes, and the label holds no `|`.
        assert_eq!(e.matches('"').count(), 2, "{e}");
        let (_, rest) = e.split_once("-->|\"").unwrap();
        let (label, to) = rest.split_once("\"|").unwrap();
        assert!(!label.contains('|') && !label.contains('"'), "{label}");
        assert_eq!(to.trim(), "evil_Target");
    }
}

#[test]
fn escaping_functions() {
    assert_eq!(escape_dot("a\\b\"c\nd\re"), "a\\\\b\\\"c\\nd e");
    assert_eq!(
        escape_mermaid("a\"b#c<d>e|f`g\nh"),
        "a#quot;b#35;c#lt;d#gt;e#124;f#96;g h"
    );
}
