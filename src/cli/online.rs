//! The online commands (features `cli` + `deploy`): an adapter over [`crate::deploy`].
//! Flags become [`Options`], engine [`Event`]s become lines, a spinner or NDJSON, questions
//! become terminal prompts, and [`DeployError`]s become exit codes. The standalone
//! `stackforge` CLI uses the same functions.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value as Json};

use super::{exit, print_diff, AwsArgs, BootstrapArgs, Command, Printer};
use crate::assembly::CloudAssembly;
use crate::deploy::{
    self, Approval, Connection, DeployError, Engine, Event, Method, Observer, Operation, Options,
    Outcome, Question, Review,
};

/// The exit code for an engine error.
pub fn exit_code(e: &DeployError) -> i32 {
    match e {
        DeployError::NoRegion | DeployError::Usage { .. } | DeployError::Select(_) => exit::USAGE,
        DeployError::Assembly(_)
        | DeployError::Template(_)
        | DeployError::TemplateTooLarge { .. }
        | DeployError::ExportInUse { .. }
        | DeployError::EnvironmentMismatch { .. }
        | DeployError::NotBootstrapped { .. }
        | DeployError::Asset { .. } => exit::INVALID,
        DeployError::ApprovalRefused { .. } => exit::APPROVAL_REFUSED,
        DeployError::Timeout { .. } => exit::TIMEOUT,
        DeployError::RequirementUnmet { .. } => exit::REQUIREMENT_UNMET,
        DeployError::Io { .. } => exit::IO,
        _ => exit::DEPLOY_FAILED,
    }
}

fn connection(aws: &AwsArgs) -> Connection {
    Connection::new(
        aws.profile.clone(),
        aws.region.clone(),
        aws.endpoint_url.clone(),
    )
}

fn seconds(name: &str, v: Option<f64>) -> Result<Option<Duration>, DeployError> {
    match v {
        None => Ok(None),
        Some(s) if s.is_finite() && s >= 0.0 => Ok(Some(Duration::from_secs_f64(s))),
        Some(_) => Err(DeployError::Usage {
            message: format!("{name} must be a number of seconds >= 0"),
        }),
    }
}

/// The engine's options for a command; unset flags keep [`Options::default`].
pub fn options(cmd: &Command, out_dir: &Path, terminal: bool) -> Result<Options, DeployError> {
    let mut o = Options {
        outputs_dir: Some(out_dir.to_owned()),
        handle_ctrl_c: terminal,
        ..Options::default()
    };
    let usage = |message: String| DeployError::Usage { message };
    match cmd {
        Command::Deploy(a) => {
            o.role_arn = a.aws.role_arn.clone();
            if let Some(m) = a.method {
                o.method = match m {
                    super::DeployMethod::ChangeSet => Method::ChangeSet,
                    super::DeployMethod::Direct => Method::Direct,
                };
            }
            if let Some(r) = a.require_approval {
                o.approval = match r {
                    super::Approval::Never => Approval::Never,
                    super::Approval::Broadening => Approval::Broadening,
                    super::Approval::AnyChange => Approval::AnyChange,
                };
            }
            o.yes = a.yes;
            if let Some(t) = a.timeout {
                o.timeout = Duration::from_secs(t);
            }
            o.parameters = deploy::options::parse_parameters(&a.parameters)
                .map_err(|e| usage(e.to_string()))?;
            o.tags = deploy::options::parse_tags(&a.tags).map_err(|e| usage(e.to_string()))?;
            o.bucket = a.bucket.clone();
            o.termination_protection = a.termination_protection.then_some(true);
            if let Some(p) = seconds("--poll-interval", a.poll_interval)? {
                o.poll_interval = p;
                o.throttle_backoff = p.max(Duration::from_millis(100));
            }
        }
        Command::Destroy(a) => {
            o.role_arn = a.aws.role_arn.clone();
            o.yes = a.yes;
            if let Some(t) = a.timeout {
                o.timeout = Duration::from_secs(t);
            }
            if let Some(p) = seconds("--poll-interval", a.poll_interval)? {
                o.poll_interval = p;
                o.throttle_backoff = p.max(Duration::from_millis(100));
            }
        }
        Command::Diff(a) => o.role_arn = a.aws.role_arn.clone(),
        Command::Bootstrap(a) => {
            o.role_arn = a.aws.role_arn.clone();
            o.yes = a.yes;
            if let Some(p) = seconds("--poll-interval", a.poll_interval)? {
                o.poll_interval = p;
                o.throttle_backoff = p.max(Duration::from_millis(100));
            }
        }
        _ => {}
    }
    Ok(o)
}

fn terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn runtime(p: &mut Printer<'_>) -> Option<tokio::runtime::Runtime> {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => Some(rt),
        Err(e) => {
            p.error(
                None,
                exit::IO,
                &format!("cannot start the async runtime: {e}"),
            );
            None
        }
    }
}

fn fail(p: &mut Printer<'_>, e: &DeployError) -> i32 {
    let code = exit_code(e);
    p.error(Some(e.code().as_str()), code, &e.to_string());
    code
}

/// Runs `diff` (online), `deploy` or `destroy` on an assembly; `stacks` are `--stack`
/// arguments. Returns the exit code.
pub fn run(
    assembly: &CloudAssembly,
    cmd: Command,
    stacks: &[String],
    out_dir: &Path,
    p: &mut Printer<'_>,
) -> i32 {
    let terminal = terminal();
    let options = match options(&cmd, out_dir, terminal) {
        Ok(o) => o,
        Err(e) => return fail(p, &e),
    };
    let aws = match &cmd {
        Command::Diff(a) => a.aws.clone(),
        Command::Deploy(a) => a.aws.clone(),
        Command::Destroy(a) => a.aws.clone(),
        Command::Bootstrap(a) => a.aws.clone(),
        _ => AwsArgs::default(),
    };
    let Some(rt) = runtime(p) else {
        return exit::IO;
    };
    let mut observer = CliObserver::new(p, terminal);
    let result = rt.block_on(async {
        let clients = deploy::connect(&connection(&aws)).await?;
        let mut engine = Engine::new(clients, options, &mut observer);
        match &cmd {
            Command::Diff(_) => engine.diff(assembly, stacks).await.map(|d| {
                if d.iter().any(|d| !d.diff.is_empty()) {
                    exit::CHANGES
                } else {
                    exit::OK
                }
            }),
            Command::Destroy(_) => engine.destroy(assembly, stacks).await.map(|_| exit::OK),
            _ => engine.deploy(assembly, stacks).await.map(|_| exit::OK),
        }
    });
    observer.finish();
    match result {
        Ok(code) => code,
        Err(e) => fail(p, &e),
    }
}

/// Runs `bootstrap`. Returns the exit code.
pub fn bootstrap(args: &BootstrapArgs, p: &mut Printer<'_>) -> i32 {
    let terminal = terminal();
    let cmd = Command::Bootstrap(args.clone());
    let mut options = match options(&cmd, Path::new("."), terminal) {
        Ok(o) => o,
        Err(e) => return fail(p, &e),
    };
    options.outputs_dir = None;
    let Some(rt) = runtime(p) else {
        return exit::IO;
    };
    let mut observer = CliObserver::new(p, terminal);
    let result = rt.block_on(async {
        let clients = deploy::connect(&connection(&args.aws)).await?;
        Engine::new(clients, options, &mut observer)
            .bootstrap()
            .await
    });
    observer.finish();
    match result {
        Ok(_) => exit::OK,
        Err(e) => fail(p, &e),
    }
}

/// Events to the printer; a spinner and prompts on a terminal.
pub struct CliObserver<'p, 'w> {
    p: &'p mut Printer<'w>,
    terminal: bool,
    bar: Option<ProgressBar>,
}

impl<'p, 'w> CliObserver<'p, 'w> {
    /// An observer printing to `p`; `terminal` enables the spinner and prompts.
    pub fn new(p: &'p mut Printer<'w>, terminal: bool) -> Self {
        CliObserver {
            p,
            terminal,
            bar: None,
        }
    }

    /// Removes the spinner.
    pub fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }

    fn line(&mut self, s: &str) {
        match &self.bar {
            Some(b) => {
                let p = &mut *self.p;
                b.suspend(|| p.line(s));
            }
            None => self.p.line(s),
        }
    }

    fn progress(&mut self, msg: String) {
        if !self.terminal || self.p.mode.json || self.p.mode.quiet {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let b = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
                b.set_style(style);
            }
            b.enable_steady_tick(Duration::from_millis(120));
            b
        });
        bar.set_message(msg);
    }

    fn review(&mut self, r: &Review) {
        self.line(&format!(
            "{}: {} change(s)",
            r.stack,
            r.changes.len() + r.settings.len()
        ));
        for c in &r.changes {
            let action = c.action.as_str();
            let replaced = match c.replacement {
                deploy::Replacement::Always => Some("True"),
                deploy::Replacement::Conditional => Some("Conditional"),
                deploy::Replacement::Predicted => {
                    Some("True (predicted from createOnly properties)")
                }
                deploy::Replacement::Never => None,
            };
            let sym = match (action, replaced) {
                ("Add", _) => "[+]",
                ("Remove", _) => "[-]",
                (_, Some(_)) => "[!]",
                _ => "[~]",
            };
            let mut line = format!("  {sym} {action:<7} {} {}", c.resource_type, c.logical_id);
            if let Some(r) = replaced {
                line.push_str(&format!("  Replacement: {r}"));
            }
            self.line(&line);
            if c.destroys_data() {
                let verb = if action == "Remove" {
                    "DELETED"
                } else {
                    "REPLACED"
                };
                self.line(&format!(
                    "  !!! STATEFUL RESOURCE {verb}: {} ({}) holds data; it is lost unless a snapshot or retain policy applies",
                    c.logical_id, c.resource_type
                ));
            }
        }
        for s in &r.settings {
            self.line(&format!(
                "  [~] setting {}: {} -> {}",
                s.setting.as_str(),
                s.old,
                s.new
            ));
        }
        for g in &r.broadening {
            self.line(&format!(
                "  [broadening] new {} on {}: {}",
                g.kind,
                g.logical_id,
                clip(&g.json, 240)
            ));
        }
    }
}

/// At most `max` characters, with `…` when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        s.chars().take(max).collect::<String>() + "…"
    }
}

/// An event as its NDJSON object: `(name, fields, kept under --quiet)`.
pub fn event_json(e: &Event) -> Option<(&'static str, Json, bool)> {
    // Exhaustive on purpose: a new event must be given its JSON form here.
    let secs = |d: &Duration| (d.as_secs_f64() * 10.0).round() / 10.0;
    Some(match e {
        Event::Identity(i) => (
            "identity",
            json!({"account": i.account, "arn": i.arn, "region": i.region}),
            false,
        ),
        Event::Note { stack, message } => {
            ("note", json!({"stack": stack, "message": message}), false)
        }
        Event::Throttled {
            operation,
            code,
            retry_in,
        } => (
            "throttled",
            json!({"operation": operation, "code": code, "retry_in_s": secs(retry_in)}),
            false,
        ),
        Event::TemplateUploaded { stack, url, bytes } => (
            "template-uploaded",
            json!({"stack": stack, "url": url, "bytes": bytes}),
            false,
        ),
        Event::AssetPublished {
            id,
            bucket,
            key,
            skipped,
        } => (
            "asset-published",
            json!({"id": id, "bucket": bucket, "key": key, "skipped": skipped}),
            false,
        ),
        Event::ChangeSetCreated { stack, name, kind } => (
            "change-set-created",
            json!({"stack": stack, "name": name, "kind": kind.as_str()}),
            false,
        ),
        Event::Review(r) => (
            "review",
            json!({
                "stack": r.stack,
                "changes": r.changes.iter().map(|c| json!({"action": c.action.as_str(), "logical_id": c.logical_id, "type": c.resource_type, "physical_id": c.physical_id, "replacement": c.replacement.as_str(), "scope": c.scope.iter().map(|s| s.as_str()).collect::<Vec<_>>(), "stateful": c.stateful})).collect::<Vec<_>>(),
                "settings": r.settings.iter().map(|s| json!({"setting": s.setting.as_str(), "old": s.old, "new": s.new})).collect::<Vec<_>>(),
                "broadening": r.broadening.iter().map(|g| json!({"logical_id": g.logical_id, "kind": g.kind, "statement": g.json})).collect::<Vec<_>>(),
                "approval": r.approval,
            }),
            false,
        ),
        Event::Diff {
            stack,
            existed,
            diff,
            broadening,
        } => {
            let mut v = super::diff_json(&crate::diff::StackDiff {
                stack: stack.clone(),
                existed: *existed,
                diff: diff.clone(),
            });
            v["broadening"] = json!(broadening
                .iter()
                .map(|g| json!({"logical_id": g.logical_id, "kind": g.kind, "statement": g.json}))
                .collect::<Vec<_>>());
            ("diff", v, true)
        }
        Event::Started { stack, operation } => (
            "started",
            json!({"stack": stack, "operation": operation.as_str()}),
            false,
        ),
        Event::Resource {
            stack,
            logical_id,
            resource_type,
            status,
            reason,
            elapsed,
        } => (
            "resource",
            json!({"stack": stack, "logical_id": logical_id, "type": resource_type, "status": status.as_str(), "reason": reason, "elapsed_s": secs(elapsed)}),
            false,
        ),
        Event::Progress {
            stack,
            status,
            elapsed,
        } => (
            "progress",
            json!({"stack": stack, "status": status.as_ref().map(|s| s.as_str()), "elapsed_s": secs(elapsed)}),
            false,
        ),
        Event::SettingApplied { stack, setting } => (
            "setting-applied",
            json!({"stack": stack, "setting": setting.as_str()}),
            false,
        ),
        Event::Retained {
            stack,
            logical_id,
            resource_type,
            policy,
        } => (
            "retained",
            json!({"stack": stack, "logical_id": logical_id, "type": resource_type, "policy": policy}),
            false,
        ),
        Event::Failed {
            stack,
            status,
            first_failure,
        } => (
            "failed",
            json!({"stack": stack, "status": status, "first_failure": first_failure}),
            true,
        ),
        Event::Finished(r) => (
            "finished",
            json!({"stack": r.stack, "outcome": r.outcome.as_str(), "status": r.status.as_ref().map(|s| s.as_str()), "outputs": r.outputs, "elapsed_s": secs(&r.elapsed)}),
            true,
        ),
    })
}

impl Observer for CliObserver<'_, '_> {
    fn event(&mut self, e: &Event) {
        if let Some((name, fields, important)) = event_json(e) {
            self.p.event(name, fields, important);
        }
        match e {
            Event::Identity(i) => self.line(&format!(
                "account {} region {} ({})",
                i.account, i.region, i.arn
            )),
            Event::Note { message, .. } => self.line(message),
            Event::Throttled {
                operation,
                code,
                retry_in,
            } => self.line(&format!(
                "  throttled on {operation} ({}); retrying in {:.1}s",
                code.as_deref().unwrap_or(""),
                retry_in.as_secs_f64()
            )),
            Event::TemplateUploaded { stack, url, bytes } => self.line(&format!(
                "{stack}: template ({bytes} bytes) uploaded to {url}"
            )),
            Event::AssetPublished {
                id,
                bucket,
                key,
                skipped,
            } => self.line(&format!(
                "asset {id}: {} s3://{bucket}/{key}",
                if *skipped {
                    "already in"
                } else {
                    "uploaded to"
                }
            )),
            Event::ChangeSetCreated { stack, name, kind } => self.line(&format!(
                "{stack}: creating change set {name} ({})",
                kind.as_str()
            )),
            Event::Review(r) => self.review(r),
            Event::Diff {
                stack,
                existed,
                diff,
                broadening,
            } => {
                let d = crate::diff::StackDiff {
                    stack: stack.clone(),
                    existed: *existed,
                    diff: diff.clone(),
                };
                // The JSON event was written above; print_diff writes the text.
                let json = self.p.mode.json;
                if !json {
                    let color = self.terminal;
                    print_diff(self.p, &d, color);
                }
                for g in broadening {
                    self.line(&format!(
                        "  [broadening] new {} on {}: {}",
                        g.kind,
                        g.logical_id,
                        clip(&g.json, 240)
                    ));
                }
            }
            Event::Started { stack, operation } => self.line(&match operation {
                Operation::ExecuteChangeSet => format!("{stack}: executing change set"),
                Operation::DeleteStack => format!("{stack}: deleting"),
                Operation::ContinueUpdateRollback => format!("{stack}: continuing the rollback"),
                Operation::CancelUpdateStack => {
                    format!("{stack}: update cancelled; waiting for the rollback")
                }
                other => format!("{stack}: {} started", other.as_str()),
            }),
            Event::Resource {
                stack,
                logical_id,
                resource_type,
                status,
                reason,
                elapsed,
            } => {
                let reason = reason
                    .as_deref()
                    .filter(|r| !r.is_empty())
                    .map(|r| format!("  {r}"))
                    .unwrap_or_default();
                self.line(&format!(
                    "  {:>5}s  {stack}  {logical_id}  {resource_type}  {}{reason}",
                    elapsed.as_secs(),
                    status.as_str()
                ));
            }
            Event::Progress {
                stack,
                status,
                elapsed,
            } => self.progress(format!(
                "{stack}: {} ({}s)",
                crate::deploy::status::name(status.as_ref()),
                elapsed.as_secs()
            )),
            Event::SettingApplied { stack, setting } => {
                self.line(&format!("{stack}: set {}", setting.as_str()))
            }
            Event::Retained {
                stack,
                logical_id,
                resource_type,
                policy,
            } => {
                let what = if policy == "Snapshot" {
                    "snapshotted before deletion"
                } else {
                    "retained (kept after the stack is gone)"
                };
                self.line(&format!(
                    "{stack}: {logical_id} ({resource_type}) is {what}: DeletionPolicy {policy}"
                ));
            }
            Event::Failed {
                stack,
                status,
                first_failure,
            } => {
                self.finish();
                if let Some(f) = first_failure {
                    self.line(&format!("{stack}: first failure: {f}"));
                }
                let hint = if status == "ROLLBACK_COMPLETE" {
                    " (the next deploy deletes this stack after confirmation and creates it again)"
                } else {
                    ""
                };
                self.line(&format!("{stack}: rollback outcome: {status}{hint}"));
            }
            Event::Finished(r) => {
                self.finish();
                match r.outcome {
                    Outcome::Created | Outcome::Updated | Outcome::Deleted => self.line(&format!(
                        "{}: {} in {}s",
                        r.stack,
                        crate::deploy::status::name(r.status.as_ref()),
                        r.elapsed.as_secs()
                    )),
                    _ => {}
                }
                for (k, v) in &r.outputs {
                    self.line(&format!("  {}.{k} = {v}", r.stack));
                }
            }
        }
    }

    fn confirm(&mut self, q: &Question) -> Option<bool> {
        if !self.terminal {
            return None;
        }
        self.finish();
        self.p.flush();
        eprint!("{} [y/N] ", q.text);
        let _ = std::io::stderr().flush();
        let mut line = String::new();
        if std::io::stdin().lock().read_line(&mut line).is_err() {
            return Some(false);
        }
        Some(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
    }
}
