//! Building an app: [`App`] holds the stacks and environments, [`Environment`] names a
//! deployment target (account, region, name prefix), and [`Scope`] adds resources to one
//! stack under a path.
//!
//! Several scopes may be open at once, in one stack or in several: a scope holds a shared
//! reference to its app, whose stacks sit behind one lock, so `let mut a = app.stack("a");
//! let mut b = app.stack("b");` and interleaved `a.add(…)`/`b.add(…)` work, and a pattern can
//! place a resource in another stack of the same app (a grant in the grantee's stack, a
//! security-group rule in the consumer's stack).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::aspect::Aspect;

use crate::diag::{codes, Code, DiagPath, Diagnostic};
use crate::eval::Resolution;
use crate::policy::Statement;
use crate::resource::{Handle, Raw, Resource, Shape};
use crate::stack::{
    check_stack_name, ExportName, GrantPolicy, OutputDef, Parameter, Policy, Requirement,
    ResourceNode, Rule, Stack, StackDependency,
};
use crate::value::{CondExpr, Condition, Expr, ItemId, Json, Mapping, RefTarget, ResourceId, Val};

static NEXT_APP_ID: AtomicU32 = AtomicU32::new(1);

/// A program's infrastructure: stacks, optionally grouped into environments, synthesized
/// together.
///
/// ```
/// use stackforge::{App, Raw};
/// let app = App::new();
/// let mut a = app.stack("a");
/// let mut b = app.stack("b");
/// a.add_raw("Topic", Raw::new("AWS::SNS::Topic"));
/// b.add_raw("Queue", Raw::new("AWS::SQS::Queue"));
/// let assembly = app.synth().expect("valid app");
/// assert_eq!(assembly.stacks.len(), 2);
/// ```
#[derive(Debug)]
pub struct App {
    pub(crate) id: u32,
    pub(crate) prefix: String,
    state: Mutex<AppState>,
}

/// Everything an app holds, behind its lock.
#[derive(Debug, Default)]
pub(crate) struct AppState {
    pub(crate) stacks: Vec<Stack>,
    pub(crate) environments: Vec<EnvDef>,
    pub(crate) diags: Vec<Diagnostic>,
    /// Resources that must wait for a grantee's policy: `(waiter, (policy stack, key))`.
    pub(crate) grant_waiters: Vec<(ResourceId, (u32, String))>,
    /// Aspects, in the order they were added, with what they cover.
    pub(crate) aspects: Vec<(AspectTarget, Arc<dyn Aspect>)>,
    /// File assets by sha256: their bytes and the stacks that use them.
    pub(crate) assets:
        BTreeMap<String, (crate::assembly::AssetBytes, std::collections::BTreeSet<u32>)>,
}

/// Where a file asset is when the stack deploys: the staging bucket that `stackforge
/// bootstrap` creates in each account and region, and a key named after the content hash.
/// A change to the content is a new key (and so a deploy); the same content is a no-op.
#[derive(Clone, Debug, PartialEq)]
pub struct AssetLocation {
    /// Lowercase hex sha256 of the asset's bytes.
    pub sha256: String,
    /// `stackforge-staging-${AWS::AccountId}-${AWS::Region}`.
    pub bucket: Val<String>,
    /// `assets/<sha256>.zip`.
    pub key: Val<String>,
}

/// What an aspect covers.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum AspectTarget {
    /// Every resource of the app.
    App,
    /// Every resource of an environment's stacks.
    Environment(u32),
    /// The resources of one stack whose logical ID starts with a scope's path.
    Scope(u32, String),
}

impl AspectTarget {
    pub(crate) fn covers(&self, stack: u32, environment: Option<u32>, logical_id: &str) -> bool {
        match self {
            AspectTarget::App => true,
            AspectTarget::Environment(e) => environment == Some(*e),
            AspectTarget::Scope(s, prefix) => {
                stack == *s && logical_id.starts_with(prefix.as_str())
            }
        }
    }
}

impl std::fmt::Debug for dyn Aspect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Aspect")
    }
}

/// Where an environment's stacks are deployed, and how they are named.
///
/// Every field is optional: an environment without an account and region deploys wherever
/// the caller's credentials point (the deploy engine checks pinned ones).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvironmentProps {
    /// The 12-digit account ID. Default: `None` (the caller's account).
    pub account: Option<String>,
    /// The region code, e.g. `eu-west-1`. Default: `None` (the caller's region).
    pub region: Option<String>,
    /// A role the deploy engine assumes for this environment's stacks.
    /// Default: `None` (the caller's credentials).
    pub role_arn: Option<String>,
    /// The prefix of the environment's stack names. Default: `None`, which means
    /// `<environment name>-` (`prod-api` for stack `api` of environment `prod`).
    pub stack_prefix: Option<String>,
    /// Tags on every stack of the environment (CloudFormation propagates them to the
    /// resources). Default: empty.
    pub tags: BTreeMap<String, String>,
}

/// An environment as the app records it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EnvDef {
    pub(crate) name: String,
    pub(crate) props: EnvironmentProps,
}

impl EnvDef {
    pub(crate) fn stack_prefix(&self) -> String {
        self.props
            .stack_prefix
            .clone()
            .unwrap_or_else(|| format!("{}-", self.name))
    }
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}

impl App {
    /// An empty app.
    pub fn new() -> Self {
        App {
            id: NEXT_APP_ID.fetch_add(1, Ordering::Relaxed),
            prefix: String::new(),
            state: Mutex::new(AppState::default()),
        }
    }

    /// An app whose stack names all start with `prefix`. Prefer [`App::environment`], which
    /// also carries an account and a region, and lets one program hold several environments.
    pub fn with_prefix(prefix: impl Into<String>) -> Self {
        App {
            prefix: prefix.into(),
            ..App::new()
        }
    }

    /// The app-wide stack-name prefix (may be empty).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The app's state, locked. A panic while the lock is held cannot leave the state torn in
    /// a way that matters here (every write is a push or an insert), so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, AppState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The stack called `name` (app prefix added), created on first use, as a root [`Scope`].
    ///
    /// An invalid name is reported at synth (`SF001`); the stack is still created so that
    /// every other problem is reported too.
    pub fn stack(&self, name: &str) -> Scope<'_> {
        self.open_stack(None, name)
    }

    /// Declares (or returns) the environment `name`: a deployment target with its own stack
    /// prefix, account, region and tags. Stacks created through it belong to it; stacks
    /// created with [`App::stack`] belong to no environment and may be shared by several.
    ///
    /// ```
    /// use stackforge::{App, EnvironmentProps, Raw};
    /// let app = App::new();
    /// for (name, region) in [("dev", "eu-west-1"), ("prod", "eu-central-1")] {
    ///     let env = app.environment(name, EnvironmentProps {
    ///         account: Some("123456789012".into()),
    ///         region: Some(region.into()),
    ///         ..Default::default()
    ///     });
    ///     env.stack("api").add_raw("Queue", Raw::new("AWS::SQS::Queue"));
    /// }
    /// let a = app.synth().unwrap();
    /// assert!(a.stack("prod-api").is_some() && a.stack("dev-api").is_some());
    /// ```
    pub fn environment(&self, name: &str, props: EnvironmentProps) -> Environment<'_> {
        let mut st = self.lock();
        if let Some(i) = st.environments.iter().position(|e| e.name == name) {
            if st.environments[i].props != props {
                st.diags.push(Diagnostic::error(
                    codes::INVALID_ENVIRONMENT,
                    DiagPath::default(),
                    format!("environment `{name}` is declared twice with different settings"),
                    "declare each environment once and pass its `Environment` around",
                ));
            }
            return Environment {
                app: self,
                index: i as u32,
            };
        }
        let path = DiagPath {
            stack: Some(format!("<environment {name}>")),
            ..DiagPath::default()
        };
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !name_ok {
            st.diags.push(Diagnostic::error(
                codes::INVALID_ENVIRONMENT,
                path.clone(),
                format!("environment name `{name}` must start with a letter and use only letters, digits and hyphens (at most 64)"),
                "use a short name such as `prod` or `dev`",
            ));
        }
        for problem in check_account_region(props.account.as_deref(), props.region.as_deref()) {
            st.diags.push(Diagnostic::error(
                codes::INVALID_ENVIRONMENT,
                path.clone(),
                problem.0,
                problem.1,
            ));
        }
        if let Some(role) = &props.role_arn {
            let ok = role.starts_with("arn:")
                && role.split(':').nth(2) == Some("iam")
                && role
                    .split(':')
                    .nth(5)
                    .is_some_and(|r| r.starts_with("role/"));
            if !ok {
                st.diags.push(Diagnostic::error(
                    codes::INVALID_ENVIRONMENT,
                    path,
                    format!("`{role}` is not an IAM role ARN"),
                    "use arn:aws:iam::<account>:role/<name>",
                ));
            }
        }
        st.environments.push(EnvDef {
            name: name.to_owned(),
            props,
        });
        Environment {
            app: self,
            index: (st.environments.len() - 1) as u32,
        }
    }

    fn open_stack(&self, env: Option<u32>, name: &str) -> Scope<'_> {
        let mut st = self.lock();
        let env_def = env.and_then(|e| st.environments.get(e as usize).cloned());
        let env_prefix = env_def
            .as_ref()
            .map(EnvDef::stack_prefix)
            .unwrap_or_default();
        let full = format!("{}{}{}", self.prefix, env_prefix, name);
        let index = match st.stacks.iter().position(|s| s.name == full) {
            Some(i) => {
                if st.stacks[i].environment != env {
                    let diag = Diagnostic::error(
                        codes::DUPLICATE_LOGICAL_ID,
                        DiagPath {
                            stack: Some(full.clone()),
                            ..DiagPath::default()
                        },
                        format!("the stack name `{full}` is used by two environments"),
                        "give the environments different stack prefixes",
                    );
                    st.stacks[i].diags.push(diag);
                }
                i
            }
            None => {
                let index = st.stacks.len() as u32;
                let mut stack = Stack::new(full.clone(), index, env);
                if let Err(why) = check_stack_name(&stack.name) {
                    stack.diags.push(Diagnostic::error(
                        codes::INVALID_STACK_NAME,
                        DiagPath {
                            stack: Some(stack.name.clone()),
                            ..DiagPath::default()
                        },
                        format!("invalid stack name: {why}"),
                        "use letters, digits and hyphens, start with a letter, at most 128 characters",
                    ));
                }
                if let Some(e) = &env_def {
                    stack.account = e.props.account.clone();
                    stack.region = e.props.region.clone();
                    stack.tags = e.props.tags.clone();
                }
                st.stacks.push(stack);
                index as usize
            }
        };
        Scope {
            app: self,
            stack: index as u32,
            stack_name: full,
            prefix: String::new(),
        }
    }

    /// Adds an aspect that covers every resource of the app. Aspects run at synth, in the
    /// order they were added, before validation.
    pub fn add_aspect(&self, aspect: impl Aspect + 'static) {
        self.lock()
            .aspects
            .push((AspectTarget::App, Arc::new(aspect)));
    }

    /// The full names of the stacks, in the order they were created.
    pub fn stack_names(&self) -> Vec<String> {
        self.lock().stacks.iter().map(|s| s.name.clone()).collect()
    }

    /// The full name of the stack a handle belongs to, if it belongs to this app.
    pub fn stack_name_of<R>(&self, h: Handle<R>) -> Option<String> {
        let id = h.id();
        if id.app != self.id {
            return None;
        }
        self.lock()
            .stacks
            .get(id.stack as usize)
            .map(|s| s.name.clone())
    }

    /// The logical ID of a resource of this app.
    pub fn logical_id<R>(&self, h: Handle<R>) -> Option<String> {
        let id = h.id();
        if id.app != self.id {
            return None;
        }
        let st = self.lock();
        st.stacks
            .get(id.stack as usize)
            .and_then(|s| s.node(id))
            .map(|n| n.logical_id.clone())
    }

    /// Runs `f` on the locked state (for synth).
    pub(crate) fn with_state<T>(&self, f: impl FnOnce(&AppState) -> T) -> T {
        f(&self.lock())
    }
}

/// The statement with a `Sid` no other statement of the policy has: `ReadTable`, then
/// `ReadTable2`, `ReadTable3`, … (IAM requires unique `Sid`s within a policy).
fn unique_sid(mut st: Expr, existing: &[Expr]) -> Expr {
    let sid_of = |e: &Expr| match e {
        Expr::Map(m) => m.get("Sid").and_then(Expr::as_str).map(str::to_owned),
        _ => None,
    };
    let Expr::Map(m) = &mut st else {
        return st;
    };
    let Some(base) = m.get("Sid").and_then(Expr::as_str).map(str::to_owned) else {
        return st;
    };
    let taken: Vec<String> = existing.iter().filter_map(sid_of).collect();
    let mut sid = base.clone();
    let mut n = 1;
    while taken.contains(&sid) {
        n += 1;
        sid = format!("{base}{n}");
    }
    m.insert("Sid".into(), Expr::Str(sid));
    st
}

/// True if the expression chooses between values the program wrote (`Fn::If`,
/// `Fn::FindInMap`).
fn has_alternatives(e: &Expr) -> bool {
    let mut found = matches!(e, Expr::If(..) | Expr::FindInMap(..));
    e.for_each_child(&mut |c| found |= has_alternatives(c));
    found
}

/// The action names of a statement's `Action` (a string or a list of strings).
fn action_names(e: Option<&Expr>) -> Vec<String> {
    match e {
        Some(Expr::Str(a)) => vec![a.clone()],
        Some(Expr::List(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// JSON Merge Patch (RFC 7396) over expressions, without deletion: objects merge key by key,
/// anything else in the patch replaces the old value. JSON literal objects take part as
/// objects.
fn merge_expr(old: Expr, patch: Expr) -> Expr {
    fn as_map(mut e: Expr) -> Result<BTreeMap<String, Expr>, Expr> {
        // `Expr` has a `Drop` (iterative, for deep values), so take the parts out in place.
        match &mut e {
            Expr::Map(m) => Ok(std::mem::take(m)),
            Expr::Json(serde_json::Value::Object(o)) => Ok(std::mem::take(o)
                .into_iter()
                .map(|(k, v)| (k, Expr::Json(v)))
                .collect()),
            _ => Err(e),
        }
    }
    let mut patch = match as_map(patch) {
        Ok(p) => p,
        Err(p) => return p,
    };
    let mut old = match as_map(old) {
        Ok(o) => o,
        Err(_) => return Expr::Map(patch),
    };
    for (k, v) in std::mem::take(&mut patch) {
        let merged = match old.remove(&k) {
            Some(o) => merge_expr(o, v),
            None => v,
        };
        old.insert(k, merged);
    }
    Expr::Map(old)
}

/// ` when P = v, Q = w` for a case that depends on parameters.
fn describe_case(case: &crate::eval::Case) -> String {
    if case.parameters.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = case
        .parameters
        .iter()
        .map(|(p, v)| format!("{p} = {v}"))
        .collect();
    format!(" (when {})", parts.join(", "))
}

fn truncate_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Problems with an account and region pin: `(message, help)` pairs.
fn check_account_region(account: Option<&str>, region: Option<&str>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(account) = account {
        if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            out.push((
                format!("account `{account}` is not 12 digits"),
                "use the 12-digit AWS account ID".to_owned(),
            ));
        }
    }
    if let Some(region) = region {
        let ok = !region.is_empty()
            && region.split('-').count() >= 3
            && region.split('-').all(|p| !p.is_empty())
            && region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            out.push((
                format!("region `{region}` is not a region code"),
                "use a code such as eu-west-1".to_owned(),
            ));
        }
    }
    out
}

/// One environment of an app (a stage: `dev`, `prod`): stacks created through it are named
/// `<prefix><name>`, pinned to its account and region, and tagged with its tags.
#[derive(Clone, Copy, Debug)]
pub struct Environment<'a> {
    app: &'a App,
    index: u32,
}

impl<'a> Environment<'a> {
    /// The stack `name` of this environment (`<env>-<name>` by default), created on first use.
    pub fn stack(&self, name: &str) -> Scope<'a> {
        self.app.open_stack(Some(self.index), name)
    }
    /// Adds an aspect that covers every resource of this environment's stacks (a removal
    /// policy for `dev`, tags for `prod`).
    pub fn add_aspect(&self, aspect: impl Aspect + 'static) {
        self.app
            .lock()
            .aspects
            .push((AspectTarget::Environment(self.index), Arc::new(aspect)));
    }
    /// The environment's name.
    pub fn name(&self) -> String {
        self.def().name
    }
    /// The environment's settings.
    pub fn props(&self) -> EnvironmentProps {
        self.def().props
    }
    fn def(&self) -> EnvDef {
        self.app.lock().environments[self.index as usize].clone()
    }
}

/// A place to add resources: a stack plus a path prefix for logical IDs.
///
/// Patterns take `&mut Scope` and add their children under [`Scope::child`], so the
/// database pattern with id `Db` creates `DbSecret`, `DbInstance`, … IDs derive from the path,
/// stay stable, and collisions are reported (`SF002`) instead of silently renamed.
///
/// **The naming rule.** A child's logical ID is its scope's path followed by its own id
/// (`Api` + `Db` + `Instance` = `ApiDbInstance`). A resource that *connects* two patterns (a
/// security-group rule, a grant policy) is named from the full paths of the patterns it
/// connects (`ApiDbIngressFromApiWeb`, `ApiWebTaskRoleDefaultPolicy`) and added at the root
/// of the stack that owns it, so it never gets a scope's prefix a second time.
#[derive(Debug)]
pub struct Scope<'a> {
    app: &'a App,
    stack: u32,
    stack_name: String,
    prefix: String,
}

/// The result of [`Scope::grant`]: which policy now carries the statements, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct Grant {
    /// The `AWS::IAM::Policy` that holds the statements (one per grantee per stack).
    pub policy: Handle<Raw>,
    /// The stack the policy lives in (the grantee's).
    pub stack: String,
    /// The policy's logical ID.
    pub logical_id: String,
}

/// One accepted finding on one resource, for [`Scope::suppress`]: the reason (required) and
/// the rule names of each tool that reports the same concern.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Suppression {
    /// Why the finding is accepted; rendered in every tool's metadata that takes a comment.
    pub reason: String,
    /// cfn-guard rule names (`Metadata.guard.SuppressedRules`).
    pub guard: Vec<String>,
    /// checkov check IDs (`Metadata.checkov.skip`).
    pub checkov: Vec<String>,
    /// cfn-lint rule IDs (`Metadata.cfn-lint.config.ignore_checks`).
    pub cfn_lint: Vec<String>,
}

impl Suppression {
    /// A suppression with its reason; name the rules with [`Suppression::guard`],
    /// [`Suppression::checkov`] and [`Suppression::cfn_lint`].
    pub fn because(reason: impl Into<String>) -> Self {
        Suppression {
            reason: reason.into(),
            ..Default::default()
        }
    }
    /// Adds a cfn-guard rule name.
    pub fn guard(mut self, rule: impl Into<String>) -> Self {
        self.guard.push(rule.into());
        self
    }
    /// Adds a checkov check ID.
    pub fn checkov(mut self, check: impl Into<String>) -> Self {
        self.checkov.push(check.into());
        self
    }
    /// Adds a cfn-lint rule ID.
    pub fn cfn_lint(mut self, rule: impl Into<String>) -> Self {
        self.cfn_lint.push(rule.into());
        self
    }
}

/// The role a grant adds permissions to: a role of this app (the policy goes into its
/// stack), or an existing role by name (the policy goes into the granting scope's stack).
#[derive(Clone, Debug, PartialEq)]
pub struct GrantRole {
    /// The role's name: `Ref` of an `AWS::IAM::Role` of this app, or an existing role's name.
    pub name: Val<String>,
    /// For an existing role, a name for logical IDs (letters and digits). Ignored for a role
    /// of this app, whose logical ID is used.
    pub label: String,
}

impl<'a> Scope<'a> {
    /// A child scope: everything added through it gets `id` appended to the path.
    pub fn child(&self, id: &str) -> Scope<'a> {
        let id = self.check_id(id, "scope id");
        Scope {
            app: self.app,
            stack: self.stack,
            stack_name: self.stack_name.clone(),
            prefix: format!("{}{}", self.prefix, id),
        }
    }

    /// The root scope of this scope's stack (an empty path).
    pub fn root(&self) -> Scope<'a> {
        Scope {
            app: self.app,
            stack: self.stack,
            stack_name: self.stack_name.clone(),
            prefix: String::new(),
        }
    }

    /// The root scope of the stack that owns `id`, a resource of this app. Patterns use it to
    /// put a resource next to the resource it belongs to (a grant next to its role). For a
    /// resource of another app, reports `SF006` and returns this stack's root.
    pub fn home_of(&self, id: ResourceId) -> Scope<'a> {
        if id.app != self.app.id {
            self.error(
                codes::FOREIGN_APP,
                "",
                None,
                "the resource belongs to another App",
                "build every stack that references each other in the same App",
            );
            return self.root();
        }
        let name = self.app.lock().stacks[id.stack as usize].name.clone();
        Scope {
            app: self.app,
            stack: id.stack,
            stack_name: name,
            prefix: String::new(),
        }
    }

    /// Adds an aspect that covers the resources under this scope (its stack, logical IDs
    /// starting with its path).
    pub fn add_aspect(&mut self, aspect: impl Aspect + 'static) {
        let target = AspectTarget::Scope(self.stack, self.prefix.clone());
        self.app.lock().aspects.push((target, Arc::new(aspect)));
    }

    /// The app this scope belongs to.
    pub fn app(&self) -> &'a App {
        self.app
    }

    /// The path prefix of this scope (empty at the stack root): the full path of the pattern
    /// that owns the scope.
    pub fn path(&self) -> &str {
        &self.prefix
    }

    /// The full stack name.
    pub fn stack_name(&self) -> &str {
        &self.stack_name
    }

    /// The name of this scope's environment, if its stack belongs to one.
    pub fn environment(&self) -> Option<String> {
        let st = self.app.lock();
        let env = st.stacks[self.stack as usize].environment?;
        st.environments.get(env as usize).map(|e| e.name.clone())
    }

    /// The logical ID that `id` gets in this scope.
    pub fn logical_id_for(&self, id: &str) -> String {
        format!("{}{}", self.prefix, id)
    }

    /// The logical ID of a resource of this app (in any of its stacks).
    pub fn logical_id<R>(&self, h: Handle<R>) -> Option<String> {
        self.app.logical_id(h)
    }

    /// True if `id` is a resource of this scope's stack.
    pub fn is_local(&self, id: ResourceId) -> bool {
        id.app == self.app.id && id.stack == self.stack
    }

    fn with_stack<T>(&self, f: impl FnOnce(&mut Stack) -> T) -> T {
        let mut st = self.app.lock();
        f(&mut st.stacks[self.stack as usize])
    }

    /// Reports a problem at this scope. `id` is the logical ID (relative to the scope) the
    /// problem is about, `property` the property path. Patterns use this for their own codes.
    pub fn error(
        &self,
        code: Code,
        id: &str,
        property: Option<&str>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let d = Diagnostic::error(code, self.diag_path(id, property), message, help);
        self.with_stack(|s| s.diags.push(d));
    }

    /// Reports a warning at this scope.
    pub fn warning(
        &self,
        code: Code,
        id: &str,
        property: Option<&str>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let d = Diagnostic::warning(code, self.diag_path(id, property), message, help);
        self.with_stack(|s| s.diags.push(d));
    }

    fn diag_path(&self, id: &str, property: Option<&str>) -> DiagPath {
        DiagPath {
            stack: Some(self.stack_name.clone()),
            logical_id: Some(format!("{}{}", self.prefix, id)).filter(|s| !s.is_empty()),
            property: property.map(str::to_owned),
        }
    }

    fn check_id(&self, id: &str, what: &str) -> String {
        let ok = !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric());
        if ok {
            return id.to_owned();
        }
        let cleaned: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
        self.error(
            codes::INVALID_LOGICAL_ID,
            id,
            None,
            format!("{what} `{id}` must be non-empty and contain only ASCII letters and digits"),
            format!(
                "rename it, e.g. `{}`",
                if cleaned.is_empty() {
                    "Resource"
                } else {
                    &cleaned
                }
            ),
        );
        if cleaned.is_empty() {
            "Invalid".to_owned()
        } else {
            cleaned
        }
    }

    /// Adds a typed resource and returns its handle. Constraint violations found by the
    /// schema's rules are recorded as diagnostics; adding never fails.
    pub fn add<R: Resource>(&mut self, id: &str, resource: R) -> Handle<R> {
        let props = resource.into_props().into_expr();
        Handle::new(self.add_node(id, Cow::Borrowed(R::TYPE), props, R::shape()))
    }

    /// Adds an untyped resource (the escape hatch for types that are not generated).
    pub fn add_raw(&mut self, id: &str, raw: Raw) -> Handle<Raw> {
        Handle::new(self.add_node(
            id,
            Cow::Owned(raw.type_name),
            raw.properties.into_expr(),
            None,
        ))
    }

    fn add_node(
        &self,
        id: &str,
        type_name: Cow<'static, str>,
        props: Expr,
        shape: Option<&'static Shape>,
    ) -> ResourceId {
        let id = self.check_id(id, "logical ID");
        let logical_id = format!("{}{}", self.prefix, id);
        let mut props = props;
        let seen = crate::depth::bound(&mut props, 0);
        let duplicate = Diagnostic::error(
            codes::DUPLICATE_LOGICAL_ID,
            self.diag_path(&id, None),
            format!("logical ID `{logical_id}` is already used in this stack"),
            "give the resource (or its parent scope) a different id",
        );
        let app = self.app.id;
        self.with_stack(|stack| {
            if stack.ids.contains_key(&logical_id) || stack.params.contains_key(&logical_id) {
                stack.diags.push(duplicate);
            }
            let node = stack.graph.add_node(ResourceNode {
                logical_id: logical_id.clone(),
                type_name,
                props,
                deletion_policy: None,
                update_replace_policy: None,
                condition: None,
                depends_on: Vec::new(),
                metadata: BTreeMap::new(),
                policies: BTreeMap::new(),
                overrides: Vec::new(),
                protected: Vec::new(),
                seen,
                shape,
            });
            stack.ids.entry(logical_id).or_insert(node);
            ResourceId {
                app,
                stack: stack.index,
                node,
            }
        })
    }

    /// The logical ID of a resource of this scope's stack, or empty.
    fn local_id(&self, id: ResourceId) -> String {
        if self.is_local(id) {
            self.logical_id(Handle::<Raw>::new(id)).unwrap_or_default()
        } else {
            String::new()
        }
    }

    /// Runs `f` on a resource of this stack; reports `SF006`/`SF013` for a handle of another
    /// app or stack, naming the resource and what was attempted.
    fn with_node(&self, id: ResourceId, what: &str, f: impl FnOnce(&mut ResourceNode)) {
        if id.app != self.app.id {
            self.root().error(
                codes::FOREIGN_APP,
                "",
                Some(what),
                format!("{what}: the handle belongs to another App"),
                "set resource options through a scope of the app that owns the resource",
            );
            return;
        }
        let mut st = self.app.lock();
        if id.stack != self.stack {
            let owner = st.stacks.get(id.stack as usize);
            let desc = owner
                .and_then(|s| s.node(id).map(|n| format!("{}/{}", s.name, n.logical_id)))
                .unwrap_or_else(|| "a resource of another stack".to_owned());
            let d = Diagnostic::error(
                codes::WRONG_STACK,
                self.diag_path("", None),
                format!("{what} of {desc} was set through a scope of stack `{}`", self.stack_name),
                "set resource options through a scope of the stack that owns the resource (Scope::home_of(handle.id()))",
            );
            st.stacks[self.stack as usize].diags.push(d);
            return;
        }
        if let Some(n) = st.stacks[self.stack as usize]
            .graph
            .node_weight_mut(id.node)
        {
            f(n);
        }
    }

    /// Adds an explicit `DependsOn` from `resource` to `on`. Synth drops it when a reference
    /// already implies it (so cfn-lint W3005 never fires).
    ///
    /// When `on` lives in another stack of the app, no `DependsOn` is written (CloudFormation
    /// cannot express it): the resource's stack depends on `on`'s stack instead, so `on`
    /// exists before the resource is created.
    pub fn depends_on<A, B>(&mut self, resource: Handle<A>, on: Handle<B>) {
        let (rid, oid) = (resource.id(), on.id());
        if oid.app != self.app.id {
            self.root().error(
                codes::FOREIGN_APP,
                &self.local_id(rid),
                Some("DependsOn"),
                "DependsOn names a resource of another App",
                "build every stack that references each other in the same App",
            );
            return;
        }
        if rid.app == self.app.id && rid.stack == self.stack && oid.stack != self.stack {
            let mut st = self.app.lock();
            let names = |s: &Stack, id: ResourceId| {
                s.node(id).map(|n| n.logical_id.clone()).unwrap_or_default()
            };
            let from = names(&st.stacks[self.stack as usize], rid);
            let to = names(&st.stacks[oid.stack as usize], oid);
            let on_name = st.stacks[oid.stack as usize].name.clone();
            let dep = StackDependency {
                on: oid.stack,
                reason: format!("{from} waits for {on_name}/{to}"),
            };
            let stack = &mut st.stacks[self.stack as usize];
            if !stack.stack_dependencies.contains(&dep) {
                stack.stack_dependencies.push(dep);
            }
            return;
        }
        self.with_node(rid, "DependsOn", |n| {
            if !n.depends_on.contains(&oid) {
                n.depends_on.push(oid);
            }
        });
    }

    /// Makes this stack depend on another stack of the app, with no reference between them:
    /// deploy creates `other` first and destroys it last.
    pub fn add_stack_dependency(&mut self, other: &Scope<'_>, reason: &str) {
        if other.app.id != self.app.id {
            self.error(
                codes::FOREIGN_APP,
                "",
                None,
                "a stack dependency on a stack of another App",
                "build every stack that depends on each other in the same App",
            );
            return;
        }
        let dep = StackDependency {
            on: other.stack,
            reason: reason.to_owned(),
        };
        self.with_stack(|s| {
            if !s.stack_dependencies.contains(&dep) {
                s.stack_dependencies.push(dep);
            }
        });
    }

    /// `DeletionPolicy`.
    pub fn set_deletion_policy<R>(&mut self, h: Handle<R>, p: Policy) {
        self.with_node(h.id(), "DeletionPolicy", |n| n.deletion_policy = Some(p));
    }

    /// `UpdateReplacePolicy` (`RetainExceptOnCreate` is not one: an error, `SF038`).
    pub fn set_update_replace_policy<R>(&mut self, h: Handle<R>, p: Policy) {
        if p == Policy::RetainExceptOnCreate {
            self.error(
                codes::INVALID_POLICY_ATTRIBUTE,
                "",
                None,
                "RetainExceptOnCreate is a DeletionPolicy only; UpdateReplacePolicy takes Delete, Retain or Snapshot",
                "use Policy::Retain for the replacement policy (set_policies does this for you)",
            );
            return;
        }
        self.with_node(h.id(), "UpdateReplacePolicy", |n| {
            n.update_replace_policy = Some(p)
        });
    }

    /// Both `DeletionPolicy` and `UpdateReplacePolicy`. `RetainExceptOnCreate` exists only as
    /// a deletion policy; the replacement policy is then `Retain`.
    pub fn set_policies<R>(&mut self, h: Handle<R>, p: Policy) {
        self.set_deletion_policy(h, p);
        let replace = match p {
            Policy::RetainExceptOnCreate => Policy::Retain,
            p => p,
        };
        self.set_update_replace_policy(h, replace);
    }

    /// The resource's `Condition`.
    pub fn set_condition<R>(&mut self, h: Handle<R>, c: &Condition) {
        let id = c.id.clone();
        if id.app != self.app.id {
            self.root().error(
                codes::FOREIGN_APP,
                &self.local_id(h.id()),
                Some("Condition"),
                format!("the condition `{}` belongs to another App", id.name),
                "define the condition in this app",
            );
            return;
        }
        if id.stack != self.stack {
            self.error(
                codes::WRONG_STACK,
                "",
                None,
                format!(
                    "the condition `{}` belongs to another stack than `{}`",
                    id.name, self.stack_name
                ),
                "define the condition in this stack",
            );
            return;
        }
        self.with_node(h.id(), "Condition", |n| n.condition = Some(id));
    }

    /// The resource's `CreationPolicy` (`ResourceSignal`, `AutoScalingCreationPolicy`): how
    /// many success signals CloudFormation waits for, and how long.
    pub fn set_creation_policy<R>(&mut self, h: Handle<R>, mut policy: Json) {
        crate::depth::bound_json(&mut policy, crate::depth::MAX_DEPTH);
        self.with_node(h.id(), "CreationPolicy", |n| {
            n.policies.insert("CreationPolicy", policy);
        });
    }

    /// The resource's `UpdatePolicy` (`AutoScalingRollingUpdate`, `CodeDeployLambdaAliasUpdate`,
    /// …): how CloudFormation updates it.
    pub fn set_update_policy<R>(&mut self, h: Handle<R>, mut policy: Json) {
        crate::depth::bound_json(&mut policy, crate::depth::MAX_DEPTH);
        self.with_node(h.id(), "UpdatePolicy", |n| {
            n.policies.insert("UpdatePolicy", policy);
        });
    }

    /// Sets one `Metadata` key (replacing it).
    pub fn set_metadata<R>(&mut self, h: Handle<R>, key: &str, mut value: Json) {
        if crate::depth::bound_json(&mut value, crate::depth::MAX_DEPTH) {
            let id = if self.is_local(h.id()) {
                self.logical_id(h).unwrap_or_default()
            } else {
                String::new()
            };
            self.root().error(
                codes::VALUE_TOO_DEEP,
                &id,
                Some(&format!("Metadata.{key}")),
                format!(
                    "the metadata value nests deeper than {} levels",
                    crate::depth::MAX_DEPTH
                ),
                "keep metadata shallow",
            );
        }
        self.with_node(h.id(), "Metadata", |n| {
            n.metadata.insert(key.to_owned(), value);
        });
    }

    /// Suppresses one cfn-lint rule on one resource. The reason is required and is written
    /// next to the suppression in the template's Metadata.
    pub fn suppress_cfn_lint<R>(&mut self, h: Handle<R>, rule: &str, reason: &str) {
        self.with_node(h.id(), "Metadata", |n| {
            let entry = n
                .metadata
                .entry("cfn-lint".to_owned())
                .or_insert_with(|| serde_json::json!({"config": {"ignore_checks": []}}));
            if let Some(list) = entry
                .pointer_mut("/config/ignore_checks")
                .and_then(Json::as_array_mut)
            {
                list.push(rule.into());
            }
            let reasons = n
                .metadata
                .entry("stackforge:suppressions".to_owned())
                .or_insert_with(|| serde_json::json!({}));
            if let Some(o) = reasons.as_object_mut() {
                o.insert(rule.to_owned(), reason.into());
            }
        });
    }

    /// Accepts one concern on one resource, named for every tool that reports it, with one
    /// reason: `Metadata.guard.SuppressedRules` (cfn-guard and the AWS Guard Rules Registry),
    /// `Metadata.checkov.skip` (with the reason as the comment), `Metadata.cfn-lint.config.
    /// ignore_checks`, and the decision itself in `Metadata.stackforge.suppressions`
    /// (`{reason, guard, checkov, cfn-lint}`), so every tool sees the same decision.
    ///
    /// A blank reason, or a suppression that names no rule, is an error (`SF039`).
    ///
    /// ```
    /// use stackforge::{App, Suppression, cfn::sqs};
    /// let app = App::new();
    /// let mut s = app.stack("demo");
    /// let q = s.add("Queue", sqs::Queue::default());
    /// s.suppress(q, Suppression::because("SQS-managed keys are enough here")
    ///     .guard("SQS_QUEUE_KMS_MASTER_KEY_ID_RULE")
    ///     .checkov("CKV_AWS_27"));
    /// let t = &app.synth().unwrap().stacks[0].template;
    /// let m = &t["Resources"]["Queue"]["Metadata"];
    /// assert_eq!(m["guard"]["SuppressedRules"][0], "SQS_QUEUE_KMS_MASTER_KEY_ID_RULE");
    /// assert_eq!(m["checkov"]["skip"][0]["id"], "CKV_AWS_27");
    /// assert_eq!(m["stackforge"]["suppressions"][0]["reason"], "SQS-managed keys are enough here");
    /// ```
    pub fn suppress<R>(&mut self, h: Handle<R>, suppression: Suppression) {
        let id = if self.is_local(h.id()) {
            self.logical_id(h).unwrap_or_default()
        } else {
            String::new()
        };
        let Suppression {
            reason,
            guard,
            checkov,
            cfn_lint,
        } = suppression;
        let names: Vec<&String> = guard.iter().chain(&checkov).chain(&cfn_lint).collect();
        if reason.trim().is_empty() || names.is_empty() {
            let what = if names.is_empty() {
                "the suppression names no guard, checkov or cfn-lint rule".to_owned()
            } else {
                format!(
                    "the suppression of {} has no reason",
                    names
                        .iter()
                        .map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            self.root().error(
                codes::INVALID_SUPPRESSION,
                &id,
                Some("Metadata.stackforge"),
                what,
                "say why the finding is accepted (Suppression::because(\"…\")) and name the rules it silences",
            );
            return;
        }
        if let Some(bad) = names
            .iter()
            .find(|n| n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            self.root().error(
                codes::INVALID_SUPPRESSION,
                &id,
                Some("Metadata.stackforge"),
                format!("`{bad}` is not a rule name"),
                "name rules as their tools print them: RULE_NAME (guard), CKV_AWS_1 (checkov), W1234 (cfn-lint)",
            );
            return;
        }
        for c in &checkov {
            self.skip_checkov(h, c, &reason);
        }
        self.with_node(h.id(), "Metadata", |n| {
            if !guard.is_empty() {
                let entry = n
                    .metadata
                    .entry("guard".to_owned())
                    .or_insert_with(|| serde_json::json!({"SuppressedRules": []}));
                if let Some(list) = entry
                    .get_mut("SuppressedRules")
                    .and_then(Json::as_array_mut)
                {
                    for g in &guard {
                        if !list.iter().any(|v| v.as_str() == Some(g)) {
                            list.push(g.as_str().into());
                        }
                    }
                }
            }
            if !cfn_lint.is_empty() {
                let entry = n
                    .metadata
                    .entry("cfn-lint".to_owned())
                    .or_insert_with(|| serde_json::json!({"config": {"ignore_checks": []}}));
                if let Some(list) = entry
                    .pointer_mut("/config/ignore_checks")
                    .and_then(Json::as_array_mut)
                {
                    for r in &cfn_lint {
                        list.push(r.as_str().into());
                    }
                }
            }
            let entry = n
                .metadata
                .entry("stackforge".to_owned())
                .or_insert_with(|| serde_json::json!({"suppressions": []}));
            if let Some(list) = entry.get_mut("suppressions").and_then(Json::as_array_mut) {
                let mut decision = serde_json::Map::new();
                decision.insert("reason".into(), reason.as_str().into());
                for (tool, names) in [
                    ("guard", &guard),
                    ("checkov", &checkov),
                    ("cfn-lint", &cfn_lint),
                ] {
                    if !names.is_empty() {
                        decision.insert(tool.into(), serde_json::json!(names));
                    }
                }
                list.push(Json::Object(decision));
            }
        });
    }

    /// Skips one checkov check on one resource, with the reason checkov prints.
    pub fn skip_checkov<R>(&mut self, h: Handle<R>, check_id: &str, reason: &str) {
        self.with_node(h.id(), "Metadata", |n| {
            let entry = n
                .metadata
                .entry("checkov".to_owned())
                .or_insert_with(|| serde_json::json!({"skip": []}));
            if let Some(list) = entry.get_mut("skip").and_then(Json::as_array_mut) {
                list.push(serde_json::json!({"id": check_id, "comment": reason}));
            }
        });
    }

    /// Deep-merges a typed patch into a resource's properties: the typed way to change what a
    /// pattern's props do not cover (`web.task_definition`, `api.stage`, …), checked by the
    /// same generated rules as any typed resource (`SF1xx` at synth). Raw overrides
    /// ([`Scope::override_property`]) stay the last resort.
    ///
    /// The patch is a value of the resource's own generated type, so a property name or a
    /// value of the wrong type does not compile. Merging follows JSON Merge Patch (RFC 7396)
    /// without deletion: an object in the patch is merged key by key into the object it
    /// replaces, anything else (a scalar, a list, an intrinsic) replaces the old value whole;
    /// properties the patch leaves unset (`None`) are kept. A type with required properties
    /// has no `Default`: its patch restates them (e.g. `lambda::Function::new(code, role)`
    /// with the same values), and they replace the old ones.
    ///
    /// ```
    /// use stackforge::{App, cfn::sqs};
    /// let app = App::new();
    /// let mut s = app.stack("demo");
    /// let q = s.add("Queue", sqs::Queue { visibility_timeout: Some(30.into()), ..Default::default() });
    /// s.merge(q, sqs::Queue { delay_seconds: Some(5.into()), ..Default::default() });
    /// let t = &app.synth().unwrap().stacks[0].template;
    /// assert_eq!(t["Resources"]["Queue"]["Properties"]["VisibilityTimeout"], 30);
    /// assert_eq!(t["Resources"]["Queue"]["Properties"]["DelaySeconds"], 5);
    /// ```
    pub fn merge<R: Resource>(&mut self, h: Handle<R>, patch: R) {
        let mut patch = patch.into_props().into_expr();
        // The patch sits at the properties' own levels, so it is bounded from depth 0.
        let seen = crate::depth::bound(&mut patch, 0);
        self.with_node(h.id(), "merge", |n| {
            n.seen |= seen;
            let old = std::mem::replace(&mut n.props, Expr::Null);
            n.props = merge_expr(old, patch);
        });
    }

    /// Overrides a property below `Properties` after rendering. `path` is a list of keys, so
    /// keys with dots (`["Parameters", "rds.force_ssl"]`) work; a key that meets a list is
    /// an index into it (`["Tags", "0", "Value"]`). Missing objects are created. A path that
    /// crosses a value that is neither an object nor a list, or an index that is not a number
    /// or out of range, is an error at synth (`SF016`).
    ///
    /// Changing a secure setting a pattern protects ([`Scope::protect`]) is a warning
    /// (`SF031`); say why with [`Scope::override_property_because`].
    pub fn override_property<R>(&mut self, h: Handle<R>, path: &[&str], value: impl Into<Expr>) {
        let value = value.into();
        self.push_override(h.id(), path, Some(value), None);
    }

    /// [`Scope::override_property`] with the reason it changes what a pattern protects (public
    /// access, encryption, deletion protection, open ingress): no `SF031` warning.
    pub fn override_property_because<R>(
        &mut self,
        h: Handle<R>,
        path: &[&str],
        value: impl Into<Expr>,
        reason: &str,
    ) {
        let value = value.into();
        self.push_override(h.id(), path, Some(value), Some(reason));
    }

    /// Removes a property below `Properties` after rendering (a list index removes the item).
    pub fn delete_property<R>(&mut self, h: Handle<R>, path: &[&str]) {
        self.push_override(h.id(), path, None, None);
    }

    /// [`Scope::delete_property`] with the reason it removes a protected setting.
    pub fn delete_property_because<R>(&mut self, h: Handle<R>, path: &[&str], reason: &str) {
        self.push_override(h.id(), path, None, Some(reason));
    }

    /// Marks the property at `path` (below `Properties`) as a secure setting of a pattern:
    /// `setting` names it for people ("public access", "storage encryption", "deletion
    /// protection", "open ingress"). An override that changes or removes it, or something
    /// below it, without a reason is a warning (`SF031`) that names the setting.
    pub fn protect<R>(&mut self, h: Handle<R>, path: &[&str], setting: &str) {
        let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
        let setting = setting.to_owned();
        self.with_node(h.id(), "protect", |n| {
            if !n.protected.iter().any(|(p, _)| *p == path) {
                n.protected.push((path, setting));
            }
        });
    }

    fn push_override(
        &mut self,
        id: ResourceId,
        path: &[&str],
        mut value: Option<Expr>,
        reason: Option<&str>,
    ) {
        let owner = if self.is_local(id) {
            self.logical_id(Handle::<Raw>::new(id)).unwrap_or_default()
        } else {
            String::new()
        };
        if path.len() > crate::depth::MAX_DEPTH as usize {
            self.root().error(
                codes::INVALID_OVERRIDE,
                &owner,
                None,
                format!(
                    "an override path of {} keys is deeper than the {} levels a value may nest",
                    path.len(),
                    crate::depth::MAX_DEPTH
                ),
                "override a shallower property with the whole value below it",
            );
            return;
        }
        let seen = value
            .as_mut()
            .map(|v| crate::depth::bound(v, path.len() as u32))
            .unwrap_or_default();
        if path.is_empty() || path.iter().any(|k| k.is_empty()) {
            self.root().error(
                codes::INVALID_OVERRIDE,
                &owner,
                Some(&format!("Properties.{}", path.join("."))),
                "an override path must be a non-empty list of non-empty keys",
                "pass the keys below Properties, e.g. [\"Parameters\", \"rds.force_ssl\"]",
            );
            return;
        }
        let reason = reason.map(str::to_owned);
        self.with_node(id, "override", |n| {
            n.seen |= seen;
            n.overrides.push(crate::stack::Override {
                path: path.iter().map(|s| (*s).to_owned()).collect(),
                value,
                reason,
            });
        });
    }

    /// Adds IAM statements to a role, in one `AWS::IAM::Policy` per role per stack: in the
    /// role's own stack for a role of this app (so a grant across stacks never makes a stack
    /// cycle: the grantee's stack imports the resource, never the other way round), in this
    /// scope's stack for an existing role. Identical statements are added once.
    ///
    /// The policy's logical ID is `<role logical ID>DefaultPolicy` (for an existing role,
    /// `<label>DefaultPolicy`).
    pub fn grant(
        &mut self,
        role: &GrantRole,
        statements: impl IntoIterator<Item = Statement>,
    ) -> Grant {
        let mut statements: Vec<Expr> = statements.into_iter().map(Statement::into_expr).collect();
        let mut seen = crate::depth::Seen::default();
        for st in &mut statements {
            // PolicyDocument > Statement list > the statement.
            seen |= crate::depth::bound(st, 3);
        }
        for st in &statements {
            if let Expr::Map(m) = st {
                for a in action_names(m.get("Action")) {
                    if let Err(why) = crate::policy::check_action(&a) {
                        self.error(
                            codes::INVALID_POLICY,
                            "",
                            None,
                            why.to_string(),
                            "name actions as `service:Action`, e.g. s3:GetObject",
                        );
                    }
                }
            }
        }
        let (home, key) = self.grant_target(role);
        let logical_id = format!("{key}DefaultPolicy");
        let existing = home.with_stack(|s| s.grants.get(&key).map(|g| g.node));
        let node = match existing {
            Some(n) => n,
            None => {
                let id = home.add_node(
                    &logical_id,
                    Cow::Borrowed("AWS::IAM::Policy"),
                    Expr::Map(BTreeMap::new()),
                    None,
                );
                home.with_stack(|s| {
                    s.grants.insert(
                        key.clone(),
                        GrantPolicy {
                            node: id.node,
                            statements: Vec::new(),
                        },
                    )
                });
                let waiters: Vec<ResourceId> = self
                    .app
                    .lock()
                    .grant_waiters
                    .iter()
                    .filter(|(_, k)| k.0 == home.stack && k.1 == key)
                    .map(|(w, _)| *w)
                    .collect();
                for w in waiters {
                    self.home_of(w)
                        .depends_on(Handle::<Raw>::new(w), Handle::<Raw>::new(id));
                }
                id.node
            }
        };
        let policy_name: Expr = match role.name.resource_id() {
            Some(_) => Expr::Str(logical_id.clone()),
            None => crate::value::fns::sub([
                crate::value::SubPart::from(crate::pseudo::stack_name()),
                crate::value::SubPart::Lit(format!("-{logical_id}")),
            ])
            .into_expr(),
        };
        let role_name = role.name.clone().into_expr();
        home.with_stack(|s| {
            let Some(g) = s.grants.get_mut(&key) else {
                return;
            };
            for st in statements {
                if !g.statements.contains(&st) {
                    let st = unique_sid(st, &g.statements);
                    g.statements.push(st);
                }
            }
            let doc = Expr::Map(BTreeMap::from([
                ("Version".to_owned(), Expr::Str("2012-10-17".into())),
                ("Statement".to_owned(), Expr::List(g.statements.clone())),
            ]));
            let props = Expr::Map(BTreeMap::from([
                ("PolicyDocument".to_owned(), doc),
                ("PolicyName".to_owned(), policy_name),
                ("Roles".to_owned(), Expr::List(vec![role_name])),
            ]));
            if let Some(n) = s.graph.node_weight_mut(node) {
                n.props = props;
                n.seen |= seen;
            }
        });
        Grant {
            policy: Handle::new(ResourceId {
                app: self.app.id,
                stack: home.stack,
                node,
            }),
            stack: home.stack_name.clone(),
            logical_id,
        }
    }

    /// Makes `resource` wait for every permission granted to `role`, whenever it is granted:
    /// the resource gets a `DependsOn` on the role's grant policy (a stack dependency when the
    /// policy is in another stack). A service whose tasks need their permissions at start
    /// uses it, so no task starts before its policy is attached.
    pub fn wait_for_grants<R>(&mut self, resource: Handle<R>, role: &GrantRole) {
        let (home, key) = self.grant_target(role);
        let existing = home.with_stack(|s| s.grants.get(&key).map(|g| g.node));
        self.app
            .lock()
            .grant_waiters
            .push((resource.id(), (home.stack, key)));
        if let Some(node) = existing {
            let policy = ResourceId {
                app: self.app.id,
                stack: home.stack,
                node,
            };
            self.home_of(resource.id())
                .depends_on(resource, Handle::<Raw>::new(policy));
        }
    }

    /// The stack and key of a grantee's policy.
    fn grant_target(&self, role: &GrantRole) -> (Scope<'a>, String) {
        match role.name.resource_id() {
            Some(id) if id.app == self.app.id => {
                let key = {
                    let st = self.app.lock();
                    st.stacks[id.stack as usize]
                        .node(id)
                        .map(|n| n.logical_id.clone())
                };
                let home = self.home_of(id);
                let key = key.unwrap_or_else(|| home.check_id(&role.label, "grantee label"));
                (home, key)
            }
            Some(id) => (self.home_of(id), role.label.clone()),
            None => {
                let home = self.root();
                let key = home.check_id(&role.label, "grantee label");
                (home, key)
            }
        }
    }

    /// Declares a template parameter and returns its value.
    pub fn parameter<T>(&mut self, id: &str, p: Parameter<T>) -> Val<T> {
        let id = self.check_id(id, "parameter id");
        let name = self.logical_id_for(&id);
        let p = p.def;
        // The default against the type and constraints is checked at synth
        // (`validate::check_parameter`, from the lint pass), with every other parameter rule.
        let lengths = p
            .min_length
            .zip(p.max_length)
            .map(|(a, b)| (f64::from(a), f64::from(b)));
        for (bounds, min, max) in [
            (lengths, "MinLength", "MaxLength"),
            (p.min_value.zip(p.max_value), "MinValue", "MaxValue"),
        ] {
            if let Some((a, b)) = bounds.filter(|(a, b)| a > b) {
                self.error(
                    codes::INVALID_PARAMETER,
                    &id,
                    Some(min),
                    format!("{min} {a} is above {max} {b}"),
                    "swap or fix the bounds",
                );
            }
        }
        let taken = self.with_stack(|s| s.params.contains_key(&name) || s.ids.contains_key(&name));
        if taken {
            self.error(
                codes::DUPLICATE_LOGICAL_ID,
                &id,
                None,
                format!("`{name}` is already a parameter or resource of this stack"),
                "parameters and resources share one namespace; rename one",
            );
        }
        self.with_stack(|s| s.params.insert(name.clone(), p));
        Val::from_expr(Expr::Ref(RefTarget::Parameter(self.item(name))))
    }

    fn item(&self, name: String) -> ItemId {
        ItemId {
            app: self.app.id,
            stack: self.stack,
            name,
        }
    }

    /// Adds an output.
    pub fn output(&mut self, id: &str, o: crate::stack::Output) {
        let id = self.check_id(id, "output id");
        let name = self.logical_id_for(&id);
        let mut export_value = None;
        let export = match o.export {
            ExportName::None => None,
            ExportName::Derived => Some(format!("{}:{}", self.stack_name, name)),
            ExportName::Named(n) => Some(n),
            ExportName::Value(e) => {
                export_value = Some(e);
                None
            }
        };
        let def = OutputDef {
            value: o.value,
            description: o.description,
            export,
            export_value,
            condition: o.condition,
        };
        if self.with_stack(|s| s.outputs.insert(name.clone(), def).is_some()) {
            self.error(
                codes::DUPLICATE_LOGICAL_ID,
                &id,
                None,
                format!("output `{name}` is defined twice"),
                "give each output its own id",
            );
        }
    }

    /// Defines a named condition.
    pub fn condition(&mut self, id: &str, c: CondExpr) -> Condition {
        let id = self.check_id(id, "condition id");
        let name = self.logical_id_for(&id);
        if self.with_stack(|s| s.conditions.insert(name.clone(), c.expr).is_some()) {
            self.error(
                codes::DUPLICATE_LOGICAL_ID,
                &id,
                None,
                format!("condition `{name}` is defined twice"),
                "give each condition its own id",
            );
        }
        Condition {
            id: self.item(name),
        }
    }

    /// Defines a mapping (`{top: {second: value}}`) for `Fn::FindInMap`.
    pub fn mapping(&mut self, id: &str, mut map: Json) -> Mapping {
        let id = self.check_id(id, "mapping id");
        let name = self.logical_id_for(&id);
        if crate::depth::bound_json(&mut map, crate::depth::MAX_DEPTH) {
            self.error(
                codes::VALUE_TOO_DEEP,
                &id,
                None,
                format!(
                    "mapping `{name}` nests deeper than {} levels",
                    crate::depth::MAX_DEPTH
                ),
                "a mapping is {top key: {second key: value}}",
            );
        }
        if self.with_stack(|s| s.mappings.insert(name.clone(), map).is_some()) {
            self.error(
                codes::DUPLICATE_LOGICAL_ID,
                &id,
                None,
                format!("mapping `{name}` is defined twice"),
                "give each mapping its own id",
            );
        }
        Mapping {
            id: self.item(name),
        }
    }

    /// Adds a template rule (the `Rules` section): assertions on parameter values that
    /// CloudFormation checks before it changes anything. Rules may reference only parameters
    /// and pseudo parameters (`SF019` otherwise).
    pub fn rule(&mut self, id: &str, rule: Rule) {
        let id = self.check_id(id, "rule id");
        let name = self.logical_id_for(&id);
        if rule.assertions.is_empty() {
            self.error(
                codes::INVALID_RULE,
                &id,
                Some("Assertions"),
                format!("rule `{name}` has no assertions"),
                "add at least one assertion with Rule::assert",
            );
        }
        if self.with_stack(|s| s.rules.insert(name.clone(), rule).is_some()) {
            self.error(
                codes::DUPLICATE_LOGICAL_ID,
                &id,
                None,
                format!("rule `{name}` is defined twice"),
                "give each rule its own id",
            );
        }
    }

    /// The template's `Description`.
    pub fn set_description(&mut self, d: impl Into<String>) {
        let d = d.into();
        self.with_stack(|s| s.description = Some(d));
    }

    /// Adds a template-level `Transform` (a macro CloudFormation runs before it creates the
    /// change set, such as `AWS::LanguageExtensions`). Transforms run in the order added; the
    /// template then describes what the macro expands, so synth's checks see the template as
    /// written, not the expansion.
    pub fn add_transform(&mut self, name: impl Into<String>) {
        let name = name.into();
        self.with_stack(|s| {
            if !s.transforms.contains(&name) {
                s.transforms.push(name);
            }
        });
    }

    /// Sets one key of the template-level `Metadata` (`AWS::CloudFormation::Interface` for
    /// the console's parameter groups, …).
    pub fn set_template_metadata(&mut self, key: impl Into<String>, value: Json) {
        let key = key.into();
        self.with_stack(|s| s.template_metadata.insert(key, value));
    }

    /// A stack tag. Deploy applies it to the stack; CloudFormation propagates it to the
    /// resources that support tags.
    pub fn tag(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let (k, v) = (key.into(), value.into());
        self.with_stack(|s| s.tags.insert(k, v));
    }

    /// Pins the stack to an account and region; deploy refuses any other caller identity.
    pub fn pin_environment(&mut self, account: &str, region: &str) {
        for (message, help) in check_account_region(Some(account), Some(region)) {
            self.error(codes::INVALID_ENVIRONMENT, "", None, message, help);
        }
        let (account, region) = (account.to_owned(), region.to_owned());
        let conflict = self.with_stack(|s| {
            let clash = s.environment.is_some()
                && (s.account.as_ref().is_some_and(|a| *a != account)
                    || s.region.as_ref().is_some_and(|r| *r != region));
            s.account = Some(account);
            s.region = Some(region);
            clash
        });
        if conflict {
            self.error(
                codes::INVALID_ENVIRONMENT,
                "",
                None,
                "the stack's environment already pins another account or region",
                "pin the account and region on the environment, not on its stacks",
            );
        }
    }

    /// Keeps the export of `value` (a `Ref` or `GetAtt` of a resource of this stack) even when
    /// no other stack imports it any more, like the CDK's `exportValue`. Use it for one deploy
    /// while a consumer stops importing, then remove it.
    pub fn export_value<T>(&mut self, value: &Val<T>) {
        let e = value.expr().clone();
        let own = value.resource_id().is_some_and(|id| self.is_local(id));
        if !own {
            self.error(
                codes::INVALID_EXPORT,
                "",
                None,
                "export_value takes a Ref or GetAtt of a resource of this stack",
                "pass e.g. `bucket.attr_arn()` in the producer stack's scope",
            );
            return;
        }
        self.with_stack(|s| {
            if !s.kept_exports.contains(&e) {
                s.kept_exports.push(e);
            }
        });
    }

    /// Resolves values together under every parameter assignment they depend on (see
    /// [`crate::eval`]): literals give one case, a parameter with `AllowedValues` one case per
    /// value, conditions and mappings are evaluated.
    pub fn resolve(&self, values: &[&Expr]) -> Resolution {
        self.with_stack(|s| crate::eval::resolve(s, values))
    }

    /// Checks values that a pattern needs at synth, whatever fills them: `check` gets each
    /// case's values (in the order given) and says what is wrong.
    ///
    /// - Literals: a failing check is an error with `code` at `id`/`property`.
    /// - Parameters with `AllowedValues`, `Fn::If`, `Fn::FindInMap`: every case is checked. A
    ///   failing case is an error when it comes from alternatives the program wrote (`Fn::If`,
    ///   `Fn::FindInMap`) or when every case fails. A failing combination of independent
    ///   parameters (each value a direct `Ref`) becomes a template rule (`<id>Check<n>`) that
    ///   refuses those values at deploy, before anything changes.
    /// - Anything synth cannot enumerate (a resource attribute, a parameter without
    ///   `AllowedValues`) is an error (`SF021`) that asks for a literal or allowed values.
    pub fn check_values<E: std::fmt::Display>(
        &mut self,
        code: Code,
        id: &str,
        property: Option<&str>,
        values: &[&Expr],
        check: impl Fn(&[Json]) -> Result<(), E>,
    ) {
        let cases = match self.resolve(values) {
            Resolution::Known(cases) => cases,
            Resolution::Unknown(why) => {
                self.error(
                    codes::VALUE_NOT_CHECKABLE,
                    id,
                    property,
                    format!("this value must be checked at synth, but {why}"),
                    "use a literal, a parameter with AllowedValues, or Fn::If / Fn::FindInMap over those",
                );
                return;
            }
        };
        let failing: Vec<(&crate::eval::Case, String)> = cases
            .iter()
            .filter_map(|c| check(&c.values).err().map(|why| (c, why.to_string())))
            .collect();
        if failing.is_empty() {
            return;
        }
        // Alternatives the program wrote itself (`Fn::If`, `Fn::FindInMap`) are its own
        // mistake when one fails: an error. Combinations of independent parameters are the
        // deployer's choice: a rule refuses the failing ones at deploy.
        let written = values.iter().any(|e| has_alternatives(e));
        if failing.len() == cases.len() || written {
            let (case, why) = &failing[0];
            let when = describe_case(case);
            self.error(
                code,
                id,
                property,
                format!("{why}{when}"),
                "fix the value (or every allowed value)",
            );
            return;
        }
        let base = self.logical_id_for(id);
        for (n, (case, why)) in failing.iter().enumerate() {
            let clauses: Vec<CondExpr> = case
                .parameters
                .iter()
                .map(|(p, v)| {
                    crate::value::fns::equals::<String>(
                        Val::from_expr(Expr::Ref(RefTarget::Parameter(self.item(p.clone())))),
                        v.as_str(),
                    )
                })
                .collect();
            let all = if clauses.len() == 1 {
                clauses
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| crate::value::fns::and([]))
            } else {
                crate::value::fns::and(clauses)
            };
            let rule = Rule::new().assert(
                crate::value::fns::not(all),
                truncate_chars(&format!("{base}: {why}{}", describe_case(case)), 1024),
            );
            let rule_id = format!("{base}Check{}", n + 1);
            self.root().rule(&rule_id, rule);
        }
    }

    /// Termination protection: CloudFormation refuses to delete the stack until it is turned
    /// off again (written to the manifest, applied by the deploy engine). Default: off.
    pub fn set_termination_protection(&mut self, on: bool) {
        self.with_stack(|s| s.termination_protection = on);
    }

    /// A stack policy, applied on every deploy. [`crate::stack::StackPolicy::ProtectStateful`]
    /// denies the replacement and deletion of this stack's stateful resources (databases,
    /// tables, buckets, …) through a stack update. Default: none (every update allowed).
    pub fn set_stack_policy(&mut self, policy: crate::stack::StackPolicy) {
        self.with_stack(|s| s.stack_policy = Some(policy));
    }

    /// An SNS topic ARN that receives the stack's events (at most 5 per stack). Default:
    /// none.
    pub fn add_notification_arn(&mut self, arn: impl Into<String>) {
        let arn = arn.into();
        let count = self.with_stack(|s| s.notification_arns.len());
        if let Err((message, help)) = crate::assembly::check_notification_arn(&arn, count) {
            self.error(
                crate::diag::assembly_codes::INVALID_STACK_SETTING,
                "",
                None,
                message,
                help,
            );
            return;
        }
        self.with_stack(|s| {
            if !s.notification_arns.contains(&arn) {
                s.notification_arns.push(arn);
            }
        });
    }

    /// A rollback trigger: a CloudWatch alarm (its ARN) that, if it goes to ALARM while a
    /// deploy of this stack runs (or during the monitoring time after it), makes
    /// CloudFormation roll the deploy back. At most five per stack; the alarm must exist
    /// before the deploy starts, so an alarm from a monitoring stack or another app (the
    /// modules' `Alarm` in a stack deployed earlier), not one this stack creates. Default:
    /// none.
    pub fn add_rollback_alarm(&mut self, arn: impl Into<String>) {
        let arn = arn.into();
        let count = self.with_stack(|s| s.rollback_alarms.len());
        if let Err((message, help)) = crate::assembly::check_rollback_alarm(&arn, count) {
            self.error(
                crate::assembly::codes::INVALID_STACK_SETTING,
                "",
                None,
                message,
                help,
            );
            return;
        }
        self.with_stack(|s| {
            if !s.rollback_alarms.contains(&arn) {
                s.rollback_alarms.push(arn);
            }
        });
    }

    /// How long CloudFormation keeps watching the rollback alarms after the last resource is
    /// deployed, in minutes (0–180). Default: `None` (CloudFormation's default, 0).
    pub fn set_rollback_monitoring_minutes(&mut self, minutes: u32) {
        if minutes > 180 {
            self.error(
                crate::assembly::codes::INVALID_STACK_SETTING,
                "",
                None,
                format!("rollback monitoring time {minutes} minutes is over 180"),
                "CloudFormation accepts 0 to 180 minutes",
            );
            return;
        }
        self.with_stack(|s| s.rollback_monitoring_minutes = Some(minutes));
    }

    /// Adds a file asset (a zip, such as a function's code) to the assembly: synth writes it to
    /// `assets/<sha256>.zip` and lists it in the manifest, and the deploy engine uploads it to
    /// the staging bucket before this stack deploys. Returns where the stack finds it.
    pub fn add_asset(&mut self, zip: Vec<u8>) -> AssetLocation {
        let sha256 = crate::assembly::sha256_hex(&zip);
        {
            let mut st = self.app.lock();
            let entry = st
                .assets
                .entry(sha256.clone())
                .or_insert_with(|| (crate::assembly::AssetBytes::new(zip), Default::default()));
            entry.1.insert(self.stack);
        }
        let bucket = crate::value::fns::sub([
            crate::value::SubPart::from("stackforge-staging-"),
            crate::value::SubPart::from(crate::pseudo::account_id()),
            crate::value::SubPart::from("-"),
            crate::value::SubPart::from(crate::pseudo::region()),
        ]);
        AssetLocation {
            key: Val::from(format!("assets/{sha256}.zip")),
            bucket,
            sha256,
        }
    }

    /// Declares a check the deploy engine runs before it deploys this stack.
    pub fn require(&mut self, r: Requirement) {
        self.with_stack(|s| {
            if !s.requirements.contains(&r) {
                s.requirements.push(r);
            }
        });
    }
}

// `App` is shared by reference between scopes and may move between threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<App>();
};

#[cfg(test)]
mod template_extras {
    //! What `stackforge import` needs from the core: transforms, template metadata,
    //! creation and update policies, computed export names, coerced strings, `Fn::GetAZs` of
    //! a region, assertions without a description.
    use crate::{fns, pseudo, sub, App, Output, Parameter, Raw, Rule, Val};
    use serde_json::json;

    #[test]
    fn every_template_item_an_import_needs_is_written_as_given() {
        let app = App::new();
        let mut s = app.stack("demo");
        s.add_transform("AWS::LanguageExtensions");
        s.set_template_metadata(
            "AWS::CloudFormation::Interface",
            json!({"ParameterGroups": []}),
        );
        let enc = s.parameter("Encrypt", Parameter::string());
        let fifo: Val<bool> = enc.clone().coerce();
        let q = s.add_raw("Q", Raw::new("AWS::SQS::Queue").prop("FifoQueue", fifo));
        s.set_creation_policy(
            q,
            json!({"ResourceSignal": {"Count": 1, "Timeout": "PT5M"}}),
        );
        s.set_update_policy(q, json!({"AutoScalingRollingUpdate": {"MaxBatchSize": 1}}));
        let azs = fns::get_azs_in(pseudo::region());
        s.add_raw(
            "Net",
            Raw::new("AWS::EC2::Subnet").prop("AvailabilityZone", fns::select(0, azs)),
        );
        s.output(
            "Url",
            Output::new(q.reference()).export_as_value(sub!(pseudo::stack_name(), "-QueueUrl")),
        );
        s.rule("R", Rule::new().assert(fns::equals(enc, "true"), ""));
        drop(s);
        let t = &app.synth().expect("valid").stacks[0].template;
        assert_eq!(t["Transform"], "AWS::LanguageExtensions");
        assert_eq!(
            t["Metadata"]["AWS::CloudFormation::Interface"],
            json!({"ParameterGroups": []})
        );
        let r = &t["Resources"]["Q"];
        assert_eq!(r["Properties"]["FifoQueue"], json!({"Ref": "Encrypt"}));
        assert_eq!(r["CreationPolicy"]["ResourceSignal"]["Count"], 1);
        assert_eq!(
            r["UpdatePolicy"]["AutoScalingRollingUpdate"]["MaxBatchSize"],
            1
        );
        assert_eq!(
            t["Resources"]["Net"]["Properties"]["AvailabilityZone"],
            json!({"Fn::Select": [0, {"Fn::GetAZs": {"Ref": "AWS::Region"}}]})
        );
        assert_eq!(
            t["Outputs"]["Url"]["Export"]["Name"],
            json!({"Fn::Sub": "${AWS::StackName}-QueueUrl"})
        );
        assert_eq!(
            t["Rules"]["R"]["Assertions"][0],
            json!({"Assert": {"Fn::Equals": [{"Ref": "Encrypt"}, "true"]}})
        );
    }

    #[test]
    fn types_a_transform_expands_are_not_registry_errors_and_others_still_are() {
        let synth = |transform: Option<&str>, ty: &str| {
            let app = App::new();
            let mut s = app.stack("demo");
            if let Some(t) = transform {
                s.add_transform(t);
            }
            s.add_raw("X", Raw::new(ty));
            drop(s);
            app.synth().map(|_| ()).map_err(|e| {
                e.diagnostics()
                    .iter()
                    .map(|d| d.code.as_str().to_owned())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            synth(
                Some("AWS::Serverless-2016-10-31"),
                "AWS::Serverless::Function"
            ),
            Ok(())
        );
        assert_eq!(synth(Some("S3Objects"), "AWS::S3::Object"), Ok(()));
        for (t, ty) in [
            (None, "AWS::Serverless::Function"),
            (Some("AWS::Serverless-2016-10-31"), "AWS::S3::Object"),
            (Some("AWS::LanguageExtensions"), "AWS::S3::Object"),
        ] {
            let e = synth(t, ty).expect_err("unknown type");
            assert!(e.iter().any(|c| c == "SF030"), "{t:?} {ty}: {e:?}");
        }
    }
}
