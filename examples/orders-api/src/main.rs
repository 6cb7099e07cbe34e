//! `cargo run -p orders-api`: see `orders_api::build` and the README's "orders-api" section.
fn main() -> std::process::ExitCode {
    stackforge::run!(orders_api::build)
}
