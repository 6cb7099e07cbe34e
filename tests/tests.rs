//! stackforge's integration tests: one binary, one module per area (as in ripgrep).

mod cli;
mod common;
mod model;
mod synth_output;
