//! Secure-by-default patterns built on the public API of `stackforge`.
pub mod catalogue;
pub mod codes;
pub mod connections;
pub mod container_repository;
pub mod ec2_capacity_cluster;
pub mod ec2_instance;
pub mod existing;
pub mod fargate;
pub mod grants;
pub mod network;
pub mod postgres;
pub mod redis_cache;
pub mod refs;
pub mod table;
