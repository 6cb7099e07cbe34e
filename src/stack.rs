//! The stack model: an [`App`] holds [`Stack`]s, a [`Scope`] adds resources under a path.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};

use petgraph::graph::{DiGraph, NodeIndex};

use crate::diag::{codes, Code, DiagPath, Diagnostic};
use crate::resource::{Handle, Raw, Resource, Shape};
use crate::value::{CondExpr, Expr, ItemId, Json, List, RefTarget, ResourceId, Val};

static NEXT_APP_ID: AtomicU32 = AtomicU32::new(1);

/// The longest stack name CloudFormation accepts.
pub const MAX_STACK_NAME: usize = 128;

/// A program's infrastructure: one or more stacks, synthesized together.
///
/// ```
/// use stackforge::{App, Raw};
/// let mut app = App::new();
/// let mut stack = app.stack("demo");
/// stack.add_raw("Topic", Raw::new("AWS::SNS::Topic"));
/// let assembly = app.synth().expect("valid app");
/// assert_eq!(assembly.stacks[0].resource_count, 1);
/// ```
#[derive(Debug)]
pub struct App {
    pub(crate) id: u32,
    pub(crate) prefix: String,
    pub(crate) stacks: Vec<Stack>,
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
            stacks: Vec::new(),
        }
    }

    /// An app whose stack names all start with `prefix` (an environment such as `dev-`).
    /// Export names derive from stack names, so two environments never collide.
    pub fn with_prefix(prefix: impl Into<String>) -> Self {
        App {
            prefix: prefix.into(),
            ..App::new()
        }
    }

    /// The environment prefix (may be empty).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The stack called `name` (prefix added), created on first use, as a root [`Scope`].
    ///
    /// An invalid name is reported at synth (`SF001`); the stack is still created so that
    /// every other problem is reported too.
    pub fn stack(&mut self, name: &str) -> Scope<'_> {
        let full = format!("{}{}", self.prefix, name);
        let index = match self.stacks.iter().position(|s| s.name == full) {
            Some(i) => i,
            None => {
                let mut stack = Stack::new(full, self.stacks.len() as u32);
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
                self.stacks.push(stack);
                self.stacks.len() - 1
            }
        };
        Scope {
            app: self.id,
            stack: &mut self.stacks[index],
            prefix: String::new(),
        }
    }

    /// The stacks, in the order they were created.
    pub fn stacks(&self) -> impl Iterator<Item = &Stack> {
        self.stacks.iter()
    }

    /// The stack a handle belongs to, if it belongs to this app.
    pub fn stack_of<R>(&self, h: Handle<R>) -> Option<&Stack> {
        let id = h.id();
        if id.app != self.id {
            return None;
        }
        self.stacks.get(id.stack as usize)
    }

    /// The logical ID of a resource of this app.
    pub fn logical_id<R>(&self, h: Handle<R>) -> Option<&str> {
        self.stack_of(h)
            .and_then(|s| s.graph.node_weight(h.id().node))
            .map(|n| n.logical_id.as_str())
    }
}

/// Checks a stack name: letters, digits, hyphens; starts with a letter; ≤ 128 characters.
pub fn check_stack_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the name is empty".into());
    }
    if name.len() > MAX_STACK_NAME {
        return Err(format!(
            "{} characters, the limit is {MAX_STACK_NAME}",
            name.len()
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(format!("`{name}` does not start with a letter"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!("`{name}` contains `{c}`"));
    }
    Ok(())
}

/// `Delete`, `Retain`, `RetainExceptOnCreate` or `Snapshot`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Policy {
    /// Delete the resource.
    Delete,
    /// Keep the resource.
    Retain,
    /// Keep it, except when the stack's creation rolls back.
    RetainExceptOnCreate,
    /// Take a final snapshot, then delete (databases, volumes, caches).
    Snapshot,
}

impl Policy {
    /// The CloudFormation spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Delete => "Delete",
            Policy::Retain => "Retain",
            Policy::RetainExceptOnCreate => "RetainExceptOnCreate",
            Policy::Snapshot => "Snapshot",
        }
    }
}

/// Why one resource depends on another: the edge label of the resource graph.
#[derive(Clone, Debug, PartialEq)]
pub enum EdgeReason {
    /// `Ref` inside the given property path.
    Ref(String),
    /// `Fn::GetAtt` of the attribute inside the given property path.
    GetAtt(String, String),
    /// An explicit `DependsOn`.
    DependsOn,
}

impl std::fmt::Display for EdgeReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EdgeReason::Ref(at) => write!(f, "Ref at {at}"),
            EdgeReason::GetAtt(attr, at) => write!(f, "GetAtt {attr} at {at}"),
            EdgeReason::DependsOn => f.write_str("DependsOn"),
        }
    }
}

/// One resource of a stack.
#[derive(Clone, Debug)]
pub struct ResourceNode {
    pub(crate) logical_id: String,
    pub(crate) type_name: Cow<'static, str>,
    pub(crate) props: Expr,
    pub(crate) deletion_policy: Option<Policy>,
    pub(crate) update_replace_policy: Option<Policy>,
    pub(crate) condition: Option<ItemId>,
    pub(crate) depends_on: Vec<ResourceId>,
    pub(crate) metadata: BTreeMap<String, Json>,
    pub(crate) overrides: Vec<(Vec<String>, Option<Expr>)>,
}

impl ResourceNode {
    /// The logical ID.
    pub fn logical_id(&self) -> &str {
        &self.logical_id
    }
    /// The CloudFormation type name.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }
}

/// The type of a template parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamType {
    /// `String`
    String,
    /// `Number`
    Number,
    /// `List<Number>`
    NumberList,
    /// `CommaDelimitedList`
    CommaDelimitedList,
    /// An AWS-specific type such as `AWS::EC2::VPC::Id` or `List<AWS::EC2::Subnet::Id>`.
    AwsSpecific(String),
    /// An SSM parameter type such as `AWS::SSM::Parameter::Value<String>`.
    Ssm(String),
}

impl ParamType {
    fn as_str(&self) -> Cow<'_, str> {
        match self {
            ParamType::String => "String".into(),
            ParamType::Number => "Number".into(),
            ParamType::NumberList => "List<Number>".into(),
            ParamType::CommaDelimitedList => "CommaDelimitedList".into(),
            ParamType::AwsSpecific(t) => t.as_str().into(),
            ParamType::Ssm(t) => format!("AWS::SSM::Parameter::Value<{t}>").into(),
        }
    }
}

/// A template parameter definition; `T` is the value type [`Scope::parameter`] returns.
#[derive(Clone, Debug)]
pub struct Parameter<T> {
    kind: ParamType,
    description: Option<String>,
    default: Option<String>,
    no_echo: bool,
    allowed_values: Vec<String>,
    allowed_pattern: Option<String>,
    constraint_description: Option<String>,
    min_length: Option<u32>,
    max_length: Option<u32>,
    min_value: Option<f64>,
    max_value: Option<f64>,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T> Parameter<T> {
    fn of(kind: ParamType) -> Self {
        Parameter {
            kind,
            description: None,
            default: None,
            no_echo: false,
            allowed_values: Vec::new(),
            allowed_pattern: None,
            constraint_description: None,
            min_length: None,
            max_length: None,
            min_value: None,
            max_value: None,
            _t: std::marker::PhantomData,
        }
    }
    /// `Description`.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }
    /// `Default`, as CloudFormation writes it (a string).
    pub fn default_value(mut self, d: impl Into<String>) -> Self {
        self.default = Some(d.into());
        self
    }
    /// `NoEcho`: the value is masked in the console and API.
    pub fn no_echo(mut self) -> Self {
        self.no_echo = true;
        self
    }
    /// `AllowedValues`.
    pub fn allowed_values<S: Into<String>>(mut self, v: impl IntoIterator<Item = S>) -> Self {
        self.allowed_values = v.into_iter().map(Into::into).collect();
        self
    }
    /// `AllowedPattern`.
    pub fn allowed_pattern(mut self, p: impl Into<String>) -> Self {
        self.allowed_pattern = Some(p.into());
        self
    }
    /// `ConstraintDescription`.
    pub fn constraint_description(mut self, d: impl Into<String>) -> Self {
        self.constraint_description = Some(d.into());
        self
    }
    /// `MinLength` and `MaxLength`.
    pub fn length(mut self, min: Option<u32>, max: Option<u32>) -> Self {
        self.min_length = min;
        self.max_length = max;
        self
    }
    /// `MinValue` and `MaxValue`.
    pub fn range(mut self, min: Option<f64>, max: Option<f64>) -> Self {
        self.min_value = min;
        self.max_value = max;
        self
    }
}

impl Parameter<String> {
    /// A `String` parameter.
    pub fn string() -> Self {
        Parameter::of(ParamType::String)
    }
    /// An AWS-specific single-value type, e.g. `AWS::EC2::VPC::Id`.
    pub fn aws(type_name: &str) -> Self {
        Parameter::of(ParamType::AwsSpecific(type_name.to_owned()))
    }
    /// An SSM parameter holding a value of `type_name` (`String`, `AWS::EC2::Image::Id`, …).
    pub fn ssm(type_name: &str) -> Self {
        Parameter::of(ParamType::Ssm(type_name.to_owned()))
    }
}
impl Parameter<f64> {
    /// A `Number` parameter.
    pub fn number() -> Self {
        Parameter::of(ParamType::Number)
    }
}
impl Parameter<List<String>> {
    /// A `CommaDelimitedList` parameter.
    pub fn comma_delimited_list() -> Self {
        Parameter::of(ParamType::CommaDelimitedList)
    }
    /// An AWS-specific list type, e.g. `List<AWS::EC2::Subnet::Id>`.
    pub fn aws_list(type_name: &str) -> Self {
        Parameter::of(ParamType::AwsSpecific(format!("List<{type_name}>")))
    }
}
impl Parameter<List<f64>> {
    /// A `List<Number>` parameter.
    pub fn number_list() -> Self {
        Parameter::of(ParamType::NumberList)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct ParamDef {
    pub(crate) kind: ParamType,
    pub(crate) description: Option<String>,
    pub(crate) default: Option<String>,
    pub(crate) no_echo: bool,
    pub(crate) allowed_values: Vec<String>,
    pub(crate) allowed_pattern: Option<String>,
    pub(crate) constraint_description: Option<String>,
    pub(crate) min_length: Option<u32>,
    pub(crate) max_length: Option<u32>,
    pub(crate) min_value: Option<f64>,
    pub(crate) max_value: Option<f64>,
}

impl ParamDef {
    pub(crate) fn to_json(&self) -> Json {
        let mut m = serde_json::Map::new();
        m.insert("Type".into(), self.kind.as_str().into_owned().into());
        if let Some(d) = &self.description {
            m.insert("Description".into(), d.clone().into());
        }
        if let Some(d) = &self.default {
            m.insert("Default".into(), d.clone().into());
        }
        if self.no_echo {
            m.insert("NoEcho".into(), true.into());
        }
        if !self.allowed_values.is_empty() {
            m.insert("AllowedValues".into(), self.allowed_values.clone().into());
        }
        if let Some(p) = &self.allowed_pattern {
            m.insert("AllowedPattern".into(), p.clone().into());
        }
        if let Some(c) = &self.constraint_description {
            m.insert("ConstraintDescription".into(), c.clone().into());
        }
        if let Some(v) = self.min_length {
            m.insert("MinLength".into(), v.into());
        }
        if let Some(v) = self.max_length {
            m.insert("MaxLength".into(), v.into());
        }
        if let Some(v) = self.min_value {
            m.insert("MinValue".into(), crate::synth::number(v));
        }
        if let Some(v) = self.max_value {
            m.insert("MaxValue".into(), crate::synth::number(v));
        }
        Json::Object(m)
    }
}

/// How an output is exported.
#[derive(Clone, Debug, PartialEq)]
enum ExportName {
    None,
    Derived,
    Named(String),
}

/// A stack output: a value, a description and an optional export.
#[derive(Clone, Debug)]
pub struct Output {
    value: Expr,
    description: Option<String>,
    export: ExportName,
    condition: Option<ItemId>,
}

impl Output {
    /// An output with a value.
    pub fn new<T>(value: impl Into<Val<T>>) -> Self {
        Output {
            value: value.into().into_expr(),
            description: None,
            export: ExportName::None,
            condition: None,
        }
    }
    /// `Description`.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }
    /// Exports the output as `<stack name>:<output id>`, unique per stack and environment.
    pub fn export(mut self) -> Self {
        self.export = ExportName::Derived;
        self
    }
    /// Exports under an explicit name. Prefer [`Output::export`]: derived names cannot
    /// collide between apps or environments.
    pub fn export_as(mut self, name: impl Into<String>) -> Self {
        self.export = ExportName::Named(name.into());
        self
    }
    /// Emits the output only when the condition holds.
    pub fn condition(mut self, c: &Condition) -> Self {
        self.condition = Some(c.id.clone());
        self
    }
}

#[derive(Clone, Debug)]
pub(crate) struct OutputDef {
    pub(crate) value: Expr,
    pub(crate) description: Option<String>,
    pub(crate) export: Option<String>,
    pub(crate) condition: Option<ItemId>,
}

/// A named condition of a stack, for `Fn::If` and resource conditions.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub(crate) id: ItemId,
}

impl Condition {
    /// The condition as an expression inside `Fn::And`/`Fn::Or`/`Fn::Not`.
    pub fn expr(&self) -> CondExpr {
        CondExpr(Expr::Condition(self.id.clone()))
    }
}

/// A named mapping of a stack, for `Fn::FindInMap`.
#[derive(Clone, Debug, PartialEq)]
pub struct Mapping {
    pub(crate) id: ItemId,
}

/// A check the deploy engine runs before it deploys a stack, with its own AWS clients.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Requirement {
    /// An image tag must exist in an ECR repository (`ecr:DescribeImages`).
    ImageExists {
        /// The repository name.
        repository: String,
        /// The tag.
        tag: String,
        /// The stack that creates the repository, when it is part of this app.
        producer: Option<String>,
    },
}

/// One stack of an app.
#[derive(Debug)]
pub struct Stack {
    pub(crate) name: String,
    pub(crate) index: u32,
    pub(crate) graph: DiGraph<ResourceNode, ()>,
    pub(crate) ids: BTreeMap<String, NodeIndex>,
    pub(crate) params: BTreeMap<String, ParamDef>,
    pub(crate) outputs: BTreeMap<String, OutputDef>,
    pub(crate) conditions: BTreeMap<String, Expr>,
    pub(crate) mappings: BTreeMap<String, Json>,
    pub(crate) description: Option<String>,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) account: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) kept_exports: Vec<Expr>,
    pub(crate) requirements: Vec<Requirement>,
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) termination_protection: bool,
    pub(crate) stack_policy: Option<crate::assembly::StackPolicy>,
    pub(crate) notification_arns: Vec<String>,
}

impl Stack {
    fn new(name: String, index: u32) -> Self {
        Stack {
            name,
            index,
            graph: DiGraph::default(),
            ids: BTreeMap::new(),
            params: BTreeMap::new(),
            outputs: BTreeMap::new(),
            conditions: BTreeMap::new(),
            mappings: BTreeMap::new(),
            description: None,
            tags: BTreeMap::new(),
            account: None,
            region: None,
            kept_exports: Vec::new(),
            requirements: Vec::new(),
            diags: Vec::new(),
            termination_protection: false,
            stack_policy: None,
            notification_arns: Vec::new(),
        }
    }
    /// The full stack name (environment prefix included).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The resources, in the order they were added.
    pub fn resources(&self) -> impl Iterator<Item = &ResourceNode> {
        self.graph.node_weights()
    }
    /// The number of resources.
    pub fn resource_count(&self) -> usize {
        self.graph.node_count()
    }
}

/// A place to add resources: a stack plus a path prefix for logical IDs.
///
/// Patterns take `&mut Scope` and add their children under [`Scope::child`], so the
/// database pattern with id `Db` creates `DbSecret`, `DbInstance`, … IDs derive from the path,
/// stay stable, and collisions are reported (`SF002`) instead of silently renamed.
#[derive(Debug)]
pub struct Scope<'a> {
    app: u32,
    stack: &'a mut Stack,
    prefix: String,
}

impl Scope<'_> {
    /// A child scope: everything added through it gets `id` appended to the path.
    pub fn child(&mut self, id: &str) -> Scope<'_> {
        let id = self.check_id(id, "scope id");
        Scope {
            app: self.app,
            prefix: format!("{}{}", self.prefix, id),
            stack: self.stack,
        }
    }

    /// The path prefix of this scope (empty at the stack root).
    pub fn path(&self) -> &str {
        &self.prefix
    }

    /// The full stack name.
    pub fn stack_name(&self) -> &str {
        &self.stack.name
    }

    /// The logical ID that `id` gets in this scope.
    pub fn logical_id_for(&self, id: &str) -> String {
        format!("{}{}", self.prefix, id)
    }

    /// The logical ID of a resource of this stack.
    pub fn logical_id<R>(&self, h: Handle<R>) -> Option<&str> {
        self.node(h.id()).map(|n| n.logical_id.as_str())
    }

    /// Reports a problem at this scope. `id` is the logical ID (relative to the scope) the
    /// problem is about, `property` the property path. Patterns use this for their own codes.
    pub fn error(
        &mut self,
        code: Code,
        id: &str,
        property: Option<&str>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let path = self.diag_path(id, property);
        self.stack
            .diags
            .push(Diagnostic::error(code, path, message, help));
    }

    /// Reports a warning at this scope.
    pub fn warning(
        &mut self,
        code: Code,
        id: &str,
        property: Option<&str>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let path = self.diag_path(id, property);
        self.stack
            .diags
            .push(Diagnostic::warning(code, path, message, help));
    }

    fn diag_path(&self, id: &str, property: Option<&str>) -> DiagPath {
        DiagPath {
            stack: Some(self.stack.name.clone()),
            logical_id: Some(format!("{}{}", self.prefix, id)).filter(|s| !s.is_empty()),
            property: property.map(str::to_owned),
        }
    }

    fn check_id(&mut self, id: &str, what: &str) -> String {
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
        &mut self,
        id: &str,
        type_name: Cow<'static, str>,
        props: Expr,
        shape: Option<&'static Shape>,
    ) -> ResourceId {
        let id = self.check_id(id, "logical ID");
        let logical_id = format!("{}{}", self.prefix, id);
        if let Some(shape) = shape {
            let base = DiagPath {
                stack: Some(self.stack.name.clone()),
                logical_id: Some(logical_id.clone()),
                property: None,
            };
            crate::validate::check_props(&props, shape, &base, &mut self.stack.diags);
        }
        if self.stack.ids.contains_key(&logical_id) || self.stack.params.contains_key(&logical_id) {
            self.error(
                codes::DUPLICATE_LOGICAL_ID,
                &id,
                None,
                format!("logical ID `{logical_id}` is already used in this stack"),
                "give the resource (or its parent scope) a different id",
            );
        }
        let node = self.stack.graph.add_node(ResourceNode {
            logical_id: logical_id.clone(),
            type_name,
            props,
            deletion_policy: None,
            update_replace_policy: None,
            condition: None,
            depends_on: Vec::new(),
            metadata: BTreeMap::new(),
            overrides: Vec::new(),
        });
        self.stack.ids.entry(logical_id).or_insert(node);
        ResourceId {
            app: self.app,
            stack: self.stack.index,
            node,
        }
    }

    fn node(&self, id: ResourceId) -> Option<&ResourceNode> {
        if id.app != self.app || id.stack != self.stack.index {
            return None;
        }
        self.stack.graph.node_weight(id.node)
    }

    fn node_mut(&mut self, id: ResourceId, what: &str) -> Option<&mut ResourceNode> {
        if id.app != self.app || id.stack != self.stack.index {
            let code = if id.app != self.app {
                codes::FOREIGN_APP
            } else {
                codes::WRONG_STACK
            };
            self.error(
                code,
                "",
                None,
                format!(
                    "{what}: the handle belongs to another {}",
                    if id.app != self.app { "app" } else { "stack" }
                ),
                "set resource options through a scope of the stack that owns the resource",
            );
            return None;
        }
        self.stack.graph.node_weight_mut(id.node)
    }

    /// Adds an explicit `DependsOn` from `resource` to `on`. Synth drops it when a reference
    /// already implies it (so cfn-lint W3005 never fires).
    pub fn depends_on<A, B>(&mut self, resource: Handle<A>, on: Handle<B>) {
        let on = on.id();
        if on.app != self.app || on.stack != self.stack.index {
            self.error(
                codes::WRONG_STACK,
                "",
                None,
                "DependsOn must name a resource of the same stack",
                "reference the other stack's resource in a property instead; stacks are ordered by their references",
            );
            return;
        }
        if let Some(n) = self.node_mut(resource.id(), "DependsOn") {
            if !n.depends_on.contains(&on) {
                n.depends_on.push(on);
            }
        }
    }

    /// `DeletionPolicy`.
    pub fn set_deletion_policy<R>(&mut self, h: Handle<R>, p: Policy) {
        if let Some(n) = self.node_mut(h.id(), "DeletionPolicy") {
            n.deletion_policy = Some(p);
        }
    }

    /// `UpdateReplacePolicy`.
    pub fn set_update_replace_policy<R>(&mut self, h: Handle<R>, p: Policy) {
        if let Some(n) = self.node_mut(h.id(), "UpdateReplacePolicy") {
            n.update_replace_policy = Some(p);
        }
    }

    /// Both `DeletionPolicy` and `UpdateReplacePolicy`.
    pub fn set_policies<R>(&mut self, h: Handle<R>, p: Policy) {
        self.set_deletion_policy(h, p);
        self.set_update_replace_policy(h, p);
    }

    /// The resource's `Condition`.
    pub fn set_condition<R>(&mut self, h: Handle<R>, c: &Condition) {
        let id = c.id.clone();
        if id.app != self.app || id.stack != self.stack.index {
            self.error(
                codes::WRONG_STACK,
                "",
                None,
                "a resource condition must belong to the same stack",
                "define the condition in this stack",
            );
            return;
        }
        if let Some(n) = self.node_mut(h.id(), "Condition") {
            n.condition = Some(id);
        }
    }

    /// Sets one `Metadata` key (replacing it).
    pub fn set_metadata<R>(&mut self, h: Handle<R>, key: &str, value: Json) {
        if let Some(n) = self.node_mut(h.id(), "Metadata") {
            n.metadata.insert(key.to_owned(), value);
        }
    }

    /// Suppresses one cfn-lint rule on one resource. The reason is required and is written
    /// next to the suppression in the template's Metadata.
    pub fn suppress_cfn_lint<R>(&mut self, h: Handle<R>, rule: &str, reason: &str) {
        if let Some(n) = self.node_mut(h.id(), "Metadata") {
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
        }
    }

    /// Skips one checkov check on one resource, with the reason checkov prints.
    pub fn skip_checkov<R>(&mut self, h: Handle<R>, check_id: &str, reason: &str) {
        if let Some(n) = self.node_mut(h.id(), "Metadata") {
            let entry = n
                .metadata
                .entry("checkov".to_owned())
                .or_insert_with(|| serde_json::json!({"skip": []}));
            if let Some(list) = entry.get_mut("skip").and_then(Json::as_array_mut) {
                list.push(serde_json::json!({"id": check_id, "comment": reason}));
            }
        }
    }

    /// Overrides a property below `Properties` after rendering. `path` is a list of keys, so
    /// keys with dots (`["Parameters", "rds.force_ssl"]`) work. Missing objects are created.
    pub fn override_property<R>(&mut self, h: Handle<R>, path: &[&str], value: impl Into<Expr>) {
        let value = value.into();
        self.push_override(h.id(), path, Some(value));
    }

    /// Removes a property below `Properties` after rendering.
    pub fn delete_property<R>(&mut self, h: Handle<R>, path: &[&str]) {
        self.push_override(h.id(), path, None);
    }

    fn push_override(&mut self, id: ResourceId, path: &[&str], value: Option<Expr>) {
        if path.is_empty() || path.iter().any(|k| k.is_empty()) {
            self.error(
                codes::INVALID_OVERRIDE,
                "",
                None,
                "an override path must be a non-empty list of non-empty keys",
                "pass the keys below Properties, e.g. [\"Parameters\", \"rds.force_ssl\"]",
            );
            return;
        }
        if let Some(n) = self.node_mut(id, "override") {
            n.overrides
                .push((path.iter().map(|s| (*s).to_owned()).collect(), value));
        }
    }

    /// Declares a template parameter and returns its value.
    pub fn parameter<T>(&mut self, id: &str, p: Parameter<T>) -> Val<T> {
        let id = self.check_id(id, "parameter id");
        let name = self.logical_id_for(&id);
        if let Some(d) = &p.default {
            if !p.allowed_values.is_empty() && !p.allowed_values.contains(d) {
                self.error(
                    codes::INVALID_PARAMETER,
                    &id,
                    Some("Default"),
                    format!("default `{d}` is not one of the allowed values"),
                    "add it to AllowedValues or change the default",
                );
            }
        }
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
        if self.stack.params.contains_key(&name) || self.stack.ids.contains_key(&name) {
            self.error(
                codes::DUPLICATE_LOGICAL_ID,
                &id,
                None,
                format!("`{name}` is already a parameter or resource of this stack"),
                "parameters and resources share one namespace; rename one",
            );
        }
        self.stack.params.insert(
            name.clone(),
            ParamDef {
                kind: p.kind,
                description: p.description,
                default: p.default,
                no_echo: p.no_echo,
                allowed_values: p.allowed_values,
                allowed_pattern: p.allowed_pattern,
                constraint_description: p.constraint_description,
                min_length: p.min_length,
                max_length: p.max_length,
                min_value: p.min_value,
                max_value: p.max_value,
            },
        );
        Val::from_expr(Expr::Ref(RefTarget::Parameter(self.item(name))))
    }

    fn item(&self, name: String) -> ItemId {
        ItemId {
            app: self.app,
            stack: self.stack.index,
            name,
        }
    }

    /// Adds an output.
    pub fn output(&mut self, id: &str, o: Output) {
        let id = self.check_id(id, "output id");
        let name = self.logical_id_for(&id);
        let export = match o.export {
            ExportName::None => None,
            ExportName::Derived => Some(format!("{}:{}", self.stack.name, name)),
            ExportName::Named(n) => Some(n),
        };
        if self.stack.outputs.contains_key(&name) {
            self.error(
                codes::DUPLICATE_LOGICAL_ID,
                &id,
                None,
                format!("output `{name}` is defined twice"),
                "give each output its own id",
            );
        }
        self.stack.outputs.insert(
            name,
            OutputDef {
                value: o.value,
                description: o.description,
                export,
                condition: o.condition,
            },
        );
    }

    /// Defines a named condition.
    pub fn condition(&mut self, id: &str, c: CondExpr) -> Condition {
        let id = self.check_id(id, "condition id");
        let name = self.logical_id_for(&id);
        if self.stack.conditions.insert(name.clone(), c.0).is_some() {
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
    pub fn mapping(&mut self, id: &str, map: Json) -> Mapping {
        let id = self.check_id(id, "mapping id");
        let name = self.logical_id_for(&id);
        if self.stack.mappings.insert(name.clone(), map).is_some() {
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

    /// The template's `Description`.
    pub fn set_description(&mut self, d: impl Into<String>) {
        self.stack.description = Some(d.into());
    }

    /// A stack tag. Deploy applies it to the stack; CloudFormation propagates it to the
    /// resources that support tags.
    pub fn tag(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.stack.tags.insert(key.into(), value.into());
    }

    /// Pins the stack to an account and region; deploy refuses any other caller identity.
    pub fn pin_environment(&mut self, account: &str, region: &str) {
        if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            self.error(
                codes::INVALID_ENVIRONMENT,
                "",
                None,
                format!("account `{account}` is not 12 digits"),
                "use the 12-digit AWS account ID",
            );
        }
        let region_ok = !region.is_empty()
            && region.split('-').count() >= 3
            && region
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !region_ok {
            self.error(
                codes::INVALID_ENVIRONMENT,
                "",
                None,
                format!("region `{region}` is not a region code"),
                "use a code such as eu-west-1",
            );
        }
        self.stack.account = Some(account.to_owned());
        self.stack.region = Some(region.to_owned());
    }

    /// Keeps the export of `value` (a `Ref` or `GetAtt` of a resource of this stack) even when
    /// no other stack imports it any more, like the CDK's `exportValue`. Use it for one deploy
    /// while a consumer stops importing, then remove it.
    pub fn export_value<T>(&mut self, value: &Val<T>) {
        let e = value.expr().clone();
        let own = match &e {
            Expr::Ref(RefTarget::Resource(id)) | Expr::GetAtt(id, _) => {
                id.app == self.app && id.stack == self.stack.index
            }
            _ => false,
        };
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
        if !self.stack.kept_exports.contains(&e) {
            self.stack.kept_exports.push(e);
        }
    }

    /// Declares a check the deploy engine runs before it deploys this stack.
    pub fn require(&mut self, r: Requirement) {
        if !self.stack.requirements.contains(&r) {
            self.stack.requirements.push(r);
        }
    }
}

/// Per-stack deploy settings: written to the manifest, applied by the deploy engine
/// (`stackforge deploy`), and shown by `diff` when they change.
impl Scope<'_> {
    /// Termination protection: CloudFormation refuses to delete the stack until it is turned
    /// off again. Default: off.
    pub fn set_termination_protection(&mut self, on: bool) {
        self.stack.termination_protection = on;
    }

    /// A stack policy, applied on every deploy. [`crate::assembly::StackPolicy::ProtectStateful`]
    /// denies the replacement and deletion of this stack's stateful resources (databases,
    /// tables, buckets, …) through a stack update. Default: none (every update allowed).
    pub fn set_stack_policy(&mut self, policy: crate::assembly::StackPolicy) {
        self.stack.stack_policy = Some(policy);
    }

    /// An SNS topic ARN that receives the stack's events (at most 5 per stack). Default:
    /// none.
    pub fn add_notification_arn(&mut self, arn: impl Into<String>) {
        let arn = arn.into();
        if let Err((message, help)) =
            crate::assembly::check_notification_arn(&arn, self.stack.notification_arns.len())
        {
            self.error(
                crate::assembly::codes::INVALID_STACK_SETTING,
                "",
                None,
                message,
                help,
            );
            return;
        }
        if !self.stack.notification_arns.contains(&arn) {
            self.stack.notification_arns.push(arn);
        }
    }
}
