//! `chatbot`: see `stackforge_examples::chatbot` and docs/examples.md.
fn main() -> std::process::ExitCode {
    stackforge::cli::run_with(stackforge_examples::chatbot::build)
}
