//! The deploy engine: deploy, diff and destroy against CloudFormation.
//!
//! Every call goes through [`Engine::call`], which backs off on throttling. Stack events are
//! streamed by [`Events`], which remembers every event id it has printed.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use aws_sdk_cloudformation as cfn;
use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use cfn::types::{
    Capability, ChangeSetStatus, ChangeSetType, ExecutionStatus, Parameter, Replacement, Stack,
    StackEvent, Tag,
};
use serde_json::{json, Value as Json};

use super::analysis;
use super::error::DeployError;
use super::ui::Ui;
use crate::cli::{Approval, DeployMethod};
use crate::diff;
use crate::stack::Requirement;
use crate::synth::{Assembly, StackArtifact, MAX_INLINE_TEMPLATE, MAX_TEMPLATE};

/// The clients deploy talks to. Built by [`super::connect`], or by tests with mocks.
#[derive(Clone, Debug)]
pub struct Clients {
    /// CloudFormation.
    pub cfn: cfn::Client,
    /// STS, for GetCallerIdentity.
    pub sts: aws_sdk_sts::Client,
    /// S3, for templates over 51,200 bytes (`None`: no uploads possible).
    pub s3: Option<aws_sdk_s3::Client>,
    /// ECR, for image requirements (`None`: the checks are skipped with a note).
    pub ecr: Option<aws_sdk_ecr::Client>,
    /// The region the clients use.
    pub region: String,
    /// The endpoint override, if any (templates uploaded to S3 are then addressed through it).
    pub endpoint_url: Option<String>,
}

/// How deploy and destroy behave. `Settings::default()` matches the CLI defaults.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Change set or direct create/update.
    pub method: DeployMethod,
    /// When to ask.
    pub approval: Approval,
    /// Approve everything that would be asked.
    pub yes: bool,
    /// Give up waiting on one stack after this long.
    pub timeout: Duration,
    /// Time between polls.
    pub poll_interval: Duration,
    /// First wait after a throttled call (doubles each time, at most 8 tries).
    pub throttle_backoff: Duration,
    /// `--parameters` as `(key, value)`.
    pub parameters: Vec<(String, String)>,
    /// Bucket for large templates.
    pub bucket: Option<String>,
    /// Turn on termination protection.
    pub termination_protection: bool,
    /// CloudFormation service role.
    pub role_arn: Option<String>,
    /// Where `outputs.json` goes.
    pub out_dir: PathBuf,
    /// Listen for Ctrl-C while waiting (only on a terminal).
    pub handle_ctrl_c: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            method: DeployMethod::ChangeSet,
            approval: Approval::Broadening,
            yes: false,
            timeout: Duration::from_secs(3600),
            poll_interval: Duration::from_secs(1),
            throttle_backoff: Duration::from_secs(1),
            parameters: Vec::new(),
            bucket: None,
            termination_protection: false,
            role_arn: None,
            out_dir: PathBuf::from("out"),
            handle_ctrl_c: false,
        }
    }
}

/// Who is calling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Account id.
    pub account: String,
    /// Caller ARN.
    pub arn: String,
    /// Region of the clients.
    pub region: String,
}

/// What happened to one stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Created.
    Created,
    /// Updated.
    Updated,
    /// Nothing to change.
    NoChanges,
    /// Deleted.
    Deleted,
    /// Did not exist (destroy).
    Absent,
}

/// One stack's result.
#[derive(Clone, Debug)]
pub struct StackReport {
    /// Stack name.
    pub stack: String,
    /// What happened.
    pub outcome: Outcome,
    /// Outputs after the deploy.
    pub outputs: BTreeMap<String, String>,
}

/// An API error before it becomes a [`DeployError`].
#[derive(Debug)]
struct ApiErr {
    operation: &'static str,
    code: Option<String>,
    message: String,
}

impl ApiErr {
    fn not_found(&self) -> bool {
        self.message.contains("does not exist")
    }
    fn no_updates(&self) -> bool {
        self.message.contains("No updates are to be performed")
    }
}

impl From<ApiErr> for DeployError {
    fn from(e: ApiErr) -> Self {
        DeployError::Api {
            operation: e.operation,
            code: e.code,
            message: e.message,
        }
    }
}

fn is_throttling(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "Throttling"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "TooManyRequestsException"
        )
    )
}

fn no_changes_reason(reason: &str) -> bool {
    reason.contains("didn't contain changes")
        || reason.contains("No updates are to be performed")
        || reason.contains("contains no changes")
}

/// The engine: clients, settings and the terminal.
pub struct Engine<'u, 'w> {
    clients: Clients,
    settings: Settings,
    ui: &'u mut Ui<'w>,
    /// Every stack of the app, for the ListImports fallback.
    app_stacks: Vec<String>,
}

/// Stack events already printed, and the first failure seen.
#[derive(Default)]
struct Events {
    seen: HashSet<String>,
    first_failure: Option<String>,
}

fn status_str(s: Option<&Stack>) -> String {
    s.and_then(|s| s.stack_status())
        .map(|s| s.as_str().to_owned())
        .unwrap_or_else(|| "UNKNOWN".to_owned())
}

impl<'u, 'w> Engine<'u, 'w> {
    /// An engine over these clients.
    pub fn new(clients: Clients, settings: Settings, ui: &'u mut Ui<'w>) -> Self {
        Engine {
            clients,
            settings,
            ui,
            app_stacks: Vec::new(),
        }
    }

    /// Calls an API, backing off and retrying while it is throttled.
    async fn call<T, E, F, Fut>(&mut self, operation: &'static str, mut f: F) -> Result<T, ApiErr>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut wait = self.settings.throttle_backoff;
        let mut attempt = 1;
        loop {
            match f().await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let code = e.code().map(str::to_owned);
                    if is_throttling(code.as_deref()) && attempt < 8 {
                        self.ui.line(&format!(
                            "  throttled on {operation} ({}); retrying in {:.1}s",
                            code.as_deref().unwrap_or(""),
                            wait.as_secs_f64()
                        ));
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(30));
                        attempt += 1;
                        continue;
                    }
                    let message = match (e.message(), &e) {
                        (Some(m), _) => m.to_owned(),
                        // An answer without a parsable error (e.g. an emulator's HTTP 500).
                        (None, SdkError::ServiceError(se)) => format!(
                            "HTTP {} without an AWS error in the body",
                            se.raw().status().as_u16()
                        ),
                        (None, _) => DisplayErrorContext(&e).to_string(),
                    };
                    return Err(ApiErr {
                        operation,
                        code,
                        message,
                    });
                }
            }
        }
    }

    /// STS GetCallerIdentity, printed first by every online command.
    pub async fn identity(&mut self) -> Result<Identity, DeployError> {
        let sts = self.clients.sts.clone();
        let r = self
            .call("GetCallerIdentity", || sts.get_caller_identity().send())
            .await?;
        let id = Identity {
            account: r.account().unwrap_or_default().to_owned(),
            arn: r.arn().unwrap_or_default().to_owned(),
            region: self.clients.region.clone(),
        };
        self.ui.line(&format!(
            "account {} region {} ({})",
            id.account, id.region, id.arn
        ));
        Ok(id)
    }

    fn check_environment(&self, s: &StackArtifact, id: &Identity) -> Result<(), DeployError> {
        if let Some(a) = &s.account {
            if a != &id.account {
                return Err(DeployError::EnvironmentMismatch {
                    stack: s.name.clone(),
                    what: "account",
                    pinned: a.clone(),
                    actual: id.account.clone(),
                });
            }
        }
        if let Some(r) = &s.region {
            if r != &id.region {
                return Err(DeployError::EnvironmentMismatch {
                    stack: s.name.clone(),
                    what: "region",
                    pinned: r.clone(),
                    actual: id.region.clone(),
                });
            }
        }
        Ok(())
    }

    async fn describe(&mut self, stack: &str) -> Result<Option<Stack>, DeployError> {
        let c = self.clients.cfn.clone();
        match self
            .call("DescribeStacks", || {
                c.describe_stacks().stack_name(stack).send()
            })
            .await
        {
            Ok(r) => Ok(r.stacks().first().cloned()),
            Err(e) if e.not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn deployed_template(&mut self, stack: &str) -> Result<Json, DeployError> {
        let c = self.clients.cfn.clone();
        match self
            .call("GetTemplate", || {
                c.get_template()
                    .stack_name(stack)
                    .template_stage(cfn::types::TemplateStage::Original)
                    .send()
            })
            .await
        {
            Ok(r) => Ok(r
                .template_body()
                .and_then(|b| serde_json::from_str(b).ok())
                .unwrap_or(Json::Null)),
            Err(e) if e.not_found() => Ok(Json::Null),
            Err(e) => Err(e.into()),
        }
    }

    /// Asks (or takes `--yes`); `Err(reason)` when refused or when nobody can be asked.
    fn approve(&mut self, stack: &str, question: &str, why: &str) -> Result<(), DeployError> {
        if self.settings.yes {
            return Ok(());
        }
        match self.ui.confirm(question) {
            Some(true) => Ok(()),
            Some(false) => Err(DeployError::ApprovalRefused {
                stack: stack.to_owned(),
                reason: format!("{why}; not approved"),
            }),
            None => Err(DeployError::ApprovalRefused {
                stack: stack.to_owned(),
                reason: format!(
                    "{why}, and there is no terminal to ask on; review the changes above, then pass --yes (or --require-approval never)"
                ),
            }),
        }
    }

    /// Prints new events (oldest first) and remembers them.
    async fn poll_events(
        &mut self,
        stack: &str,
        stack_ref: &str,
        ev: &mut Events,
        started: Instant,
        print: bool,
    ) -> Result<(), DeployError> {
        let c = self.clients.cfn.clone();
        let mut fresh: Vec<StackEvent> = Vec::new();
        let mut token: Option<String> = None;
        'pages: loop {
            let t = token.clone();
            let r = match self
                .call("DescribeStackEvents", || {
                    c.describe_stack_events()
                        .stack_name(stack_ref)
                        .set_next_token(t.clone())
                        .send()
                })
                .await
            {
                Ok(r) => r,
                Err(e) if e.not_found() => return Ok(()),
                Err(e) => return Err(e.into()),
            };
            for e in r.stack_events() {
                let Some(id) = e.event_id() else { continue };
                if ev.seen.contains(id) {
                    break 'pages;
                }
                fresh.push(e.clone());
            }
            // A baseline (`print == false`) needs only the newest page: everything after it
            // is new. Otherwise page back until an event already seen.
            match r.next_token() {
                Some(t) if print && !fresh.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        for e in fresh.iter().rev() {
            let Some(id) = e.event_id() else { continue };
            if !ev.seen.insert(id.to_owned()) {
                continue;
            }
            let status = e.resource_status().map(|s| s.as_str()).unwrap_or("");
            let logical = e.logical_resource_id().unwrap_or("");
            let ty = e.resource_type().unwrap_or("");
            let reason = e.resource_status_reason().unwrap_or("");
            if status.ends_with("_FAILED")
                && ev.first_failure.is_none()
                && !reason.contains("cancelled")
                && ty != "AWS::CloudFormation::Stack"
            {
                ev.first_failure = Some(format!("{logical} ({ty}): {reason}"));
            }
            if print {
                let line = format!(
                    "  {:>5}s  {stack}  {logical}  {ty}  {status}{}",
                    started.elapsed().as_secs(),
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!("  {reason}")
                    }
                );
                self.ui.line(&line);
            }
        }
        Ok(())
    }

    /// Waits until the stack leaves every *_IN_PROGRESS state. Returns the final stack
    /// (`None` once it is gone).
    async fn wait(
        &mut self,
        stack: &str,
        stack_ref: &str,
        ev: &mut Events,
        started: Instant,
    ) -> Result<Option<Stack>, DeployError> {
        loop {
            self.poll_events(stack, stack_ref, ev, started, true)
                .await?;
            let s = self.describe(stack_ref).await?;
            let status = status_str(s.as_ref());
            self.ui.progress(&format!(
                "{stack}: {status} ({}s)",
                started.elapsed().as_secs()
            ));
            if s.is_none() || !status.ends_with("_IN_PROGRESS") {
                return Ok(s);
            }
            if started.elapsed() >= self.settings.timeout {
                return Err(DeployError::Timeout {
                    stack: stack.to_owned(),
                    status,
                    waited: started.elapsed(),
                });
            }
            self.sleep_or_interrupt(stack, &status).await?;
        }
    }

    async fn sleep_or_interrupt(&mut self, stack: &str, status: &str) -> Result<(), DeployError> {
        let interval = self.settings.poll_interval;
        if !self.settings.handle_ctrl_c {
            tokio::time::sleep(interval).await;
            return Ok(());
        }
        let interrupted = tokio::select! {
            _ = tokio::time::sleep(interval) => false,
            r = tokio::signal::ctrl_c() => r.is_ok(),
        };
        if !interrupted {
            return Ok(());
        }
        if status == "UPDATE_IN_PROGRESS" {
            if self.ui.confirm(&format!("Cancel the update of `{stack}` (CancelUpdateStack)? It rolls back to the previous template.")) == Some(true) {
                let c = self.clients.cfn.clone();
                self.call("CancelUpdateStack", || c.cancel_update_stack().stack_name(stack).send())
                    .await?;
                self.ui.line(&format!("{stack}: update cancelled; waiting for the rollback"));
            }
            Ok(())
        } else {
            Err(DeployError::Stuck {
                stack: stack.to_owned(),
                status: status.to_owned(),
                help: "interrupted; CloudFormation keeps going without us (only updates can be cancelled)".to_owned(),
            })
        }
    }

    fn failure(&self, stack: &str, s: Option<&Stack>, ev: &Events) -> DeployError {
        DeployError::Failed {
            stack: stack.to_owned(),
            status: status_str(s),
            first_failure: ev
                .first_failure
                .clone()
                .or_else(|| s.and_then(|s| s.stack_status_reason()).map(str::to_owned)),
        }
    }

    /// Stack-level cleanup before a deploy: ROLLBACK_COMPLETE, REVIEW_IN_PROGRESS,
    /// UPDATE_ROLLBACK_FAILED. Returns the stack as it is afterwards.
    async fn unstick(
        &mut self,
        name: &str,
        s: Option<Stack>,
    ) -> Result<Option<Stack>, DeployError> {
        let Some(st) = s else { return Ok(None) };
        let status = status_str(Some(&st));
        let c = self.clients.cfn.clone();
        match status.as_str() {
            "ROLLBACK_COMPLETE" | "ROLLBACK_FAILED" | "REVIEW_IN_PROGRESS" => {
                if status == "REVIEW_IN_PROGRESS" {
                    self.ui.line(&format!("{name}: REVIEW_IN_PROGRESS: a change set for a new stack was never executed; deleting the empty stack first"));
                } else {
                    self.ui.line(&format!("{name}: {status}: its first create failed, and a stack in this state can only be deleted"));
                    self.approve(
                        name,
                        &format!("Delete the failed stack `{name}` and create it again?"),
                        &format!("`{name}` is {status} and must be deleted before it can be created again"),
                    )?;
                }
                let role = self.settings.role_arn.clone();
                self.call("DeleteStack", || {
                    c.delete_stack().stack_name(name).set_role_arn(role.clone()).send()
                })
                .await?;
                let id = st.stack_id().unwrap_or(name).to_owned();
                let mut ev = Events::default();
                let started = Instant::now();
                self.poll_events(name, &id, &mut ev, started, false).await?;
                let after = self.wait(name, &id, &mut ev, started).await?;
                match status_str(after.as_ref()).as_str() {
                    "DELETE_COMPLETE" | "UNKNOWN" => {
                        self.ui.line(&format!("{name}: deleted the {status} stack"));
                        Ok(None)
                    }
                    _ => Err(self.failure(name, after.as_ref(), &ev)),
                }
            }
            "UPDATE_ROLLBACK_FAILED" => {
                self.ui.line(&format!("{name}: UPDATE_ROLLBACK_FAILED: the last update could not roll back; ContinueUpdateRollback retries the rollback"));
                self.approve(
                    name,
                    &format!("Continue the rollback of `{name}` (ContinueUpdateRollback)?"),
                    &format!("`{name}` is UPDATE_ROLLBACK_FAILED; run ContinueUpdateRollback first"),
                )?;
                let role = self.settings.role_arn.clone();
                self.call("ContinueUpdateRollback", || {
                    c.continue_update_rollback()
                        .stack_name(name)
                        .set_role_arn(role.clone())
                        .send()
                })
                .await?;
                let mut ev = Events::default();
                let started = Instant::now();
                self.poll_events(name, name, &mut ev, started, false).await?;
                let after = self.wait(name, name, &mut ev, started).await?;
                if status_str(after.as_ref()) == "UPDATE_ROLLBACK_COMPLETE" {
                    self.ui.line(&format!("{name}: rollback completed; deploying"));
                    Ok(after)
                } else {
                    Err(self.failure(name, after.as_ref(), &ev))
                }
            }
            s if s.ends_with("_IN_PROGRESS") => Err(DeployError::Stuck {
                stack: name.to_owned(),
                status,
                help: "another operation is running; wait for it to finish (or cancel it in the console) and deploy again".to_owned(),
            }),
            "DELETE_FAILED" => Err(DeployError::Stuck {
                stack: name.to_owned(),
                status,
                help: "a delete failed; fix what blocked it (see the stack events) and run destroy again".to_owned(),
            }),
            _ => Ok(Some(st)),
        }
    }

    /// Template body or S3 URL for the template.
    async fn template_source(
        &mut self,
        s: &StackArtifact,
    ) -> Result<(Option<String>, Option<String>), DeployError> {
        let body = s.minified();
        let bytes = body.len();
        if bytes > MAX_TEMPLATE {
            return Err(DeployError::TemplateTooLarge {
                stack: s.name.clone(),
                bytes,
                limit: MAX_TEMPLATE,
            });
        }
        if bytes <= MAX_INLINE_TEMPLATE {
            return Ok((Some(body), None));
        }
        let (Some(bucket), Some(s3)) = (self.settings.bucket.clone(), self.clients.s3.clone())
        else {
            return Err(DeployError::TemplateTooLarge {
                stack: s.name.clone(),
                bytes,
                limit: MAX_INLINE_TEMPLATE,
            });
        };
        let key = format!(
            "stackforge/{}/{:016x}.template.json",
            s.name,
            fnv(body.as_bytes())
        );
        self.call("PutObject", || {
            s3.put_object()
                .bucket(&bucket)
                .key(&key)
                .content_type("application/json")
                .body(body.clone().into_bytes().into())
                .send()
        })
        .await?;
        // The virtual-hosted AWS form; local endpoints (moto, LocalStack) resolve it from
        // their own S3 too.
        let url = format!(
            "https://{bucket}.s3.{}.amazonaws.com/{key}",
            self.clients.region
        );
        self.ui.line(&format!(
            "{}: template ({bytes} bytes) uploaded to {url}",
            s.name
        ));
        Ok((None, Some(url)))
    }

    fn parameters(&self, s: &StackArtifact, existing: Option<&Stack>) -> Vec<Parameter> {
        let declared: Vec<String> = s
            .template
            .get("Parameters")
            .and_then(Json::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        let mut out = Vec::new();
        for k in &declared {
            if let Some((_, v)) = self.settings.parameters.iter().find(|(pk, _)| pk == k) {
                out.push(
                    Parameter::builder()
                        .parameter_key(k)
                        .parameter_value(v)
                        .build(),
                );
            } else if existing.is_some_and(|st| {
                st.parameters()
                    .iter()
                    .any(|p| p.parameter_key() == Some(k.as_str()))
            }) {
                out.push(
                    Parameter::builder()
                        .parameter_key(k)
                        .use_previous_value(true)
                        .build(),
                );
            }
        }
        out
    }

    async fn check_requirements(&mut self, s: &StackArtifact) -> Result<(), DeployError> {
        for r in &s.requirements {
            let Requirement::ImageExists {
                repository, tag, ..
            } = r;
            let Some(ecr) = self.clients.ecr.clone() else {
                self.ui.line(&format!(
                    "{}: note: not checking that {repository}:{tag} exists (no ECR client)",
                    s.name
                ));
                continue;
            };
            let id = cfn_image_id(tag);
            match self
                .call("DescribeImages", || {
                    ecr.describe_images()
                        .repository_name(repository)
                        .image_ids(id.clone())
                        .send()
                })
                .await
            {
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.code.as_deref(),
                        Some("ImageNotFoundException" | "RepositoryNotFoundException")
                    ) =>
                {
                    return Err(DeployError::RequirementUnmet {
                        stack: s.name.clone(),
                        message: format!(
                            "image {repository}:{tag} is not in ECR ({}). Push it, then deploy `{stack}`:\n  \
                             aws ecr get-login-password | docker login --username AWS --password-stdin <account>.dkr.ecr.{region}.amazonaws.com\n  \
                             docker push <account>.dkr.ecr.{region}.amazonaws.com/{repository}:{tag}\n  \
                             deploy --stack {stack}",
                            e.code.as_deref().unwrap_or(""),
                            region = self.clients.region,
                            stack = s.name
                        ),
                    })
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// The stacks importing `export`: ListImports, or, on endpoints without it (moto), the
    /// deployed templates of this app's other stacks.
    async fn importers(
        &mut self,
        export: &str,
        exporter: &str,
    ) -> Result<Vec<String>, DeployError> {
        let c = self.clients.cfn.clone();
        match self
            .call("ListImports", || {
                c.list_imports().export_name(export).send()
            })
            .await
        {
            Ok(r) => Ok(r.imports().to_vec()),
            // "Export 'x' is not imported by any stack."
            Err(e) if e.code.as_deref() == Some("ValidationError") => Ok(Vec::new()),
            Err(e) if e.code.is_none() => {
                self.ui.line(&format!(
                    "  note: ListImports is not available on this endpoint ({}); checking this app's deployed stacks for imports of `{export}` instead",
                    e.message.lines().next().unwrap_or("")
                ));
                let mut found = Vec::new();
                for other in self.app_stacks.clone() {
                    if other == exporter {
                        continue;
                    }
                    let t = self.deployed_template(&other).await?;
                    if imports_export(&t, export) {
                        found.push(other);
                    }
                }
                Ok(found)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// ListImports for every export the new template drops.
    async fn check_exports(
        &mut self,
        s: &StackArtifact,
        existing: &Stack,
    ) -> Result<(), DeployError> {
        let keep = analysis::export_names(&s.template);
        let dropped: Vec<String> = existing
            .outputs()
            .iter()
            .filter_map(|o| o.export_name())
            .filter(|n| !keep.contains(*n))
            .map(str::to_owned)
            .collect();
        for export in dropped {
            let importers = self.importers(&export, &s.name).await?;
            if !importers.is_empty() {
                return Err(DeployError::ExportInUse {
                    stack: s.name.clone(),
                    export,
                    importers,
                });
            }
        }
        Ok(())
    }

    /// Prints the change summary; returns why approval is needed under `Broadening`, if it is.
    fn show_changes(
        &mut self,
        s: &StackArtifact,
        old: &Json,
        changes: &[(String, String, String, Option<String>)],
    ) -> Option<String> {
        let local = diff::diff_templates(old, &s.template);
        self.ui
            .line(&format!("{}: {} change(s)", s.name, changes.len()));
        let mut destructive = Vec::new();
        for (action, logical, ty, replacement) in changes {
            let predicted = local
                .resources
                .iter()
                .find(|c| &c.logical_id == logical)
                .map(|c| !c.replacement.is_empty())
                .unwrap_or(false);
            let replaced = match replacement.as_deref() {
                Some("True") => Some("True"),
                Some("Conditional") => Some("Conditional"),
                _ if predicted => Some("True (predicted from createOnly properties)"),
                _ => None,
            };
            let sym = match (action.as_str(), replaced) {
                ("Add", _) => "[+]",
                ("Remove", _) => "[-]",
                (_, Some(_)) => "[!]",
                _ => "[~]",
            };
            let mut line = format!("  {sym} {action:<7} {ty} {logical}");
            if let Some(r) = replaced {
                line.push_str(&format!("  Replacement: {r}"));
            }
            self.ui.line(&line);
            if diff::is_stateful(ty) && (action == "Remove" || replaced.is_some()) {
                destructive.push(format!("{logical} ({ty})"));
                let verb = if action == "Remove" {
                    "DELETED"
                } else {
                    "REPLACED"
                };
                self.ui.line(&format!(
                    "  !!! STATEFUL RESOURCE {verb}: {logical} ({ty}) holds data; it is lost unless a snapshot or retain policy applies"
                ));
            }
        }
        let broad = analysis::broadening(old, &s.template);
        for g in &broad {
            self.ui.line(&format!(
                "  [broadening] new {} on {}: {}",
                g.kind,
                g.logical_id,
                clip(&g.json, 240)
            ));
        }
        let mut why = Vec::new();
        if !broad.is_empty() {
            why.push(format!(
                "{} new IAM statement(s) or security-group rule(s)",
                broad.len()
            ));
        }
        if !destructive.is_empty() {
            why.push(format!(
                "stateful resource(s) replaced or deleted: {}",
                destructive.join(", ")
            ));
        }
        (!why.is_empty()).then(|| why.join("; "))
    }

    fn approval_needed(&self, broadening: Option<String>) -> Option<String> {
        match self.settings.approval {
            Approval::Never => None,
            Approval::Broadening => broadening.map(|w| format!("the change needs approval: {w}")),
            Approval::AnyChange => Some(
                broadening
                    .map(|w| format!("the change needs approval: {w}"))
                    .unwrap_or_else(|| {
                        "the change needs approval (--require-approval any-change)".to_owned()
                    }),
            ),
        }
    }

    /// Prints the caller identity, remembers the app's stacks, and returns the selected
    /// stacks in deploy order (or reversed, for destroy) after checking each one's pinned
    /// account and region against the caller.
    async fn select<'a>(
        &mut self,
        assembly: &'a Assembly,
        selected: &[String],
        reverse: bool,
    ) -> Result<Vec<&'a StackArtifact>, DeployError> {
        let id = self.identity().await?;
        self.app_stacks = assembly.stacks.iter().map(|s| s.name.clone()).collect();
        let mut stacks: Vec<&StackArtifact> = assembly
            .stacks
            .iter()
            .filter(|s| selected.is_empty() || selected.contains(&s.name))
            .collect();
        if reverse {
            stacks.reverse();
        }
        for s in &stacks {
            self.check_environment(s, &id)?;
        }
        Ok(stacks)
    }

    /// Deploys the stacks in the order given (dependencies first) and writes outputs.json.
    pub async fn deploy(
        &mut self,
        assembly: &Assembly,
        selected: &[String],
    ) -> Result<Vec<StackReport>, DeployError> {
        let stacks = self.select(assembly, selected, false).await?;
        // A stack waits for its dependencies: the ones not deployed in this run must exist.
        for s in &stacks {
            for d in &s.dependencies {
                if stacks.iter().any(|x| &x.name == d) {
                    continue;
                }
                let st = self.describe(d).await?;
                let status = status_str(st.as_ref());
                if !matches!(
                    status.as_str(),
                    "CREATE_COMPLETE"
                        | "UPDATE_COMPLETE"
                        | "UPDATE_ROLLBACK_COMPLETE"
                        | "IMPORT_COMPLETE"
                ) {
                    return Err(DeployError::Stuck {
                        stack: d.clone(),
                        status: if st.is_none() { "not deployed".to_owned() } else { status },
                        help: format!(
                            "`{}` depends on it; deploy it first (--stack {d}), or deploy all stacks",
                            s.name
                        ),
                    });
                }
            }
        }
        let mut reports = Vec::new();
        for s in stacks {
            let r = self.deploy_stack(s).await;
            self.ui.finish_progress();
            match r {
                Ok(r) => reports.push(r),
                Err(e) => {
                    // Keep the outputs of the stacks that did deploy.
                    if !reports.is_empty() {
                        self.write_outputs(&reports)?;
                    }
                    return Err(e);
                }
            }
        }
        self.write_outputs(&reports)?;
        Ok(reports)
    }

    fn write_outputs(&mut self, reports: &[StackReport]) -> Result<(), DeployError> {
        let path = self.settings.out_dir.join("outputs.json");
        let mut all: serde_json::Map<String, Json> = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        for r in reports {
            all.insert(r.stack.clone(), json!(r.outputs));
        }
        let io = |e: &dyn std::fmt::Display| DeployError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        };
        std::fs::create_dir_all(&self.settings.out_dir).map_err(|e| io(&e))?;
        let text = serde_json::to_string_pretty(&Json::Object(all)).map_err(|e| io(&e))? + "\n";
        crate::synth::write_atomic(&path, text.as_bytes()).map_err(|e| io(&e))?;
        Ok(())
    }

    async fn deploy_stack(&mut self, s: &StackArtifact) -> Result<StackReport, DeployError> {
        let name = s.name.as_str();
        let existing = self.describe(name).await?;
        let existing = self.unstick(name, existing).await?;
        self.check_requirements(s).await?;
        if let Some(st) = &existing {
            self.check_exports(s, st).await?;
        }
        let (body, url) = self.template_source(s).await?;
        let old = if existing.is_some() {
            self.deployed_template(name).await?
        } else {
            Json::Null
        };
        let capabilities: Vec<Capability> = analysis::capabilities(&s.template)
            .into_iter()
            .map(Capability::from)
            .collect();
        let params = self.parameters(s, existing.as_ref());
        let tags: Vec<Tag> = s
            .tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        let role = self.settings.role_arn.clone();
        let c = self.clients.cfn.clone();
        let creating = existing.is_none();
        let started = Instant::now();
        let mut ev = Events::default();

        match self.settings.method {
            DeployMethod::ChangeSet => {
                let cs_name = format!(
                    "stackforge-{}",
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_millis())
                        .unwrap_or(0)
                );
                let kind = if creating {
                    ChangeSetType::Create
                } else {
                    ChangeSetType::Update
                };
                self.ui.line(&format!(
                    "{name}: creating change set {cs_name} ({})",
                    kind.as_str()
                ));
                let created = self
                    .call("CreateChangeSet", || {
                        c.create_change_set()
                            .stack_name(name)
                            .change_set_name(&cs_name)
                            .change_set_type(kind.clone())
                            .set_template_body(body.clone())
                            .set_template_url(url.clone())
                            .set_parameters(Some(params.clone()))
                            .set_capabilities(Some(capabilities.clone()))
                            .set_tags(Some(tags.clone()))
                            .set_role_arn(role.clone())
                            .send()
                    })
                    .await?;
                let cs_id = created.id().unwrap_or(&cs_name).to_owned();
                let stack_id = created.stack_id().unwrap_or(name).to_owned();
                // Wait for the change set.
                let changes = loop {
                    let (status, reason, exec, changes) =
                        self.describe_change_set(&cs_id, &stack_id).await?;
                    match status {
                        Some(
                            ChangeSetStatus::CreatePending | ChangeSetStatus::CreateInProgress,
                        ) => {
                            if started.elapsed() >= self.settings.timeout {
                                return Err(DeployError::Timeout {
                                    stack: name.to_owned(),
                                    status: "change set CREATE_IN_PROGRESS".to_owned(),
                                    waited: started.elapsed(),
                                });
                            }
                            tokio::time::sleep(self.settings.poll_interval).await;
                        }
                        Some(ChangeSetStatus::Failed) => {
                            let reason = reason.unwrap_or_default();
                            if no_changes_reason(&reason) {
                                self.delete_change_set(&cs_id, &stack_id).await?;
                                self.ui.line(&format!("{name}: no changes"));
                                return self.report(name, Outcome::NoChanges).await;
                            }
                            self.delete_change_set(&cs_id, &stack_id).await?;
                            if creating {
                                self.delete_review_stack(name).await?;
                            }
                            return Err(DeployError::ChangeSetFailed {
                                stack: name.to_owned(),
                                reason,
                            });
                        }
                        _ => {
                            // AVAILABLE is the only executable state (an empty change set
                            // is "no changes" below, whatever its execution status).
                            if let Some(x) = exec.filter(|x| *x != ExecutionStatus::Available) {
                                if !changes.is_empty() {
                                    self.delete_change_set(&cs_id, &stack_id).await?;
                                    return Err(DeployError::ChangeSetFailed {
                                        stack: name.to_owned(),
                                        reason: format!(
                                            "the change set cannot be executed (ExecutionStatus {})",
                                            x.as_str()
                                        ),
                                    });
                                }
                            }
                            break changes;
                        }
                    }
                };
                if changes.is_empty() {
                    self.delete_change_set(&cs_id, &stack_id).await?;
                    if creating {
                        self.delete_review_stack(name).await?;
                    }
                    self.ui.line(&format!("{name}: no changes"));
                    return self.report(name, Outcome::NoChanges).await;
                }
                let broad = self.show_changes(s, &old, &changes);
                if let Some(why) = self.approval_needed(broad) {
                    if let Err(e) =
                        self.approve(name, &format!("Deploy these changes to `{name}`?"), &why)
                    {
                        self.delete_change_set(&cs_id, &stack_id).await?;
                        if creating {
                            self.delete_review_stack(name).await?;
                        }
                        return Err(e);
                    }
                }
                self.poll_events(name, &stack_id, &mut ev, started, false)
                    .await?;
                self.call("ExecuteChangeSet", || {
                    c.execute_change_set()
                        .change_set_name(&cs_id)
                        .stack_name(&stack_id)
                        .send()
                })
                .await?;
                self.ui
                    .line(&format!("{name}: executing change set {cs_name}"));
                self.finish(name, &stack_id, creating, &mut ev, started)
                    .await
            }
            DeployMethod::Direct => {
                // The local diff stands in for the change set. With no resource changes,
                // parameters or tags may still differ: UpdateStack decides.
                let local = diff::diff_templates(&old, &s.template);
                let changes: Vec<(String, String, String, Option<String>)> = local
                    .resources
                    .iter()
                    .map(|c| {
                        let a = match c.action {
                            diff::Action::Add => "Add",
                            diff::Action::Remove => "Remove",
                            diff::Action::Modify => "Modify",
                        };
                        (
                            a.to_owned(),
                            c.logical_id.clone(),
                            c.type_name.clone(),
                            None,
                        )
                    })
                    .collect();
                let broad = if changes.is_empty() {
                    None
                } else {
                    self.show_changes(s, &old, &changes)
                };
                if !changes.is_empty() {
                    if let Some(why) = self.approval_needed(broad) {
                        self.approve(name, &format!("Deploy these changes to `{name}`?"), &why)?;
                    }
                }
                if creating {
                    let tp = self.settings.termination_protection;
                    let r = self
                        .call("CreateStack", || {
                            c.create_stack()
                                .stack_name(name)
                                .set_template_body(body.clone())
                                .set_template_url(url.clone())
                                .set_parameters(Some(params.clone()))
                                .set_capabilities(Some(capabilities.clone()))
                                .set_tags(Some(tags.clone()))
                                .set_role_arn(role.clone())
                                .enable_termination_protection(tp)
                                .send()
                        })
                        .await?;
                    let stack_id = r.stack_id().unwrap_or(name).to_owned();
                    self.ui.line(&format!("{name}: CreateStack started"));
                    self.finish(name, &stack_id, true, &mut ev, started).await
                } else {
                    self.poll_events(name, name, &mut ev, started, false)
                        .await?;
                    let r = self
                        .call("UpdateStack", || {
                            c.update_stack()
                                .stack_name(name)
                                .set_template_body(body.clone())
                                .set_template_url(url.clone())
                                .set_parameters(Some(params.clone()))
                                .set_capabilities(Some(capabilities.clone()))
                                .set_tags(Some(tags.clone()))
                                .set_role_arn(role.clone())
                                .send()
                        })
                        .await;
                    match r {
                        Ok(r) => {
                            let stack_id = r.stack_id().unwrap_or(name).to_owned();
                            self.ui.line(&format!("{name}: UpdateStack started"));
                            self.finish(name, &stack_id, false, &mut ev, started).await
                        }
                        Err(e) if e.no_updates() => {
                            self.ui.line(&format!("{name}: no changes"));
                            self.report(name, Outcome::NoChanges).await
                        }
                        Err(e) => Err(e.into()),
                    }
                }
            }
        }
    }

    async fn describe_change_set(
        &mut self,
        cs_id: &str,
        stack_id: &str,
    ) -> Result<
        (
            Option<ChangeSetStatus>,
            Option<String>,
            Option<ExecutionStatus>,
            Vec<(String, String, String, Option<String>)>,
        ),
        DeployError,
    > {
        let c = self.clients.cfn.clone();
        let mut token: Option<String> = None;
        let mut changes = Vec::new();
        loop {
            let t = token.clone();
            let r = self
                .call("DescribeChangeSet", || {
                    c.describe_change_set()
                        .change_set_name(cs_id)
                        .stack_name(stack_id)
                        .set_next_token(t.clone())
                        .send()
                })
                .await?;
            for ch in r.changes() {
                if let Some(rc) = ch.resource_change() {
                    changes.push((
                        rc.action()
                            .map(|a| a.as_str().to_owned())
                            .unwrap_or_default(),
                        rc.logical_resource_id().unwrap_or_default().to_owned(),
                        rc.resource_type().unwrap_or_default().to_owned(),
                        rc.replacement().map(Replacement::as_str).map(str::to_owned),
                    ));
                }
            }
            let pending = matches!(
                r.status(),
                Some(ChangeSetStatus::CreatePending | ChangeSetStatus::CreateInProgress)
            );
            match r.next_token() {
                Some(t) if !pending => token = Some(t.to_owned()),
                _ => {
                    return Ok((
                        r.status().cloned(),
                        r.status_reason().map(str::to_owned),
                        r.execution_status().cloned(),
                        changes,
                    ))
                }
            }
        }
    }

    async fn delete_change_set(&mut self, cs_id: &str, stack_id: &str) -> Result<(), DeployError> {
        let c = self.clients.cfn.clone();
        self.call("DeleteChangeSet", || {
            c.delete_change_set()
                .change_set_name(cs_id)
                .stack_name(stack_id)
                .send()
        })
        .await?;
        Ok(())
    }

    /// Removes the REVIEW_IN_PROGRESS stack a CREATE change set leaves behind.
    async fn delete_review_stack(&mut self, name: &str) -> Result<(), DeployError> {
        if let Some(st) = self.describe(name).await? {
            if status_str(Some(&st)) == "REVIEW_IN_PROGRESS" {
                let c = self.clients.cfn.clone();
                self.call("DeleteStack", || c.delete_stack().stack_name(name).send())
                    .await?;
                self.ui.line(&format!(
                    "{name}: removed the empty REVIEW_IN_PROGRESS stack"
                ));
            }
        }
        Ok(())
    }

    async fn finish(
        &mut self,
        name: &str,
        stack_id: &str,
        creating: bool,
        ev: &mut Events,
        started: Instant,
    ) -> Result<StackReport, DeployError> {
        let end = self.wait(name, stack_id, ev, started).await?;
        let status = status_str(end.as_ref());
        let ok = matches!(
            status.as_str(),
            "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE"
        );
        if !ok {
            let e = self.failure(name, end.as_ref(), ev);
            if let DeployError::Failed {
                first_failure: Some(f),
                ..
            } = &e
            {
                self.ui.line(&format!("{name}: first failure: {f}"));
            }
            self.ui.line(&format!(
                "{name}: rollback outcome: {status}{}",
                if status == "ROLLBACK_COMPLETE" {
                    " (the next deploy deletes this stack after confirmation and creates it again)"
                } else {
                    ""
                }
            ));
            return Err(e);
        }
        if creating
            && self.settings.termination_protection
            && self.settings.method == DeployMethod::ChangeSet
        {
            let c = self.clients.cfn.clone();
            self.call("UpdateTerminationProtection", || {
                c.update_termination_protection()
                    .stack_name(name)
                    .enable_termination_protection(true)
                    .send()
            })
            .await?;
        }
        self.ui.line(&format!(
            "{name}: {status} in {}s",
            started.elapsed().as_secs()
        ));
        let outcome = if creating {
            Outcome::Created
        } else {
            Outcome::Updated
        };
        Ok(self.outputs_of(name, outcome, end.as_ref()))
    }

    fn outputs_of(&mut self, name: &str, outcome: Outcome, st: Option<&Stack>) -> StackReport {
        let outputs: BTreeMap<String, String> = st
            .map(|s| {
                s.outputs()
                    .iter()
                    .filter_map(|o| {
                        Some((o.output_key()?.to_owned(), o.output_value()?.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (k, v) in &outputs {
            self.ui.line(&format!("  {name}.{k} = {v}"));
        }
        StackReport {
            stack: name.to_owned(),
            outcome,
            outputs,
        }
    }

    async fn report(&mut self, name: &str, outcome: Outcome) -> Result<StackReport, DeployError> {
        let st = self.describe(name).await?;
        Ok(self.outputs_of(name, outcome, st.as_ref()))
    }

    /// Compares each selected stack with its deployed template. Returns true if any differ.
    pub async fn diff(
        &mut self,
        assembly: &Assembly,
        selected: &[String],
        color: bool,
    ) -> Result<bool, DeployError> {
        self.identity().await?;
        let mut changed = false;
        for s in assembly
            .stacks
            .iter()
            .filter(|s| selected.is_empty() || selected.contains(&s.name))
        {
            let old = self.deployed_template(&s.name).await?;
            if old.is_null() {
                self.ui.line(&format!("{}: not deployed yet", s.name));
            }
            let d = diff::diff_templates(&old, &s.template);
            changed |= !d.is_empty();
            self.ui.text(&diff::render(&s.name, &d, color));
            for g in analysis::broadening(&old, &s.template) {
                self.ui.line(&format!(
                    "  [broadening] new {} on {}: {}",
                    g.kind, g.logical_id, g.json
                ));
            }
        }
        Ok(changed)
    }

    /// Deletes the selected stacks in reverse dependency order, after the pre-checks.
    pub async fn destroy(
        &mut self,
        assembly: &Assembly,
        selected: &[String],
    ) -> Result<Vec<StackReport>, DeployError> {
        let stacks = self.select(assembly, selected, true).await?;
        // Look first, then ask once.
        let mut present = Vec::new();
        for s in &stacks {
            match self.describe(&s.name).await? {
                Some(st) => {
                    self.precheck_destroy(s, &st, &stacks).await?;
                    present.push((s.name.clone(), st.stack_id().unwrap_or(&s.name).to_owned()));
                }
                None => self.ui.line(&format!("{}: not deployed", s.name)),
            }
        }
        let mut reports: Vec<StackReport> = stacks
            .iter()
            .filter(|s| !present.iter().any(|(n, _)| n == &s.name))
            .map(|s| StackReport {
                stack: s.name.clone(),
                outcome: Outcome::Absent,
                outputs: BTreeMap::new(),
            })
            .collect();
        if present.is_empty() {
            return Ok(reports);
        }
        let names: Vec<&str> = present.iter().map(|(n, _)| n.as_str()).collect();
        self.approve(
            names[0],
            &format!("Delete {} (in this order)?", names.join(", ")),
            &format!("destroy deletes {}", names.join(", ")),
        )?;
        let c = self.clients.cfn.clone();
        let role = self.settings.role_arn.clone();
        for (name, stack_id) in present {
            let started = Instant::now();
            let mut ev = Events::default();
            self.poll_events(&name, &stack_id, &mut ev, started, false)
                .await?;
            self.call("DeleteStack", || {
                c.delete_stack()
                    .stack_name(&stack_id)
                    .set_role_arn(role.clone())
                    .send()
            })
            .await?;
            self.ui.line(&format!("{name}: deleting"));
            let end = self.wait(&name, &stack_id, &mut ev, started).await;
            self.ui.finish_progress();
            let end = end?;
            let status = status_str(end.as_ref());
            if end.is_some() && status != "DELETE_COMPLETE" {
                return Err(self.failure(&name, end.as_ref(), &ev));
            }
            self.ui.line(&format!(
                "{name}: DELETE_COMPLETE in {}s",
                started.elapsed().as_secs()
            ));
            reports.push(StackReport {
                stack: name,
                outcome: Outcome::Deleted,
                outputs: BTreeMap::new(),
            });
        }
        Ok(reports)
    }

    async fn precheck_destroy(
        &mut self,
        s: &StackArtifact,
        st: &Stack,
        destroying: &[&StackArtifact],
    ) -> Result<(), DeployError> {
        let name = s.name.as_str();
        let deployed = self.deployed_template(name).await?;
        let t = if deployed.is_null() {
            &s.template
        } else {
            &deployed
        };
        let mut steps = Vec::new();
        if st.enable_termination_protection() == Some(true) {
            steps.push(format!("termination protection is on: aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name {name}"));
        }
        // Exports still imported by stacks that stay.
        for export in st.outputs().iter().filter_map(|o| o.export_name()) {
            let importers: Vec<String> = self
                .importers(export, name)
                .await?
                .into_iter()
                .filter(|i| !destroying.iter().any(|d| &d.name == i))
                .collect();
            if !importers.is_empty() {
                steps.push(format!("export `{export}` is imported by {}: destroy those first (or include them with --stack)", importers.join(", ")));
            }
        }
        let protected = analysis::protected(t);
        let physical = if protected.is_empty() {
            BTreeMap::new()
        } else {
            match self.physical_ids(name).await {
                Ok(ids) => ids,
                // Without physical ids the steps still apply, with placeholders.
                Err(e) => {
                    self.ui.line(&format!(
                        "{name}: note: cannot list the stack's resources ({e}); the steps below use placeholders"
                    ));
                    BTreeMap::new()
                }
            }
        };
        for p in protected {
            match p {
                analysis::Protected::Database {
                    logical_id,
                    type_name,
                } => {
                    let pid = physical
                        .get(&logical_id)
                        .cloned()
                        .unwrap_or_else(|| "<id>".to_owned());
                    let cli = if type_name == "AWS::RDS::DBCluster" {
                        format!("aws rds modify-db-cluster --db-cluster-identifier {pid} --no-deletion-protection --apply-immediately")
                    } else {
                        format!("aws rds modify-db-instance --db-instance-identifier {pid} --no-deletion-protection --apply-immediately")
                    };
                    steps.push(format!("{logical_id} ({type_name}) has deletion protection on. Turn it off in code (deletion_protection: false), deploy once, then destroy; or, outside stackforge: {cli}"));
                }
                analysis::Protected::Table { logical_id } => {
                    let pid = physical
                        .get(&logical_id)
                        .cloned()
                        .unwrap_or_else(|| "<table>".to_owned());
                    steps.push(format!("{logical_id} (AWS::DynamoDB::Table) has deletion protection on. Turn it off in code, deploy once, then destroy; or: aws dynamodb update-table --table-name {pid} --no-deletion-protection-enabled"));
                }
                analysis::Protected::LoadBalancer { logical_id } => {
                    let pid = physical
                        .get(&logical_id)
                        .cloned()
                        .unwrap_or_else(|| "<load-balancer-arn>".to_owned());
                    steps.push(format!("{logical_id} (AWS::ElasticLoadBalancingV2::LoadBalancer) has deletion protection on. Turn it off in code, deploy once, then destroy; or: aws elbv2 modify-load-balancer-attributes --load-balancer-arn {pid} --attributes Key=deletion_protection.enabled,Value=false"));
                }
                analysis::Protected::Bucket { logical_id } => {
                    let (Some(s3), Some(bucket)) =
                        (self.clients.s3.clone(), physical.get(&logical_id).cloned())
                    else {
                        continue;
                    };
                    let r = self
                        .call("ListObjectsV2", || {
                            s3.list_objects_v2().bucket(&bucket).max_keys(1).send()
                        })
                        .await;
                    if let Ok(r) = r {
                        if r.key_count().unwrap_or(0) > 0 || !r.contents().is_empty() {
                            steps.push(format!("bucket {bucket} ({logical_id}) is not empty. Empty it first: aws s3 rm s3://{bucket} --recursive (versioned buckets: also delete the object versions)"));
                        }
                    }
                }
                analysis::Protected::Repository { logical_id } => {
                    let (Some(ecr), Some(repo)) =
                        (self.clients.ecr.clone(), physical.get(&logical_id).cloned())
                    else {
                        continue;
                    };
                    let r = self
                        .call("ListImages", || {
                            ecr.list_images()
                                .repository_name(&repo)
                                .max_results(1)
                                .send()
                        })
                        .await;
                    if let Ok(r) = r {
                        if !r.image_ids().is_empty() {
                            steps.push(format!("ECR repository {repo} ({logical_id}) has images. Delete them first: aws ecr batch-delete-image --repository-name {repo} --image-ids \"$(aws ecr list-images --repository-name {repo} --query imageIds --output json)\" (or set EmptyOnDelete and deploy once)"));
                        }
                    }
                }
            }
        }
        for (logical, ty, policy) in analysis::retained(t) {
            let what = if policy == "Snapshot" {
                "snapshotted before deletion"
            } else {
                "retained (kept after the stack is gone)"
            };
            self.ui.line(&format!(
                "{name}: {logical} ({ty}) is {what}: DeletionPolicy {policy}"
            ));
        }
        if steps.is_empty() {
            Ok(())
        } else {
            Err(DeployError::DestroyBlocked {
                stack: name.to_owned(),
                steps,
            })
        }
    }

    async fn physical_ids(&mut self, name: &str) -> Result<BTreeMap<String, String>, DeployError> {
        let c = self.clients.cfn.clone();
        let r = self
            .call("DescribeStackResources", || {
                c.describe_stack_resources().stack_name(name).send()
            })
            .await?;
        Ok(r.stack_resources()
            .iter()
            .filter_map(|x| {
                Some((
                    x.logical_resource_id()?.to_owned(),
                    x.physical_resource_id()?.to_owned(),
                ))
            })
            .collect())
    }
}

/// True if the template contains `{"Fn::ImportValue": "<export>"}`.
fn imports_export(t: &Json, export: &str) -> bool {
    match t {
        Json::Object(m) => {
            m.get("Fn::ImportValue").and_then(Json::as_str) == Some(export)
                || m.values().any(|v| imports_export(v, export))
        }
        Json::Array(a) => a.iter().any(|v| imports_export(v, export)),
        _ => false,
    }
}

fn cfn_image_id(tag: &str) -> aws_sdk_ecr::types::ImageIdentifier {
    aws_sdk_ecr::types::ImageIdentifier::builder()
        .image_tag(tag)
        .build()
}

/// At most `max` characters, with `…` when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        s.chars().take(max).collect::<String>() + "…"
    }
}

/// FNV-1a, for content-addressed template keys.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
