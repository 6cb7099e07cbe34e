//! `chatbot`: see `stackforge_examples::chatbot` and docs/examples.md.
fn main() -> std::process::ExitCode {
    stackforge::run!(stackforge_examples::chatbot::build)
}
