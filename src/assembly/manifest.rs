//! `manifest.json`: the typed form of what [`Assembly::manifest`] writes and
//! [`super::CloudAssembly::read`] reads. Its JSON Schema is `docs/manifest.schema.json`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::assembly::{Assembly, StackArtifact};
use crate::stack::Requirement;

/// The manifest's major version. A reader refuses any other major version; fields added
/// within a major version are optional, and readers ignore fields they do not know.
pub const MANIFEST_VERSION: u64 = 1;

/// The whole manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Manifest {
    /// The major version ([`MANIFEST_VERSION`]).
    pub version: u64,
    /// The program that wrote it, `stackforge <version>`.
    pub generator: String,
    /// Stacks in deploy order (dependencies first).
    pub stacks: Vec<StackEntry>,
    /// Files to publish before the stacks that use them.
    #[serde(default)]
    pub assets: Vec<Asset>,
    /// The app's environments: where each group of stacks is deployed.
    #[serde(default)]
    pub environments: Vec<EnvironmentEntry>,
}

/// One environment of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EnvironmentEntry {
    /// The environment's name (`prod`).
    pub name: String,
    /// The account, if pinned.
    #[serde(default)]
    pub account: Option<String>,
    /// The region, if pinned.
    #[serde(default)]
    pub region: Option<String>,
    /// A role the deploy engine assumes for the environment's stacks.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// Its stacks (full names), in deploy order.
    #[serde(default)]
    pub stacks: Vec<String>,
}

/// One stack of the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StackEntry {
    /// The full stack name (the CloudFormation stack name).
    pub name: String,
    /// The template's file name, relative to the assembly directory.
    pub template: String,
    /// Lowercase hex sha256 of the template file's bytes.
    pub sha256: String,
    /// The environment the stack belongs to (`prod`), if the app has environments.
    #[serde(default)]
    pub environment: Option<String>,
    /// Stacks this one depends on (full names).
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// The template's parameter names.
    #[serde(default)]
    pub parameters: Vec<String>,
    /// The template's output names.
    #[serde(default)]
    pub outputs: Vec<String>,
    /// Number of resources.
    #[serde(default)]
    pub resources: usize,
    /// Bytes of the minified template deploy sends.
    #[serde(default)]
    pub minified_bytes: usize,
    /// Stack tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// The account the stack is pinned to.
    #[serde(default)]
    pub account: Option<String>,
    /// The region the stack is pinned to.
    #[serde(default)]
    pub region: Option<String>,
    /// Checks deploy runs before this stack.
    #[serde(default)]
    pub requirements: Vec<RequirementEntry>,
    /// Termination protection.
    #[serde(default)]
    pub termination_protection: bool,
    /// The stack policy document, resolved (applied on every deploy).
    #[serde(default)]
    pub stack_policy: Option<Json>,
    /// SNS topics that receive the stack's events.
    #[serde(default)]
    pub notification_arns: Vec<String>,
}

/// A pre-deploy check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RequirementEntry {
    /// An image tag must exist in an ECR repository.
    ImageExists {
        /// The repository name.
        repository: String,
        /// The tag.
        tag: String,
        /// The stack that creates the repository, when it is part of the app.
        #[serde(default)]
        producer: Option<String>,
    },
}

/// A file the deploy engine publishes to the staging bucket (or an image to the staging
/// repository) before the stacks that use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Asset {
    /// The asset's id: the sha256 of its content.
    pub id: String,
    /// What it is and where it goes.
    #[serde(flatten)]
    pub kind: AssetKind,
    /// The stacks that use it (full names).
    #[serde(default)]
    pub stacks: Vec<String>,
}

impl Asset {
    /// A zip file at `path` (relative to the assembly directory) with this content hash, to
    /// be uploaded as `assets/<sha256>.zip`.
    pub fn file_zip(sha256: &str, stacks: Vec<String>) -> Asset {
        Asset {
            id: sha256.to_owned(),
            kind: AssetKind::FileZip {
                path: format!("assets/{sha256}.zip"),
                sha256: sha256.to_owned(),
                object_key: format!("assets/{sha256}.zip"),
            },
            stacks,
        }
    }
}

/// The kinds of asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum AssetKind {
    /// A zip file uploaded to the staging bucket. Templates reference it as
    /// `S3Bucket: {"Fn::Sub": "stackforge-staging-${AWS::AccountId}-${AWS::Region}"}`,
    /// `S3Key: "assets/<sha256>.zip"`.
    FileZip {
        /// The file, relative to the assembly directory (`assets/<sha256>.zip`).
        path: String,
        /// Lowercase hex sha256 of the file's bytes.
        sha256: String,
        /// The key in the staging bucket (`assets/<sha256>.zip`).
        object_key: String,
    },
    /// A container image built from `directory` and pushed to the staging repository
    /// (`stackforge-assets`) as `tag`. Designed, not yet published: deploy stops with a
    /// clear error (building needs Docker).
    ContainerImage {
        /// The build context, relative to the assembly directory.
        directory: String,
        /// The Dockerfile, relative to `directory`.
        dockerfile: String,
        /// The repository (`stackforge-assets`).
        repository: String,
        /// The tag: the sha256 of the build context.
        tag: String,
    },
}

impl StackEntry {
    /// The manifest entry of a synthesized stack.
    pub fn of(s: &StackArtifact) -> StackEntry {
        let keys = |k: &str| -> Vec<String> {
            s.template
                .get(k)
                .and_then(Json::as_object)
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default()
        };
        StackEntry {
            name: s.name.clone(),
            template: s.file_name(),
            sha256: super::sha256_hex(s.pretty.as_bytes()),
            environment: s.environment.clone(),
            dependencies: s.dependencies.clone(),
            parameters: keys("Parameters"),
            outputs: keys("Outputs"),
            resources: s.resource_count,
            minified_bytes: s.minified_bytes,
            tags: s.tags.clone(),
            account: s.account.clone(),
            region: s.region.clone(),
            requirements: s.requirements.iter().map(RequirementEntry::of).collect(),
            termination_protection: s.termination_protection,
            stack_policy: s.stack_policy.as_ref().map(|p| p.resolve(&s.template)),
            notification_arns: s.notification_arns.clone(),
        }
    }
}

impl RequirementEntry {
    fn of(r: &Requirement) -> RequirementEntry {
        match r {
            Requirement::ImageExists {
                repository,
                tag,
                producer,
            } => RequirementEntry::ImageExists {
                repository: repository.clone(),
                tag: tag.clone(),
                producer: producer.clone(),
            },
        }
    }
}

impl Assembly {
    /// The typed manifest.
    pub fn to_manifest(&self) -> Manifest {
        Manifest {
            version: MANIFEST_VERSION,
            generator: format!("stackforge {}", env!("CARGO_PKG_VERSION")),
            stacks: self.stacks.iter().map(StackEntry::of).collect(),
            assets: self.assets.clone(),
            environments: self
                .environments
                .iter()
                .map(|e| EnvironmentEntry {
                    name: e.name.clone(),
                    account: e.account.clone(),
                    region: e.region.clone(),
                    role_arn: e.role_arn.clone(),
                    stacks: e.stacks.clone(),
                })
                .collect(),
        }
    }

    /// The manifest as JSON, keys sorted: stacks in dependency order with their template,
    /// its sha256, dependencies, parameters, outputs, tags, environment, deploy settings and
    /// pre-deploy requirements, and the assets.
    pub fn manifest(&self) -> Json {
        let mut m = serde_json::to_value(self.to_manifest()).unwrap_or(Json::Null);
        m.sort_all_objects();
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn assets_serialize_flat_with_their_kind() {
        let a = Asset::file_zip("ab12", vec!["api".into()]);
        let v = serde_json::to_value(&a).expect("serializes");
        assert_eq!(
            v,
            json!({"id": "ab12", "kind": "file-zip", "path": "assets/ab12.zip", "sha256": "ab12", "object_key": "assets/ab12.zip", "stacks": ["api"]})
        );
        let back: Asset = serde_json::from_value(v).expect("reads back");
        assert_eq!(back, a);
    }
}
