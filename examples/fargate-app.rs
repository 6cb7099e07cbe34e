fn main() -> std::process::ExitCode {
    stackforge::cli::run(stackforge::App::new())
}
