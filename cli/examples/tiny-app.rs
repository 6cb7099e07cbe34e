//! A small stackforge program for the CLI's tests: `stackforge deploy --app <this>` runs it
//! to synthesize into `STACKFORGE_OUT`.
use stackforge::{App, Output, Raw};

fn build(_: &stackforge::cli::NoOptions) -> App {
    let app = App::new();
    let mut s = app.stack("tiny");
    let q = s.add_raw("Queue", Raw::new("AWS::SQS::Queue"));
    s.add_raw("Topic", Raw::new("AWS::SNS::Topic"));
    s.output("QueueUrl", Output::new(q.reference()));
    app
}

fn main() -> std::process::ExitCode {
    stackforge::run!(build)
}
