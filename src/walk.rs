//! Iterative walks over values, with the property path of each node built only when asked
//! for. Synth's reference walk (the resource graph), its literal checks and the secret scan use
//! it, so none of them recurses (see [`crate::depth`]).

use crate::value::{Expr, SubPart};

/// One step of a path.
#[derive(Clone, Copy, Debug)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
    /// The n-th argument of an intrinsic (`Fn::Join`, `Fn::If`, …).
    Arg(&'static str, usize),
}

/// A pre-order walk over an expression tree. Each node comes with an id whose path
/// [`Walk::path`] renders.
pub(crate) struct Walk<'a> {
    stack: Vec<(&'a Expr, u32)>,
    nodes: Vec<(u32, Seg<'a>)>,
}

/// The intrinsic a node renders as, for paths.
fn fn_name(e: &Expr) -> &'static str {
    match e {
        Expr::Sub(_) => "Fn::Sub",
        Expr::Join(..) => "Fn::Join",
        Expr::Select(..) => "Fn::Select",
        Expr::Split(..) => "Fn::Split",
        Expr::GetAzs(_) => "Fn::GetAZs",
        Expr::ImportValue(_) => "Fn::ImportValue",
        Expr::If(..) => "Fn::If",
        Expr::Equals(..) => "Fn::Equals",
        Expr::And(_) => "Fn::And",
        Expr::Or(_) => "Fn::Or",
        Expr::Not(_) => "Fn::Not",
        Expr::FindInMap(..) => "Fn::FindInMap",
        Expr::Base64(_) => "Fn::Base64",
        Expr::Cidr(..) => "Fn::Cidr",
        Expr::Contains(..) => "Fn::Contains",
        Expr::EachMemberEquals(..) => "Fn::EachMemberEquals",
        Expr::EachMemberIn(..) => "Fn::EachMemberIn",
        _ => "",
    }
}

impl<'a> Walk<'a> {
    /// A walk from `root`.
    pub(crate) fn new(root: &'a Expr) -> Self {
        Walk {
            stack: vec![(root, 0)],
            nodes: vec![(0, Seg::Root)],
        }
    }

    /// The next node and its id.
    pub(crate) fn next_node(&mut self) -> Option<(&'a Expr, u32)> {
        self.next_node_if(|_| true)
    }

    /// The next node and its id; its children are walked only if `descend` says so.
    pub(crate) fn next_node_if(
        &mut self,
        descend: impl Fn(&Expr) -> bool,
    ) -> Option<(&'a Expr, u32)> {
        let (e, id) = self.stack.pop()?;
        if !descend(e) {
            return Some((e, id));
        }
        let start = self.stack.len();
        match e {
            Expr::List(items) => {
                for (i, c) in items.iter().enumerate() {
                    let n = self.push_seg(id, Seg::Index(i));
                    self.stack.push((c, n));
                }
            }
            Expr::Map(m) => {
                for (k, c) in m {
                    let n = self.push_seg(id, Seg::Key(k));
                    self.stack.push((c, n));
                }
            }
            Expr::Sub(parts) => {
                for (i, p) in parts.iter().enumerate() {
                    if let SubPart::Expr(c) = p {
                        let n = self.push_seg(id, Seg::Arg("Fn::Sub", i));
                        self.stack.push((c, n));
                    }
                }
            }
            other => {
                let name = fn_name(other);
                let (stack, nodes) = (&mut self.stack, &mut self.nodes);
                let mut i = 0;
                other.for_each_child(&mut |c| {
                    nodes.push((id, Seg::Arg(name, i)));
                    let n = u32::try_from(nodes.len() - 1).unwrap_or(u32::MAX);
                    stack.push((c, n));
                    i += 1;
                });
            }
        }
        // Visit children in order.
        self.stack[start..].reverse();
        Some((e, id))
    }

    fn push_seg(&mut self, parent: u32, seg: Seg<'a>) -> u32 {
        self.nodes.push((parent, seg));
        u32::try_from(self.nodes.len() - 1).unwrap_or(u32::MAX)
    }

    /// The path of node `id` below `root` (`Properties.Tags[0].Value`,
    /// `Properties.Size.Fn::If[1]`).
    pub(crate) fn path(&self, id: u32, root: &str) -> String {
        let mut segs = Vec::new();
        let mut at = id;
        while let Some(&(parent, seg)) = self.nodes.get(at as usize) {
            if matches!(seg, Seg::Root) {
                break;
            }
            segs.push(seg);
            at = parent;
        }
        let mut out = root.to_owned();
        for seg in segs.iter().rev() {
            match seg {
                Seg::Root => {}
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
                Seg::Arg(name, i) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&format!("{name}[{i}]"));
                }
            }
        }
        out
    }
}

/// One step of a JSON path.
#[derive(Clone, Copy, Debug)]
enum JSeg<'a> {
    Key(&'a str),
    Index(usize),
}

/// A pre-order walk over the objects and lists of a JSON value (a rendered template): the
/// root, then every container below it (scalars are read from their parent). It keeps only the
/// path to the current node (no arena); [`JsonWalk::path`] renders it.
pub(crate) struct JsonWalk<'a> {
    /// Nodes to visit with their depth and the step that leads to them.
    stack: Vec<(&'a serde_json::Value, usize, Option<JSeg<'a>>)>,
    path: Vec<JSeg<'a>>,
}

impl<'a> JsonWalk<'a> {
    /// A walk from `root`.
    pub(crate) fn new(root: &'a serde_json::Value) -> Self {
        JsonWalk {
            stack: vec![(root, 0, None)],
            path: Vec::new(),
        }
    }

    /// The next node and whether it is the root.
    pub(crate) fn next_node(&mut self) -> Option<(&'a serde_json::Value, bool)> {
        let (v, depth, seg) = self.stack.pop()?;
        // The path of this node: its parent's path (cut to its depth) and its own step.
        self.path.truncate(depth.saturating_sub(1));
        if let Some(seg) = seg {
            self.path.push(seg);
        }
        let start = self.stack.len();
        match v {
            serde_json::Value::Array(items) => self.stack.extend(
                items
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.is_array() || c.is_object())
                    .map(|(i, c)| (c, depth + 1, Some(JSeg::Index(i)))),
            ),
            serde_json::Value::Object(m) => self.stack.extend(
                m.iter()
                    .filter(|(_, c)| c.is_array() || c.is_object())
                    .map(|(k, c)| (c, depth + 1, Some(JSeg::Key(k.as_str())))),
            ),
            _ => {}
        }
        self.stack[start..].reverse();
        Some((v, depth == 0))
    }

    /// The path of the node [`JsonWalk::next_node`] returned last, below `root`
    /// (`Properties.Tags[0].Value`).
    pub(crate) fn path(&self, root: &str) -> String {
        let mut out = root.to_owned();
        for seg in &self.path {
            match seg {
                JSeg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                JSeg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn paths_name_keys_indexes_and_intrinsic_arguments() {
        let e = Expr::Map(BTreeMap::from([(
            "Tags".to_owned(),
            Expr::List(vec![Expr::Join(
                "-".into(),
                Box::new(Expr::List(vec![Expr::Num(f64::NAN)])),
            )]),
        )]));
        let mut w = Walk::new(&e);
        let mut found = Vec::new();
        while let Some((n, id)) = w.next_node() {
            if matches!(n, Expr::Num(_)) {
                found.push(w.path(id, "Properties"));
            }
        }
        assert_eq!(found, ["Properties.Tags[0].Fn::Join[0][0]"]);
    }
}
