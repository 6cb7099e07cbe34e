//! The online `diff`: each selected stack against what is deployed, template and settings,
//! after the same identity and environment checks as deploy.

use serde_json::Value as Json;

use super::analysis;
use super::error::DeployError;
use super::event::Event;
use super::Engine;
use crate::assembly::{CloudAssembly, LoadedStack};
use crate::diff::{self, StackDiff};

impl Engine<'_> {
    /// Compares the selected stacks (all for no patterns) with the deployed ones.
    pub async fn diff(
        &mut self,
        assembly: &CloudAssembly,
        patterns: &[String],
    ) -> Result<Vec<StackDiff>, DeployError> {
        let stacks = assembly.select(patterns)?;
        let groups = self.groups(&stacks).await?;
        let mut out = Vec::new();
        for s in stacks {
            let key = self.group_key(s.entry.environment.as_deref());
            let clients = groups
                .iter()
                .find(|g| g.key == key)
                .map(|g| g.clients.clone())
                .unwrap_or_else(|| self.clients.clone());
            let mut child = self.child(clients);
            out.push(child.diff_one(s).await?);
        }
        Ok(out)
    }

    async fn diff_one(&mut self, s: &LoadedStack) -> Result<StackDiff, DeployError> {
        {
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
            Ok(StackDiff {
                stack: name,
                existed,
                diff: d,
            })
        }
    }
}
