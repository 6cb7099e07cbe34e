//! `diff`, `deploy` and `destroy` against CloudFormation (the `deploy` feature).
//!
//! The CLI calls [`run_command`]; tests drive an [`Engine`] with their own [`Clients`]
//! (mocked with `aws-smithy-mocks`, or pointed at a local moto server).
//!
//! Credentials and region come from the standard AWS chain (`--profile`, `--region`,
//! `AWS_PROFILE`, `AWS_REGION`, environment keys, SSO, …); the endpoint from
//! `--endpoint-url` or `AWS_ENDPOINT_URL`.

pub mod analysis;
mod engine;
mod error;
mod ui;

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

pub use engine::{Clients, Engine, Identity, Outcome, Settings, StackReport};
pub use error::DeployError;
pub use ui::{Confirm, Ui};

use crate::cli::{exit, AwsArgs, Command, Context};
use crate::synth::Assembly;

/// Builds the clients from the standard AWS chain and the flags.
pub async fn connect(aws: &AwsArgs) -> Result<Clients, DeployError> {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(p) = &aws.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &aws.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    if let Some(u) = &aws.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    let conf = loader.load().await;
    let region = conf
        .region()
        .map(|r| r.as_ref().to_owned())
        .ok_or(DeployError::NoRegion)?;
    let endpoint_url = conf.endpoint_url().map(str::to_owned);
    // Local endpoints (moto, LocalStack) need path-style S3 addressing.
    let s3_conf = aws_sdk_s3::config::Builder::from(&conf)
        .force_path_style(endpoint_url.is_some())
        .build();
    Ok(Clients {
        cfn: aws_sdk_cloudformation::Client::new(&conf),
        sts: aws_sdk_sts::Client::new(&conf),
        s3: Some(aws_sdk_s3::Client::from_conf(s3_conf)),
        ecr: Some(aws_sdk_ecr::Client::new(&conf)),
        region,
        endpoint_url,
    })
}

/// Parses `--parameters Key=Value`.
pub fn parse_parameters(raw: &[String]) -> Result<Vec<(String, String)>, DeployError> {
    raw.iter()
        .enumerate()
        .map(|(i, p)| match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            // The argument is not echoed: it may be a secret typed without its key.
            _ => Err(DeployError::Usage {
                message: format!("--parameters #{}: expected Key=Value", i + 1),
            }),
        })
        .collect()
}

fn terminal_confirm<'a>() -> Confirm<'a> {
    Box::new(|q: &str| {
        eprint!("{q} [y/N] ");
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line).is_err() {
            return false;
        }
        matches!(line.trim(), "y" | "Y" | "yes" | "Yes")
    })
}

/// Runs `diff` (online), `deploy` or `destroy` on a synthesized assembly. Returns the exit
/// code; prints progress to `out` and errors to `err`.
pub fn run_command(
    assembly: &Assembly,
    cx: &Context<'_>,
    cmd: Command,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(err, "error: cannot start the async runtime: {e}");
            return exit::IO;
        }
    };
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let aws = match &cmd {
        Command::Diff(a) => a.aws.clone(),
        Command::Deploy(a) => a.aws.clone(),
        Command::Destroy(a) => a.aws.clone(),
        _ => AwsArgs::default(),
    };
    let mut settings = Settings {
        out_dir: cx.global.out.clone(),
        role_arn: aws.role_arn.clone(),
        handle_ctrl_c: terminal,
        ..Settings::default()
    };
    match &cmd {
        Command::Deploy(a) => {
            settings.method = a.method;
            settings.approval = a.require_approval;
            settings.yes = a.yes;
            settings.timeout = Duration::from_secs(a.timeout);
            settings.bucket = a.bucket.clone();
            settings.termination_protection = a.termination_protection;
            if !(a.poll_interval.is_finite() && a.poll_interval >= 0.0) {
                let _ = writeln!(
                    err,
                    "error: --poll-interval must be a number of seconds >= 0"
                );
                return exit::USAGE;
            }
            settings.poll_interval = Duration::from_secs_f64(a.poll_interval);
            settings.throttle_backoff = settings.poll_interval.max(Duration::from_millis(100));
            match parse_parameters(&a.parameters) {
                Ok(p) => settings.parameters = p,
                Err(e) => {
                    let _ = writeln!(err, "error: {e}");
                    return e.exit_code();
                }
            }
        }
        Command::Destroy(a) => {
            settings.yes = a.yes;
            settings.timeout = Duration::from_secs(a.timeout);
        }
        _ => {}
    }
    let selected = cx.global.stacks.clone();
    let mut ui = Ui::plain(out);
    if terminal {
        ui = ui.with_confirm(terminal_confirm()).with_progress();
    }
    let result = rt.block_on(async {
        let clients = connect(&aws).await?;
        let mut engine = Engine::new(clients, settings, &mut ui);
        match &cmd {
            Command::Diff(_) => engine
                .diff(assembly, &selected, terminal)
                .await
                .map(|changed| if changed { exit::CHANGES } else { exit::OK }),
            Command::Destroy(_) => engine.destroy(assembly, &selected).await.map(|_| exit::OK),
            _ => engine.deploy(assembly, &selected).await.map(|_| exit::OK),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            e.exit_code()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_parse_and_a_malformed_one_is_not_echoed() {
        let ok = parse_parameters(&["Env=prod".into(), "Empty=".into(), "Url=a=b".into()]);
        assert_eq!(
            ok.expect("valid"),
            [
                ("Env".to_owned(), "prod".to_owned()),
                ("Empty".to_owned(), String::new()),
                ("Url".to_owned(), "a=b".to_owned())
            ]
        );
        let e = parse_parameters(&["Env=dev".into(), "hunter2".into()]).expect_err("no key");
        assert_eq!(e.exit_code(), exit::USAGE);
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.to_string().contains("#2"), "{e}");
    }
}
