//! `fargate-app`, the flagship: see `stackforge_examples::fargate_app` and docs/fargate-app.md.
fn main() -> std::process::ExitCode {
    stackforge::cli::run_with(stackforge_examples::fargate_app::build)
}
