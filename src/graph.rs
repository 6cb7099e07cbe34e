//! The dependency graphs: resources inside a stack, and stacks inside an app.
//!
//! Edges point from the dependent to its dependency (`Service -> TaskDef`). A cycle is
//! reported with every node on it, in order, and the reason behind each edge.
//!
//! [`render_dot`] and [`render_mermaid`] draw a synthesized assembly's graphs (what the CLI's
//! `graph` command prints); every label is escaped, so a property key with `\`, a quote or a
//! newline cannot add nodes or edges.

use std::collections::BTreeSet;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;

use crate::assembly::{Assembly, StackArtifact};

/// Finds one cycle, if any: the node sequence `a -> b -> … -> a` (first node repeated last)
/// and the edge weights between them. Deterministic: the search starts at the lowest index
/// and follows edges in index order.
pub fn find_cycle<N, E: Clone>(g: &DiGraph<N, E>) -> Option<(Vec<NodeIndex>, Vec<E>)> {
    // Strongly connected components with more than one node, or a self-loop, hold cycles.
    let sccs = petgraph::algo::tarjan_scc(g);
    let mut best: Option<Vec<NodeIndex>> = None;
    for scc in sccs {
        let has_cycle = scc.len() > 1 || g.contains_edge(scc[0], scc[0]);
        if !has_cycle {
            continue;
        }
        let start = *scc.iter().min()?;
        if best.as_ref().is_none_or(|b| start < b[0]) {
            best = Some(scc);
        }
    }
    let scc = best?;
    let set: BTreeSet<NodeIndex> = scc.iter().copied().collect();
    let start = *set.iter().next()?;
    // DFS inside the component from `start` back to `start`.
    let mut path = vec![start];
    let mut edges: Vec<E> = Vec::new();
    let mut visited = BTreeSet::new();
    if dfs(g, &set, start, start, &mut path, &mut edges, &mut visited) {
        Some((path, edges))
    } else {
        None
    }
}

fn dfs<N, E: Clone>(
    g: &DiGraph<N, E>,
    set: &BTreeSet<NodeIndex>,
    at: NodeIndex,
    goal: NodeIndex,
    path: &mut Vec<NodeIndex>,
    edges: &mut Vec<E>,
    visited: &mut BTreeSet<NodeIndex>,
) -> bool {
    let mut out: Vec<_> = g
        .edges_directed(at, Direction::Outgoing)
        .filter(|e| set.contains(&e.target()))
        .map(|e| (e.target(), e.weight().clone()))
        .collect();
    out.sort_by_key(|(t, _)| *t);
    for (t, w) in out {
        if t == goal {
            path.push(t);
            edges.push(w);
            return true;
        }
        if visited.insert(t) {
            path.push(t);
            edges.push(w);
            if dfs(g, set, t, goal, path, edges, visited) {
                return true;
            }
            path.pop();
            edges.pop();
        }
    }
    false
}

/// A deterministic topological order, dependencies first; ties keep index order.
/// Returns `None` if the graph has a cycle.
pub fn dependency_order<N, E>(g: &DiGraph<N, E>) -> Option<Vec<NodeIndex>> {
    let n = g.node_count();
    // Edges point dependent -> dependency, so a node is ready when all its targets are done.
    let mut remaining: Vec<usize> = (0..n)
        .map(|i| {
            g.neighbors_directed(NodeIndex::new(i), Direction::Outgoing)
                .collect::<BTreeSet<_>>()
                .len()
        })
        .collect();
    let mut ready: BTreeSet<NodeIndex> = (0..n)
        .map(NodeIndex::new)
        .filter(|i| remaining[i.index()] == 0)
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(next) = ready.pop_first() {
        order.push(next);
        let dependents: BTreeSet<NodeIndex> =
            g.neighbors_directed(next, Direction::Incoming).collect();
        for d in dependents {
            remaining[d.index()] -= 1;
            if remaining[d.index()] == 0 {
                ready.insert(d);
            }
        }
    }
    (order.len() == n).then_some(order)
}

/// The stacks of `a` that `stacks` selects (all of them when it is empty), in deploy order.
fn selected<'a>(a: &'a Assembly, stacks: &[&str]) -> Vec<&'a StackArtifact> {
    a.stacks
        .iter()
        .filter(|s| stacks.is_empty() || stacks.contains(&s.name.as_str()))
        .collect()
}

/// An ID of letters, digits and `_` only, so it never needs quoting in DOT or Mermaid.
fn clean_id(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A resource's node ID: `<stack>_<logical ID>`, cleaned.
fn dot_id(stack: &str, logical_id: &str) -> String {
    format!("{}_{}", clean_id(stack), clean_id(logical_id))
}

/// Text for inside a DOT double-quoted string: `\` and `"` escaped, a newline as DOT's `\n`
/// line break, other control characters as spaces. Nothing in it can end the string.
pub fn escape_dot(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text for inside a Mermaid `"…"` label: quotes, `#`, `<`, `>`, `|` and backticks as
/// Mermaid entity codes, control characters (newlines included) as spaces.
pub fn escape_mermaid(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The resource and stack graph of an assembly in Graphviz DOT: one cluster per stack, one
/// node per resource (logical ID and type), one edge per dependency labelled with its reason,
/// dashed edges between stacks. `stacks` selects stacks by name (empty: all). Every label is
/// escaped ([`escape_dot`]), so no property key or type name can add nodes or edges.
pub fn render_dot(a: &Assembly, stacks: &[&str]) -> String {
    let stacks = selected(a, stacks);
    let mut s = String::from("digraph stackforge {\n  rankdir=LR;\n");
    for (i, st) in stacks.iter().enumerate() {
        s.push_str(&format!(
            "  subgraph cluster_{i} {{\n    label=\"{}\";\n",
            escape_dot(&st.name)
        ));
        for r in &st.resource_order {
            let ty = st.template["Resources"][r]["Type"].as_str().unwrap_or("");
            s.push_str(&format!(
                "    {} [label=\"{}\\n{}\"];\n",
                dot_id(&st.name, r),
                escape_dot(r),
                escape_dot(ty)
            ));
        }
        s.push_str("  }\n");
        for (from, to, why) in &st.resource_edges {
            s.push_str(&format!(
                "  {} -> {} [label=\"{}\"];\n",
                dot_id(&st.name, from),
                dot_id(&st.name, to),
                escape_dot(why)
            ));
        }
    }
    for st in &stacks {
        for d in &st.dependencies {
            s.push_str(&format!(
                "  \"{}\" -> \"{}\" [style=dashed];\n",
                escape_dot(&st.name),
                escape_dot(d)
            ));
        }
    }
    s.push_str("}\n");
    s
}

/// The same graph as a Mermaid flowchart: a subgraph per stack, a node per resource, labelled
/// edges, dotted edges between stacks. Labels are escaped ([`escape_mermaid`]).
pub fn render_mermaid(a: &Assembly, stacks: &[&str]) -> String {
    let stacks = selected(a, stacks);
    let sub_id = clean_id;
    let mut s = String::from("flowchart LR\n");
    for st in &stacks {
        s.push_str(&format!(
            "  subgraph {}[\"{}\"]\n",
            sub_id(&st.name),
            escape_mermaid(&st.name)
        ));
        for r in &st.resource_order {
            s.push_str(&format!(
                "    {}[\"{}\"]\n",
                dot_id(&st.name, r),
                escape_mermaid(r)
            ));
        }
        s.push_str("  end\n");
        for (from, to, why) in &st.resource_edges {
            s.push_str(&format!(
                "  {} -->|\"{}\"| {}\n",
                dot_id(&st.name, from),
                escape_mermaid(why),
                dot_id(&st.name, to)
            ));
        }
    }
    for st in &stacks {
        for d in &st.dependencies {
            s.push_str(&format!("  {} -.-> {}\n", sub_id(&st.name), sub_id(d)));
        }
    }
    s
}
