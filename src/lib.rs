//! # stackforge
//!
//! Infrastructure as code for AWS, written as ordinary Rust. Describe stacks with typed
//! resources ([`cfn`]) and typed values ([`Val`]); references between resources build a
//! dependency graph; [`App::synth`] produces deterministic CloudFormation JSON.
//!
//! ```
//! use stackforge::{App, Output, Raw, value::fns};
//!
//! let app = App::new();
//! let mut stack = app.stack("demo");
//! let topic = stack.add_raw("Alerts", Raw::new("AWS::SNS::Topic").prop("TopicName", fns::sub(["alerts-".into(), stackforge::value::pseudo::region().into()])));
//! stack.output("TopicArn", Output::new(topic.reference()).export());
//! let assembly = app.synth().expect("no errors");
//! let t = &assembly.stacks[0].template;
//! assert_eq!(t["Resources"]["Alerts"]["Type"], "AWS::SNS::Topic");
//! assert_eq!(t["Outputs"]["TopicArn"]["Export"]["Name"], "demo:TopicArn");
//! ```
//!
//! See `ARCHITECTURE.md` for the contract between the core, the generated types and the
//! patterns.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod app;
pub mod aspect;
pub mod assembly;
pub mod catalogue;
pub mod cfn;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "deploy")]
pub mod deploy;
pub mod diag;
pub mod diff;
pub mod eval;
pub mod graph;
pub mod json;
mod lint;
pub mod policy;
pub mod resource;
pub mod secrets;
pub mod semantic;
pub mod stack;
pub mod synth;
pub mod template;
pub mod testing;
pub mod validate;
pub mod value;
mod walk;

pub use app::{App, AssetLocation, Environment, EnvironmentProps, Grant, GrantRole, Scope};
pub use assembly::{Assembly, EnvironmentArtifact, StackArtifact};
/// clap, as the CLI uses it: `use stackforge::clap;` is enough for a program's own
/// `#[derive(clap::Args)]` options, without a separate clap dependency to keep in step.
#[cfg(feature = "cli")]
pub use clap;
pub use diag::{Code, DiagPath, Diagnostic, Severity, SynthError};
pub use resource::{Handle, Props, Raw, Resource, Tag, ToExpr};
pub use stack::{Output, Parameter, Policy, Requirement, Rule, Stack};
/// The nesting limit of values (part of [`value`]; kept at its old path).
pub use value::depth;
pub use value::{dynamic, fns, pseudo, CfnEnum, Condition, Expr, Json, List, Mapping, Val};

/// The README's code blocks, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
