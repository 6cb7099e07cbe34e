//! Deploying: the selected stacks in dependency order, each planned here (recovery,
//! requirements, exports, the template source, parameters, settings) and applied by
//! `changeset` or `direct`.

use std::time::Instant;

use aws_sdk_cloudformation::types::{Capability, Parameter, Stack, Tag};
use serde_json::Value as Json;

use super::analysis;
use super::error::DeployError;
use super::event::{Event, Outcome, StackReport};
use super::monitor::Watch;
use super::options::Method;
use super::{status, Engine};
use crate::assembly::{CloudAssembly, LoadedStack};
use crate::diff::{self, SettingChange, StackSettings, TemplateDiff};

/// What every create and update request carries: set on CreateChangeSet, CreateStack and
/// UpdateStack alike by [`with_request!`].
#[derive(Debug, Clone)]
pub(crate) struct StackRequest {
    pub(crate) name: String,
    pub(crate) body: Option<String>,
    pub(crate) url: Option<String>,
    pub(crate) parameters: Vec<Parameter>,
    pub(crate) capabilities: Vec<Capability>,
    pub(crate) tags: Vec<Tag>,
    pub(crate) role_arn: Option<String>,
    pub(crate) notification_arns: Vec<String>,
}

/// Sets a [`StackRequest`] on any of the three request builders (they share these setters).
macro_rules! with_request {
    ($builder:expr, $r:expr) => {
        $builder
            .stack_name(&$r.name)
            .set_template_body($r.body.clone())
            .set_template_url($r.url.clone())
            .set_parameters(Some($r.parameters.clone()))
            .set_capabilities(Some($r.capabilities.clone()))
            .set_tags(Some($r.tags.clone()))
            .set_role_arn($r.role_arn.clone())
            .set_notification_arns(Some($r.notification_arns.clone()))
    };
}
pub(crate) use with_request;

/// One stack, ready to apply.
pub(crate) struct Plan<'a> {
    pub(crate) stack: &'a LoadedStack,
    /// The stack as it is (`None`: create it).
    pub(crate) existing: Option<Stack>,
    /// Its settings as deployed.
    pub(crate) deployed: Option<StackSettings>,
    /// The settings it should have.
    pub(crate) desired: StackSettings,
    /// Setting changes (empty for a new stack).
    pub(crate) setting_changes: Vec<SettingChange>,
    /// The deployed template (`Null`: none).
    pub(crate) old: Json,
    /// The local diff, deployed to new.
    pub(crate) local: TemplateDiff,
    pub(crate) request: StackRequest,
    pub(crate) started: Instant,
}

impl Plan<'_> {
    pub(crate) fn name(&self) -> &str {
        &self.stack.entry.name
    }
    pub(crate) fn creating(&self) -> bool {
        self.existing.is_none()
    }
}

/// The parameters to send: `--parameters` values for the template's parameters, and the
/// previous value for those the deployed stack already has.
pub(crate) fn parameters(
    template: &Json,
    given: &[(String, String)],
    existing: Option<&Stack>,
) -> Vec<Parameter> {
    let declared = template
        .get("Parameters")
        .and_then(Json::as_object)
        .into_iter()
        .flat_map(|m| m.keys());
    let mut out = Vec::new();
    for k in declared {
        if let Some((_, v)) = given.iter().find(|(pk, _)| pk == k) {
            out.push(
                Parameter::builder()
                    .parameter_key(k)
                    .parameter_value(v)
                    .build(),
            );
        } else if existing.is_some_and(|st| {
            st.parameters()
                .iter()
                .any(|p| p.parameter_key() == Some(k.as_str()))
        }) {
            out.push(
                Parameter::builder()
                    .parameter_key(k)
                    .use_previous_value(true)
                    .build(),
            );
        }
    }
    out
}

/// The capabilities a template needs (IAM, and macros for a `Transform`).
pub(crate) fn capabilities(template: &Json) -> Vec<Capability> {
    let mut caps: Vec<Capability> = analysis::capabilities(template)
        .into_iter()
        .map(Capability::from)
        .collect();
    if template.get("Transform").is_some() {
        caps.push(Capability::CapabilityAutoExpand);
    }
    caps
}

impl Engine<'_> {
    /// Deploys the selected stacks (all for no patterns) in dependency order: assets first,
    /// then each stack. Writes `outputs.json` (also when a later stack fails).
    pub async fn deploy(
        &mut self,
        assembly: &CloudAssembly,
        patterns: &[String],
    ) -> Result<Vec<StackReport>, DeployError> {
        let (id, stacks) = self.select(assembly, patterns, false).await?;
        self.check_dependencies(&stacks).await?;
        self.publish_assets(assembly, &stacks, &id).await?;
        let mut reports = Vec::new();
        for s in stacks {
            match self.deploy_stack(s, &id.account).await {
                Ok(r) => {
                    self.emit(Event::Finished(r.clone()));
                    reports.push(r);
                }
                Err(e) => {
                    if !reports.is_empty() {
                        self.write_outputs(&reports)?;
                    }
                    return Err(e);
                }
            }
        }
        self.write_outputs(&reports)?;
        Ok(reports)
    }

    async fn deploy_stack(
        &mut self,
        s: &LoadedStack,
        account: &str,
    ) -> Result<StackReport, DeployError> {
        let started = Instant::now();
        let name = s.entry.name.as_str();
        let existing = self.describe(name).await?;
        let existing = self.recover(name, existing).await?;
        self.check_requirements(s).await?;
        if let Some(st) = &existing {
            self.check_exports(s, st).await?;
        }
        let (body, url) = self.template_source(s, account).await?;
        let old = match &existing {
            Some(_) => self.deployed_template(name).await?.unwrap_or(Json::Null),
            None => Json::Null,
        };
        let deployed = match &existing {
            Some(st) => Some(self.deployed_settings(st).await?),
            None => None,
        };
        let desired = self.desired_settings(s);
        let setting_changes = deployed
            .as_ref()
            .map(|d| diff::diff_settings(d, &desired))
            .unwrap_or_default();
        let request = StackRequest {
            name: name.to_owned(),
            body,
            url,
            parameters: parameters(&s.template, &self.options.parameters, existing.as_ref()),
            capabilities: capabilities(&s.template),
            tags: desired
                .tags
                .iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect(),
            role_arn: self.options.role_arn.clone(),
            notification_arns: desired.notification_arns.clone(),
        };
        let plan = Plan {
            local: diff::diff_templates(&old, &s.template),
            stack: s,
            existing,
            deployed,
            desired,
            setting_changes,
            old,
            request,
            started,
        };
        match self.options.method {
            Method::ChangeSet => self.apply_change_set(plan).await,
            Method::Direct => self.apply_direct(plan).await,
        }
    }

    /// Waits for the operation, then: on success, the settings a new stack still needs and
    /// the report; otherwise the failure.
    pub(crate) async fn finish(
        &mut self,
        plan: &Plan<'_>,
        w: &mut Watch<'_>,
    ) -> Result<StackReport, DeployError> {
        let end = self.wait(w).await?;
        let current = status::of(end.as_ref());
        if !current.as_ref().is_some_and(status::succeeded) {
            return Err(self.failure(plan.name(), end.as_ref(), &w.log));
        }
        if plan.creating() && self.options.method == Method::ChangeSet {
            self.apply_settings(plan.name(), None, &plan.desired)
                .await?;
        }
        let outcome = if plan.creating() {
            Outcome::Created
        } else {
            Outcome::Updated
        };
        Ok(self.report_of(plan.name(), outcome, end.as_ref(), plan.started))
    }

    /// The stack is unchanged: applies setting changes (through UpdateStack with the
    /// previous template when tags or notification ARNs changed) and reports.
    pub(crate) async fn unchanged(&mut self, plan: &Plan<'_>) -> Result<StackReport, DeployError> {
        let name = plan.name().to_owned();
        if plan.setting_changes.is_empty() {
            self.note(Some(&name), format!("{name}: no changes"));
            return self.report(&name, Outcome::NoChanges, plan.started).await;
        }
        if let Some(why) = self.review(
            &name,
            Vec::new(),
            plan.setting_changes.clone(),
            &plan.old,
            &plan.old,
        ) {
            self.approve(
                &name,
                &format!("Apply these setting changes to `{name}`?"),
                &why,
            )?;
        }
        self.apply_settings(&name, plan.deployed.as_ref(), &plan.desired)
            .await?;
        let request_changes = plan.setting_changes.iter().any(|c| {
            matches!(
                c.setting,
                diff::Setting::Tags | diff::Setting::NotificationArns
            )
        });
        if request_changes {
            return self.update_previous_template(plan).await;
        }
        self.report(&name, Outcome::Updated, plan.started).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_take_given_values_then_previous_ones() {
        let t = json!({"Parameters": {"Env": {"Type": "String"}, "Size": {"Type": "Number"}, "New": {"Type": "String"}}});
        let existing = Stack::builder()
            .parameters(
                Parameter::builder()
                    .parameter_key("Size")
                    .parameter_value("2")
                    .build(),
            )
            .build();
        let p = parameters(
            &t,
            &[("Env".into(), "prod".into()), ("Other".into(), "x".into())],
            Some(&existing),
        );
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].parameter_key(), Some("Env"));
        assert_eq!(p[0].parameter_value(), Some("prod"));
        assert_eq!(p[1].parameter_key(), Some("Size"));
        assert_eq!(p[1].use_previous_value(), Some(true));
    }

    #[test]
    fn transforms_need_auto_expand() {
        let t = json!({"Transform": "AWS::Serverless-2016-10-31", "Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {}}}});
        assert_eq!(
            capabilities(&t),
            [Capability::CapabilityIam, Capability::CapabilityAutoExpand]
        );
    }
}
