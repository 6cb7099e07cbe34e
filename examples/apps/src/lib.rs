//! The example systems, as library functions that the example binaries, tests and benches share.
pub mod chatbot;
pub mod ec2_fleet;
pub mod falafel_api;
pub mod fargate_app;
pub mod hello_redis;
