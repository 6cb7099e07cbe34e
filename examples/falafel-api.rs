//! `falafel-api`: see `stackforge_examples::falafel_api` and docs/examples.md.
fn main() -> std::process::ExitCode {
    stackforge::cli::run_with(stackforge_examples::falafel_api::build)
}
