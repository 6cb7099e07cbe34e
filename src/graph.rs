//! The dependency graphs: resources inside a stack, and stacks inside an app.
//!
//! Edges point from the dependent to its dependency (`Service -> TaskDef`). A cycle is
//! reported with every node on it, in order, and the reason behind each edge.

use std::collections::BTreeSet;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;

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
