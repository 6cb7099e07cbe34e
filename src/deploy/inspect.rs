//! The online `diff`: each selected stack against what is deployed, template and settings,
//! after the same identity and environment checks as deploy.

use serde_json::Value as Json;

use super::analysis;
use super::error::DeployError;
use super::event::Event;
use super::Engine;
use crate::assembly::CloudAssembly;
use crate::diff::{self, StackDiff};

impl Engine<'_> {
    /// Compares the selected stacks (all for no patterns) with the deployed ones.
    pub async fn diff(
        &mut self,
        assembly: &CloudAssembly,
        patterns: &[String],
    ) -> Result<Vec<StackDiff>, DeployError> {
        let (_, stacks) = self.select(assembly, patterns, false).await?;
        let mut out = Vec::new();
        for s in stacks {
            let name = s.entry.name.clone();
            let existing = self.describe(&name).await?;
            let (old, existed) = match &existing {
                Some(_) => (
                    self.deployed_template(&name).await?.unwrap_or(Json::Null),
                    true,
                ),
                None => (Json::Null, false),
            };
            let mut d = diff::diff_templates(&old, &s.template);
            if let Some(st) = &existing {
                let deployed = self.deployed_settings(st).await?;
                d.settings = diff::diff_settings(&deployed, &self.desired_settings(s));
            }
            self.emit(Event::Diff {
                stack: name.clone(),
                existed,
                diff: d.clone(),
                broadening: analysis::broadening(&old, &s.template),
            });
            out.push(StackDiff {
                stack: name,
                existed,
                diff: d,
            });
        }
        Ok(out)
    }
}
