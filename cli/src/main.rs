//! `stackforge`: the standalone command line.
//!
//! It deploys, diffs and destroys the assembly any stackforge program writes
//! (`out/manifest.json` and the templates), so the program itself never compiles the AWS
//! SDK. With `--app "<command>"` it runs the program first, the way `cdk.json`'s `app` works:
//! the command gets the output directory in `STACKFORGE_OUT` and synthesizes into it.
//!
//! ```text
//! stackforge deploy --app "cargo run -q --example fargate-app --"
//! stackforge diff                       # the assembly already in out/
//! stackforge destroy --stack 'prod/*'
//! stackforge bootstrap                  # once per account and region
//! ```
//!
//! The commands are adapters over `stackforge::deploy` (the engine) and share their flags and
//! output (`--json`: NDJSON, `--quiet`) with the CLI every stackforge program has.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};

use clap::{Parser, Subcommand};
use serde_json::json;
use stackforge::assembly::CloudAssembly;
use stackforge::cli::online;
use stackforge::cli::{
    exit, print_diff, BootstrapArgs, Command, DeployArgs, DestroyArgs, DiffArgs, GlobalOptions,
    Printer,
};

/// Deploy, diff and destroy the assembly a stackforge program writes, without compiling the
/// AWS SDK into the program.
#[derive(Parser, Debug)]
#[command(name = "stackforge", version, about, long_about = None)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    verb: Verb,
    /// Options shared by every command.
    #[command(flatten)]
    global: GlobalOptions,
    /// Run this command first to synthesize the assembly (e.g. `cargo run -q --example
    /// fargate-app --`); it gets the output directory in `STACKFORGE_OUT`.
    #[arg(long, global = true, env = "STACKFORGE_APP", value_name = "COMMAND")]
    app: Option<String>,
}

/// The commands.
#[derive(Subcommand, Debug)]
enum Verb {
    /// Run `--app` to write the assembly, and check it.
    Synth,
    /// List the assembly's stacks in deploy order.
    List,
    /// Compare with the deployed stacks, or with an earlier assembly or a template file.
    Diff(DiffArgs),
    /// Deploy the stacks in dependency order through change sets.
    Deploy(DeployArgs),
    /// Delete the stacks in reverse dependency order.
    Destroy(DestroyArgs),
    /// Create the staging bucket and repository in this account and region (once).
    Bootstrap(BootstrapArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { exit::USAGE as u8 } else { 0 });
        }
    };
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let code = run(cli, &mut out, &mut err);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Runs the app command with `STACKFORGE_OUT`; its stdout goes to our stderr, so our own
/// stdout (NDJSON with `--json`) stays clean.
fn run_app(command: &str, out_dir: &Path, p: &mut Printer<'_>) -> Result<(), i32> {
    let dir = std::path::absolute(out_dir).unwrap_or_else(|_| out_dir.to_owned());
    p.warn(&format!("running the app: {command}"));
    let mut shell = if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.arg("/C");
        c
    } else {
        let mut c = std::process::Command::new("sh");
        c.arg("-c");
        c
    };
    shell
        .arg(command)
        .env("STACKFORGE_OUT", &dir)
        .stdin(Stdio::null())
        .stdout(stderr_stdio());
    match shell.status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => {
            p.error(
                None,
                exit::INVALID,
                &format!("the app `{command}` failed ({s}); fix it and run again"),
            );
            Err(exit::INVALID)
        }
        Err(e) => {
            p.error(
                None,
                exit::INVALID,
                &format!("cannot run the app `{command}`: {e}"),
            );
            Err(exit::INVALID)
        }
    }
}

#[cfg(unix)]
fn stderr_stdio() -> Stdio {
    use std::os::fd::AsFd;
    std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map(Stdio::from)
        .unwrap_or_else(|_| Stdio::inherit())
}

#[cfg(not(unix))]
fn stderr_stdio() -> Stdio {
    Stdio::inherit()
}

fn read(dir: &Path, p: &mut Printer<'_>) -> Result<CloudAssembly, i32> {
    CloudAssembly::read(dir).map_err(|e| {
        p.error(Some(e.code().as_str()), exit::INVALID, &e.to_string());
        exit::INVALID
    })
}

fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut p = Printer::new(out, err, cli.global.mode());
    let dir: PathBuf = cli.global.out.clone();
    if let Verb::Bootstrap(args) = &cli.verb {
        return online::bootstrap(args, &mut p);
    }
    if let Some(app) = &cli.app {
        if let Err(code) = run_app(app, &dir, &mut p) {
            return code;
        }
    }
    let assembly = match read(&dir, &mut p) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let stacks = &cli.global.stacks;
    match cli.verb {
        Verb::Synth | Verb::List => {
            let selected = match assembly.select(stacks) {
                Ok(s) => s,
                Err(e) => {
                    p.error(Some(e.code().as_str()), exit::USAGE, &e.to_string());
                    return exit::USAGE;
                }
            };
            for (i, s) in selected.iter().enumerate() {
                let e = &s.entry;
                p.event(
                    "stack",
                    json!({"name": e.name, "environment": e.environment, "dependencies": e.dependencies, "resources": e.resources, "sha256": e.sha256}),
                    true,
                );
                let deps = if e.dependencies.is_empty() {
                    String::new()
                } else {
                    format!("  (after {})", e.dependencies.join(", "))
                };
                p.result(&format!("{}. {}{deps}\n", i + 1, e.name));
            }
            exit::OK
        }
        Verb::Diff(args) if args.against.is_some() => {
            let path = args.against.unwrap_or_default();
            let selected = match assembly.select(stacks) {
                Ok(s) => s,
                Err(e) => {
                    p.error(Some(e.code().as_str()), exit::USAGE, &e.to_string());
                    return exit::USAGE;
                }
            };
            let diffs = stackforge::diff::read_against(&path)
                .and_then(|against| stackforge::diff::diff_against(&against, &selected));
            match diffs {
                Ok(diffs) => {
                    let mut changed = false;
                    for d in &diffs {
                        changed |= print_diff(&mut p, d, false);
                    }
                    if changed {
                        exit::CHANGES
                    } else {
                        exit::OK
                    }
                }
                Err(e) => {
                    p.error(Some(e.code().as_str()), exit::INVALID, &e.to_string());
                    exit::INVALID
                }
            }
        }
        Verb::Diff(args) => online::run(&assembly, Command::Diff(args), stacks, &dir, &mut p),
        Verb::Deploy(args) => online::run(&assembly, Command::Deploy(args), stacks, &dir, &mut p),
        Verb::Destroy(args) => online::run(&assembly, Command::Destroy(args), stacks, &dir, &mut p),
        Verb::Bootstrap(_) => exit::OK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_missing_assembly_is_a_typed_error_that_names_the_way_to_make_one() {
        let dir = std::env::temp_dir().join(format!("stackforge-cli-none-{}", std::process::id()));
        let cli = Cli::try_parse_from([
            "stackforge",
            "list",
            "--json",
            "--out",
            dir.to_str().unwrap_or(""),
        ])
        .expect("parses");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        assert_eq!(run(cli, &mut out, &mut err), exit::INVALID);
        let out = String::from_utf8_lossy(&out);
        assert!(out.contains("\"code\":\"SFA001\""), "{out}");
    }
}
