//! Results: each stack's outputs, and `outputs.json` in the assembly directory
//! (`{"<stack>": {"<OutputKey>": "<value>"}}`, merged with what an earlier deploy wrote).

use std::collections::BTreeMap;
use std::time::Instant;

use aws_sdk_cloudformation::types::Stack;
use serde_json::{json, Value as Json};

use super::error::DeployError;
use super::event::{Outcome, StackReport};
use super::{status, Engine};

/// The outputs of a described stack.
pub(crate) fn outputs_of(st: Option<&Stack>) -> BTreeMap<String, String> {
    st.map(|s| {
        s.outputs()
            .iter()
            .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
            .collect()
    })
    .unwrap_or_default()
}

/// `outputs.json` after merging `reports` into `existing` (the file's current content).
pub(crate) fn merge_outputs(existing: Option<&str>, reports: &[StackReport]) -> Json {
    let mut all: serde_json::Map<String, Json> = existing
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    for r in reports {
        match r.outcome {
            Outcome::Deleted | Outcome::Absent => {
                all.remove(&r.stack);
            }
            _ => {
                all.insert(r.stack.clone(), json!(r.outputs));
            }
        }
    }
    let mut v = Json::Object(all);
    v.sort_all_objects();
    v
}

impl Engine<'_> {
    pub(crate) fn report_of(
        &mut self,
        name: &str,
        outcome: Outcome,
        st: Option<&Stack>,
        started: Instant,
    ) -> StackReport {
        StackReport {
            stack: name.to_owned(),
            outcome,
            status: status::of(st),
            outputs: outputs_of(st),
            elapsed: started.elapsed(),
        }
    }

    /// Describes the stack and reports its outputs.
    pub(crate) async fn report(
        &mut self,
        name: &str,
        outcome: Outcome,
        started: Instant,
    ) -> Result<StackReport, DeployError> {
        let st = self.describe(name).await?;
        Ok(self.report_of(name, outcome, st.as_ref(), started))
    }

    /// Merges the reports into `outputs.json` (when the options name a directory).
    pub(crate) fn write_outputs(&mut self, reports: &[StackReport]) -> Result<(), DeployError> {
        let Some(dir) = self.options.outputs_dir.clone() else {
            return Ok(());
        };
        let path = dir.join("outputs.json");
        let existing = std::fs::read_to_string(&path).ok();
        let merged = merge_outputs(existing.as_deref(), reports);
        let text = serde_json::to_string_pretty(&merged).unwrap_or_default() + "\n";
        crate::assembly::write_file_locked(&dir, "outputs.json", text.as_bytes()).map_err(|e| {
            DeployError::Io {
                path: path.display().to_string(),
                message: e.to_string(),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn report(stack: &str, outcome: Outcome, outputs: &[(&str, &str)]) -> StackReport {
        StackReport {
            stack: stack.into(),
            outcome,
            status: None,
            outputs: outputs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn outputs_merge_keeps_other_stacks_and_drops_deleted_ones() {
        let before = r#"{"a": {"X": "1"}, "b": {"Y": "2"}, "c": {"Z": "3"}}"#;
        let merged = merge_outputs(
            Some(before),
            &[
                report("a", Outcome::Updated, &[("X", "9")]),
                report("c", Outcome::Deleted, &[]),
                report("d", Outcome::Created, &[("W", "4")]),
            ],
        );
        assert_eq!(
            merged,
            json!({"a": {"X": "9"}, "b": {"Y": "2"}, "d": {"W": "4"}})
        );
        assert_eq!(merge_outputs(Some("not json"), &[]), json!({}));
    }
}
