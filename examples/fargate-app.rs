//! `fargate-app`, the flagship: see `stackforge_examples::fargate_app` and docs/fargate-app.md.
fn main() -> std::process::ExitCode {
    stackforge::run!(stackforge_examples::fargate_app::build)
}
