//! Template diff: per-resource changes with replacement predicted from the schemas'
//! `createOnlyProperties`, stateful resources flagged, every other template section, and the
//! stack's deploy settings (tags, termination protection, stack policy, notification ARNs).
//! Used by `diff` (offline against an earlier assembly or a template file, or online against
//! the deployed stack) and by deploy's change-set summary.
//!
//! Inputs are read here, not in the CLI: [`read_against`] refuses a missing or unreadable
//! path, a directory that is no assembly, a FIFO or other special file, an oversized file and
//! JSON or YAML that is no template, each with a typed error and a stable code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value as Json;
use similar::{ChangeTag, TextDiff};

use crate::assembly::{AssemblyError, CloudAssembly, LoadedStack, StackEntry};
use crate::diag::Code;
use crate::template::{self, ReadError};

pub use crate::semantic::{is_stateful, STATEFUL_TYPES};

/// What happens to one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// New resource.
    Add,
    /// Removed resource.
    Remove,
    /// Changed in place, or replaced when `replacement` is set.
    Modify,
}

/// One changed resource.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceChange {
    /// Logical ID.
    pub logical_id: String,
    /// Type name.
    pub type_name: String,
    /// Add, remove or modify.
    pub action: Action,
    /// Top-level properties that changed.
    pub changed_properties: Vec<String>,
    /// Changed properties that force replacement (createOnly in the schema).
    pub replacement: Vec<String>,
    /// The resource holds data.
    pub stateful: bool,
    /// Old and new JSON of the resource.
    pub old: Json,
    /// New JSON.
    pub new: Json,
}

/// A changed top-level section other than `Resources` (Outputs, Parameters, Metadata,
/// Transform, Description, …).
#[derive(Debug, Clone, PartialEq)]
pub struct SectionChange {
    /// The section's key.
    pub name: String,
    /// Before (`None`: absent).
    pub old: Option<Json>,
    /// After (`None`: removed).
    pub new: Option<Json>,
}

/// A stack setting deploy applies besides the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Setting {
    /// Stack tags.
    Tags,
    /// Termination protection.
    TerminationProtection,
    /// The stack policy.
    StackPolicy,
    /// SNS topics for stack events.
    NotificationArns,
}

impl Setting {
    /// The name shown in diffs and in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::Tags => "tags",
            Setting::TerminationProtection => "termination_protection",
            Setting::StackPolicy => "stack_policy",
            Setting::NotificationArns => "notification_arns",
        }
    }
}

/// A changed stack setting.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingChange {
    /// Which.
    pub setting: Setting,
    /// Before.
    pub old: Json,
    /// After.
    pub new: Json,
}

/// A stack's deploy settings, from its manifest entry or from the deployed stack.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StackSettings {
    /// Stack tags.
    pub tags: BTreeMap<String, String>,
    /// Termination protection.
    pub termination_protection: bool,
    /// The stack policy document.
    pub stack_policy: Option<Json>,
    /// Notification ARNs (compared as a set).
    pub notification_arns: Vec<String>,
}

impl StackSettings {
    /// The settings a manifest entry asks for.
    pub fn of(e: &StackEntry) -> StackSettings {
        StackSettings {
            tags: e.tags.clone(),
            termination_protection: e.termination_protection,
            stack_policy: e.stack_policy.clone(),
            notification_arns: e.notification_arns.clone(),
        }
    }
}

/// The settings that differ between `old` and `new`.
pub fn diff_settings(old: &StackSettings, new: &StackSettings) -> Vec<SettingChange> {
    let mut out = Vec::new();
    let mut push = |setting, o: Json, n: Json| {
        if o != n {
            out.push(SettingChange {
                setting,
                old: o,
                new: n,
            });
        }
    };
    push(
        Setting::Tags,
        serde_json::json!(old.tags),
        serde_json::json!(new.tags),
    );
    push(
        Setting::TerminationProtection,
        Json::Bool(old.termination_protection),
        Json::Bool(new.termination_protection),
    );
    push(
        Setting::StackPolicy,
        old.stack_policy.clone().unwrap_or(Json::Null),
        new.stack_policy.clone().unwrap_or(Json::Null),
    );
    let set = |v: &[String]| -> Json {
        let s: BTreeSet<&String> = v.iter().collect();
        serde_json::json!(s)
    };
    push(
        Setting::NotificationArns,
        set(&old.notification_arns),
        set(&new.notification_arns),
    );
    out
}

/// All changes of one stack: its template and its settings.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplateDiff {
    /// Resource changes, sorted by logical ID.
    pub resources: Vec<ResourceChange>,
    /// Changed sections other than `Resources`, sorted by name.
    pub sections: Vec<SectionChange>,
    /// Changed stack settings (empty when only templates were compared).
    pub settings: Vec<SettingChange>,
}

impl TemplateDiff {
    /// True if nothing changed.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.sections.is_empty() && self.settings.is_empty()
    }
    /// Changes that replace or delete a stateful resource.
    pub fn destructive(&self) -> impl Iterator<Item = &ResourceChange> {
        self.resources
            .iter()
            .filter(|c| c.stateful && (c.action == Action::Remove || !c.replacement.is_empty()))
    }
}

/// The createOnly properties of a type (top-level names), from the generated metadata
/// ([`crate::cfn::meta`]). Unknown types have none.
pub fn create_only(type_name: &str) -> Vec<String> {
    let mut names: Vec<String> = crate::cfn::meta::lookup(type_name)
        .map(|m| {
            m.create_only
                .iter()
                .map(|p| p.split('.').next().unwrap_or(p).to_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names.dedup();
    names
}

/// True if a change of top-level property `key` touches one of the type's createOnly
/// paths (`Endpoint.Port`; `*` marks list items, compared as a whole list).
fn replaces(type_name: &str, key: &str, old: Option<&Json>, new: Option<&Json>) -> bool {
    let Some(meta) = crate::cfn::meta::lookup(type_name) else {
        return false;
    };
    meta.create_only.iter().any(|path| {
        let mut parts = path.split('.');
        if parts.next() != Some(key) {
            return false;
        }
        let (mut o, mut n) = (old, new);
        for part in parts {
            if part == "*" {
                break;
            }
            o = o.and_then(|v| v.get(part));
            n = n.and_then(|v| v.get(part));
        }
        o != n
    })
}

/// Compares two templates. `old` may be `Null` (a stack that does not exist yet).
pub fn diff_templates(old: &Json, new: &Json) -> TemplateDiff {
    let empty = serde_json::Map::new();
    let old_r = old
        .get("Resources")
        .and_then(Json::as_object)
        .unwrap_or(&empty);
    let new_r = new
        .get("Resources")
        .and_then(Json::as_object)
        .unwrap_or(&empty);
    let ids: BTreeSet<&String> = old_r.keys().chain(new_r.keys()).collect();
    let mut resources = Vec::new();
    for id in ids {
        let (o, n) = (old_r.get(id), new_r.get(id));
        if o == n {
            continue;
        }
        let type_name = n
            .or(o)
            .and_then(|r| r.get("Type"))
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_owned();
        let action = match (o, n) {
            (None, Some(_)) => Action::Add,
            (Some(_), None) => Action::Remove,
            _ => Action::Modify,
        };
        let mut changed = Vec::new();
        let mut replacement = Vec::new();
        if action == Action::Modify {
            let po = o
                .and_then(|r| r.get("Properties"))
                .and_then(Json::as_object)
                .unwrap_or(&empty);
            let pn = n
                .and_then(|r| r.get("Properties"))
                .and_then(Json::as_object)
                .unwrap_or(&empty);
            let keys: BTreeSet<&String> = po.keys().chain(pn.keys()).collect();
            for k in keys {
                if po.get(k) != pn.get(k) {
                    changed.push(k.clone());
                    if replaces(&type_name, k, po.get(k), pn.get(k)) {
                        replacement.push(k.clone());
                    }
                }
            }
            let type_changed = o.and_then(|r| r.get("Type")) != n.and_then(|r| r.get("Type"));
            if type_changed {
                replacement.push("Type".to_owned());
            }
        }
        resources.push(ResourceChange {
            logical_id: id.clone(),
            stateful: is_stateful(&type_name),
            type_name,
            action,
            changed_properties: changed,
            replacement,
            old: o.cloned().unwrap_or(Json::Null),
            new: n.cloned().unwrap_or(Json::Null),
        });
    }
    // Every other top-level key: the known sections and anything else a template has.
    let keys = |t: &Json| -> BTreeSet<String> {
        t.as_object()
            .map(|m| m.keys().filter(|k| *k != "Resources").cloned().collect())
            .unwrap_or_default()
    };
    let mut names = keys(old);
    names.extend(keys(new));
    let sections = names
        .into_iter()
        .filter(|k| old.get(k) != new.get(k))
        .map(|k| SectionChange {
            old: old.get(&k).cloned(),
            new: new.get(&k).cloned(),
            name: k,
        })
        .collect();
    TemplateDiff {
        resources,
        sections,
        settings: Vec::new(),
    }
}

/// What `diff --against PATH` compares with.
#[derive(Debug, Clone, PartialEq)]
pub enum Against {
    /// An earlier assembly directory (manifest and templates, hashes checked).
    Assembly(CloudAssembly),
    /// One template file, JSON or YAML.
    Template {
        /// The file.
        path: std::path::PathBuf,
        /// Its template.
        template: Json,
    },
}

/// Why `diff` could not compare.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// The earlier assembly could not be read.
    #[error(transparent)]
    Assembly(#[from] AssemblyError),
    /// The template file could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// One template file, and not exactly one stack selected.
    #[error("{} is one template, but {} stacks are selected ({}); choose one with --stack", path.display(), stacks.len(), stacks.join(", "))]
    OneTemplateManyStacks {
        /// The template file.
        path: std::path::PathBuf,
        /// The selected stacks.
        stacks: Vec<String>,
    },
}

impl DiffError {
    /// The stable code (`SFA…`).
    pub fn code(&self) -> Code {
        match self {
            DiffError::Assembly(e) => e.code(),
            DiffError::Read(e) => e.code(),
            DiffError::OneTemplateManyStacks { .. } => crate::diag::assembly_codes::ONE_TEMPLATE,
        }
    }
}

/// Reads what `diff --against PATH` names: a directory is an assembly, a file a template.
pub fn read_against(path: &Path) -> Result<Against, DiffError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Ok(Against::Assembly(CloudAssembly::read(path)?)),
        Ok(_) => Ok(Against::Template {
            path: path.to_owned(),
            template: template::read_file(path)?,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ReadError::NotFound {
            origin: path.display().to_string(),
        }
        .into()),
        Err(e) => Err(ReadError::Unreadable {
            origin: path.display().to_string(),
            source: e,
        }
        .into()),
    }
}

/// One stack's diff.
#[derive(Debug, Clone, PartialEq)]
pub struct StackDiff {
    /// The stack.
    pub stack: String,
    /// Whether the stack existed before (in the earlier assembly, or deployed).
    pub existed: bool,
    /// The changes.
    pub diff: TemplateDiff,
}

/// Compares the selected stacks with what `against` has: templates, and settings when
/// `against` is an assembly.
pub fn diff_against(
    against: &Against,
    stacks: &[&LoadedStack],
) -> Result<Vec<StackDiff>, DiffError> {
    match against {
        Against::Template { path, template } => {
            let [one] = stacks else {
                return Err(DiffError::OneTemplateManyStacks {
                    path: path.clone(),
                    stacks: stacks.iter().map(|s| s.entry.name.clone()).collect(),
                });
            };
            Ok(vec![StackDiff {
                stack: one.entry.name.clone(),
                existed: true,
                diff: diff_templates(template, &one.template),
            }])
        }
        Against::Assembly(old) => Ok(stacks
            .iter()
            .map(|s| match old.stack(&s.entry.name) {
                Some(o) => {
                    let mut diff = diff_templates(&o.template, &s.template);
                    diff.settings =
                        diff_settings(&StackSettings::of(&o.entry), &StackSettings::of(&s.entry));
                    StackDiff {
                        stack: s.entry.name.clone(),
                        existed: true,
                        diff,
                    }
                }
                None => StackDiff {
                    stack: s.entry.name.clone(),
                    existed: false,
                    diff: diff_templates(&Json::Null, &s.template),
                },
            })
            .collect()),
    }
}

/// Renders a diff for people: one header per resource, then a unified line diff of its
/// JSON. `color` adds ANSI colors (for terminals).
pub fn render(stack: &str, d: &TemplateDiff, color: bool) -> String {
    let (red, green, yellow, bold, reset) = if color {
        ("\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[1m", "\x1b[0m")
    } else {
        ("", "", "", "", "")
    };
    let mut s = String::new();
    if d.is_empty() {
        s.push_str(&format!("{bold}{stack}{reset}: no changes\n"));
        return s;
    }
    let mut counts = vec![format!("{} resource change(s)", d.resources.len())];
    if !d.sections.is_empty() {
        counts.push(format!("{} section change(s)", d.sections.len()));
    }
    if !d.settings.is_empty() {
        counts.push(format!("{} setting change(s)", d.settings.len()));
    }
    s.push_str(&format!("{bold}{stack}{reset}: {}\n", counts.join(", ")));
    for c in &d.resources {
        let (sym, col) = match c.action {
            Action::Add => ("[+]", green),
            Action::Remove => ("[-]", red),
            Action::Modify if !c.replacement.is_empty() => ("[!]", red),
            Action::Modify => ("[~]", yellow),
        };
        let mut notes = Vec::new();
        if !c.replacement.is_empty() {
            notes.push(format!(
                "REPLACEMENT (changes {})",
                c.replacement.join(", ")
            ));
        }
        if c.stateful && (c.action == Action::Remove || !c.replacement.is_empty()) {
            notes.push(
                "STATEFUL: data will be lost unless a snapshot or retain policy applies".to_owned(),
            );
        }
        s.push_str(&format!(
            "{col}{sym} {} {}{reset}{}\n",
            c.type_name,
            c.logical_id,
            if notes.is_empty() {
                String::new()
            } else {
                format!("  {bold}{}{reset}", notes.join("; "))
            }
        ));
        if c.action == Action::Modify {
            line_diff(&mut s, Some(&c.old), Some(&c.new), (red, green, reset));
        }
    }
    for sec in &d.sections {
        let (sym, col) = match (&sec.old, &sec.new) {
            (None, _) => ("[+]", green),
            (_, None) => ("[-]", red),
            _ => ("[~]", yellow),
        };
        s.push_str(&format!("{col}{sym} {}{reset}\n", sec.name));
        line_diff(
            &mut s,
            sec.old.as_ref(),
            sec.new.as_ref(),
            (red, green, reset),
        );
    }
    for c in &d.settings {
        s.push_str(&format!(
            "{yellow}[~] stack setting {}{reset}\n",
            c.setting.as_str()
        ));
        line_diff(&mut s, Some(&c.old), Some(&c.new), (red, green, reset));
    }
    s
}

/// A unified line diff of two JSON values (pretty-printed), indented under its header.
fn line_diff(s: &mut String, old: Option<&Json>, new: Option<&Json>, colors: (&str, &str, &str)) {
    let (red, green, reset) = colors;
    let pretty = |v: Option<&Json>| {
        v.map(|v| serde_json::to_string_pretty(v).unwrap_or_default() + "\n")
            .unwrap_or_default()
    };
    let (a, b) = (pretty(old), pretty(new));
    let td = TextDiff::from_lines(&a, &b);
    for group in td.grouped_ops(2) {
        for op in group {
            for ch in td.iter_changes(&op) {
                let (p, col) = match ch.tag() {
                    ChangeTag::Delete => ("-", red),
                    ChangeTag::Insert => ("+", green),
                    ChangeTag::Equal => (" ", ""),
                };
                s.push_str(&format!("    {col}{p} {}{reset}", ch.value()));
                if ch.missing_newline() {
                    s.push('\n');
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(ty: &str, old: Json, new: Json) -> ResourceChange {
        let t = |p: Json| json!({"Resources": {"R": {"Type": ty, "Properties": p}}});
        let d = diff_templates(&t(old), &t(new));
        assert_eq!(d.resources.len(), 1);
        d.resources[0].clone()
    }

    #[test]
    fn replacement_is_predicted_from_create_only_properties() {
        let c = one(
            "AWS::SQS::Queue",
            json!({"QueueName": "a"}),
            json!({"QueueName": "b"}),
        );
        assert_eq!(c.replacement, ["QueueName"]);
        let c = one(
            "AWS::SQS::Queue",
            json!({"VisibilityTimeout": 30}),
            json!({"VisibilityTimeout": 60}),
        );
        assert_eq!(c.changed_properties, ["VisibilityTimeout"]);
        assert!(c.replacement.is_empty());
    }

    #[test]
    fn nested_create_only_paths_compare_only_their_part() {
        let ty = "AWS::BCMDataExports::Export";
        let c = one(
            ty,
            json!({"Export": {"Name": "a"}}),
            json!({"Export": {"Name": "b"}}),
        );
        assert_eq!(c.replacement, ["Export"]);
        let c = one(
            ty,
            json!({"Export": {"Name": "a", "Other": 1}}),
            json!({"Export": {"Name": "a", "Other": 2}}),
        );
        assert!(c.replacement.is_empty(), "{c:?}");
    }
}
