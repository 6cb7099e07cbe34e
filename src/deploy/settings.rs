//! Stack settings besides the template: tags and notification ARNs go with every create and
//! update request; termination protection and the stack policy are set with their own calls,
//! and only when they differ from the deployed stack's.

use aws_sdk_cloudformation::types::Stack;
use serde_json::{json, Value as Json};

use super::error::DeployError;
use super::event::Event;
use super::Engine;
use crate::assembly::LoadedStack;
use crate::diff::{Setting, StackSettings};

/// The policy that allows every update: what "no stack policy" means once one was set
/// (CloudFormation cannot remove a stack policy).
pub(crate) fn allow_all() -> Json {
    json!({"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]})
}

impl Engine<'_> {
    /// The settings a stack should have: the manifest's, with the options' tags and
    /// termination protection on top.
    pub(crate) fn desired_settings(&self, s: &LoadedStack) -> StackSettings {
        let mut st = StackSettings::of(&s.entry);
        st.tags.extend(self.options.tags.clone());
        if let Some(tp) = self.options.termination_protection {
            st.termination_protection = tp;
        }
        st
    }

    /// The settings the deployed stack has.
    pub(crate) async fn deployed_settings(
        &mut self,
        stack: &Stack,
    ) -> Result<StackSettings, DeployError> {
        let name = stack.stack_name().unwrap_or_default().to_owned();
        let c = self.clients.cfn.clone();
        let policy = self
            .call("GetStackPolicy", || {
                c.get_stack_policy().stack_name(&name).send()
            })
            .await?;
        let stack_policy = match policy.stack_policy_body() {
            Some(body) if !body.trim().is_empty() => Some(
                serde_json::from_str::<Json>(body)
                    .unwrap_or_else(|_| Json::String(body.to_owned())),
            ),
            _ => None,
        };
        Ok(StackSettings {
            tags: stack
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
                .collect(),
            termination_protection: stack.enable_termination_protection() == Some(true),
            stack_policy,
            notification_arns: stack.notification_arns().to_vec(),
        })
    }

    /// Sets termination protection and the stack policy where they differ from `deployed`
    /// (`None`: a stack just created, which has neither).
    pub(crate) async fn apply_settings(
        &mut self,
        name: &str,
        deployed: Option<&StackSettings>,
        desired: &StackSettings,
    ) -> Result<(), DeployError> {
        let none = StackSettings::default();
        let deployed = deployed.unwrap_or(&none);
        let c = self.clients.cfn.clone();
        if deployed.termination_protection != desired.termination_protection {
            let on = desired.termination_protection;
            self.call("UpdateTerminationProtection", || {
                c.update_termination_protection()
                    .stack_name(name)
                    .enable_termination_protection(on)
                    .send()
            })
            .await?;
            self.emit(Event::SettingApplied {
                stack: name.to_owned(),
                setting: Setting::TerminationProtection,
            });
        }
        let policy = match (&deployed.stack_policy, &desired.stack_policy) {
            (old, Some(new)) if old.as_ref() != Some(new) => Some(new.clone()),
            (Some(old), None) if *old != allow_all() => Some(allow_all()),
            _ => None,
        };
        if let Some(policy) = policy {
            let body = policy.to_string();
            self.call("SetStackPolicy", || {
                c.set_stack_policy()
                    .stack_name(name)
                    .stack_policy_body(&body)
                    .send()
            })
            .await?;
            self.emit(Event::SettingApplied {
                stack: name.to_owned(),
                setting: Setting::StackPolicy,
            });
        }
        Ok(())
    }
}
