//! `falafel-api`: see `stackforge_examples::falafel_api` and docs/examples.md.
fn main() -> std::process::ExitCode {
    stackforge::run!(stackforge_examples::falafel_api::build)
}
