//! The command line every stackforge program gets (feature `cli`, on by default): `synth`
//! (default), `list`, `graph`, `validate`, `diff`, and with the `deploy` feature `deploy`,
//! `destroy` and `bootstrap` through the engine in `stackforge::deploy` (feature `deploy`).
//!
//! A program's `main` is one line. [`run!`](crate::run) gives the CLI the program's own name,
//! version and description (from its `Cargo.toml`, expanded in its crate):
//!
//! ```no_run
//! # fn build(_: &stackforge::cli::NoOptions) -> stackforge::App { stackforge::App::new() }
//! fn main() -> std::process::ExitCode {
//!     stackforge::run!(build)
//! }
//! ```
//!
//! `build` takes the program's own options, a clap `Args` struct (`use stackforge::clap;` is
//! enough to derive it), parsed before the app is built. Tests call [`run_from`] with
//! injected writers.
//!
//! Without the `deploy` feature, `deploy`, `destroy`, `bootstrap` and an online `diff` print
//! how to deploy the assembly with the standalone `stackforge` CLI (which has the AWS SDK, so
//! this program does not need it), or how to rebuild this program with the engine.

#[cfg(feature = "deploy")]
pub mod online;
mod output;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use serde_json::json;

pub use output::{diagnostic_json, Mode, Printer};

use crate::app::App;
use crate::assembly::{select, SelectError, StackKey};
use crate::synth::Assembly;

/// Named exit codes.
pub mod exit {
    /// Success (for `diff`: no changes).
    pub const OK: i32 = 0;
    /// The app has errors (validation or synth), or an input is invalid.
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
    /// Reading or writing files failed.
    pub const IO: i32 = 9;
}

/// What a program says about itself: `--help`, `-V`, and the commands it suggests.
/// Made by [`program!`](crate::program) in the program's own crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The binary's name (`fargate-app`).
    pub name: std::borrow::Cow<'static, str>,
    /// The package's version.
    pub version: &'static str,
    /// The package's description.
    pub about: Option<&'static str>,
    /// The package's name.
    pub package: &'static str,
}

impl Program {
    /// The command line that runs this program with `sub`.
    fn cargo_run(&self, features: bool) -> String {
        let target = if is_example() {
            format!("--example {}", self.name)
        } else {
            format!("--bin {}", self.name)
        };
        if !features {
            return format!("cargo run -q {target} --");
        }
        let feature = if self.package == "stackforge" {
            "deploy"
        } else {
            "stackforge/deploy"
        };
        format!("cargo run {target} --features {feature} --")
    }

    /// How to run `sub` (deploy, diff, destroy, bootstrap) for this program as it was built.
    pub fn hint(&self, sub: &str) -> String {
        if cfg!(feature = "deploy") {
            format!("{} {sub}", self.cargo_run(true))
        } else {
            format!("stackforge {sub} --app \"{}\"", self.cargo_run(false))
        }
    }
}

/// Whether the running binary is a cargo example (`target/<profile>/examples/`).
fn is_example() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.ends_with("examples")))
        .unwrap_or(true)
}

/// The [`Program`] of the crate this macro is expanded in: its binary (or example) name,
/// version and description from `Cargo.toml`.
#[macro_export]
macro_rules! program {
    () => {
        $crate::cli::Program {
            name: ::std::borrow::Cow::Borrowed(match ::std::option_env!("CARGO_BIN_NAME") {
                ::std::option::Option::Some(n) => n,
                ::std::option::Option::None => ::std::env!("CARGO_PKG_NAME"),
            }),
            version: ::std::env!("CARGO_PKG_VERSION"),
            about: match ::std::option_env!("CARGO_PKG_DESCRIPTION") {
                ::std::option::Option::Some("") | ::std::option::Option::None => {
                    ::std::option::Option::None
                }
                other => other,
            },
            package: ::std::env!("CARGO_PKG_NAME"),
        }
    };
}

/// Runs the CLI for this program: `stackforge::run!(build)` in `main`, where `build` takes
/// the program's options (a clap `Args` struct, or [`NoOptions`]) and returns the app.
#[macro_export]
macro_rules! run {
    ($build:expr) => {
        $crate::cli::run_program($crate::program!(), $build)
    };
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
    /// Directory for templates and the manifest (the assembly).
    #[arg(
        long,
        global = true,
        default_value = "out",
        env = "STACKFORGE_OUT",
        value_name = "DIR"
    )]
    pub out: PathBuf,
    /// Only these stacks (repeatable; default: all): a full name (`prod-api`), a name without
    /// its environment (`api`), or a pattern over `<environment>/<stack>` (`prod/*`).
    #[arg(long = "stack", global = true, value_name = "NAME")]
    pub stacks: Vec<String>,
    /// Print only errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Machine-readable output: one JSON object per line (NDJSON), each with an `event`.
    #[arg(long, global = true)]
    pub json: bool,
}

impl GlobalOptions {
    /// The output mode.
    pub fn mode(&self) -> Mode {
        Mode {
            json: self.json,
            quiet: self.quiet,
        }
    }
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
    /// Compare with the deployed stacks, or with an earlier assembly or a template file.
    Diff(DiffArgs),
    /// Deploy the stacks in dependency order through change sets.
    Deploy(DeployArgs),
    /// Delete the stacks in reverse dependency order.
    Destroy(DestroyArgs),
    /// Create the staging bucket and repository in this account and region (once).
    Bootstrap(BootstrapArgs),
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
    /// Compare with an earlier assembly (a directory) or one template file (JSON or YAML)
    /// instead of the deployed stacks.
    #[arg(long, value_name = "PATH")]
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

/// `deploy` options. Unset values take the engine's defaults.
#[derive(Args, Debug, Clone, Default)]
pub struct DeployArgs {
    /// AWS connection.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Change set (default) or direct create/update.
    #[arg(long, value_enum)]
    pub method: Option<DeployMethod>,
    /// When to ask for approval (default: broadening).
    #[arg(long, value_enum)]
    pub require_approval: Option<Approval>,
    /// Approve without asking (needed without a terminal).
    #[arg(long, short)]
    pub yes: bool,
    /// Give up waiting after this many seconds per stack (default: 3600).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Template parameters, `Key=Value` (repeatable; values are never printed).
    #[arg(long = "parameters", value_name = "KEY=VALUE")]
    pub parameters: Vec<String>,
    /// Stack tags on top of the app's, `Key=Value` (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// S3 bucket for templates over 51,200 bytes (default: the staging bucket).
    #[arg(long)]
    pub bucket: Option<String>,
    /// Turn on termination protection (default: as the app sets it).
    #[arg(long)]
    pub termination_protection: bool,
    /// Seconds between polls of stack events (default: 1).
    #[arg(long, value_name = "SECONDS")]
    pub poll_interval: Option<f64>,
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
    /// Give up waiting after this many seconds per stack (default: 3600).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Seconds between polls of stack events (default: 1).
    #[arg(long, value_name = "SECONDS")]
    pub poll_interval: Option<f64>,
}

/// `bootstrap` options.
#[derive(Args, Debug, Clone, Default)]
pub struct BootstrapArgs {
    /// AWS connection.
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Approve without asking.
    #[arg(long, short)]
    pub yes: bool,
    /// Seconds between polls of stack events (default: 1).
    #[arg(long, value_name = "SECONDS")]
    pub poll_interval: Option<f64>,
}

/// Runs the CLI on an app built beforehand. `stackforge::run!` is preferred: it shows the
/// program's own name and version.
pub fn run(app: App) -> ExitCode {
    run_with::<NoOptions>(move |_| app)
}

/// Runs the CLI with the program's own options `O`; `build` receives them after parsing, so
/// `--help` never builds the app. `stackforge::run!(build)` does the same with the
/// program's own name and version.
pub fn run_with<O: Args>(build: impl FnOnce(&O) -> App) -> ExitCode {
    run_program(stackforge_program(None), build)
}

/// What [`run!`](crate::run) expands to.
pub fn run_program<O: Args>(program: Program, build: impl FnOnce(&O) -> App) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let code = run_program_from::<O>(program, std::env::args_os(), build, &mut out, &mut err);
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
    let name = args.first().map(|a| {
        Path::new(a)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    run_program_from(stackforge_program(name), args, build, out, err)
}

/// A program of the stackforge package itself (its examples), named after `argv[0]`.
fn stackforge_program(name: Option<String>) -> Program {
    let name = name.unwrap_or_else(|| {
        std::env::args_os()
            .next()
            .and_then(|a| {
                Path::new(&a)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .unwrap_or_default()
    });
    Program {
        name: std::borrow::Cow::Owned(name),
        version: env!("CARGO_PKG_VERSION"),
        about: None,
        package: "stackforge",
    }
}

/// Parses `args` for a program, with its name, version and description.
fn parse<O: Args>(program: &Program, args: &[std::ffi::OsString]) -> Result<Cli<O>, clap::Error> {
    let mut cmd = Cli::<O>::command().version(program.version);
    // A name known at compile time replaces stackforge's; otherwise clap takes argv[0].
    if let std::borrow::Cow::Borrowed(name) = program.name {
        cmd = cmd.name(name);
    }
    if let Some(about) = program.about {
        cmd = cmd.about(about);
    }
    let matches: ArgMatches = cmd.try_get_matches_from(args)?;
    Cli::<O>::from_arg_matches(&matches)
}

/// Runs the CLI of `program` with explicit arguments and writers; returns the exit code.
pub fn run_program_from<O: Args>(
    program: Program,
    args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
    build: impl FnOnce(&O) -> App,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let cli = match parse::<O>(&program, &args) {
        Ok(c) => c,
        Err(e) => {
            if e.use_stderr() {
                let _ = write!(err, "{}", e.render());
                return exit::USAGE;
            }
            let _ = write!(out, "{}", e.render());
            return exit::OK;
        }
    };
    let started = Instant::now();
    let app = build(&cli.options);
    let mut p = Printer::new(out, err, cli.global.mode());
    let cx = Context {
        program: &program,
        global: &cli.global,
        started,
        prefix: app.prefix().to_owned(),
    };
    match cli.command.unwrap_or(Command::Synth) {
        Command::Synth => synth(&app, &cx, &mut p),
        Command::List => list(&app, &cx, &mut p),
        Command::Graph { format } => graph(&app, &cx, format, &mut p),
        Command::Validate => validate(&app, &mut p),
        Command::Diff(args) if args.against.is_some() => offline_diff(&app, &cx, &args, &mut p),
        cmd => online(&app, &cx, cmd, &mut p),
    }
}

/// What every command needs besides the app.
struct Context<'a> {
    program: &'a Program,
    global: &'a GlobalOptions,
    started: Instant,
    /// The app's environment prefix, for `--stack` without it.
    prefix: String,
}

/// Synthesizes; prints diagnostics; checks `--stack`.
fn synthesize(
    app: &App,
    cx: &Context<'_>,
    p: &mut Printer<'_>,
) -> Result<(Assembly, Vec<usize>), i32> {
    match app.synth() {
        Ok(a) => {
            p.diagnostics(&a.warnings);
            match selection(&a, cx) {
                Ok(sel) => Ok((a, sel)),
                Err(e) => {
                    p.error(Some(e.code().as_str()), exit::USAGE, &e.to_string());
                    Err(exit::USAGE)
                }
            }
        }
        Err(e) => {
            p.diagnostics(e.diagnostics());
            let n = e.diagnostics().iter().filter(|d| d.is_error()).count();
            let msg = if n == 0 {
                e.to_string()
            } else {
                format!("synth failed: {n} error(s)")
            };
            p.error(None, exit::INVALID, &msg);
            Err(exit::INVALID)
        }
    }
}

/// The stacks `--stack` selects (indices into `a.stacks`). A stack's environment is the one
/// the app declared (`App::environment`); for an app made with `App::with_prefix`, the prefix
/// without its separator stands for it.
fn selection(a: &Assembly, cx: &Context<'_>) -> Result<Vec<usize>, SelectError> {
    let env = cx.prefix.trim_end_matches(['-', '_', '.']);
    let keys: Vec<StackKey<'_>> = a
        .stacks
        .iter()
        .map(|s| StackKey {
            name: &s.name,
            environment: s
                .environment
                .as_deref()
                .or_else(|| (!env.is_empty() && s.name.starts_with(&cx.prefix)).then_some(env)),
        })
        .collect();
    select(&keys, &cx.global.stacks)
}

fn write_assembly(a: &Assembly, cx: &Context<'_>, p: &mut Printer<'_>) -> Result<(), i32> {
    a.write(&cx.global.out).map(|_| ()).map_err(|e| {
        p.error(None, exit::IO, &e.to_string());
        exit::IO
    })
}

fn synth(app: &App, cx: &Context<'_>, p: &mut Printer<'_>) -> i32 {
    let (a, sel) = match synthesize(app, cx, p) {
        Ok(x) => x,
        Err(c) => return c,
    };
    if let Err(c) = write_assembly(&a, cx, p) {
        return c;
    }
    let elapsed_ms = cx.started.elapsed().as_secs_f64() * 1000.0;
    let manifest = a.to_manifest();
    let width = sel
        .iter()
        .map(|i| a.stacks[*i].name.len())
        .max()
        .unwrap_or(0);
    for i in &sel {
        let s = &a.stacks[*i];
        let path = cx.global.out.join(s.file_name());
        p.event(
            "stack",
            json!({"name": s.name, "resources": s.resource_count, "bytes": s.minified_bytes, "path": path, "sha256": manifest.stacks[*i].sha256, "dependencies": s.dependencies}),
            false,
        );
        p.line(&format!(
            "{:width$}  {:>4} resources  {:>7} bytes  {}",
            s.name,
            s.resource_count,
            s.minified_bytes,
            path.display()
        ));
    }
    p.event(
        "synthesized",
        json!({"stacks": sel.len(), "elapsed_ms": elapsed_ms, "warnings": a.warnings.len(), "dir": cx.global.out}),
        false,
    );
    p.line(&format!(
        "synthesized {} stack(s) in {elapsed_ms:.1} ms -> {}/",
        sel.len(),
        cx.global.out.display()
    ));
    p.line(&format!("deploy: {}", cx.program.hint("deploy")));
    exit::OK
}

fn list(app: &App, cx: &Context<'_>, p: &mut Printer<'_>) -> i32 {
    let (a, sel) = match synthesize(app, cx, p) {
        Ok(x) => x,
        Err(c) => return c,
    };
    for (n, i) in sel.iter().enumerate() {
        let s = &a.stacks[*i];
        p.event(
            "stack",
            json!({"name": s.name, "dependencies": s.dependencies, "resources": s.resource_count}),
            true,
        );
        let deps = if s.dependencies.is_empty() {
            String::new()
        } else {
            format!("  (after {})", s.dependencies.join(", "))
        };
        p.result(&format!("{}. {}{deps}\n", n + 1, s.name));
    }
    exit::OK
}

fn graph(app: &App, cx: &Context<'_>, format: GraphFormat, p: &mut Printer<'_>) -> i32 {
    let (a, sel) = match synthesize(app, cx, p) {
        Ok(x) => x,
        Err(c) => return c,
    };
    // The rendering (escaped labels) lives beside the graph; the CLI only selects stacks.
    let names: Vec<&str> = sel.iter().map(|i| a.stacks[*i].name.as_str()).collect();
    let text = match format {
        GraphFormat::Dot => crate::graph::render_dot(&a, &names),
        GraphFormat::Mermaid => crate::graph::render_mermaid(&a, &names),
    };
    p.event(
        "graph",
        json!({"format": match format { GraphFormat::Dot => "dot", GraphFormat::Mermaid => "mermaid" }, "text": text}),
        true,
    );
    p.result(&text);
    exit::OK
}

fn validate(app: &App, p: &mut Printer<'_>) -> i32 {
    let diags = app.validate();
    let errors = diags.iter().filter(|d| d.is_error()).count();
    p.diagnostics(&diags);
    p.event(
        "validated",
        json!({"errors": errors, "warnings": diags.len() - errors}),
        true,
    );
    p.line(&format!(
        "{errors} error(s), {} warning(s)",
        diags.len() - errors
    ));
    if errors > 0 {
        exit::INVALID
    } else {
        exit::OK
    }
}

/// Prints one stack's diff; returns whether it changed.
pub fn print_diff(p: &mut Printer<'_>, d: &crate::diff::StackDiff, color: bool) -> bool {
    p.event("diff", diff_json(d), true);
    if !d.existed {
        p.line(&format!("{}: not deployed yet", d.stack));
    }
    p.text(&crate::diff::render(&d.stack, &d.diff, color));
    !d.diff.is_empty()
}

/// A stack diff as JSON.
pub fn diff_json(d: &crate::diff::StackDiff) -> serde_json::Value {
    let resources: Vec<_> = d
        .diff
        .resources
        .iter()
        .map(|c| json!({"logical_id": c.logical_id, "type": c.type_name, "action": format!("{:?}", c.action).to_lowercase(), "changed_properties": c.changed_properties, "replacement": c.replacement, "stateful": c.stateful}))
        .collect();
    let sections: Vec<_> = d.diff.sections.iter().map(|s| &s.name).collect();
    let settings: Vec<_> = d
        .diff
        .settings
        .iter()
        .map(|s| json!({"setting": s.setting.as_str(), "old": s.old, "new": s.new}))
        .collect();
    json!({"stack": d.stack, "existed": d.existed, "changed": !d.diff.is_empty(), "resources": resources, "sections": sections, "settings": settings})
}

fn offline_diff(app: &App, cx: &Context<'_>, args: &DiffArgs, p: &mut Printer<'_>) -> i32 {
    let (a, sel) = match synthesize(app, cx, p) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let path = args.against.as_deref().unwrap_or(Path::new("out"));
    let against = match crate::diff::read_against(path) {
        Ok(x) => x,
        Err(e) => {
            p.error(Some(e.code().as_str()), exit::INVALID, &e.to_string());
            return exit::INVALID;
        }
    };
    let current = crate::assembly::CloudAssembly::from_synth(&a);
    let stacks: Vec<_> = sel.iter().map(|i| &current.stacks[*i]).collect();
    let diffs = match crate::diff::diff_against(&against, &stacks) {
        Ok(d) => d,
        Err(e) => {
            p.error(Some(e.code().as_str()), exit::USAGE, &e.to_string());
            return exit::USAGE;
        }
    };
    let mut changed = false;
    for d in &diffs {
        changed |= print_diff(p, d, false);
    }
    if changed {
        exit::CHANGES
    } else {
        exit::OK
    }
}

#[cfg(not(feature = "deploy"))]
fn online(_app: &App, cx: &Context<'_>, cmd: Command, p: &mut Printer<'_>) -> i32 {
    let sub = match cmd {
        Command::Diff(_) => "diff",
        Command::Destroy(_) => "destroy",
        Command::Bootstrap(_) => "bootstrap",
        _ => "deploy",
    };
    let program = cx.program;
    let message = format!(
        "`{sub}` talks to AWS, and this build of {name} has no deploy engine (stackforge's `deploy` feature).\n  \
         run it with the standalone CLI (it has the AWS SDK; this program does not need it):\n    \
         cargo install stackforge-cli\n    {standalone}\n  \
         or build this program with the engine:\n    {embedded}\n  \
         (offline: `diff --against DIR` compares with an earlier synth)",
        name = program.name,
        standalone = format_args!("stackforge {sub} --app \"{}\"", program.cargo_run(false)),
        embedded = format_args!("{} {sub}", program.cargo_run(true)),
    );
    p.error(None, exit::FEATURE_DISABLED, &message);
    exit::FEATURE_DISABLED
}

#[cfg(feature = "deploy")]
fn online(app: &App, cx: &Context<'_>, cmd: Command, p: &mut Printer<'_>) -> i32 {
    if let Command::Bootstrap(args) = &cmd {
        return online::bootstrap(args, p);
    }
    let (a, sel) = match synthesize(app, cx, p) {
        Ok(x) => x,
        Err(c) => return c,
    };
    // Deploy what is on disk, as the standalone CLI does: write, then read back (hashes
    // checked, assets beside the templates).
    if let Err(c) = write_assembly(&a, cx, p) {
        return c;
    }
    let assembly = match crate::assembly::CloudAssembly::read(&cx.global.out) {
        Ok(x) => x,
        Err(e) => {
            p.error(Some(e.code().as_str()), exit::INVALID, &e.to_string());
            return exit::INVALID;
        }
    };
    // Selection was resolved against the app (its environment prefix); pass full names.
    let names: Vec<String> = if cx.global.stacks.is_empty() {
        Vec::new()
    } else {
        sel.iter().map(|i| a.stacks[*i].name.clone()).collect()
    };
    online::run(&assembly, cmd, &names, &cx.global.out, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::<NoOptions>::command().debug_assert();
    }

    #[test]
    fn program_meta_replaces_stackforges_own() {
        let p = Program {
            name: "infra".into(),
            version: "9.9.9",
            about: Some("Our infrastructure"),
            package: "infra",
        };
        let e = parse::<NoOptions>(&p, &["infra".into(), "-V".into()]).expect_err("prints");
        assert_eq!(e.render().to_string(), "infra 9.9.9\n");
        let e = parse::<NoOptions>(&p, &["infra".into(), "--help".into()]).expect_err("prints");
        let help = e.render().to_string();
        assert!(help.starts_with("Our infrastructure"), "{help}");
        assert!(help.contains("Usage: infra"), "{help}");
    }

    #[test]
    fn the_deploy_hint_matches_the_build() {
        let p = Program {
            name: "infra".into(),
            version: "1.0.0",
            about: None,
            package: "infra",
        };
        let hint = p.hint("deploy");
        if cfg!(feature = "deploy") {
            assert!(
                hint.contains("--features stackforge/deploy -- deploy"),
                "{hint}"
            );
        } else {
            assert!(
                hint.starts_with("stackforge deploy --app \"cargo run -q "),
                "{hint}"
            );
        }
    }
}
