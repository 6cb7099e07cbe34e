//! The synth output in memory: one artifact per stack and environment, the warnings and the
//! assets. [`crate::App::synth`] builds it; [`Assembly::write`] puts it on disk.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::{Asset, AssetBytes};
use crate::diag::Diagnostic;
use crate::stack::{Requirement, StackPolicy};

/// The result of a successful synth: one artifact per stack, in deploy order.
#[derive(Debug, Clone)]
pub struct Assembly {
    /// Stacks in deploy order (dependencies first).
    pub stacks: Vec<StackArtifact>,
    /// The app's environments, in the order they were declared.
    pub environments: Vec<EnvironmentArtifact>,
    /// Warnings (errors make synth fail instead).
    pub warnings: Vec<Diagnostic>,
    /// Files the deploy engine publishes before the stacks that use them (see
    /// [`crate::assembly::Asset`]).
    pub assets: Vec<Asset>,
    /// The bytes of each file asset, by sha256 (written to `assets/<sha256>.zip`).
    pub asset_contents: BTreeMap<String, AssetBytes>,
}

/// One environment of a synthesized app: where its stacks go.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct EnvironmentArtifact {
    /// The environment's name (`prod`).
    pub name: String,
    /// The account, if pinned.
    pub account: Option<String>,
    /// The region, if pinned.
    pub region: Option<String>,
    /// The role the deploy engine assumes, if any.
    pub role_arn: Option<String>,
    /// Its stacks (full names), in deploy order.
    pub stacks: Vec<String>,
}

/// One synthesized stack.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StackArtifact {
    /// The full stack name.
    pub name: String,
    /// The template.
    pub template: Json,
    /// The template as written to disk: pretty JSON with a trailing newline.
    pub pretty: String,
    /// The size of the minified template that deploy sends.
    pub minified_bytes: usize,
    /// Number of resources.
    pub resource_count: usize,
    /// Stacks this one depends on (by full name), sorted.
    pub dependencies: Vec<String>,
    /// Stack tags.
    pub tags: BTreeMap<String, String>,
    /// Pinned account, if any.
    pub account: Option<String>,
    /// Pinned region, if any.
    pub region: Option<String>,
    /// Checks to run before deploying.
    pub requirements: Vec<Requirement>,
    /// Resource logical IDs in dependency order (dependencies first).
    pub resource_order: Vec<String>,
    /// Resource dependency edges `(from, to, reason)` by logical ID, sorted.
    pub resource_edges: Vec<(String, String, String)>,
    /// The environment the stack belongs to, if any.
    pub environment: Option<String>,
    /// Termination protection (applied by deploy).
    pub termination_protection: bool,
    /// The stack policy (applied by deploy).
    pub stack_policy: Option<StackPolicy>,
    /// SNS topics that receive the stack's events (applied by deploy).
    pub notification_arns: Vec<String>,
}

impl StackArtifact {
    /// The file name the template is written to.
    pub fn file_name(&self) -> String {
        format!("{}.template.json", self.name)
    }
    /// The minified JSON that deploy sends.
    pub fn minified(&self) -> String {
        self.template.to_string()
    }
}

impl Assembly {
    /// The artifact of a stack, by full name.
    pub fn stack(&self, name: &str) -> Option<&StackArtifact> {
        self.stacks.iter().find(|s| s.name == name)
    }
}
