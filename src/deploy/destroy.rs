//! Destroying: the selected stacks in reverse dependency order, after checking everything
//! that would end in DELETE_FAILED ([`Blocker`]s, each with its remedy) and asking once.

use std::collections::BTreeMap;
use std::time::Instant;

use aws_sdk_cloudformation::types::{Stack, StackStatus};

use super::analysis::{self, Protected};
use super::error::{Blocker, DeployError};
use super::event::{Event, Outcome, StackReport};
use super::monitor::Watch;
use super::{status, Engine};
use crate::assembly::{CloudAssembly, LoadedStack};

impl Engine<'_> {
    /// Deletes the selected stacks (all for no patterns) in reverse dependency order.
    pub async fn destroy(
        &mut self,
        assembly: &CloudAssembly,
        patterns: &[String],
    ) -> Result<Vec<StackReport>, DeployError> {
        let (_, stacks) = self.select(assembly, patterns, true).await?;
        // Look at every stack first, then ask once.
        let mut present = Vec::new();
        let mut reports = Vec::new();
        for s in &stacks {
            match self.describe(&s.entry.name).await? {
                Some(st) => {
                    self.check_destroy(s, &st, &stacks).await?;
                    present.push((
                        s.entry.name.clone(),
                        st.stack_id().unwrap_or(&s.entry.name).to_owned(),
                    ));
                }
                None => {
                    self.note(
                        Some(&s.entry.name),
                        format!("{}: not deployed", s.entry.name),
                    );
                    reports.push(StackReport {
                        stack: s.entry.name.clone(),
                        outcome: Outcome::Absent,
                        status: None,
                        outputs: BTreeMap::new(),
                        elapsed: std::time::Duration::ZERO,
                    });
                }
            }
        }
        if present.is_empty() {
            self.write_outputs(&reports)?;
            return Ok(reports);
        }
        let names: Vec<&str> = present.iter().map(|(n, _)| n.as_str()).collect();
        self.approve(
            names[0],
            &format!("Delete {} (in this order)?", names.join(", ")),
            &format!("destroy deletes {}", names.join(", ")),
        )?;
        for (name, stack_id) in present {
            let started = Instant::now();
            let mut w = Watch::new(&name, &stack_id);
            self.poll_events(&mut w, false).await?;
            self.delete_stack(&name, &stack_id).await?;
            let end = self.wait(&mut w).await?;
            let current = status::of(end.as_ref());
            if end.is_some() && current != Some(StackStatus::DeleteComplete) {
                self.write_outputs(&reports)?;
                return Err(self.failure(&name, end.as_ref(), &w.log));
            }
            let r = StackReport {
                stack: name,
                outcome: Outcome::Deleted,
                status: Some(StackStatus::DeleteComplete),
                outputs: BTreeMap::new(),
                elapsed: started.elapsed(),
            };
            self.emit(Event::Finished(r.clone()));
            reports.push(r);
        }
        self.write_outputs(&reports)?;
        Ok(reports)
    }

    /// Everything that would make the delete fail, as one error with every remedy; notes what
    /// the delete leaves behind.
    async fn check_destroy(
        &mut self,
        s: &LoadedStack,
        st: &Stack,
        destroying: &[&LoadedStack],
    ) -> Result<(), DeployError> {
        let name = s.entry.name.as_str();
        let deployed = self.deployed_template(name).await?;
        let t = deployed.as_ref().unwrap_or(&s.template);
        let mut blockers = Vec::new();
        if st.enable_termination_protection() == Some(true) {
            blockers.push(Blocker::TerminationProtection);
        }
        // Exports still imported by stacks that stay.
        for export in st.outputs().iter().filter_map(|o| o.export_name()) {
            let importers: Vec<String> = self
                .importers(export, name)
                .await?
                .into_iter()
                .filter(|i| !destroying.iter().any(|d| &d.entry.name == i))
                .collect();
            if !importers.is_empty() {
                blockers.push(Blocker::ExportImported {
                    export: export.to_owned(),
                    importers,
                });
            }
        }
        let protected = analysis::protected(t);
        let physical = if protected.is_empty() {
            BTreeMap::new()
        } else {
            match self.physical_ids(name).await {
                Ok(ids) => ids,
                // Without physical ids the remedies still apply, with placeholders.
                Err(e) => {
                    self.note(Some(name), format!("{name}: note: cannot list the stack's resources ({e}); the steps below use placeholders"));
                    BTreeMap::new()
                }
            }
        };
        for p in protected {
            if let Some(b) = self.blocker(p, &physical).await {
                blockers.push(b);
            }
        }
        for (logical_id, resource_type, policy) in analysis::retained(t) {
            self.emit(Event::Retained {
                stack: name.to_owned(),
                logical_id,
                resource_type,
                policy,
            });
        }
        if blockers.is_empty() {
            Ok(())
        } else {
            Err(DeployError::DestroyBlocked {
                stack: name.to_owned(),
                blockers,
            })
        }
    }

    /// Whether a protected resource blocks the delete (buckets and repositories: only when
    /// they are not empty).
    async fn blocker(
        &mut self,
        p: Protected,
        physical: &BTreeMap<String, String>,
    ) -> Option<Blocker> {
        match p {
            Protected::Database {
                logical_id,
                type_name,
            } => Some(Blocker::DatabaseProtected {
                physical_id: physical.get(&logical_id).cloned(),
                logical_id,
                type_name,
            }),
            Protected::Table { logical_id } => Some(Blocker::TableProtected {
                physical_id: physical.get(&logical_id).cloned(),
                logical_id,
            }),
            Protected::LoadBalancer { logical_id } => Some(Blocker::LoadBalancerProtected {
                physical_id: physical.get(&logical_id).cloned(),
                logical_id,
            }),
            Protected::Bucket { logical_id } => {
                let (s3, bucket) = (
                    self.clients.s3.clone()?,
                    physical.get(&logical_id).cloned()?,
                );
                let r = self
                    .call("ListObjectsV2", || {
                        s3.list_objects_v2().bucket(&bucket).max_keys(1).send()
                    })
                    .await
                    .ok()?;
                (r.key_count().unwrap_or(0) > 0 || !r.contents().is_empty())
                    .then_some(Blocker::BucketNotEmpty { logical_id, bucket })
            }
            Protected::Repository { logical_id } => {
                let (ecr, repository) = (
                    self.clients.ecr.clone()?,
                    physical.get(&logical_id).cloned()?,
                );
                let r = self
                    .call("ListImages", || {
                        ecr.list_images()
                            .repository_name(&repository)
                            .max_results(1)
                            .send()
                    })
                    .await
                    .ok()?;
                (!r.image_ids().is_empty()).then_some(Blocker::RepositoryNotEmpty {
                    logical_id,
                    repository,
                })
            }
        }
    }

    async fn physical_ids(&mut self, name: &str) -> Result<BTreeMap<String, String>, DeployError> {
        let c = self.clients.cfn.clone();
        let r = self
            .call("DescribeStackResources", || {
                c.describe_stack_resources().stack_name(name).send()
            })
            .await?;
        Ok(r.stack_resources()
            .iter()
            .filter_map(|x| {
                Some((
                    x.logical_resource_id()?.to_owned(),
                    x.physical_resource_id()?.to_owned(),
                ))
            })
            .collect())
    }
}
