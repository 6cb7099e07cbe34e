//! Synthesis: from an [`App`] to deterministic CloudFormation JSON.
//!
//! Order is stable by construction: every JSON object is sorted by key (`serde_json`'s
//! default map is a `BTreeMap`), so resources appear sorted by logical ID and template
//! sections alphabetically; lists keep the order the program gave. Templates are pretty
//! printed with two-space indentation and end with a newline. Stacks are listed in deploy
//! order (dependencies first, ties in creation order).

use std::collections::{BTreeMap, BTreeSet};

use petgraph::graph::{DiGraph, NodeIndex};
use serde_json::{json, Map, Value as Json};

use crate::app::{App, EnvDef};
use crate::diag::{codes, DiagPath, Diagnostic, SynthError};
use crate::graph::{dependency_order, find_cycle};
use crate::stack::{EdgeReason, ParamDef, Rule, Stack};
use crate::value::{number, Expr, ItemId, ItemKind, RefTarget, ResourceId, SubPart};

pub use crate::assembly::{Assembly, EnvironmentArtifact, StackArtifact};
pub use crate::stack::{
    MAX_INLINE_TEMPLATE, MAX_LOGICAL_ID, MAX_MAPPINGS, MAX_OUTPUTS, MAX_PARAMETERS, MAX_RESOURCES,
    MAX_TEMPLATE,
};

/// A cross-stack reference: the consumer imports `(producer, resource, attribute)`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ExportKey {
    stack: u32,
    node: u32,
    attr: Option<String>,
}

impl ExportKey {
    fn new(id: ResourceId, attr: Option<&str>) -> Self {
        ExportKey {
            stack: id.stack,
            node: id.node.index() as u32,
            attr: attr.map(str::to_owned),
        }
    }
}

struct Ctx<'a> {
    app: &'a Synth<'a>,
    stack: u32,
    exports: &'a BTreeMap<ExportKey, (String, String)>,
}

/// The app's state during one synth.
struct Synth<'a> {
    id: u32,
    stacks: &'a [Stack],
    envs: &'a [EnvDef],
}

impl App {
    /// Runs every check without writing anything: all errors and warnings, sorted.
    pub fn validate(&self) -> Vec<Diagnostic> {
        match self.synth() {
            Ok(a) => a.warnings,
            Err(e) => e.diagnostics().to_vec(),
        }
    }

    /// Synthesizes every stack. Fails with every error at once.
    pub fn synth(&self) -> Result<Assembly, SynthError> {
        self.with_state(|st| {
            let mut diags = st.diags.clone();
            // Aspects change a copy: synth never alters the app, and runs twice alike.
            let with_aspects;
            let stacks: &[Stack] = if st.aspects.is_empty() {
                &st.stacks
            } else {
                with_aspects = apply_aspects(st, &mut diags);
                &with_aspects
            };
            // The schema rules: one finding per property (the first of secret, length,
            // allowed values, pattern, format: a pattern that encodes the length, or a
            // format that repeats the pattern, is the same problem), and none at a property
            // that already has an error (a pattern's own check, `SFM…`).
            let taken: BTreeSet<DiagPath> = diags
                .iter()
                .chain(stacks.iter().flat_map(|s| &s.diags))
                .filter(|d| d.is_error())
                .map(|d| d.path.clone())
                .collect();
            let mut found = Vec::new();
            for s in stacks {
                for n in s.graph.node_weights() {
                    if let Some(shape) = n.shape {
                        let base = DiagPath {
                            stack: Some(s.name.clone()),
                            logical_id: Some(n.logical_id.clone()),
                            property: None,
                        };
                        crate::validate::check_props(&n.props, shape, &base, &mut found);
                        // Raw overrides meet the same rules at the place they write to (their
                        // paths are checked when they are applied, SF016).
                        for o in &n.overrides {
                            if let Some(v) = &o.value {
                                crate::validate::check_override(
                                    shape, &o.path, v, &base, &mut found,
                                );
                            }
                        }
                    }
                }
            }
            let mut seen = BTreeSet::new();
            diags.extend(
                found
                    .into_iter()
                    .filter(|d| !taken.contains(&d.path) && seen.insert(d.path.clone())),
            );
            let mut assembly = Synth {
                id: self.id,
                stacks,
                envs: &st.environments,
            }
            .run(&mut diags)?;
            for (sha, (bytes, users)) in &st.assets {
                let names = users
                    .iter()
                    .filter_map(|i| stacks.get(*i as usize).map(|s| s.name.clone()))
                    .collect();
                assembly
                    .assets
                    .push(crate::assembly::Asset::file_zip(sha, names));
                assembly.asset_contents.insert(sha.clone(), bytes.clone());
            }
            Ok(assembly)
        })
    }
}

impl Synth<'_> {
    fn env_name(&self, s: &Stack) -> Option<String> {
        s.environment
            .and_then(|e| self.envs.get(e as usize))
            .map(|e| e.name.clone())
    }

    fn run(&self, diags: &mut Vec<Diagnostic>) -> Result<Assembly, SynthError> {
        for s in self.stacks {
            diags.extend(s.diags.iter().cloned());
        }
        if self.stacks.is_empty() {
            diags.push(Diagnostic::error(
                codes::EMPTY_STACK,
                DiagPath::default(),
                "the app has no stacks",
                "add one with `app.stack(\"name\")`",
            ));
        }

        // 1. References: foreign apps, wrong-stack items, cross-stack imports.
        let mut exports: BTreeMap<ExportKey, (String, String)> = BTreeMap::new();
        let mut stack_graph: DiGraph<(), String> = DiGraph::new();
        for _ in self.stacks {
            stack_graph.add_node(());
        }
        let mut stack_edges: BTreeSet<(u32, u32)> = BTreeSet::new();
        let mut add_stack_edge = |from: u32, to: u32, why: String| {
            if stack_edges.insert((from, to)) {
                stack_graph.add_edge(
                    NodeIndex::new(from as usize),
                    NodeIndex::new(to as usize),
                    why,
                );
            }
        };
        for s in self.stacks {
            let mut visit = |owner: &str, e: &Expr, diags: &mut Vec<Diagnostic>| {
                e.visit_refs(&mut |id, attr| {
                    if id.app != self.id {
                        diags.push(path_err(
                            codes::FOREIGN_APP,
                            &s.name,
                            owner,
                            "the value references a resource of another App",
                            "build every stack that references each other in the same App",
                        ));
                        return;
                    }
                    if id.stack != s.index {
                        let Some(producer) = self.stacks.get(id.stack as usize) else {
                            return;
                        };
                        let Some(node) = producer.graph.node_weight(id.node) else {
                            return;
                        };
                        if let Some(why) = self.cross_environment(s, producer) {
                            diags.push(path_err(
                                codes::CROSS_ENVIRONMENT,
                                &s.name,
                                owner,
                                &format!("references {}/{} across environments: {why}", producer.name, node.logical_id),
                                "exports work only within one account and region: create the resource in each environment, or pass the value as a parameter",
                            ));
                            return;
                        }
                        let key = ExportKey::new(id, attr);
                        exports
                            .entry(key)
                            .or_insert_with(|| export_names(producer, &node.logical_id, attr));
                        add_stack_edge(s.index, id.stack, format!("{owner} references {}", node.logical_id));
                    }
                });
                e.visit_items(&mut |kind, item| self.check_item(s, owner, kind, item, diags));
            };
            for n in s.graph.node_weights() {
                visit(&n.logical_id, &n.props, diags);
                for o in &n.overrides {
                    if let Some(v) = &o.value {
                        visit(&n.logical_id, v, diags);
                    }
                }
                if let Some(c) = &n.condition {
                    self.check_item(s, &n.logical_id, ItemKind::Condition, c, diags);
                }
            }
            for (name, o) in &s.outputs {
                visit(name, &o.value, diags);
                if let Some(c) = &o.condition {
                    self.check_item(s, name, ItemKind::Condition, c, diags);
                }
            }
            for (name, c) in &s.conditions {
                visit(name, c, diags);
            }
            for (name, rule) in &s.rules {
                self.check_rule(s, name, rule, diags);
            }
            for e in &s.kept_exports {
                e.visit_refs(&mut |id, attr| {
                    if let Some(node) = s.graph.node_weight(id.node) {
                        let key = ExportKey::new(id, attr);
                        exports
                            .entry(key)
                            .or_insert_with(|| export_names(s, &node.logical_id, attr));
                    }
                });
            }
            for d in &s.stack_dependencies {
                if let Some(producer) = self.stacks.get(d.on as usize) {
                    if let Some(why) = self.cross_environment(s, producer) {
                        diags.push(path_err(
                            codes::CROSS_ENVIRONMENT,
                            &s.name,
                            "",
                            &format!(
                                "depends on stack {} of another environment: {why}",
                                producer.name
                            ),
                            "a stack can only wait for stacks of its own account and region",
                        ));
                    }
                    add_stack_edge(s.index, d.on, d.reason.clone());
                }
            }
        }

        // 2. Stack cycles.
        if let Some((cycle, reasons)) = find_cycle(&stack_graph) {
            let names: Vec<&str> = cycle
                .iter()
                .map(|i| self.stacks[i.index()].name.as_str())
                .collect();
            diags.push(Diagnostic::error(
                codes::STACK_CYCLE,
                DiagPath { stack: Some(names[0].to_owned()), ..DiagPath::default() },
                format!("stacks reference each other in a cycle: {} ({})", names.join(" -> "), reasons.join("; ")),
                "move the shared resources into one stack, or pass one value as a parameter instead of a reference",
            ));
        }
        let stack_order = dependency_order(&stack_graph)
            .unwrap_or_else(|| (0..self.stacks.len()).map(NodeIndex::new).collect());

        // Export names must be unique across the app, generated ones included.
        let mut seen_exports: BTreeMap<String, String> = BTreeMap::new();
        for (key, (output_id, name)) in &exports {
            if let Some(producer) = self.stacks.get(key.stack as usize) {
                seen_exports.insert(
                    name.clone(),
                    format!(
                        "{}/{output_id} (generated for a cross-stack reference)",
                        producer.name
                    ),
                );
            }
        }
        for s in self.stacks {
            for (id, o) in &s.outputs {
                if let Some(name) = &o.export {
                    if let Some(prev) =
                        seen_exports.insert(name.clone(), format!("{}/{}", s.name, id))
                    {
                        diags.push(path_err(codes::INVALID_EXPORT, &s.name, id, &format!("export name `{name}` is also used by {prev}"), "export names are global to an account and region; use Output::export() to derive unique names"));
                    }
                    if name.is_empty()
                        || !name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == ':' || c == '-')
                    {
                        diags.push(path_err(codes::INVALID_EXPORT, &s.name, id, &format!("export name `{name}` may contain only letters, digits, `:` and `-`"), "rename the export"));
                    }
                }
            }
        }

        // 3. Per stack: graph, cycles, quotas, template.
        let mut artifacts: Vec<Option<StackArtifact>> = vec![None; self.stacks.len()];
        for s in self.stacks {
            let deps: Vec<String> = stack_edges
                .iter()
                .filter(|(from, _)| *from == s.index)
                .map(|(_, to)| self.stacks[*to as usize].name.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            crate::lint::check_values(s, diags);
            crate::lint::check_sections(s, diags);
            if let Some(a) = self.synth_stack(s, &exports, deps, diags) {
                artifacts[s.index as usize] = Some(a);
            }
        }

        diags.sort_by(|a, b| (a.severity, &a.path, a.code).cmp(&(b.severity, &b.path, b.code)));
        diags.dedup();
        if diags.iter().any(Diagnostic::is_error) {
            return Err(SynthError::Invalid(std::mem::take(diags)));
        }
        let stacks: Vec<StackArtifact> = stack_order
            .into_iter()
            .filter_map(|i| artifacts[i.index()].take())
            .collect();
        let environments = self
            .envs
            .iter()
            .map(|e| EnvironmentArtifact {
                name: e.name.clone(),
                account: e.props.account.clone(),
                region: e.props.region.clone(),
                role_arn: e.props.role_arn.clone(),
                stacks: stacks
                    .iter()
                    .filter(|s| s.environment.as_deref() == Some(e.name.as_str()))
                    .map(|s| s.name.clone())
                    .collect(),
            })
            .collect();
        Ok(Assembly {
            stacks,
            environments,
            warnings: std::mem::take(diags),
            assets: Vec::new(),
            asset_contents: BTreeMap::new(),
        })
    }

    /// Why `consumer` may not reference `producer`: both pin different accounts or regions.
    fn cross_environment(&self, consumer: &Stack, producer: &Stack) -> Option<String> {
        if consumer.environment == producer.environment {
            return None;
        }
        let differs =
            |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(x), Some(y)) if x != y);
        let mut why = Vec::new();
        if differs(&consumer.account, &producer.account) {
            why.push(format!(
                "account {} vs {}",
                consumer.account.as_deref().unwrap_or_default(),
                producer.account.as_deref().unwrap_or_default()
            ));
        }
        if differs(&consumer.region, &producer.region) {
            why.push(format!(
                "region {} vs {}",
                consumer.region.as_deref().unwrap_or_default(),
                producer.region.as_deref().unwrap_or_default()
            ));
        }
        (!why.is_empty()).then(|| {
            format!(
                "{} is in {} and {} is in {}",
                consumer.name,
                self.env_name(consumer)
                    .unwrap_or_else(|| "no environment".into()),
                producer.name,
                self.env_name(producer)
                    .unwrap_or_else(|| "no environment".into()),
            ) + &format!(" ({})", why.join(", "))
        })
    }

    /// Rules may name parameters and pseudo parameters only.
    fn check_rule(&self, s: &Stack, name: &str, rule: &Rule, diags: &mut Vec<Diagnostic>) {
        let mut bad: Vec<&'static str> = Vec::new();
        let mut walk = |e: &Expr| {
            fn visit(e: &Expr, bad: &mut Vec<&'static str>) {
                match e {
                    Expr::Ref(RefTarget::Resource(_)) | Expr::GetAtt(..) => bad.push("a resource"),
                    Expr::Condition(_) | Expr::If(..) => bad.push("a condition"),
                    Expr::FindInMap(..) => bad.push("a mapping"),
                    Expr::ImportValue(_) => bad.push("an import"),
                    _ => {}
                }
                e.for_each_child(&mut |c| visit(c, bad));
            }
            visit(e, &mut bad);
        };
        if let Some(c) = &rule.condition {
            walk(c);
        }
        for (a, _) in &rule.assertions {
            walk(a);
        }
        bad.sort_unstable();
        bad.dedup();
        if !bad.is_empty() {
            diags.push(path_err(
                codes::INVALID_RULE,
                &s.name,
                name,
                &format!(
                    "rule `{name}` references {}; rules see only parameters and pseudo parameters",
                    bad.join(", ")
                ),
                "compare parameter values (Ref) with literals in the rule",
            ));
        }
        let mut check_items = |e: &Expr| {
            e.visit_items(&mut |kind, item| self.check_item(s, name, kind, item, diags));
        };
        if let Some(c) = &rule.condition {
            check_items(c);
        }
        for (a, _) in &rule.assertions {
            check_items(a);
        }
    }

    fn check_item(
        &self,
        s: &Stack,
        owner: &str,
        kind: ItemKind,
        item: &ItemId,
        diags: &mut Vec<Diagnostic>,
    ) {
        let what = match kind {
            ItemKind::Parameter => "parameter",
            ItemKind::Condition => "condition",
            ItemKind::Mapping => "mapping",
        };
        if item.app != self.id {
            diags.push(path_err(
                codes::FOREIGN_APP,
                &s.name,
                owner,
                &format!("the {what} `{}` belongs to another App", item.name),
                "define it in this app",
            ));
        } else if item.stack != s.index {
            diags.push(path_err(
                codes::WRONG_STACK,
                &s.name,
                owner,
                &format!("the {what} `{}` belongs to another stack", item.name),
                &format!("{what}s are local to a stack; define it in this stack too"),
            ));
        }
    }

    fn synth_stack(
        &self,
        s: &Stack,
        exports: &BTreeMap<ExportKey, (String, String)>,
        dependencies: Vec<String>,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<StackArtifact> {
        let name = &s.name;
        // Logical IDs.
        for n in s.graph.node_weights() {
            if n.logical_id.len() > MAX_LOGICAL_ID {
                diags.push(path_err(
                    codes::INVALID_LOGICAL_ID,
                    name,
                    &n.logical_id,
                    &format!(
                        "logical ID has {} characters, the limit is {MAX_LOGICAL_ID}",
                        n.logical_id.len()
                    ),
                    "use shorter scope and resource ids",
                ));
            }
        }
        if s.graph.node_count() == 0 {
            diags.push(Diagnostic::error(
                codes::EMPTY_STACK,
                DiagPath {
                    stack: Some(name.clone()),
                    ..DiagPath::default()
                },
                "the stack has no resources",
                "CloudFormation requires at least one resource; add one or remove the stack",
            ));
        }

        // Resource graph: edges from references and explicit DependsOn.
        let mut g: DiGraph<(), EdgeReason> =
            DiGraph::with_capacity(s.graph.node_count(), s.graph.node_count() * 2);
        for _ in 0..s.graph.node_count() {
            g.add_node(());
        }
        let mut referenced: Vec<BTreeSet<NodeIndex>> = vec![BTreeSet::new(); s.graph.node_count()];
        for (i, n) in s.graph.node_weights().enumerate() {
            let from = NodeIndex::new(i);
            let mut seen: BTreeSet<(NodeIndex, Option<String>)> = BTreeSet::new();
            let mut edge = |id: ResourceId, attr: Option<&str>, at: &str| {
                if id.app == self.id
                    && id.stack == s.index
                    && seen.insert((id.node, attr.map(str::to_owned)))
                {
                    referenced[i].insert(id.node);
                    let reason = match attr {
                        Some(a) => EdgeReason::GetAtt(a.to_owned(), at.to_owned()),
                        None => EdgeReason::Ref(at.to_owned()),
                    };
                    g.add_edge(from, id.node, reason);
                }
            };
            collect_refs(&n.props, "Properties", &mut edge);
            for o in &n.overrides {
                if let Some(v) = &o.value {
                    collect_refs(v, &format!("Properties.{}", o.path.join(".")), &mut edge);
                }
            }
            for d in &n.depends_on {
                if !referenced[i].contains(&d.node) {
                    g.add_edge(from, d.node, EdgeReason::DependsOn);
                }
            }
        }
        let mut ok = true;
        if let Some((cycle, reasons)) = find_cycle(&g) {
            ok = false;
            let ids: Vec<&str> = cycle
                .iter()
                .map(|i| s.graph[*i].logical_id.as_str())
                .collect();
            let detail: Vec<String> = ids
                .windows(2)
                .zip(&reasons)
                .map(|(w, r)| format!("{} -> {} ({r})", w[0], w[1]))
                .collect();
            diags.push(Diagnostic::error(
                codes::RESOURCE_CYCLE,
                DiagPath { stack: Some(name.clone()), logical_id: Some(ids[0].to_owned()), property: None },
                format!("resources reference each other in a cycle: {}\n  edges: {}", ids.join(" -> "), detail.join("; ")),
                "break one edge: move a rule or policy into its own resource (e.g. AWS::EC2::SecurityGroupIngress, AWS::IAM::Policy) that references both sides",
            ));
        }
        let order = dependency_order(&g).unwrap_or_default();

        // Render.
        let cx = Ctx {
            app: self,
            stack: s.index,
            exports,
        };
        let mut resources = Map::new();
        for (i, n) in s.graph.node_weights().enumerate() {
            let mut r = Map::new();
            r.insert("Type".into(), Json::String(n.type_name.to_string()));
            let mut props = cx.render(&n.props);
            let before =
                (!n.protected.is_empty() && !n.overrides.is_empty()).then(|| props.clone());
            for o in &n.overrides {
                if let Err(why) =
                    apply_override(&mut props, &o.path, o.value.as_ref().map(|v| cx.render(v)))
                {
                    diags.push(Diagnostic::error(
                        codes::INVALID_OVERRIDE,
                        DiagPath {
                            stack: Some(name.clone()),
                            logical_id: Some(n.logical_id.clone()),
                            property: Some(property_path(&o.path)),
                        },
                        why,
                        "override an existing list item by its index, or the whole list or value above it",
                    ));
                }
            }
            if let Some(before) = &before {
                weakened_settings(name, n, before, &props, diags);
            }
            if props.as_object().is_some_and(|o| !o.is_empty()) {
                r.insert("Properties".into(), props);
            }
            let explicit: BTreeSet<&str> = n
                .depends_on
                .iter()
                .filter(|d| !referenced[i].contains(&d.node))
                .filter_map(|d| s.graph.node_weight(d.node).map(|x| x.logical_id.as_str()))
                .collect();
            if !explicit.is_empty() {
                r.insert(
                    "DependsOn".into(),
                    Json::Array(
                        explicit
                            .into_iter()
                            .map(|x| Json::String(x.to_owned()))
                            .collect(),
                    ),
                );
            }
            if let Some(p) = n.deletion_policy {
                r.insert("DeletionPolicy".into(), p.as_str().into());
            }
            if let Some(p) = n.update_replace_policy {
                r.insert("UpdateReplacePolicy".into(), p.as_str().into());
            }
            if let Some(c) = &n.condition {
                r.insert("Condition".into(), c.name.clone().into());
            }
            for (k, v) in &n.policies {
                r.insert((*k).into(), v.clone());
            }
            if !n.metadata.is_empty() {
                r.insert(
                    "Metadata".into(),
                    Json::Object(
                        n.metadata
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    ),
                );
            }
            resources.insert(n.logical_id.clone(), Json::Object(r));
        }

        let mut outputs = Map::new();
        for (id, o) in &s.outputs {
            let mut m = Map::new();
            m.insert("Value".into(), cx.render(&o.value));
            if let Some(d) = &o.description {
                m.insert("Description".into(), d.clone().into());
            }
            if let Some(e) = &o.export {
                m.insert("Export".into(), json!({ "Name": e }));
            }
            if let Some(e) = &o.export_value {
                m.insert("Export".into(), json!({ "Name": cx.render(e) }));
            }
            if let Some(c) = &o.condition {
                m.insert("Condition".into(), c.name.clone().into());
            }
            outputs.insert(id.clone(), Json::Object(m));
        }
        for (key, (output_id, export_name)) in exports.range(
            ExportKey {
                stack: s.index,
                node: 0,
                attr: None,
            }..,
        ) {
            if key.stack != s.index {
                break;
            }
            let node = &s.graph[NodeIndex::new(key.node as usize)];
            let value = match &key.attr {
                Some(a) => json!({ "Fn::GetAtt": [node.logical_id, a] }),
                None => json!({ "Ref": node.logical_id }),
            };
            if outputs.contains_key(output_id) {
                diags.push(path_err(
                    codes::DUPLICATE_LOGICAL_ID,
                    name,
                    output_id,
                    "an output has the id reserved for a generated export",
                    "rename the output",
                ));
                continue;
            }
            outputs.insert(output_id.clone(), json!({ "Value": value, "Export": { "Name": export_name }, "Description": format!("Exported for other stacks of this app ({})", node.logical_id) }));
        }

        let mut t = Map::new();
        t.insert("AWSTemplateFormatVersion".into(), "2010-09-09".into());
        t.insert(
            "Description".into(),
            s.description
                .clone()
                .unwrap_or_else(|| {
                    format!(
                        "{name} (synthesized by stackforge {})",
                        env!("CARGO_PKG_VERSION")
                    )
                })
                .into(),
        );
        t.insert("Resources".into(), Json::Object(resources));
        if !s.params.is_empty() {
            t.insert(
                "Parameters".into(),
                Json::Object(
                    s.params
                        .iter()
                        .map(|(k, p)| (k.clone(), param_json(p)))
                        .collect(),
                ),
            );
        }
        if !outputs.is_empty() {
            t.insert("Outputs".into(), Json::Object(outputs));
        }
        if !s.conditions.is_empty() {
            t.insert(
                "Conditions".into(),
                Json::Object(
                    s.conditions
                        .iter()
                        .map(|(k, c)| (k.clone(), cx.render(c)))
                        .collect(),
                ),
            );
        }
        if !s.mappings.is_empty() {
            t.insert(
                "Mappings".into(),
                Json::Object(
                    s.mappings
                        .iter()
                        .map(|(k, m)| (k.clone(), m.clone()))
                        .collect(),
                ),
            );
        }
        if !s.rules.is_empty() {
            t.insert(
                "Rules".into(),
                Json::Object(
                    s.rules
                        .iter()
                        .map(|(k, r)| {
                            let mut m = Map::new();
                            if let Some(c) = &r.condition {
                                m.insert("RuleCondition".into(), cx.render(c));
                            }
                            m.insert(
                                "Assertions".into(),
                                Json::Array(
                                    r.assertions
                                        .iter()
                                        .map(|(a, d)| if d.is_empty() { json!({"Assert": cx.render(a)}) } else { json!({"Assert": cx.render(a), "AssertDescription": d}) })
                                        .collect(),
                                ),
                            );
                            (k.clone(), Json::Object(m))
                        })
                        .collect(),
                ),
            );
        }
        match s.transforms.as_slice() {
            [] => {}
            [one] => {
                t.insert("Transform".into(), one.clone().into());
            }
            many => {
                t.insert("Transform".into(), many.to_vec().into());
            }
        }
        if !s.template_metadata.is_empty() {
            t.insert(
                "Metadata".into(),
                Json::Object(
                    s.template_metadata
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ),
            );
        }
        let mut template = Json::Object(t);
        // Sorted keys at every level, whatever serde_json's features: a dependency may turn
        // on `preserve_order` (the AWS SDK does, under `deploy`), and the template must be
        // byte-identical with and without it.
        template.sort_all_objects();
        crate::lint::check_template(self.stacks, s, &template, diags);

        // Quotas.
        let count = |key: &str| {
            template
                .get(key)
                .and_then(Json::as_object)
                .map_or(0, Map::len)
        };
        for (key, max, code) in [
            ("Resources", MAX_RESOURCES, codes::TOO_MANY_RESOURCES),
            ("Parameters", MAX_PARAMETERS, codes::TOO_MANY_PARAMETERS),
            ("Outputs", MAX_OUTPUTS, codes::TOO_MANY_OUTPUTS),
            ("Mappings", MAX_MAPPINGS, codes::TOO_MANY_MAPPINGS),
        ] {
            let n = count(key);
            if n > max {
                diags.push(Diagnostic::error(code, DiagPath { stack: Some(name.clone()), ..DiagPath::default() }, format!("{n} {}, CloudFormation allows at most {max} per stack", key.to_lowercase()), "split the app into more stacks; references between them become exports and imports automatically"));
            }
        }
        let minified_bytes = template.to_string().len();
        if minified_bytes > MAX_TEMPLATE {
            diags.push(Diagnostic::error(codes::TEMPLATE_TOO_LARGE, DiagPath { stack: Some(name.clone()), ..DiagPath::default() }, format!("the minified template is {minified_bytes} bytes, CloudFormation accepts at most {MAX_TEMPLATE}"), "split the stack"));
        } else if minified_bytes > MAX_INLINE_TEMPLATE {
            diags.push(Diagnostic::warning(codes::TEMPLATE_NEEDS_S3, DiagPath { stack: Some(name.clone()), ..DiagPath::default() }, format!("the minified template is {minified_bytes} bytes, over the {MAX_INLINE_TEMPLATE}-byte inline limit"), "deploy uploads it to the staging bucket first: run `stackforge bootstrap` once per account and region (or pass `--bucket NAME`)"));
        }
        if !ok {
            return None;
        }
        let mut pretty = serde_json::to_string_pretty(&template).unwrap_or_default();
        pretty.push('\n');
        let mut edges: Vec<(String, String, String)> = g
            .raw_edges()
            .iter()
            .map(|e| {
                (
                    s.graph[e.source()].logical_id.clone(),
                    s.graph[e.target()].logical_id.clone(),
                    e.weight.to_string(),
                )
            })
            .collect();
        edges.sort();
        Some(StackArtifact {
            name: name.clone(),
            resource_count: s.graph.node_count(),
            minified_bytes,
            template,
            pretty,
            dependencies,
            tags: s.tags.clone(),
            account: s.account.clone(),
            region: s.region.clone(),
            requirements: s.requirements.clone(),
            resource_order: order
                .iter()
                .map(|i| s.graph[*i].logical_id.clone())
                .collect(),
            resource_edges: edges,
            environment: self.env_name(s),
            termination_protection: s.termination_protection,
            stack_policy: s.stack_policy.clone(),
            notification_arns: s.notification_arns.clone(),
            rollback_alarms: s.rollback_alarms.clone(),
            rollback_monitoring_minutes: s.rollback_monitoring_minutes,
        })
    }
}

fn path_err(code: crate::diag::Code, stack: &str, id: &str, msg: &str, help: &str) -> Diagnostic {
    Diagnostic::error(
        code,
        DiagPath {
            stack: Some(stack.to_owned()),
            logical_id: Some(id.to_owned()).filter(|s| !s.is_empty()),
            property: None,
        },
        msg,
        help,
    )
}

/// The app's stacks after every aspect has visited the resources it covers.
fn apply_aspects(st: &crate::app::AppState, diags: &mut Vec<Diagnostic>) -> Vec<Stack> {
    let mut stacks: Vec<Stack> = st.stacks.clone();
    for s in &mut stacks {
        let env = s
            .environment
            .and_then(|e| st.environments.get(e as usize))
            .map(|e| e.name.clone());
        let (name, index, environment) = (s.name.clone(), s.index, s.environment);
        for node in s.graph.node_weights_mut() {
            for (target, aspect) in &st.aspects {
                if target.covers(index, environment, &node.logical_id) {
                    aspect.visit(&mut crate::aspect::ResourceMut {
                        stack: &name,
                        environment: env.as_deref(),
                        node,
                        diags,
                    });
                }
            }
        }
    }
    stacks
}

/// A parameter as the template writes it.
fn param_json(p: &ParamDef) -> Json {
    let mut m = Map::new();
    m.insert("Type".into(), p.kind.as_str().into_owned().into());
    if let Some(d) = &p.description {
        m.insert("Description".into(), d.clone().into());
    }
    if let Some(d) = &p.default {
        m.insert("Default".into(), d.clone().into());
    }
    if p.no_echo {
        m.insert("NoEcho".into(), true.into());
    }
    if !p.allowed_values.is_empty() {
        m.insert("AllowedValues".into(), p.allowed_values.clone().into());
    }
    if let Some(v) = &p.allowed_pattern {
        m.insert("AllowedPattern".into(), v.clone().into());
    }
    if let Some(c) = &p.constraint_description {
        m.insert("ConstraintDescription".into(), c.clone().into());
    }
    if let Some(v) = p.min_length {
        m.insert("MinLength".into(), v.into());
    }
    if let Some(v) = p.max_length {
        m.insert("MaxLength".into(), v.into());
    }
    if let Some(v) = p.min_value {
        m.insert("MinValue".into(), number(v));
    }
    if let Some(v) = p.max_value {
        m.insert("MaxValue".into(), number(v));
    }
    Json::Object(m)
}

/// Output logical ID and export name for a cross-stack reference.
fn export_names(producer: &Stack, logical_id: &str, attr: Option<&str>) -> (String, String) {
    match attr {
        None => (
            format!("Export{logical_id}Ref"),
            format!("{}:{logical_id}", producer.name),
        ),
        Some(a) => {
            let clean: String = a.chars().filter(char::is_ascii_alphanumeric).collect();
            let dashed: String = a
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            (
                format!("Export{logical_id}{clean}"),
                format!("{}:{logical_id}:{dashed}", producer.name),
            )
        }
    }
}

/// Calls `f` on every resource reference of `e` with the path (below `at`) of the object or
/// list entry that holds it. Iterative.
fn collect_refs(e: &Expr, at: &str, f: &mut dyn FnMut(ResourceId, Option<&str>, &str)) {
    let mut walk = crate::walk::Walk::new(e);
    while let Some((node, id)) = walk.next_node_if(|n| matches!(n, Expr::Map(_) | Expr::List(_))) {
        if matches!(
            node,
            Expr::Map(_)
                | Expr::List(_)
                | Expr::Null
                | Expr::Bool(_)
                | Expr::Int(_)
                | Expr::Num(_)
                | Expr::Str(_)
                | Expr::Json(_)
        ) {
            continue;
        }
        let mut path: Option<String> = None;
        node.visit_refs(&mut |rid, attr| {
            let p = path.get_or_insert_with(|| walk.path(id, at));
            f(rid, attr, p)
        });
    }
}

/// Applies one override to rendered properties. Keys that meet an object select (or create)
/// a member; keys that meet a list are indexes into it. The error names the path up to the
/// problem and what is wrong.
fn apply_override(target: &mut Json, path: &[String], value: Option<Json>) -> Result<(), String> {
    if !target.is_object() {
        *target = Json::Object(Map::new());
    }
    let Some((last, parents)) = path.split_last() else {
        return Ok(());
    };
    let mut at = String::from("Properties");
    let mut cur = target;
    for k in parents {
        cur = match cur {
            Json::Object(obj) => {
                at.push('.');
                at.push_str(k);
                obj.entry(k.clone())
                    .or_insert_with(|| Json::Object(Map::new()))
            }
            Json::Array(items) => {
                let i = list_index(k, items.len(), &at)?;
                at.push_str(&format!("[{i}]"));
                &mut items[i]
            }
            other => return Err(not_a_container(&at, other)),
        };
        if !(cur.is_object() || cur.is_array()) {
            return Err(not_a_container(&at, cur));
        }
    }
    match cur {
        Json::Object(obj) => match value {
            Some(v) => {
                obj.insert(last.clone(), v);
            }
            None => {
                obj.remove(last);
            }
        },
        Json::Array(items) => {
            let i = list_index(last, items.len(), &at)?;
            match value {
                Some(v) => items[i] = v,
                None => {
                    items.remove(i);
                }
            }
        }
        other => return Err(not_a_container(&at, other)),
    }
    Ok(())
}

/// A list index from an override key: decimal digits, below `len`.
fn list_index(key: &str, len: usize, at: &str) -> Result<usize, String> {
    let i = key
        .parse::<usize>()
        .ok()
        .filter(|_| key.chars().all(|c| c.is_ascii_digit()))
        .ok_or_else(|| format!("`{at}` is a list, and `{key}` is not an index into it"))?;
    if i >= len {
        return Err(format!(
            "`{at}` is a list of {len} item(s); index {i} is out of range"
        ));
    }
    Ok(i)
}

fn not_a_container(at: &str, v: &Json) -> String {
    let kind = match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    };
    format!("`{at}` is {kind}, not an object or a list: the override cannot go below it")
}

/// The value at `path` below `Properties`, indexing lists by number.
fn value_at<'a>(props: &'a Json, path: &[String]) -> Option<&'a Json> {
    let mut cur = props;
    for k in path {
        cur = match cur {
            Json::Object(o) => o.get(k)?,
            Json::Array(a) => a.get(k.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// True if one path lies on the other (equal, above or below).
fn paths_meet(a: &[String], b: &[String]) -> bool {
    a.iter().zip(b).all(|(x, y)| x == y)
}

/// A property path as diagnostics write it.
fn property_path(path: &[String]) -> String {
    format!("Properties.{}", path.join("."))
}

/// `SF031` for each protected setting of `n` that an override without a reason changed.
fn weakened_settings(
    stack: &str,
    n: &crate::stack::ResourceNode,
    before: &Json,
    after: &Json,
    diags: &mut Vec<Diagnostic>,
) {
    for (path, setting) in &n.protected {
        let (was, now) = (value_at(before, path), value_at(after, path));
        if was == now {
            continue;
        }
        let silent: Vec<&crate::stack::Override> = n
            .overrides
            .iter()
            .filter(|o| paths_meet(&o.path, path) && o.reason.is_none())
            .collect();
        if silent.is_empty() {
            continue;
        }
        let show = |v: Option<&Json>| v.map_or_else(|| "(removed)".to_owned(), Json::to_string);
        diags.push(Diagnostic::warning(
            codes::WEAKENED_SETTING,
            DiagPath {
                stack: Some(stack.to_owned()),
                logical_id: Some(n.logical_id.clone()),
                property: Some(property_path(path)),
            },
            format!(
                "an override changes {setting}, a secure setting of the pattern: {} was {}, is now {} (override of {})",
                property_path(path),
                show(was),
                show(now),
                silent
                    .iter()
                    .map(|o| property_path(&o.path))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "keep the pattern's setting, or say why with Scope::override_property_because(handle, path, value, \"why {setting} must change\")"
            ),
        ));
    }
}

impl Ctx<'_> {
    fn logical_id(&self, id: ResourceId) -> String {
        self.app
            .stacks
            .get(id.stack as usize)
            .and_then(|s| s.graph.node_weight(id.node))
            .map_or_else(|| "Unknown".to_owned(), |n| n.logical_id.clone())
    }

    fn import(&self, id: ResourceId, attr: Option<&str>) -> Json {
        let key = ExportKey::new(id, attr);
        let name = self
            .exports
            .get(&key)
            .map(|(_, n)| n.clone())
            .unwrap_or_default();
        json!({ "Fn::ImportValue": name })
    }

    fn local(&self, id: ResourceId) -> bool {
        id.app == self.app.id && id.stack == self.stack
    }

    /// Renders a value without recursion: children are rendered first (from an explicit work
    /// list), then assembled into their parent's JSON.
    fn render(&self, root: &Expr) -> Json {
        enum Task<'e> {
            Visit(&'e Expr),
            Build(&'e Expr, usize),
        }
        let mut tasks = vec![Task::Visit(root)];
        let mut done: Vec<Json> = Vec::new();
        let mut kids: Vec<&Expr> = Vec::new();
        while let Some(t) = tasks.pop() {
            match t {
                Task::Visit(e) => {
                    if matches!(
                        e,
                        Expr::Null
                            | Expr::Bool(_)
                            | Expr::Int(_)
                            | Expr::Num(_)
                            | Expr::Str(_)
                            | Expr::Json(_)
                            | Expr::Ref(_)
                            | Expr::GetAtt(..)
                            | Expr::Condition(_)
                            | Expr::TooDeep
                    ) {
                        done.push(self.assemble(e, &mut std::iter::empty()));
                        continue;
                    }
                    // Objects and lists: their children in order, without a scratch list.
                    match e {
                        Expr::Map(m) => {
                            tasks.push(Task::Build(e, m.len()));
                            tasks.extend(m.values().rev().map(Task::Visit));
                            continue;
                        }
                        Expr::List(items) => {
                            tasks.push(Task::Build(e, items.len()));
                            tasks.extend(items.iter().rev().map(Task::Visit));
                            continue;
                        }
                        _ => {}
                    }
                    kids.clear();
                    self.render_children(e, &mut kids);
                    if kids.is_empty() {
                        done.push(self.assemble(e, &mut std::iter::empty()));
                        continue;
                    }
                    tasks.push(Task::Build(e, kids.len()));
                    tasks.extend(kids.drain(..).rev().map(Task::Visit));
                }
                Task::Build(e, n) => {
                    let start = done.len().saturating_sub(n);
                    let v = self.assemble(e, &mut done.drain(start..));
                    done.push(v);
                }
            }
        }
        done.pop().unwrap_or(Json::Null)
    }

    /// The children of `e` that render as JSON of their own, in the order [`Ctx::assemble`]
    /// takes them. Sub parts written inline (`${Id}`) are not children.
    fn render_children<'e>(&self, e: &'e Expr, out: &mut Vec<&'e Expr>) {
        match e {
            Expr::Sub(parts) => {
                for p in parts {
                    if let SubPart::Expr(x) = p {
                        if !self.is_inline(x) {
                            out.push(x);
                        }
                    }
                }
            }
            other => other.for_each_child(&mut |c| out.push(c)),
        }
    }

    /// True if a Sub part is written inside the string ([`Ctx::sub_inline`]).
    fn is_inline(&self, e: &Expr) -> bool {
        match e {
            Expr::Ref(RefTarget::Resource(id)) | Expr::GetAtt(id, _) => self.local(*id),
            Expr::Ref(RefTarget::Parameter(_)) | Expr::Ref(RefTarget::Pseudo(_)) | Expr::Str(_) => {
                true
            }
            _ => false,
        }
    }

    /// How a Sub part is written inside the string, when it can be.
    fn sub_inline(&self, e: &Expr) -> Option<String> {
        match e {
            Expr::Ref(RefTarget::Resource(id)) if self.local(*id) => {
                Some(format!("${{{}}}", self.logical_id(*id)))
            }
            Expr::GetAtt(id, attr) if self.local(*id) => {
                Some(format!("${{{}.{}}}", self.logical_id(*id), attr))
            }
            Expr::Ref(RefTarget::Parameter(p)) => Some(format!("${{{}}}", p.name)),
            Expr::Ref(RefTarget::Pseudo(p)) => Some(format!("${{{}}}", p.name())),
            Expr::Str(l) => Some(l.replace("${", "${!")),
            _ => None,
        }
    }

    /// The JSON of `e` from its children's JSON (`args`, in [`Ctx::render_children`] order).
    fn assemble(&self, e: &Expr, args: &mut dyn Iterator<Item = Json>) -> Json {
        let mut next = || args.next().unwrap_or(Json::Null);
        match e {
            Expr::Null | Expr::TooDeep => Json::Null,
            Expr::Bool(b) => Json::Bool(*b),
            Expr::Int(n) => Json::from(*n),
            Expr::Num(n) => number(*n),
            Expr::Str(s) => Json::String(s.clone()),
            Expr::List(items) => Json::Array(items.iter().map(|_| next()).collect()),
            Expr::Map(m) => Json::Object(m.keys().map(|k| (k.clone(), next())).collect()),
            Expr::Json(v) => v.clone(),
            Expr::Ref(RefTarget::Resource(id)) => {
                if self.local(*id) {
                    json!({ "Ref": self.logical_id(*id) })
                } else {
                    self.import(*id, None)
                }
            }
            Expr::Ref(RefTarget::Parameter(p)) => json!({ "Ref": p.name }),
            Expr::Ref(RefTarget::Pseudo(p)) => json!({ "Ref": p.name() }),
            Expr::GetAtt(id, attr) => {
                if self.local(*id) {
                    json!({ "Fn::GetAtt": [self.logical_id(*id), attr] })
                } else {
                    self.import(*id, Some(attr))
                }
            }
            Expr::Sub(parts) => {
                let mut s = String::new();
                let mut vars = Map::new();
                for p in parts {
                    match p {
                        SubPart::Lit(l) => s.push_str(&l.replace("${", "${!")),
                        SubPart::Expr(x) => match self.sub_inline(x) {
                            Some(inline) => s.push_str(&inline),
                            None => {
                                let name = format!("Var{}", vars.len());
                                s.push_str(&format!("${{{name}}}"));
                                vars.insert(name, next());
                            }
                        },
                    }
                }
                if vars.is_empty() {
                    json!({ "Fn::Sub": s })
                } else {
                    json!({ "Fn::Sub": [s, vars] })
                }
            }
            Expr::Join(d, _) => json!({ "Fn::Join": [d, next()] }),
            Expr::Select(..) => json!({ "Fn::Select": [next(), next()] }),
            Expr::Split(d, _) => json!({ "Fn::Split": [d, next()] }),
            Expr::GetAzs(_) => json!({ "Fn::GetAZs": next() }),
            Expr::ImportValue(_) => json!({ "Fn::ImportValue": next() }),
            Expr::If(c, ..) => json!({ "Fn::If": [c.name, next(), next()] }),
            Expr::Equals(..) => json!({ "Fn::Equals": [next(), next()] }),
            Expr::And(items) => {
                json!({ "Fn::And": items.iter().map(|_| next()).collect::<Vec<_>>() })
            }
            Expr::Or(items) => {
                json!({ "Fn::Or": items.iter().map(|_| next()).collect::<Vec<_>>() })
            }
            Expr::Not(_) => json!({ "Fn::Not": [next()] }),
            Expr::Condition(c) => json!({ "Condition": c.name }),
            Expr::FindInMap(m, ..) => json!({ "Fn::FindInMap": [m.name, next(), next()] }),
            Expr::Base64(_) => json!({ "Fn::Base64": next() }),
            Expr::Cidr(..) => json!({ "Fn::Cidr": [next(), next(), next()] }),
            Expr::Contains(..) => json!({ "Fn::Contains": [next(), next()] }),
            Expr::EachMemberEquals(..) => json!({ "Fn::EachMemberEquals": [next(), next()] }),
            Expr::EachMemberIn(..) => json!({ "Fn::EachMemberIn": [next(), next()] }),
        }
    }
}

pub use crate::assembly::write_atomic;
