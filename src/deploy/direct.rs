//! Applying a stack with CreateStack or UpdateStack, reviewed against the local diff (there
//! is no change set to show).

use aws_sdk_cloudformation::types::Parameter;

use super::apply::{with_request, Plan};
use super::classify::ErrorKind;
use super::error::DeployError;
use super::event::{Event, Operation, Outcome, StackReport};
use super::monitor::Watch;
use super::review::from_local;
use super::Engine;

impl Engine<'_> {
    pub(crate) async fn apply_direct(
        &mut self,
        plan: Plan<'_>,
    ) -> Result<StackReport, DeployError> {
        let name = plan.name().to_owned();
        let changes = from_local(&plan.local);
        if !changes.is_empty() || !plan.setting_changes.is_empty() {
            let why = self.review(
                &name,
                changes,
                plan.setting_changes.clone(),
                &plan.old,
                &plan.stack.template,
            );
            if let Some(why) = why {
                self.approve(&name, &format!("Deploy these changes to `{name}`?"), &why)?;
            }
        }
        let c = self.clients.cfn.clone();
        let r = &plan.request;
        if plan.creating() {
            let tp = plan.desired.termination_protection;
            let policy = plan.desired.stack_policy.as_ref().map(|p| p.to_string());
            let created = self
                .call("CreateStack", || {
                    with_request!(c.create_stack(), r)
                        .enable_termination_protection(tp)
                        .set_stack_policy_body(policy.clone())
                        .send()
                })
                .await?;
            let stack_id = created.stack_id().unwrap_or(&name).to_owned();
            self.emit(Event::Started {
                stack: name.clone(),
                operation: Operation::CreateStack,
            });
            let mut w = Watch::new(&name, &stack_id);
            w.started = plan.started;
            return self.finish(&plan, &mut w).await;
        }
        self.apply_settings(&name, plan.deployed.as_ref(), &plan.desired)
            .await?;
        let mut w = Watch::new(&name, &name);
        w.started = plan.started;
        self.poll_events(&mut w, false).await?;
        let updated = self
            .call("UpdateStack", || with_request!(c.update_stack(), r).send())
            .await;
        match updated {
            Ok(u) => {
                let stack_id = u.stack_id().unwrap_or(&name).to_owned();
                self.emit(Event::Started {
                    stack: name.clone(),
                    operation: Operation::UpdateStack,
                });
                let mut w2 = Watch::new(&name, &stack_id);
                w2.started = plan.started;
                w2.log = w.log;
                self.finish(&plan, &mut w2).await
            }
            // Parameters or tags may differ without a template change: UpdateStack decides.
            Err(e) if e.kind == ErrorKind::NoUpdates => {
                self.note(Some(&name), format!("{name}: no changes"));
                self.report(&name, Outcome::NoChanges, plan.started).await
            }
            Err(e) => Err(e.into()),
        }
    }

    /// UpdateStack with the previous template and parameters: applies new tags or
    /// notification ARNs when the template is unchanged.
    pub(crate) async fn update_previous_template(
        &mut self,
        plan: &Plan<'_>,
    ) -> Result<StackReport, DeployError> {
        let name = plan.name().to_owned();
        let c = self.clients.cfn.clone();
        let r = &plan.request;
        let previous: Vec<Parameter> = r
            .parameters
            .iter()
            .filter_map(|p| p.parameter_key())
            .map(|k| {
                Parameter::builder()
                    .parameter_key(k)
                    .use_previous_value(true)
                    .build()
            })
            .collect();
        let mut w = Watch::new(&name, &name);
        w.started = plan.started;
        self.poll_events(&mut w, false).await?;
        let updated = self
            .call("UpdateStack", || {
                c.update_stack()
                    .stack_name(&name)
                    .use_previous_template(true)
                    .set_parameters(Some(previous.clone()))
                    .set_capabilities(Some(r.capabilities.clone()))
                    .set_tags(Some(r.tags.clone()))
                    .set_role_arn(r.role_arn.clone())
                    .set_notification_arns(Some(r.notification_arns.clone()))
                    .send()
            })
            .await;
        match updated {
            Ok(_) => {
                self.emit(Event::Started {
                    stack: name.clone(),
                    operation: Operation::UpdateStack,
                });
                self.finish(plan, &mut w).await
            }
            Err(e) if e.kind == ErrorKind::NoUpdates => {
                self.report(&name, Outcome::Updated, plan.started).await
            }
            Err(e) => Err(e.into()),
        }
    }
}
