//! Template diff: per-resource changes with replacement predicted from the schemas'
//! `createOnlyProperties`, and stateful resources flagged. Used by `diff` (offline against
//! an earlier `out/`, or online against the deployed template) and by deploy's change-set
//! summary.

use std::collections::BTreeSet;

use serde_json::Value as Json;
use similar::{ChangeTag, TextDiff};

/// Resource types that hold data: replacing or deleting one loses it.
pub const STATEFUL_TYPES: &[&str] = &[
    "AWS::DocDB::DBCluster",
    "AWS::DynamoDB::GlobalTable",
    "AWS::DynamoDB::Table",
    "AWS::EC2::Volume",
    "AWS::ECR::Repository",
    "AWS::EFS::FileSystem",
    "AWS::ElastiCache::CacheCluster",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::KMS::Key",
    "AWS::Neptune::DBCluster",
    "AWS::OpenSearchService::Domain",
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::S3::Bucket",
    "AWS::SecretsManager::Secret",
    "AWS::SQS::Queue",
];

/// True if the type holds data.
pub fn is_stateful(type_name: &str) -> bool {
    STATEFUL_TYPES.binary_search(&type_name).is_ok()
}

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

/// All changes of one template.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplateDiff {
    /// Resource changes, sorted by logical ID.
    pub resources: Vec<ResourceChange>,
    /// Changed non-resource sections (Outputs, Parameters, …).
    pub other_sections: Vec<String>,
}

impl TemplateDiff {
    /// True if nothing changed.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.other_sections.is_empty()
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
    let mut other_sections = Vec::new();
    for section in [
        "Parameters",
        "Outputs",
        "Conditions",
        "Mappings",
        "Description",
        "Rules",
    ] {
        if old.get(section) != new.get(section) && !(old.is_null() && new.get(section).is_none()) {
            other_sections.push(section.to_owned());
        }
    }
    TemplateDiff {
        resources,
        other_sections,
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
    s.push_str(&format!(
        "{bold}{stack}{reset}: {} resource change(s)\n",
        d.resources.len()
    ));
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
            let a = serde_json::to_string_pretty(&c.old).unwrap_or_default();
            let b = serde_json::to_string_pretty(&c.new).unwrap_or_default();
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
    }
    for sec in &d.other_sections {
        s.push_str(&format!("{yellow}[~] {sec}{reset}\n"));
    }
    s
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
