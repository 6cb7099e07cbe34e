//! The command line every stackforge program gets: `synth` (default), `list`, `graph`,
//! `validate`, and — with the `deploy` feature — `diff`, `deploy`, `destroy`.
//!
//! A program's `main` is one line:
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     stackforge::cli::run(stackforge::App::new())
//! }
//! ```
//!
//! or, with its own flags, [`run_with`]. Tests call [`run_from`] with an injected writer.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::json;

use crate::app::App;
use crate::diag::Diagnostic;
use crate::synth::Assembly;

/// Named exit codes.
pub mod exit {
    /// Success (for `diff`: no changes).
    pub const OK: i32 = 0;
    /// The app has errors (validation or synth).
    pub const INVALID: i32 = 1;
    /// The command line could not be parsed.
    pub const USAGE: i32 = 2;
    /// `diff` found changes.
    pub const CHANGES: i32 = 3;
    /// A deploy or destroy failed (the stack rolled back or could not be deleted).
    pub const DEPLOY_FAILED: i32 = 4;
    /// The command needs the `deploy` cargo feature.
    pub const FEATURE_DISABLED: i32 = 5;
    /// The change needs approval and none was given.
    pub const APPROVAL_REFUSED: i32 = 6;
    /// A deploy or destroy did not finish before `--timeout`.
    pub const TIMEOUT: i32 = 7;
    /// A pre-deploy requirement (e.g. an image tag) is not met.
    pub const REQUIREMENT_UNMET: i32 = 8;
    /// Writing output failed.
    pub const IO: i32 = 9;
}

/// No extra options: the CLI of a program that needs none.
#[derive(Args, Debug, Clone, Default)]
pub struct NoOptions {}

/// Infrastructure as code for AWS: synthesize, inspect and deploy this program's stacks.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
pub struct Cli<O: Args = NoOptions> {
    /// What to do (default: synth).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalOptions,
    /// The program's own options.
    #[command(flatten)]
    pub options: O,
}

/// Options shared by every command.
#[derive(Args, Debug, Clone)]
pub struct GlobalOptions {
    /// Directory for templates and the manifest.
    #[arg(long, global = true, default_value = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// Only these stacks (repeatable; default: all).
    #[arg(long = "stack", global = true, value_name = "NAME")]
    pub stacks: Vec<String>,
    /// Print only errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub json: bool,
}

/// The commands.
#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Write every stack's template and the manifest (the default).
    Synth,
    /// List stacks in deploy order with their dependencies.
    List,
    /// Print the resource and stack graph.
    Graph {
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
    /// Run every local check and report all problems.
    Validate,
    /// Compare the synthesized templates with the deployed ones (or with an earlier `out/`).
    Diff(DiffArgs),
    /// Deploy the stacks in dependency order through change sets.
    Deploy(DeployArgs),
    /// Delete the stacks in reverse dependency order.
    Destroy(DestroyArgs),
}

/// Graph output formats.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

/// Where and as whom to talk to AWS.
#[derive(Args, Debug, Clone, Default)]
pub struct AwsArgs {
    /// Named profile from the shared AWS config.
    #[arg(long)]
    pub profile: Option<String>,
    /// Region (default: from the standard AWS chain).
    #[arg(long)]
    pub region: Option<String>,
    /// CloudFormation service role to deploy with.
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// Endpoint override (also read from AWS_ENDPOINT_URL).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// `diff` options.
#[derive(Args, Debug, Clone, Default)]
pub struct DiffArgs {
    /// Compare with the templates of an earlier synth in DIR instead of the deployed stacks.
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// AWS connection.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// How deploy applies a template.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeployMethod {
    /// Create and execute a change set, shown first (default).
    #[default]
    ChangeSet,
    /// CreateStack / UpdateStack directly.
    Direct,
}

/// When deploy asks before it changes anything.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Approval {
    /// Never ask.
    Never,
    /// Ask when IAM or security-group permissions widen, or a stateful resource is replaced.
    #[default]
    Broadening,
    /// Ask for any change.
    AnyChange,
}

/// `deploy` options.
#[derive(Args, Debug, Clone, Default)]
pub struct DeployArgs {
    /// AWS connection.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Change set (default) or direct create/update.
    #[arg(long, value_enum, default_value_t = DeployMethod::ChangeSet)]
    pub method: DeployMethod,
    /// When to ask for approval.
    #[arg(long, value_enum, default_value_t = Approval::Broadening)]
    pub require_approval: Approval,
    /// Approve without asking (needed without a terminal).
    #[arg(long, short)]
    pub yes: bool,
    /// Give up after this many seconds per stack.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub timeout: u64,
    /// Template parameters, `Key=Value` (repeatable).
    #[arg(long = "parameters", value_name = "KEY=VALUE")]
    pub parameters: Vec<String>,
    /// S3 bucket for templates over 51,200 bytes.
    #[arg(long)]
    pub bucket: Option<String>,
    /// Turn on termination protection.
    #[arg(long)]
    pub termination_protection: bool,
    /// Seconds between polls of stack events.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    pub poll_interval: f64,
}

/// `destroy` options.
#[derive(Args, Debug, Clone, Default)]
pub struct DestroyArgs {
    /// AWS connection.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Delete without asking.
    #[arg(long, short)]
    pub yes: bool,
    /// Give up after this many seconds per stack.
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    pub timeout: u64,
}

/// Runs the CLI on an app built beforehand. For `main`.
pub fn run(app: App) -> ExitCode {
    run_with::<NoOptions>(move |_| app)
}

/// Runs the CLI with the program's own options `O` (a clap `Args` struct); `build` receives
/// them after parsing, so `--help` never builds the app.
pub fn run_with<O: Args>(build: impl FnOnce(&O) -> App) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let code = run_from::<O>(std::env::args_os(), build, &mut out, &mut err);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Runs the CLI with explicit arguments and writers; returns the exit code. For tests.
pub fn run_from<O: Args>(
    args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
    build: impl FnOnce(&O) -> App,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let program = args
        .first()
        .map(|a| {
            Path::new(a)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let cli = match Cli::<O>::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = if e.use_stderr() {
                write!(err, "{}", e.render())
            } else {
                write!(out, "{}", e.render())
            };
            return code;
        }
    };
    let started = Instant::now();
    let app = build(&cli.options);
    let cx = Context {
        program: &program,
        global: &cli.global,
        started,
    };
    match cli.command.unwrap_or(Command::Synth) {
        Command::Synth => synth(&app, &cx, out, err),
        Command::List => list(&app, &cx, out, err),
        Command::Graph { format } => graph(&app, &cx, format, out, err),
        Command::Validate => validate(&app, &cx, out, err),
        Command::Diff(args) if args.against.is_some() => offline_diff(&app, &cx, &args, out, err),
        cmd @ (Command::Diff(_) | Command::Deploy(_) | Command::Destroy(_)) => {
            online(&app, &cx, cmd, out, err)
        }
    }
}

/// What every command needs besides the app.
pub struct Context<'a> {
    /// The program's name (an example's name), for hints such as the deploy command.
    pub program: &'a str,
    /// The shared options.
    pub global: &'a GlobalOptions,
    /// When the command started.
    pub started: Instant,
}

impl Context<'_> {
    /// The command line that runs this program with the deploy feature.
    pub fn deploy_hint(&self, sub: &str) -> String {
        if self.program.is_empty() {
            format!("cargo run --features deploy -- {sub}")
        } else {
            format!(
                "cargo run --example {} --features deploy -- {sub}",
                self.program
            )
        }
    }
}

/// Synthesizes and prints diagnostics; `None` on errors (already printed).
pub fn synthesize(app: &App, cx: &Context<'_>, err: &mut dyn Write) -> Result<Assembly, i32> {
    match app.synth() {
        Ok(a) => {
            if !cx.global.quiet {
                print_diags(&a.warnings, err);
            }
            match select(&a, cx, err) {
                Ok(()) => Ok(a),
                Err(c) => Err(c),
            }
        }
        Err(e) => {
            print_diags(e.diagnostics(), err);
            if e.diagnostics().is_empty() {
                let _ = writeln!(err, "error: {e}");
            }
            let _ = writeln!(
                err,
                "synth failed: {} error(s)",
                e.diagnostics().iter().filter(|d| d.is_error()).count()
            );
            Err(exit::INVALID)
        }
    }
}

fn select(a: &Assembly, cx: &Context<'_>, err: &mut dyn Write) -> Result<(), i32> {
    let unknown: Vec<&String> = cx
        .global
        .stacks
        .iter()
        .filter(|n| a.stack(n).is_none())
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = a.stacks.iter().map(|s| s.name.as_str()).collect();
    let _ = writeln!(
        err,
        "error: unknown stack(s) {}; this app has: {}",
        unknown
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", "),
        names.join(", ")
    );
    Err(exit::USAGE)
}

fn selected<'a>(a: &'a Assembly, cx: &Context<'_>) -> Vec<&'a crate::synth::StackArtifact> {
    a.stacks
        .iter()
        .filter(|s| cx.global.stacks.is_empty() || cx.global.stacks.contains(&s.name))
        .collect()
}

fn print_diags(diags: &[Diagnostic], err: &mut dyn Write) {
    for d in diags {
        let _ = writeln!(err, "{d}");
    }
}

fn synth(app: &App, cx: &Context<'_>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let a = match synthesize(app, cx, err) {
        Ok(a) => a,
        Err(c) => return c,
    };
    if let Err(e) = a.write(&cx.global.out) {
        let _ = writeln!(err, "error: {e}");
        return exit::IO;
    }
    let elapsed = cx.started.elapsed();
    let stacks = selected(&a, cx);
    if cx.global.json {
        let list: Vec<_> = stacks
            .iter()
            .map(|s| json!({"name": s.name, "resources": s.resource_count, "bytes": s.minified_bytes, "path": cx.global.out.join(s.file_name())}))
            .collect();
        let _ = writeln!(
            out,
            "{}",
            json!({"stacks": list, "elapsed_ms": elapsed.as_secs_f64() * 1000.0, "warnings": a.warnings.len()})
        );
    } else if !cx.global.quiet {
        let width = stacks.iter().map(|s| s.name.len()).max().unwrap_or(0);
        for s in &stacks {
            let _ = writeln!(
                out,
                "{:width$}  {:>4} resources  {:>7} bytes  {}",
                s.name,
                s.resource_count,
                s.minified_bytes,
                cx.global.out.join(s.file_name()).display()
            );
        }
        let _ = writeln!(
            out,
            "synthesized {} stack(s) in {:.1} ms -> {}/",
            stacks.len(),
            elapsed.as_secs_f64() * 1000.0,
            cx.global.out.display()
        );
        let _ = writeln!(out, "deploy: {}", cx.deploy_hint("deploy"));
    }
    exit::OK
}

fn list(app: &App, cx: &Context<'_>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let a = match synthesize(app, cx, err) {
        Ok(a) => a,
        Err(c) => return c,
    };
    let stacks = selected(&a, cx);
    if cx.global.json {
        let list: Vec<_> = stacks.iter().map(|s| json!({"name": s.name, "dependencies": s.dependencies, "resources": s.resource_count})).collect();
        let _ = writeln!(out, "{}", json!({ "stacks": list }));
    } else {
        for (i, s) in stacks.iter().enumerate() {
            let deps = if s.dependencies.is_empty() {
                String::new()
            } else {
                format!("  (after {})", s.dependencies.join(", "))
            };
            let _ = writeln!(out, "{}. {}{deps}", i + 1, s.name);
        }
    }
    exit::OK
}

fn graph(
    app: &App,
    cx: &Context<'_>,
    format: GraphFormat,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let a = match synthesize(app, cx, err) {
        Ok(a) => a,
        Err(c) => return c,
    };
    let stacks = selected(&a, cx);
    let node = |stack: &str, id: &str| format!("{}_{}", stack.replace('-', "_"), id);
    let mut s = String::new();
    match format {
        GraphFormat::Dot => {
            s.push_str("digraph stackforge {\n  rankdir=LR;\n");
            for (i, st) in stacks.iter().enumerate() {
                s.push_str(&format!(
                    "  subgraph cluster_{i} {{\n    label=\"{}\";\n",
                    st.name
                ));
                for r in &st.resource_order {
                    let ty = st.template["Resources"][r]["Type"].as_str().unwrap_or("");
                    s.push_str(&format!(
                        "    {} [label=\"{r}\\n{ty}\"];\n",
                        node(&st.name, r)
                    ));
                }
                s.push_str("  }\n");
                for (from, to, why) in &st.resource_edges {
                    s.push_str(&format!(
                        "  {} -> {} [label=\"{}\"];\n",
                        node(&st.name, from),
                        node(&st.name, to),
                        why.replace('"', "'")
                    ));
                }
            }
            for st in &stacks {
                for d in &st.dependencies {
                    s.push_str(&format!("  \"{}\" -> \"{d}\" [style=dashed];\n", st.name));
                }
            }
            s.push_str("}\n");
        }
        GraphFormat::Mermaid => {
            s.push_str("flowchart LR\n");
            for st in &stacks {
                s.push_str(&format!(
                    "  subgraph {}[\"{}\"]\n",
                    st.name.replace('-', "_"),
                    st.name
                ));
                for r in &st.resource_order {
                    s.push_str(&format!("    {}[\"{r}\"]\n", node(&st.name, r)));
                }
                s.push_str("  end\n");
                for (from, to, why) in &st.resource_edges {
                    s.push_str(&format!(
                        "  {} -->|\"{}\"| {}\n",
                        node(&st.name, from),
                        why.replace('"', "'"),
                        node(&st.name, to)
                    ));
                }
            }
            for st in &stacks {
                for d in &st.dependencies {
                    s.push_str(&format!(
                        "  {} -.-> {}\n",
                        st.name.replace('-', "_"),
                        d.replace('-', "_")
                    ));
                }
            }
        }
    }
    let _ = out.write_all(s.as_bytes());
    exit::OK
}

fn validate(app: &App, cx: &Context<'_>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let diags = app.validate();
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if cx.global.json {
        let list: Vec<_> = diags
            .iter()
            .map(|d| json!({"code": d.code.as_str(), "severity": if d.is_error() {"error"} else {"warning"}, "stack": d.path.stack, "logical_id": d.path.logical_id, "property": d.path.property, "message": d.message, "help": d.help}))
            .collect();
        let _ = writeln!(
            out,
            "{}",
            json!({"errors": errors, "warnings": diags.len() - errors, "diagnostics": list})
        );
    } else {
        print_diags(&diags, err);
        if !cx.global.quiet {
            let _ = writeln!(
                out,
                "{errors} error(s), {} warning(s)",
                diags.len() - errors
            );
        }
    }
    if errors > 0 {
        exit::INVALID
    } else {
        exit::OK
    }
}

fn offline_diff(
    app: &App,
    cx: &Context<'_>,
    args: &DiffArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let a = match synthesize(app, cx, err) {
        Ok(a) => a,
        Err(c) => return c,
    };
    let dir = args.against.as_deref().unwrap_or(Path::new("out"));
    let mut changed = false;
    for s in selected(&a, cx) {
        let path = dir.join(s.file_name());
        let old: serde_json::Value = match std::fs::read_to_string(&path) {
            Ok(text) => match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    let _ = writeln!(err, "error: {} is not JSON: {e}", path.display());
                    return exit::INVALID;
                }
            },
            Err(_) => serde_json::Value::Null,
        };
        let d = crate::diff::diff_templates(&old, &s.template);
        if !d.is_empty() {
            changed = true;
        }
        let _ = write!(out, "{}", crate::diff::render(&s.name, &d, false));
    }
    if changed {
        exit::CHANGES
    } else {
        exit::OK
    }
}

#[cfg(not(feature = "deploy"))]
fn online(
    _app: &App,
    cx: &Context<'_>,
    cmd: Command,
    _out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let sub = match cmd {
        Command::Diff(_) => "diff",
        Command::Destroy(_) => "destroy",
        _ => "deploy",
    };
    let _ = writeln!(
        err,
        "error: `{sub}` talks to AWS and needs the `deploy` feature, which this build does not have.\n  run: {}\n  (offline: `diff --against DIR` compares with an earlier synth)",
        cx.deploy_hint(sub)
    );
    exit::FEATURE_DISABLED
}

#[cfg(feature = "deploy")]
fn online(
    app: &App,
    cx: &Context<'_>,
    cmd: Command,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let a = match synthesize(app, cx, err) {
        Ok(a) => a,
        Err(c) => return c,
    };
    crate::deploy::run_command(&a, cx, cmd, out, err)
}
