//! Checks before anything changes: who is calling, the stacks' pinned account and region,
//! dependencies outside the selection, image requirements, and exports still imported.

use aws_sdk_cloudformation::types::Stack;
use serde_json::Value as Json;

use super::analysis;
use super::classify::ErrorKind;
use super::error::DeployError;
use super::event::{Event, Identity};
use super::{status, Engine};
use crate::assembly::{CloudAssembly, LoadedStack, RequirementEntry};

/// The stack's pinned account and region against the caller's.
pub fn check_environment(s: &LoadedStack, id: &Identity) -> Result<(), DeployError> {
    for (what, pinned, actual) in [
        ("account", &s.entry.account, &id.account),
        ("region", &s.entry.region, &id.region),
    ] {
        if let Some(p) = pinned {
            if p != actual {
                return Err(DeployError::EnvironmentMismatch {
                    stack: s.entry.name.clone(),
                    what,
                    pinned: p.clone(),
                    actual: actual.clone(),
                });
            }
        }
    }
    Ok(())
}

/// True if the template contains `{"Fn::ImportValue": "<export>"}`.
pub fn imports_export(t: &Json, export: &str) -> bool {
    match t {
        Json::Object(m) => {
            m.get("Fn::ImportValue").and_then(Json::as_str) == Some(export)
                || m.values().any(|v| imports_export(v, export))
        }
        Json::Array(a) => a.iter().any(|v| imports_export(v, export)),
        _ => false,
    }
}

impl Engine<'_> {
    /// STS GetCallerIdentity, first in every online command.
    pub async fn identity(&mut self) -> Result<Identity, DeployError> {
        let sts = self.clients.sts.clone();
        let r = self
            .call("GetCallerIdentity", || sts.get_caller_identity().send())
            .await?;
        let id = Identity {
            account: r.account().unwrap_or_default().to_owned(),
            arn: r.arn().unwrap_or_default().to_owned(),
            region: self.clients.region.clone(),
        };
        self.emit(Event::Identity(id.clone()));
        Ok(id)
    }

    /// The identity, then the selected stacks (deploy order, or reversed for destroy), each
    /// checked against the caller's account and region.
    pub(crate) async fn select<'a>(
        &mut self,
        assembly: &'a CloudAssembly,
        patterns: &[String],
        reverse: bool,
    ) -> Result<(Identity, Vec<&'a LoadedStack>), DeployError> {
        // Selection first: a typo in --stack needs no credentials to be reported.
        let mut stacks = assembly.select(patterns)?;
        let id = self.identity().await?;
        self.app_stacks = assembly
            .stacks
            .iter()
            .map(|s| s.entry.name.clone())
            .collect();
        if reverse {
            stacks.reverse();
        }
        for s in &stacks {
            check_environment(s, &id)?;
        }
        Ok((id, stacks))
    }

    /// A stack waits for its dependencies: those not deployed in this run must exist.
    pub(crate) async fn check_dependencies(
        &mut self,
        stacks: &[&LoadedStack],
    ) -> Result<(), DeployError> {
        for s in stacks {
            for d in &s.entry.dependencies {
                if stacks.iter().any(|x| &x.entry.name == d) {
                    continue;
                }
                let st = self.describe(d).await?;
                let current = status::of(st.as_ref());
                if !current.as_ref().is_some_and(status::usable) {
                    return Err(DeployError::Stuck {
                        stack: d.clone(),
                        status: if st.is_none() {
                            "not deployed".to_owned()
                        } else {
                            status::name(current.as_ref())
                        },
                        help: format!(
                            "`{}` depends on it; deploy it first (--stack {d}), or deploy all stacks",
                            s.entry.name
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// The manifest's pre-deploy requirements (an image tag in ECR).
    pub(crate) async fn check_requirements(&mut self, s: &LoadedStack) -> Result<(), DeployError> {
        let name = s.entry.name.clone();
        for r in &s.entry.requirements {
            let RequirementEntry::ImageExists {
                repository, tag, ..
            } = r;
            let Some(ecr) = self.clients.ecr.clone() else {
                self.note(
                    Some(&name),
                    format!(
                        "{name}: note: not checking that {repository}:{tag} exists (no ECR client)"
                    ),
                );
                continue;
            };
            let id = aws_sdk_ecr::types::ImageIdentifier::builder()
                .image_tag(tag)
                .build();
            match self
                .call("DescribeImages", || {
                    ecr.describe_images()
                        .repository_name(repository)
                        .image_ids(id.clone())
                        .send()
                })
                .await
            {
                Ok(_) => {}
                Err(e) if e.kind == ErrorKind::NotFound => {
                    return Err(DeployError::RequirementUnmet {
                        message: format!(
                            "image {repository}:{tag} is not in ECR ({}). Push it, then deploy `{name}`:\n  \
                             aws ecr get-login-password | docker login --username AWS --password-stdin <account>.dkr.ecr.{region}.amazonaws.com\n  \
                             docker push <account>.dkr.ecr.{region}.amazonaws.com/{repository}:{tag}\n  \
                             deploy --stack {name}",
                            e.code.as_deref().unwrap_or(""),
                            region = self.clients.region,
                        ),
                        stack: name,
                    })
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// The stacks importing `export`: ListImports, or, on endpoints without it (moto), the
    /// deployed templates of this assembly's other stacks.
    pub(crate) async fn importers(
        &mut self,
        export: &str,
        exporter: &str,
    ) -> Result<Vec<String>, DeployError> {
        let c = self.clients.cfn.clone();
        match self
            .call("ListImports", || {
                c.list_imports().export_name(export).send()
            })
            .await
        {
            Ok(r) => Ok(r.imports().to_vec()),
            // "Export 'x' is not imported by any stack."
            Err(e) if e.kind == ErrorKind::Validation => Ok(Vec::new()),
            Err(e) if e.code.is_none() => {
                self.note(None, format!(
                    "  note: ListImports is not available on this endpoint ({}); checking this app's deployed stacks for imports of `{export}` instead",
                    e.message.lines().next().unwrap_or("")
                ));
                let mut found = Vec::new();
                for other in self.app_stacks.clone() {
                    if other == exporter {
                        continue;
                    }
                    if let Some(t) = self.deployed_template(&other).await? {
                        if imports_export(&t, export) {
                            found.push(other);
                        }
                    }
                }
                Ok(found)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Refuses a template that drops an export another stack still imports.
    pub(crate) async fn check_exports(
        &mut self,
        s: &LoadedStack,
        existing: &Stack,
    ) -> Result<(), DeployError> {
        let keep = analysis::export_names(&s.template);
        let dropped: Vec<String> = existing
            .outputs()
            .iter()
            .filter_map(|o| o.export_name())
            .filter(|n| !keep.contains(*n))
            .map(str::to_owned)
            .collect();
        for export in dropped {
            let importers = self.importers(&export, &s.entry.name).await?;
            if !importers.is_empty() {
                return Err(DeployError::ExportInUse {
                    stack: s.entry.name.clone(),
                    export,
                    importers,
                });
            }
        }
        Ok(())
    }

    /// The deployed template (original text, JSON or YAML) as JSON; `None` when the stack does
    /// not exist.
    pub(crate) async fn deployed_template(
        &mut self,
        stack: &str,
    ) -> Result<Option<Json>, DeployError> {
        let c = self.clients.cfn.clone();
        match self
            .call("GetTemplate", || {
                c.get_template()
                    .stack_name(stack)
                    .template_stage(aws_sdk_cloudformation::types::TemplateStage::Original)
                    .send()
            })
            .await
        {
            Ok(r) => match r.template_body() {
                Some(body) => {
                    let origin = format!("the deployed template of stack `{stack}`");
                    Ok(Some(crate::template::parse(body, &origin)?))
                }
                None => Ok(None),
            },
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn imports_are_found_anywhere_in_a_template() {
        let t = json!({"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"VpcId": {"Fn::ImportValue": "p:Vpc"}, "Tags": [{"Key": "k", "Value": {"Fn::ImportValue": "p:Other"}}]}}}});
        assert!(imports_export(&t, "p:Vpc"));
        assert!(imports_export(&t, "p:Other"));
        assert!(!imports_export(&t, "p:Nope"));
    }
}
