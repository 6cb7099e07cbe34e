//! stackforge's integration tests: one binary, one module per area (as in ripgrep).

mod cli;
mod common;
mod examples;
mod fargate_app;
mod model;
mod modules;
mod patterns_seed;
mod resources;
mod synth_output;
mod typed;
