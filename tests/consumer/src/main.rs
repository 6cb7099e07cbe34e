//! `cargo run -- synth`, `list`, `validate`, … for the platform's stacks.
fn main() -> std::process::ExitCode {
    stackforge::cli::run(platform_infra::app())
}
