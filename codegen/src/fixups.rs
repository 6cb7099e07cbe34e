//! Named fixups for quirks of the upstream schemas. Each one fails loudly (the generator
//! stops) once the quirk it fixes is gone, so stale fixups never linger.

use serde_json::Value;

/// A fixup: the type it applies to, what it fixes, and the function. The function returns
/// `false` if the quirk was not found.
pub struct Fixup {
    pub name: &'static str,
    pub type_name: &'static str,
    pub apply: fn(&mut Value) -> bool,
}

/// Every fixup; each must apply exactly once per run.
pub const FIXUPS: &[Fixup] = &[Fixup {
    name: "dynamodb_table_key_schema_legacy_json",
    type_name: "AWS::DynamoDB::Table",
    apply: dynamodb_table_key_schema_legacy_json,
}];

/// cfn-lint's schema lets `AWS::DynamoDB::Table.KeySchema` be either the list of
/// `KeySchema` items or (legacy) free-form JSON (`oneOf`), which would make the property an
/// untyped `Val<Json>`. CloudFormation documents it as the list; keep only that branch.
fn dynamodb_table_key_schema_legacy_json(schema: &mut Value) -> bool {
    let Some(prop) = schema.pointer_mut("/properties/KeySchema") else {
        return false;
    };
    let Some(branches) = prop.get("oneOf").and_then(Value::as_array) else {
        return false;
    };
    let Some(list) = branches
        .iter()
        .find(|b| b.get("$ref").and_then(Value::as_str) == Some("#/definitions/KeySchema"))
        .cloned()
    else {
        return false;
    };
    if !branches
        .iter()
        .any(|b| b.get("format").and_then(Value::as_str) == Some("json"))
    {
        return false;
    }
    let description = prop.get("description").cloned();
    *prop = list;
    if let (Some(d), Some(o)) = (description, prop.as_object_mut()) {
        o.insert("description".to_owned(), d);
    }
    true
}

/// Applies the fixups for `type_name`; records which ones applied.
pub fn apply(type_name: &str, schema: &mut Value, applied: &mut Vec<&'static str>) {
    for f in FIXUPS.iter().filter(|f| f.type_name == type_name) {
        if (f.apply)(schema) {
            applied.push(f.name);
        }
    }
}

/// Errors for fixups whose quirk is gone.
pub fn stale(applied: &[&'static str]) -> Vec<String> {
    FIXUPS
        .iter()
        .filter(|f| !applied.contains(&f.name))
        .map(|f| {
            format!(
                "fixup `{}` for {} no longer applies: the upstream schema changed; delete it",
                f.name, f.type_name
            )
        })
        .collect()
}
