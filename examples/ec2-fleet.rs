//! `ec2-fleet`: see `stackforge_examples::ec2_fleet` and docs/examples.md.
fn main() -> std::process::ExitCode {
    stackforge::run!(stackforge_examples::ec2_fleet::build)
}
