//! Shared nested definitions: a nested struct, Key/Value shape or enum that several resource
//! types define identically (QuickSight's Analysis, Dashboard and Template; the WAF and
//! WAFRegional match sets; SageMaker's monitoring job definitions) is emitted once, in
//! `src/cfn/shared/<group>.rs`, and re-exported (`pub use`) from every type's module, so
//! each old path keeps working.
//!
//! "Identically" means the emitted text is the same: name, docs, fields, rules, and every
//! type reachable from it. This is decided by partition refinement (as in DFA
//! minimisation), which handles recursive definitions: start from each item's own text with
//! references left out, then split classes by the classes of the referenced items until
//! nothing changes.
//!
//! A group module is compiled when any feature of the types that use it is on
//! (`#[cfg(any(feature = "a", feature = "b"))]`), so no feature is added.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::model::{Marker, RuleIr, Ty, TypeModel};

/// A struct or enum of one type: `(flat type index, item index)`.
pub type Member = (usize, usize);

/// What a shared item is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Struct,
    Enum,
}

/// One item emitted in a shared group module.
#[derive(Debug)]
pub struct Item {
    pub kind: Kind,
    /// The group module (`quicksight`, `waf_wafregional`, …).
    pub group: String,
    /// The item's name in the group (the struct or enum name; for a Key/Value shape, the
    /// name of its static without `_SHAPE`).
    pub name: String,
    /// The member whose model is emitted.
    pub rep: Member,
    /// Every type's copy.
    pub members: Vec<Member>,
    /// Whether a shape static is emitted (structs only).
    pub has_shape: bool,
}

/// A group module: the features that compile it and its items.
#[derive(Debug, Default)]
pub struct Group {
    pub features: BTreeSet<String>,
    pub items: Vec<usize>,
}

/// The sharing decision for every item of every type.
#[derive(Debug, Default)]
pub struct Shared {
    /// Per flat type index, per struct index: the shared item, if any.
    pub structs: Vec<Vec<Option<usize>>>,
    /// Per flat type index, per enum index: the shared item, if any.
    pub enums: Vec<Vec<Option<usize>>>,
    pub items: Vec<Item>,
    pub groups: BTreeMap<String, Group>,
    /// Items that could have been shared but lost a name collision in their group.
    pub name_collisions: usize,
}

impl Shared {
    pub fn struct_item(&self, t: usize, i: usize) -> Option<&Item> {
        self.structs
            .get(t)
            .and_then(|v| v.get(i).copied().flatten())
            .map(|x| &self.items[x])
    }
    pub fn enum_item(&self, t: usize, i: usize) -> Option<&Item> {
        self.enums
            .get(t)
            .and_then(|v| v.get(i).copied().flatten())
            .map(|x| &self.items[x])
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Node {
    S(usize, usize),
    E(usize, usize),
}

fn ty_key(t: &Ty, out: &mut String, refs: &mut Vec<Node>, ti: usize) {
    match t {
        Ty::Val(m) => {
            out.push_str("V(");
            marker_key(m, out, refs, ti);
            out.push(')');
        }
        Ty::Struct(i) => {
            out.push_str("S#");
            refs.push(Node::S(ti, *i));
        }
        Ty::Tag(i) => {
            out.push_str("T#");
            refs.push(Node::S(ti, *i));
        }
        Ty::KeyValue(i) => {
            out.push_str("K#");
            refs.push(Node::S(ti, *i));
        }
        Ty::Vec(x) => {
            out.push_str("Vec(");
            ty_key(x, out, refs, ti);
            out.push(')');
        }
        Ty::Map(x) => {
            out.push_str("Map(");
            ty_key(x, out, refs, ti);
            out.push(')');
        }
        Ty::Boxed(x) => {
            out.push_str("Box(");
            ty_key(x, out, refs, ti);
            out.push(')');
        }
    }
}

fn marker_key(m: &Marker, out: &mut String, refs: &mut Vec<Node>, ti: usize) {
    match m {
        Marker::Enum(i) => {
            out.push_str("E#");
            refs.push(Node::E(ti, *i));
        }
        Marker::List(x) => {
            out.push_str("List(");
            marker_key(x, out, refs, ti);
            out.push(')');
        }
        other => {
            let _ = write!(out, "{other:?}");
        }
    }
}

fn rule_key(r: &RuleIr, out: &mut String, refs: &mut Vec<Node>, ti: usize) {
    let _ = write!(
        out,
        "R({:?},{:?},{:?},{:?},{:?},{:?},{:?},{:?},{:?},{}",
        r.min_len,
        r.max_len,
        r.min,
        r.max,
        r.pattern,
        r.one_of,
        r.min_items,
        r.max_items,
        r.formats,
        r.secret
    );
    if let Some(i) = &r.items {
        out.push_str(",items:");
        rule_key(i, out, refs, ti);
    }
    if let Some(s) = r.shape {
        out.push_str(",shape#");
        refs.push(Node::S(ti, s));
    }
    out.push(')');
}

/// Decides which items are shared. `types` is every type in emission order with its
/// feature.
pub fn compute(types: &[(&TypeModel, String)]) -> Shared {
    // Local keys and references of every node.
    let mut nodes: Vec<Node> = Vec::new();
    let mut local: Vec<String> = Vec::new();
    let mut refs: Vec<Vec<Node>> = Vec::new();
    for (ti, (m, _)) in types.iter().enumerate() {
        for (si, s) in m.structs.iter().enumerate() {
            let mut key = String::new();
            let mut r = Vec::new();
            if s.tag_only {
                // Only the shape is emitted; its name is an index, so leave it out.
                key.push_str("KV|");
            } else {
                let _ = write!(key, "S|{}|{}|", s.name, s.doc);
            }
            for f in &s.fields {
                let _ = write!(
                    key,
                    "{}|{}|{}|{}|{}|{}|{:?}|",
                    f.cfn, f.rust, f.doc, f.required, f.deprecated, f.create_only, f.format
                );
                ty_key(&f.ty, &mut key, &mut r, ti);
                rule_key(&f.rule, &mut key, &mut r, ti);
                key.push(';');
            }
            nodes.push(Node::S(ti, si));
            local.push(key);
            refs.push(r);
        }
        for (ei, e) in m.enums.iter().enumerate() {
            nodes.push(Node::E(ti, ei));
            local.push(format!("E|{}|{}|{:?}", e.name, e.doc, e.variants));
            refs.push(Vec::new());
        }
    }
    let index: HashMap<Node, usize> = nodes.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    // Partition refinement.
    let mut class: Vec<usize> = {
        let mut ids: HashMap<&str, usize> = HashMap::new();
        local
            .iter()
            .map(|k| {
                let n = ids.len();
                *ids.entry(k.as_str()).or_insert(n)
            })
            .collect()
    };
    let mut n_classes = class.iter().collect::<BTreeSet<_>>().len();
    loop {
        let mut ids: HashMap<(usize, Vec<usize>), usize> = HashMap::new();
        let next: Vec<usize> = (0..nodes.len())
            .map(|i| {
                let sig = (
                    class[i],
                    refs[i].iter().map(|r| class[index[r]]).collect::<Vec<_>>(),
                );
                let n = ids.len();
                *ids.entry(sig).or_insert(n)
            })
            .collect();
        let n = ids.len();
        class = next;
        if n == n_classes {
            break;
        }
        n_classes = n;
    }
    // Classes with members in at least two types are candidates.
    let mut members: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, c) in class.iter().enumerate() {
        members.entry(*c).or_default().push(i);
    }
    let type_of = |n: Node| match n {
        Node::S(t, _) | Node::E(t, _) => t,
    };
    let emits = |n: Node| match n {
        Node::S(t, s) => !types[t].0.structs[s].tag_only || types[t].0.structs[s].has_shape,
        Node::E(..) => true,
    };
    let mut candidate: BTreeSet<usize> = members
        .iter()
        .filter(|(_, ms)| {
            emits(nodes[ms[0]])
                && ms
                    .iter()
                    .map(|m| type_of(nodes[*m]))
                    .collect::<BTreeSet<_>>()
                    .len()
                    >= 2
        })
        .map(|(c, _)| *c)
        .collect();
    let group_of = |c: usize| -> BTreeSet<String> {
        members[&c]
            .iter()
            .map(|m| types[type_of(nodes[*m])].1.clone())
            .collect()
    };
    let name_of = |c: usize| -> String {
        match nodes[members[&c][0]] {
            Node::S(t, s) => types[t].0.structs[s].name.clone(),
            Node::E(t, e) => types[t].0.enums[e].name.clone(),
        }
    };
    let mut name_collisions = 0;
    loop {
        // An item is shared only if everything it refers to is.
        let mut changed = true;
        while changed {
            changed = false;
            for c in candidate.clone() {
                let ok = members[&c].iter().all(|m| {
                    refs[*m]
                        .iter()
                        .all(|r| candidate.contains(&class[index[r]]))
                });
                if !ok {
                    candidate.remove(&c);
                    changed = true;
                }
            }
        }
        // One name per group: the class with the most copies keeps it.
        let mut by_name: BTreeMap<(String, String, bool), Vec<usize>> = BTreeMap::new();
        for &c in &candidate {
            let tag =
                matches!(nodes[members[&c][0]], Node::S(t, s) if types[t].0.structs[s].tag_only);
            if tag {
                continue;
            }
            let g = format!("{:?}", group_of(c));
            by_name.entry((g, name_of(c), false)).or_default().push(c);
        }
        let mut lost = Vec::new();
        for (_, mut cs) in by_name {
            if cs.len() > 1 {
                cs.sort_by_key(|c| (std::cmp::Reverse(members[c].len()), *c));
                lost.extend(cs.into_iter().skip(1));
            }
        }
        if lost.is_empty() {
            break;
        }
        name_collisions += lost.len();
        for c in lost {
            candidate.remove(&c);
        }
    }

    let mut shared = Shared {
        structs: types
            .iter()
            .map(|(m, _)| vec![None; m.structs.len()])
            .collect(),
        enums: types
            .iter()
            .map(|(m, _)| vec![None; m.enums.len()])
            .collect(),
        name_collisions,
        ..Shared::default()
    };
    // Module names, unique per feature set.
    let sets: BTreeSet<BTreeSet<String>> = candidate.iter().map(|&c| group_of(c)).collect();
    let mut module_of: BTreeMap<BTreeSet<String>, String> = BTreeMap::new();
    let mut used_modules: BTreeSet<String> = BTreeSet::new();
    for set in sets {
        let base = group_name(&set);
        let mut name = base.clone();
        let mut n = 2;
        while used_modules.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        used_modules.insert(name.clone());
        module_of.insert(set, name);
    }
    // Deterministic order: by group, then name (Key/Value shapes by their first member).
    let mut order: Vec<(String, String, usize)> = candidate
        .iter()
        .map(|&c| (module_of[&group_of(c)].clone(), name_of(c), c))
        .collect();
    order.sort_by(|a, b| {
        let ka = (&a.0, &a.1, nodes[members[&a.2][0]]);
        let kb = (&b.0, &b.1, nodes[members[&b.2][0]]);
        ka.cmp(&kb)
    });
    let mut kv_counter: BTreeMap<String, usize> = BTreeMap::new();
    for (g, name, c) in order {
        let ms: Vec<Member> = members[&c]
            .iter()
            .map(|m| match nodes[*m] {
                Node::S(t, s) => (t, s),
                Node::E(t, e) => (t, e),
            })
            .collect();
        let rep = ms[0];
        let (kind, name, has_shape) = match nodes[members[&c][0]] {
            Node::S(..) => {
                let tag_only = types[rep.0].0.structs[rep.1].tag_only;
                let has_shape = ms.iter().any(|(t, s)| types[*t].0.structs[*s].has_shape);
                let name = if tag_only {
                    let n = kv_counter.entry(g.clone()).or_insert(0);
                    *n += 1;
                    if *n == 1 {
                        "KeyValue".to_owned()
                    } else {
                        format!("KeyValue{n}")
                    }
                } else {
                    name
                };
                (Kind::Struct, name, has_shape)
            }
            Node::E(..) => (Kind::Enum, name, false),
        };
        let id = shared.items.len();
        for &(t, i) in &ms {
            match kind {
                Kind::Struct => shared.structs[t][i] = Some(id),
                Kind::Enum => shared.enums[t][i] = Some(id),
            }
        }
        let group = shared.groups.entry(g.clone()).or_default();
        group.features = group_of(c);
        group.items.push(id);
        shared.items.push(Item {
            kind,
            group: g,
            name,
            rep,
            members: ms,
            has_shape,
        });
    }
    shared
}

/// The module name of a group: its features joined (`quicksight`, `waf_wafregional`); a
/// group of more than three features is named after the first two and the count.
pub fn group_name(features: &BTreeSet<String>) -> String {
    let f: Vec<String> = features.iter().map(|f| f.replace('-', "_")).collect();
    if f.len() <= 3 {
        f.join("_")
    } else {
        format!("{}_{}_and_{}_more", f[0], f[1], f.len() - 2)
    }
}
