//! stackforge's integration tests: one binary, one module per area (as in ripgrep).

mod aspects;
mod assets;
mod building_blocks;
mod catalogue;
mod cli;
mod common;
mod composability;
mod corpus;
mod depth;
mod examples;
mod fargate_app;
mod graph;
mod model;
mod modules;
mod overrides;
mod pattern_gaps;
mod patterns_seed;
mod resources;
mod secrets;
mod synth_output;
mod template_checks;
mod testing_helpers;
mod typed;
mod validation_table;
mod values;
