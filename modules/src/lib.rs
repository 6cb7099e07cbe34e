//! Secure-by-default patterns built on the public API of `stackforge`.
#![cfg_attr(docsrs, feature(doc_cfg))]
pub mod alarm;
pub mod bucket;
pub mod catalogue;
#[cfg(feature = "serverless")]
pub mod code;
pub mod codes;
pub mod connections;
pub mod container_repository;
pub mod ec2_capacity_cluster;
pub mod ec2_instance;
#[cfg(feature = "serverless")]
pub mod events;
pub mod existing;
pub mod fargate;
#[cfg(feature = "serverless")]
pub mod function;
pub mod grants;
#[cfg(feature = "serverless")]
pub mod http_api;
pub mod key;
pub mod log_group;
pub mod metrics;
pub mod network;
pub mod postgres;
pub mod queue;
pub mod redis_cache;
pub mod refs;
pub mod table;
pub mod topic;

/// `docs/patterns.md` (how to write your own pattern), whose worked example compiles and runs
/// as doctests of this crate.
#[doc = include_str!("../../docs/patterns.md")]
#[cfg(doctest)]
pub struct PatternsGuide;
