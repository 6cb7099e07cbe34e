//! `hello-redis`: see `stackforge_examples::hello_redis` and docs/examples.md.
fn main() -> std::process::ExitCode {
    stackforge::run!(stackforge_examples::hello_redis::build)
}
