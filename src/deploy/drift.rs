//! Drift: `DetectStackDrift` on each selected stack, `DescribeStackDriftDetectionStatus`
//! until it is done, then `DescribeStackResourceDrifts` for the resources that are modified
//! or deleted, with each property that differs.

use aws_sdk_cloudformation::types::{StackDriftDetectionStatus, StackResourceDriftStatus};

use super::error::DeployError;
use super::event::{Event, PropertyDrift, ResourceDrift, StackDrift};
use super::Engine;
use crate::assembly::CloudAssembly;

impl Engine<'_> {
    /// Detects the drift of the selected stacks (all for no patterns) that are deployed.
    pub async fn drift(
        &mut self,
        assembly: &CloudAssembly,
        patterns: &[String],
    ) -> Result<Vec<StackDrift>, DeployError> {
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
            let name = s.entry.name.as_str();
            if child.describe(name).await?.is_none() {
                child.note(
                    Some(name),
                    format!("{name}: not deployed; no drift to detect"),
                );
                continue;
            }
            let d = child.drift_one(name).await?;
            child.emit(Event::Drift(d.clone()));
            out.push(d);
        }
        Ok(out)
    }

    async fn drift_one(&mut self, name: &str) -> Result<StackDrift, DeployError> {
        let c = self.clients.cfn.clone();
        let started = std::time::Instant::now();
        let r = self
            .call("DetectStackDrift", || {
                c.detect_stack_drift().stack_name(name).send()
            })
            .await?;
        let id = r.stack_drift_detection_id().unwrap_or_default().to_owned();
        let status = loop {
            let st = self
                .call("DescribeStackDriftDetectionStatus", || {
                    c.describe_stack_drift_detection_status()
                        .stack_drift_detection_id(&id)
                        .send()
                })
                .await?;
            if st.detection_status() != Some(&StackDriftDetectionStatus::DetectionInProgress) {
                if st.detection_status() == Some(&StackDriftDetectionStatus::DetectionFailed) {
                    // Some resources could not be checked; the others are still reported.
                    self.note(
                        Some(name),
                        format!(
                            "{name}: drift detection failed for some resources: {}",
                            st.detection_status_reason().unwrap_or("no reason given")
                        ),
                    );
                }
                break st
                    .stack_drift_status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_else(|| "UNKNOWN".to_owned());
            }
            if started.elapsed() >= self.options.timeout {
                return Err(DeployError::Timeout {
                    stack: name.to_owned(),
                    status: "DETECTION_IN_PROGRESS".to_owned(),
                    waited: started.elapsed(),
                });
            }
            tokio::time::sleep(self.options.poll_interval).await;
        };
        let mut resources = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let t = token.clone();
            let r = self
                .call("DescribeStackResourceDrifts", || {
                    c.describe_stack_resource_drifts()
                        .stack_name(name)
                        .stack_resource_drift_status_filters(StackResourceDriftStatus::Modified)
                        .stack_resource_drift_status_filters(StackResourceDriftStatus::Deleted)
                        .set_next_token(t.clone())
                        .send()
                })
                .await?;
            for d in r.stack_resource_drifts() {
                resources.push(ResourceDrift {
                    logical_id: d.logical_resource_id().unwrap_or_default().to_owned(),
                    resource_type: d.resource_type().unwrap_or_default().to_owned(),
                    physical_id: d.physical_resource_id().map(str::to_owned),
                    status: d
                        .stack_resource_drift_status()
                        .map_or("UNKNOWN", |s| s.as_str())
                        .to_owned(),
                    differences: d
                        .property_differences()
                        .iter()
                        .map(|p| PropertyDrift {
                            path: p.property_path().unwrap_or_default().to_owned(),
                            expected: p.expected_value().unwrap_or_default().to_owned(),
                            actual: p.actual_value().unwrap_or_default().to_owned(),
                            kind: p.difference_type().map_or("", |k| k.as_str()).to_owned(),
                        })
                        .collect(),
                });
            }
            match r.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        resources.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
        Ok(StackDrift {
            stack: name.to_owned(),
            status,
            resources,
        })
    }
}
