//! The data of one stack: its resources, parameters, outputs, conditions, mappings, rules
//! and options. [`crate::App`] owns the stacks; [`crate::Scope`] adds to them.

use std::borrow::Cow;
use std::collections::BTreeMap;

use petgraph::graph::{DiGraph, NodeIndex};
use serde_json::json;

use crate::diag::Diagnostic;
use crate::value::{CondExpr, Condition, Expr, ItemId, Json, List, ResourceId};

// CloudFormation's per-stack quotas, checked at synth.

/// CloudFormation's quota of resources per stack.
pub const MAX_RESOURCES: usize = 500;
/// Parameters per stack.
pub const MAX_PARAMETERS: usize = 200;
/// Outputs per stack.
pub const MAX_OUTPUTS: usize = 200;
/// Mappings per stack.
pub const MAX_MAPPINGS: usize = 200;
/// Largest template body that can be sent inline (bytes of the minified JSON).
pub const MAX_INLINE_TEMPLATE: usize = 51_200;
/// Largest template CloudFormation accepts from S3 (bytes of the minified JSON).
pub const MAX_TEMPLATE: usize = 1_000_000;
/// Longest logical ID.
pub const MAX_LOGICAL_ID: usize = 255;

/// The longest stack name CloudFormation accepts.
pub const MAX_STACK_NAME: usize = 128;

/// Why a stack name is refused ([`check_stack_name`]); its code is `SF001`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StackNameError {
    /// The name is empty.
    #[error("the name is empty")]
    Empty,
    /// The name is longer than [`MAX_STACK_NAME`].
    #[error("{len} characters, the limit is {MAX_STACK_NAME}")]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// The name does not start with a letter.
    #[error("`{name}` does not start with a letter")]
    FirstNotLetter {
        /// The name.
        name: String,
    },
    /// The name has a character other than letters, digits and hyphens.
    #[error("`{name}` contains `{found}`")]
    Character {
        /// The name.
        name: String,
        /// The first character refused.
        found: char,
    },
}

impl StackNameError {
    /// The diagnostic code: [`crate::diag::codes::INVALID_STACK_NAME`].
    pub fn code(&self) -> crate::diag::Code {
        crate::diag::codes::INVALID_STACK_NAME
    }
}

/// Checks a stack name: letters, digits, hyphens; starts with a letter; ≤ 128 characters.
pub fn check_stack_name(name: &str) -> Result<(), StackNameError> {
    if name.is_empty() {
        return Err(StackNameError::Empty);
    }
    if name.len() > MAX_STACK_NAME {
        return Err(StackNameError::TooLong { len: name.len() });
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(StackNameError::FirstNotLetter {
            name: name.to_owned(),
        });
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(StackNameError::Character {
            name: name.to_owned(),
            found: c,
        });
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
    pub(crate) overrides: Vec<Override>,
    /// Secure settings a pattern set (`(path below Properties, what it is for people)`):
    /// changing one through an override without a reason is a warning (`SF031`).
    pub(crate) protected: Vec<(Vec<String>, String)>,
    /// The generated validation rules of a typed resource, checked at synth (after aspects).
    pub(crate) shape: Option<&'static crate::resource::Shape>,
    /// What entered the properties and overrides that synth must check again (too-deep
    /// values, non-finite numbers, raw JSON with possible hand-written references).
    pub(crate) seen: crate::depth::Seen,
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

/// A raw property override: a path below `Properties`, the value (`None` deletes), and why,
/// when the override says so.
#[derive(Clone, Debug)]
pub(crate) struct Override {
    pub(crate) path: Vec<String>,
    pub(crate) value: Option<Expr>,
    pub(crate) reason: Option<String>,
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
    /// The type as the template writes it.
    pub fn as_str(&self) -> Cow<'_, str> {
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

/// A template parameter definition; `T` is the value type [`crate::Scope::parameter`]
/// returns.
#[derive(Clone, Debug)]
pub struct Parameter<T> {
    pub(crate) def: ParamDef,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T> Parameter<T> {
    fn of(kind: ParamType) -> Self {
        Parameter {
            def: ParamDef {
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
            },
            _t: std::marker::PhantomData,
        }
    }
    /// `Description`.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.def.description = Some(d.into());
        self
    }
    /// `Default`, as CloudFormation writes it (a string).
    pub fn default_value(mut self, d: impl Into<String>) -> Self {
        self.def.default = Some(d.into());
        self
    }
    /// `NoEcho`: the value is masked in the console and API.
    pub fn no_echo(mut self) -> Self {
        self.def.no_echo = true;
        self
    }
    /// `AllowedValues`.
    pub fn allowed_values<S: Into<String>>(mut self, v: impl IntoIterator<Item = S>) -> Self {
        self.def.allowed_values = v.into_iter().map(Into::into).collect();
        self
    }
    /// `AllowedPattern`.
    pub fn allowed_pattern(mut self, p: impl Into<String>) -> Self {
        self.def.allowed_pattern = Some(p.into());
        self
    }
    /// `ConstraintDescription`.
    pub fn constraint_description(mut self, d: impl Into<String>) -> Self {
        self.def.constraint_description = Some(d.into());
        self
    }
    /// `MinLength` and `MaxLength`.
    pub fn length(mut self, min: Option<u32>, max: Option<u32>) -> Self {
        self.def.min_length = min;
        self.def.max_length = max;
        self
    }
    /// `MinValue` and `MaxValue`.
    pub fn range(mut self, min: Option<f64>, max: Option<f64>) -> Self {
        self.def.min_value = min;
        self.def.max_value = max;
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
impl Parameter<bool> {
    /// A `String` parameter that takes `true` or `false` (CloudFormation has no boolean
    /// parameter type; boolean properties accept those strings): its value fills `Val<bool>`
    /// options.
    pub fn boolean() -> Self {
        Parameter::of(ParamType::String).allowed_values(["true", "false"])
    }
}
impl Parameter<i64> {
    /// A `Number` parameter for a whole number (a count, a size): its value fills `Val<i64>`
    /// options.
    pub fn integer() -> Self {
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

/// A parameter as the stack records it.
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

/// How an output is exported.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ExportName {
    None,
    Derived,
    Named(String),
}

/// A stack output: a value, a description and an optional export.
#[derive(Clone, Debug)]
pub struct Output {
    pub(crate) value: Expr,
    pub(crate) description: Option<String>,
    pub(crate) export: ExportName,
    pub(crate) condition: Option<ItemId>,
}

impl Output {
    /// An output with a value.
    pub fn new<T>(value: impl Into<crate::Val<T>>) -> Self {
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

/// A template rule (the `Rules` section): when `condition` holds (always, without one), every
/// assertion must hold, or CloudFormation refuses the parameters before it changes anything.
///
/// Rules see only parameters and pseudo parameters, through `Fn::Equals`, `Fn::And`,
/// `Fn::Or`, `Fn::Not`, [`crate::fns::contains`], [`crate::fns::each_member_equals`] and
/// [`crate::fns::each_member_in`]. Patterns emit rules for checks whose inputs are parameters
/// (a Fargate CPU/memory pair, a desired count within the scaling range).
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub(crate) condition: Option<Expr>,
    pub(crate) assertions: Vec<(Expr, String)>,
}

impl Rule {
    /// A rule that always applies.
    pub fn new() -> Self {
        Rule {
            condition: None,
            assertions: Vec::new(),
        }
    }
    /// A rule that applies when `condition` holds (`RuleCondition`).
    pub fn when(condition: CondExpr) -> Self {
        Rule {
            condition: Some(condition.expr),
            assertions: Vec::new(),
        }
    }
    /// Adds an assertion with the message CloudFormation shows when it fails.
    pub fn assert(mut self, assertion: CondExpr, description: impl Into<String>) -> Self {
        self.assertions.push((assertion.expr, description.into()));
        self
    }
}

impl Default for Rule {
    fn default() -> Self {
        Rule::new()
    }
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

/// A stack policy: which updates CloudFormation allows on the stack's resources.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StackPolicy {
    /// Deny `Update:Replace` and `Update:Delete` on every stateful resource of the stack
    /// (databases, tables, buckets, file systems, caches, keys, secrets, queues; see
    /// [`crate::semantic::STATEFUL_TYPES`]); allow every other update.
    ProtectStateful,
    /// A policy document as CloudFormation takes it (`{"Statement": [...]}`).
    Document(Json),
}

impl StackPolicy {
    /// The policy document for a template.
    pub fn resolve(&self, template: &Json) -> Json {
        match self {
            StackPolicy::Document(d) => d.clone(),
            StackPolicy::ProtectStateful => {
                let stateful: Vec<String> = template
                    .get("Resources")
                    .and_then(Json::as_object)
                    .into_iter()
                    .flatten()
                    .filter(|(_, r)| {
                        r.get("Type")
                            .and_then(Json::as_str)
                            .is_some_and(crate::semantic::is_stateful)
                    })
                    .map(|(id, _)| format!("LogicalResourceId/{id}"))
                    .collect();
                let mut statements = vec![json!({
                    "Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"
                })];
                if !stateful.is_empty() {
                    statements.push(json!({
                        "Effect": "Deny",
                        "Action": ["Update:Replace", "Update:Delete"],
                        "Principal": "*",
                        "Resource": stateful,
                    }));
                }
                json!({ "Statement": statements })
            }
        }
    }
}

/// A dependency of one stack on another that no reference implies.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StackDependency {
    pub(crate) on: u32,
    pub(crate) reason: String,
}

/// The statements granted to one role in one stack: rendered as one `AWS::IAM::Policy`.
#[derive(Clone, Debug)]
pub(crate) struct GrantPolicy {
    pub(crate) node: NodeIndex,
    pub(crate) statements: Vec<Expr>,
}

/// One stack of an app.
#[derive(Debug, Clone)]
pub struct Stack {
    pub(crate) name: String,
    pub(crate) index: u32,
    pub(crate) environment: Option<u32>,
    pub(crate) graph: DiGraph<ResourceNode, ()>,
    pub(crate) ids: BTreeMap<String, NodeIndex>,
    pub(crate) params: BTreeMap<String, ParamDef>,
    pub(crate) outputs: BTreeMap<String, OutputDef>,
    pub(crate) conditions: BTreeMap<String, Expr>,
    pub(crate) mappings: BTreeMap<String, Json>,
    pub(crate) rules: BTreeMap<String, Rule>,
    pub(crate) description: Option<String>,
    pub(crate) tags: BTreeMap<String, String>,
    pub(crate) account: Option<String>,
    pub(crate) region: Option<String>,
    pub(crate) kept_exports: Vec<Expr>,
    pub(crate) requirements: Vec<Requirement>,
    pub(crate) stack_dependencies: Vec<StackDependency>,
    /// Grant policies by grantee key (the role's logical ID, or an imported role's label).
    pub(crate) grants: BTreeMap<String, GrantPolicy>,
    pub(crate) diags: Vec<Diagnostic>,
    pub(crate) termination_protection: bool,
    pub(crate) stack_policy: Option<StackPolicy>,
    pub(crate) notification_arns: Vec<String>,
}

impl Stack {
    pub(crate) fn new(name: String, index: u32, environment: Option<u32>) -> Self {
        Stack {
            name,
            index,
            environment,
            graph: DiGraph::default(),
            ids: BTreeMap::new(),
            params: BTreeMap::new(),
            outputs: BTreeMap::new(),
            conditions: BTreeMap::new(),
            mappings: BTreeMap::new(),
            rules: BTreeMap::new(),
            description: None,
            tags: BTreeMap::new(),
            account: None,
            region: None,
            kept_exports: Vec::new(),
            requirements: Vec::new(),
            stack_dependencies: Vec::new(),
            grants: BTreeMap::new(),
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
    /// The resource node of an id of this stack.
    pub(crate) fn node(&self, id: ResourceId) -> Option<&ResourceNode> {
        (id.stack == self.index)
            .then(|| self.graph.node_weight(id.node))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_name_errors_are_typed_with_the_old_text() {
        let cases = [
            ("", StackNameError::Empty, "the name is empty".to_owned()),
            (
                &"a".repeat(129),
                StackNameError::TooLong { len: 129 },
                "129 characters, the limit is 128".to_owned(),
            ),
            (
                "1abc",
                StackNameError::FirstNotLetter {
                    name: "1abc".into(),
                },
                "`1abc` does not start with a letter".to_owned(),
            ),
            (
                "a_b",
                StackNameError::Character {
                    name: "a_b".into(),
                    found: '_',
                },
                "`a_b` contains `_`".to_owned(),
            ),
        ];
        for (name, error, text) in cases {
            let e = check_stack_name(name).expect_err(name);
            assert_eq!(e, error);
            assert_eq!(e.to_string(), text);
            assert_eq!(e.code().as_str(), "SF001");
        }
        assert_eq!(check_stack_name("prod-api"), Ok(()));
    }

    #[test]
    fn protect_stateful_denies_replacing_and_deleting_only_stateful_resources() {
        let t = json!({"Resources": {
            "Db": {"Type": "AWS::RDS::DBInstance"},
            "Topic": {"Type": "AWS::SNS::Topic"},
        }});
        let p = StackPolicy::ProtectStateful.resolve(&t);
        assert_eq!(p["Statement"][1]["Effect"], "Deny");
        assert_eq!(
            p["Statement"][1]["Resource"],
            json!(["LogicalResourceId/Db"])
        );
        let none = StackPolicy::ProtectStateful.resolve(&json!({"Resources": {}}));
        assert_eq!(none["Statement"].as_array().map(Vec::len), Some(1));
    }
}
