//! Typed values: a [`Val<T>`] is either a literal or a CloudFormation intrinsic.
//!
//! Every property of every resource is a `Val<T>` (or a nested struct of them), so a field
//! accepts `"literal".into()` as readily as `vpc.reference()` or `db.attr_endpoint_address()`.
//! The type parameter is a *marker* that says what CloudFormation will see once the value is
//! resolved: [`String`], [`i64`], [`f64`], [`bool`], [`Json`] or [`List<T>`].
//!
//! Underneath, every value is an untyped [`Expr`] tree. References to resources
//! ([`Expr::Ref`], [`Expr::GetAtt`]) carry the resource's [`ResourceId`], which is how using a
//! handle inside a value records a dependency edge: synth walks the tree.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use petgraph::graph::NodeIndex;

pub mod depth;

/// Identifies one resource: its app, its stack and its node in that stack's graph.
///
/// Handles ([`crate::Handle`]) wrap this; an id never borrows the stack.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ResourceId {
    pub(crate) app: u32,
    pub(crate) stack: u32,
    pub(crate) node: NodeIndex<u32>,
}

/// Identifies a stack-level item (parameter, condition, mapping) by its app, stack and name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct ItemId {
    pub(crate) app: u32,
    pub(crate) stack: u32,
    pub(crate) name: String,
}

/// The pseudo parameters CloudFormation resolves at deploy time.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[non_exhaustive]
pub enum Pseudo {
    /// `AWS::AccountId`
    AccountId,
    /// `AWS::Region`
    Region,
    /// `AWS::Partition`
    Partition,
    /// `AWS::StackName`
    StackName,
    /// `AWS::StackId`
    StackId,
    /// `AWS::URLSuffix`
    UrlSuffix,
    /// `AWS::NotificationARNs`
    NotificationArns,
    /// `AWS::NoValue`: removes the property it is assigned to.
    NoValue,
}

impl Pseudo {
    /// The name CloudFormation uses in `Ref` and `Fn::Sub`.
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Region => "AWS::Region",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
            Pseudo::NotificationArns => "AWS::NotificationARNs",
            Pseudo::NoValue => "AWS::NoValue",
        }
    }
}

/// What a `Ref` points at.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub enum RefTarget {
    /// A resource in some stack of some app.
    Resource(ResourceId),
    /// A template parameter.
    Parameter(ItemId),
    /// A pseudo parameter.
    Pseudo(Pseudo),
}

/// One piece of an `Fn::Sub` string: literal text or an embedded value.
#[derive(Clone, PartialEq, Debug)]
pub enum SubPart {
    /// Literal text; `${` is escaped on output.
    Lit(String),
    /// An embedded value, rendered as `${LogicalId}`, `${LogicalId.Attr}` or a Sub variable.
    Expr(Expr),
}

impl From<&str> for SubPart {
    fn from(s: &str) -> Self {
        SubPart::Lit(s.to_owned())
    }
}
impl From<String> for SubPart {
    fn from(s: String) -> Self {
        SubPart::Lit(s)
    }
}
impl<T> From<Val<T>> for SubPart {
    fn from(v: Val<T>) -> Self {
        let mut e = v.expr;
        match &mut e {
            Expr::Str(s) => SubPart::Lit(std::mem::take(s)),
            _ => SubPart::Expr(e),
        }
    }
}
impl<T> From<&Val<T>> for SubPart {
    fn from(v: &Val<T>) -> Self {
        SubPart::from(v.clone())
    }
}

/// The untyped expression tree behind every value.
///
/// Maps are ordered (`BTreeMap`), so rendering is deterministic.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub enum Expr {
    /// JSON `null`.
    Null,
    /// A boolean literal.
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A floating-point literal.
    Num(f64),
    /// A string literal.
    Str(String),
    /// A list whose items may be intrinsics.
    List(Vec<Expr>),
    /// An object whose values may be intrinsics.
    Map(BTreeMap<String, Expr>),
    /// Free-form JSON, emitted as is.
    Json(serde_json::Value),
    /// `Ref`.
    Ref(RefTarget),
    /// `Fn::GetAtt` on a resource, with the attribute name (`Endpoint.Address`).
    GetAtt(ResourceId, Cow<'static, str>),
    /// `Fn::Sub`.
    Sub(Vec<SubPart>),
    /// `Fn::Join` with a delimiter.
    Join(String, Box<Expr>),
    /// `Fn::Select` with an index.
    Select(Box<Expr>, Box<Expr>),
    /// `Fn::Split` with a delimiter.
    Split(String, Box<Expr>),
    /// `Fn::GetAZs` for a region (empty string means the stack's region).
    GetAzs(Box<Expr>),
    /// `Fn::ImportValue`.
    ImportValue(Box<Expr>),
    /// `Fn::If`.
    If(ItemId, Box<Expr>, Box<Expr>),
    /// `Fn::Equals`.
    Equals(Box<Expr>, Box<Expr>),
    /// `Fn::And`.
    And(Vec<Expr>),
    /// `Fn::Or`.
    Or(Vec<Expr>),
    /// `Fn::Not`.
    Not(Box<Expr>),
    /// `{"Condition": name}` inside a condition expression.
    Condition(ItemId),
    /// `Fn::FindInMap`.
    FindInMap(ItemId, Box<Expr>, Box<Expr>),
    /// `Fn::Base64`.
    Base64(Box<Expr>),
    /// `Fn::Cidr` (ip block, count, cidr bits).
    Cidr(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `Fn::Contains` (rules only): the list contains the value.
    Contains(Box<Expr>, Box<Expr>),
    /// `Fn::EachMemberEquals` (rules only): every member of the list equals the value.
    EachMemberEquals(Box<Expr>, Box<Expr>),
    /// `Fn::EachMemberIn` (rules only): every member of the first list is in the second.
    EachMemberIn(Box<Expr>, Box<Expr>),
    /// A value that nested deeper than [`crate::depth::MAX_DEPTH`] and was cut there. Synth
    /// reports it (`SF023`) with its path; it is never written to a template.
    TooDeep,
}

impl Expr {
    /// Calls `f` on each direct child expression (not on deeper descendants).
    pub fn for_each_child<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        match self {
            Expr::Null
            | Expr::Bool(_)
            | Expr::Int(_)
            | Expr::Num(_)
            | Expr::Str(_)
            | Expr::Json(_)
            | Expr::Ref(_)
            | Expr::GetAtt(..)
            | Expr::Condition(_)
            | Expr::TooDeep => {}
            Expr::List(items) | Expr::And(items) | Expr::Or(items) => items.iter().for_each(f),
            Expr::Map(m) => m.values().for_each(f),
            Expr::Sub(parts) => parts.iter().for_each(|p| {
                if let SubPart::Expr(e) = p {
                    f(e)
                }
            }),
            Expr::Join(_, e)
            | Expr::Split(_, e)
            | Expr::GetAzs(e)
            | Expr::ImportValue(e)
            | Expr::Not(e)
            | Expr::Base64(e) => f(e),
            Expr::Select(a, b)
            | Expr::Equals(a, b)
            | Expr::If(_, a, b)
            | Expr::FindInMap(_, a, b)
            | Expr::Contains(a, b)
            | Expr::EachMemberEquals(a, b)
            | Expr::EachMemberIn(a, b) => {
                f(a);
                f(b)
            }
            Expr::Cidr(a, b, c) => {
                f(a);
                f(b);
                f(c)
            }
        }
    }

    /// Calls `f` on every resource reference in the tree, with the attribute for `GetAtt`.
    /// Iterative: see [`crate::depth`].
    pub fn visit_refs(&self, f: &mut dyn FnMut(ResourceId, Option<&str>)) {
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Ref(RefTarget::Resource(id)) => f(*id, None),
                Expr::GetAtt(id, attr) => f(*id, Some(attr)),
                _ => {
                    let start = stack.len();
                    e.for_each_child(&mut |c| stack.push(c));
                    stack[start..].reverse();
                }
            }
        }
    }

    /// Calls `f` on every parameter, condition and mapping the tree names. Iterative.
    pub(crate) fn visit_items(&self, f: &mut dyn FnMut(ItemKind, &ItemId)) {
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Ref(RefTarget::Parameter(p)) => f(ItemKind::Parameter, p),
                Expr::Condition(c) => f(ItemKind::Condition, c),
                Expr::If(c, ..) => f(ItemKind::Condition, c),
                Expr::FindInMap(m, ..) => f(ItemKind::Mapping, m),
                _ => {}
            }
            let start = stack.len();
            e.for_each_child(&mut |c| stack.push(c));
            stack[start..].reverse();
        }
    }

    /// The literal string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Expr::Str(s) => Some(s),
            Expr::Json(serde_json::Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// True for literals (including lists and maps made only of literals).
    pub fn is_literal(&self) -> bool {
        match self {
            Expr::Null
            | Expr::Bool(_)
            | Expr::Int(_)
            | Expr::Num(_)
            | Expr::Str(_)
            | Expr::Json(_) => true,
            Expr::List(items) => items.iter().all(Expr::is_literal),
            Expr::Map(m) => m.values().all(Expr::is_literal),
            _ => false,
        }
    }
}

/// Which kind of stack-level item an [`ItemId`] names.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum ItemKind {
    Parameter,
    Condition,
    Mapping,
}

impl From<serde_json::Value> for Expr {
    fn from(v: serde_json::Value) -> Self {
        Expr::Json(v)
    }
}
impl<T> From<Val<T>> for Expr {
    fn from(v: Val<T>) -> Self {
        v.expr
    }
}

/// Marker for free-form JSON values (policy documents, `Json` schema types).
pub type Json = serde_json::Value;

/// Marker for a list value: `Val<List<String>>` is a list of strings, which may itself be an
/// intrinsic (`Fn::GetAZs`, `Fn::Split`, a `List<…>` parameter) or a literal list whose
/// items are values.
pub struct List<T>(PhantomData<fn() -> T>);

/// A typed CloudFormation value: a literal or an intrinsic that resolves to a `T`.
///
/// A value knows how deep it nests, so building one deeper than
/// [`crate::depth::MAX_DEPTH`] is caught in O(1) (see [`crate::depth`]).
pub struct Val<T> {
    expr: Expr,
    depth: u32,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Val<T> {
    fn clone(&self) -> Self {
        Val::node(self.expr.clone(), self.depth)
    }
}
impl<T> PartialEq for Val<T> {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}
impl<T> fmt::Debug for Val<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl<T> Val<T> {
    /// Wraps an expression. The caller vouches that it resolves to a `T`. The expression is
    /// measured (without recursion); parts deeper than [`crate::depth::MAX_DEPTH`] are cut
    /// and reported at synth (`SF023`).
    pub fn from_expr(mut expr: Expr) -> Self {
        let depth = match crate::depth::depth(&expr, crate::depth::MAX_DEPTH) {
            Some(d) => d,
            None => {
                crate::depth::bound(&mut expr, 0);
                crate::depth::depth(&expr, crate::depth::MAX_DEPTH)
                    .unwrap_or(crate::depth::MAX_DEPTH)
            }
        };
        Val::node(expr, depth)
    }
    /// A value whose depth is known (the intrinsic constructors); a depth over the limit (or
    /// [`crate::depth::POISON`]) makes it a too-deep value.
    pub(crate) fn node(expr: Expr, depth: u32) -> Self {
        if depth > crate::depth::MAX_DEPTH {
            return Val::too_deep();
        }
        Val {
            expr,
            depth,
            _t: PhantomData,
        }
    }
    /// A value that is too deep to build.
    pub(crate) fn too_deep() -> Self {
        Val {
            expr: Expr::TooDeep,
            depth: crate::depth::POISON,
            _t: PhantomData,
        }
    }
    /// How deep the value nests, in rendered JSON objects and lists (0 for a plain literal),
    /// or `None` for a value that is already too deep.
    pub fn depth(&self) -> Option<u32> {
        (self.depth <= crate::depth::MAX_DEPTH).then_some(self.depth)
    }
    /// The depth as the constructors combine it (the poison marker included).
    pub(crate) fn raw_depth(&self) -> u32 {
        self.depth
    }
    /// The expression behind the value.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }
    /// Unwraps the expression.
    pub fn into_expr(self) -> Expr {
        self.expr
    }
    /// `AWS::NoValue`: the property is removed (useful inside [`fns::if_`]).
    pub fn no_value() -> Self {
        Val::node(Expr::Ref(RefTarget::Pseudo(Pseudo::NoValue)), 1)
    }
    /// True if the value is a literal, not an intrinsic.
    pub fn is_literal(&self) -> bool {
        self.expr.is_literal()
    }
    /// The resource this value is a `Ref` or `Fn::GetAtt` of, if it is exactly one. Patterns
    /// use it to find the stack a value lives in (a grantee's role, a peer's security group).
    pub fn resource_id(&self) -> Option<ResourceId> {
        match &self.expr {
            Expr::Ref(RefTarget::Resource(id)) | Expr::GetAtt(id, _) => Some(*id),
            _ => None,
        }
    }
}

impl Val<i64> {
    /// The literal number, if this value is one.
    pub fn as_literal(&self) -> Option<i64> {
        match &self.expr {
            Expr::Int(n) => Some(*n),
            _ => None,
        }
    }
    /// The same value for a string-typed property (CloudFormation writes many numbers as
    /// strings: a task's `Cpu`, an instance's `AllocatedStorage`). A literal becomes its
    /// decimal text (in both branches of an `Fn::If` too); any other intrinsic stays as it is
    /// (CloudFormation converts).
    pub fn to_text(&self) -> Val<String> {
        fn text(e: &Expr) -> Expr {
            match e {
                Expr::Int(n) => Expr::Str(n.to_string()),
                Expr::If(c, a, b) => Expr::If(c.clone(), Box::new(text(a)), Box::new(text(b))),
                other => other.clone(),
            }
        }
        Val::node(text(&self.expr), self.depth)
    }
}

impl Val<String> {
    /// The literal string, if this value is one.
    pub fn as_literal(&self) -> Option<&str> {
        self.expr.as_str()
    }
}

impl From<&str> for Val<String> {
    fn from(s: &str) -> Self {
        Val::node(Expr::Str(s.to_owned()), 0)
    }
}
impl From<String> for Val<String> {
    fn from(s: String) -> Self {
        Val::node(Expr::Str(s), 0)
    }
}
impl From<&String> for Val<String> {
    fn from(s: &String) -> Self {
        Val::node(Expr::Str(s.clone()), 0)
    }
}
impl From<&Val<String>> for Val<String> {
    fn from(v: &Val<String>) -> Self {
        v.clone()
    }
}
macro_rules! int_val {
    ($($t:ty),*) => {$(
        impl From<$t> for Val<i64> {
            fn from(n: $t) -> Self { Val::node(Expr::Int(n as i64), 0) }
        }
    )*};
}
int_val!(i64, i32, u32, u16, u8);
impl From<f64> for Val<f64> {
    fn from(n: f64) -> Self {
        Val::node(Expr::Num(n), 0)
    }
}
impl From<i64> for Val<f64> {
    fn from(n: i64) -> Self {
        Val::node(Expr::Int(n), 0)
    }
}
impl From<i32> for Val<f64> {
    fn from(n: i32) -> Self {
        Val::node(Expr::Int(i64::from(n)), 0)
    }
}
impl From<bool> for Val<bool> {
    fn from(b: bool) -> Self {
        Val::node(Expr::Bool(b), 0)
    }
}
impl From<serde_json::Value> for Val<Json> {
    fn from(v: serde_json::Value) -> Self {
        Val::from_expr(Expr::Json(v))
    }
}
impl<T, X: Into<Val<T>>> From<Vec<X>> for Val<List<T>> {
    fn from(items: Vec<X>) -> Self {
        list(items.into_iter().map(Into::into))
    }
}
impl<T, X: Into<Val<T>>, const N: usize> From<[X; N]> for Val<List<T>> {
    fn from(items: [X; N]) -> Self {
        list(items.into_iter().map(Into::into))
    }
}

/// A literal list of values: one level above its deepest item.
fn list<T>(items: impl Iterator<Item = Val<T>>) -> Val<List<T>> {
    let mut depth = 0;
    let mut exprs = Vec::new();
    for v in items {
        depth = combine(depth, v.depth);
        exprs.push(v.expr);
    }
    build(1, depth, || Expr::List(exprs))
}

/// The depth of children taken together: the deepest, or the poison marker.
pub(crate) fn combine(a: u32, b: u32) -> u32 {
    if a == crate::depth::POISON || b == crate::depth::POISON {
        crate::depth::POISON
    } else {
        a.max(b)
    }
}

/// A node `own` levels above children of depth `children`: built only within the limit.
pub(crate) fn build<T>(own: u32, children: u32, make: impl FnOnce() -> Expr) -> Val<T> {
    if children == crate::depth::POISON || children + own > crate::depth::MAX_DEPTH {
        return Val::too_deep();
    }
    Val::node(make(), children + own)
}

/// Enumerations generated from the schemas implement this, so they convert into values.
pub trait CfnEnum: Copy {
    /// The exact spelling the schema uses.
    fn as_str(self) -> &'static str;
}
impl<E: CfnEnum> From<E> for Val<E> {
    fn from(e: E) -> Self {
        Val::node(Expr::Str(e.as_str().to_owned()), 0)
    }
}

/// Pseudo parameters as typed values.
pub mod pseudo {
    use super::{Expr, List, Pseudo, RefTarget, Val};

    fn p<T>(p: Pseudo) -> Val<T> {
        Val::node(Expr::Ref(RefTarget::Pseudo(p)), 1)
    }
    /// `AWS::AccountId`
    pub fn account_id() -> Val<String> {
        p(Pseudo::AccountId)
    }
    /// `AWS::Region`
    pub fn region() -> Val<String> {
        p(Pseudo::Region)
    }
    /// `AWS::Partition`
    pub fn partition() -> Val<String> {
        p(Pseudo::Partition)
    }
    /// `AWS::StackName`
    pub fn stack_name() -> Val<String> {
        p(Pseudo::StackName)
    }
    /// `AWS::StackId`
    pub fn stack_id() -> Val<String> {
        p(Pseudo::StackId)
    }
    /// `AWS::URLSuffix`
    pub fn url_suffix() -> Val<String> {
        p(Pseudo::UrlSuffix)
    }
    /// `AWS::NotificationARNs`
    pub fn notification_arns() -> Val<List<String>> {
        p(Pseudo::NotificationArns)
    }
    /// `AWS::NoValue`
    pub fn no_value<T>() -> Val<T> {
        p(Pseudo::NoValue)
    }
}

/// A named condition of a stack, for `Fn::If` and resource conditions
/// ([`crate::Scope::condition`] makes one).
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub(crate) id: ItemId,
}

impl Condition {
    /// The condition as an expression inside `Fn::And`/`Fn::Or`/`Fn::Not`.
    pub fn expr(&self) -> CondExpr {
        CondExpr {
            expr: Expr::Condition(self.id.clone()),
            depth: 1,
        }
    }
    /// The condition's name in the template.
    pub fn name(&self) -> &str {
        &self.id.name
    }
}

/// A named mapping of a stack, for `Fn::FindInMap` ([`crate::Scope::mapping`] makes one).
#[derive(Clone, Debug, PartialEq)]
pub struct Mapping {
    pub(crate) id: ItemId,
}

impl Mapping {
    /// The mapping's name in the template.
    pub fn name(&self) -> &str {
        &self.id.name
    }
}

/// A JSON number from an `f64`: integral values print without a fraction.
pub(crate) fn number(n: f64) -> Json {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Json::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number)
    }
}

/// A condition expression (`Fn::Equals`, `Fn::And`, …), registered with
/// [`crate::Scope::condition`] and used through the returned [`crate::Condition`].
#[derive(Clone, Debug, PartialEq)]
pub struct CondExpr {
    pub(crate) expr: Expr,
    pub(crate) depth: u32,
}

impl CondExpr {
    /// A condition `own` levels above children of depth `children` (too deep past the limit).
    fn node(own: u32, children: u32, make: impl FnOnce() -> Expr) -> Self {
        let v: Val<bool> = build(own, children, make);
        CondExpr {
            depth: v.raw_depth(),
            expr: v.into_expr(),
        }
    }
}

/// Intrinsic functions as typed constructors. Each checks the nesting limit in O(1) (see
/// [`crate::depth`]).
pub mod fns {
    use super::{build, combine, CondExpr, Condition, Expr, Json, List, Mapping, SubPart, Val};

    /// `Fn::Sub` built from literal text and values; see also the [`crate::sub!`] macro.
    ///
    /// References to resources and parameters render as `${LogicalId}` / `${Id.Attr}`;
    /// other intrinsics become Sub variables. A Sub made only of literals renders as a plain
    /// string.
    pub fn sub(parts: impl IntoIterator<Item = SubPart>) -> Val<String> {
        let parts: Vec<SubPart> = parts.into_iter().collect();
        if parts.iter().all(|p| matches!(p, SubPart::Lit(_))) {
            let mut s = String::new();
            for p in parts {
                if let SubPart::Lit(l) = p {
                    s.push_str(&l);
                }
            }
            return Val::from(s);
        }
        let mut depth = 0;
        for p in &parts {
            if let SubPart::Expr(e) = p {
                let d = match e {
                    Expr::TooDeep => None,
                    e => crate::depth::depth(e, crate::depth::MAX_DEPTH),
                };
                depth = combine(depth, d.unwrap_or(crate::depth::POISON));
            }
        }
        build(3, depth, || Expr::Sub(parts))
    }
    /// `Fn::Join`.
    pub fn join(delimiter: &str, items: impl Into<Val<List<String>>>) -> Val<String> {
        let items = items.into();
        build(2, items.raw_depth(), || {
            Expr::Join(delimiter.to_owned(), Box::new(items.into_expr()))
        })
    }
    /// `Fn::Select`.
    pub fn select<T>(index: u32, list: impl Into<Val<List<T>>>) -> Val<T> {
        let list = list.into();
        build(2, list.raw_depth(), || {
            Expr::Select(
                Box::new(Expr::Int(i64::from(index))),
                Box::new(list.into_expr()),
            )
        })
    }
    /// `Fn::Split`.
    pub fn split(delimiter: &str, source: impl Into<Val<String>>) -> Val<List<String>> {
        let source = source.into();
        build(2, source.raw_depth(), || {
            Expr::Split(delimiter.to_owned(), Box::new(source.into_expr()))
        })
    }
    /// `Fn::GetAZs` for the stack's own region.
    pub fn get_azs() -> Val<List<String>> {
        Val::node(Expr::GetAzs(Box::new(Expr::Str(String::new()))), 1)
    }
    /// `Fn::ImportValue` of an export created outside this app.
    ///
    /// Cross-stack references inside one app need no import: use the handle directly.
    pub fn import_value<T>(export_name: impl Into<Val<String>>) -> Val<T> {
        let name = export_name.into();
        build(1, name.raw_depth(), || {
            Expr::ImportValue(Box::new(name.into_expr()))
        })
    }
    /// `Fn::If`.
    pub fn if_<T>(
        cond: &Condition,
        then: impl Into<Val<T>>,
        otherwise: impl Into<Val<T>>,
    ) -> Val<T> {
        let (a, b) = (then.into(), otherwise.into());
        build(2, combine(a.raw_depth(), b.raw_depth()), || {
            Expr::If(
                cond.id.clone(),
                Box::new(a.into_expr()),
                Box::new(b.into_expr()),
            )
        })
    }
    /// `Fn::Equals`.
    pub fn equals<A>(a: impl Into<Val<A>>, b: impl Into<Val<A>>) -> CondExpr {
        let (a, b) = (a.into(), b.into());
        CondExpr::node(2, combine(a.raw_depth(), b.raw_depth()), || {
            Expr::Equals(Box::new(a.into_expr()), Box::new(b.into_expr()))
        })
    }
    /// `Fn::And` (CloudFormation takes 2 to 10 conditions; synth checks).
    pub fn and(items: impl IntoIterator<Item = CondExpr>) -> CondExpr {
        let items: Vec<CondExpr> = items.into_iter().collect();
        let depth = items.iter().fold(0, |d, c| combine(d, c.depth));
        CondExpr::node(2, depth, || {
            Expr::And(items.into_iter().map(|c| c.expr).collect())
        })
    }
    /// `Fn::Or` (CloudFormation takes 2 to 10 conditions; synth checks).
    pub fn or(items: impl IntoIterator<Item = CondExpr>) -> CondExpr {
        let items: Vec<CondExpr> = items.into_iter().collect();
        let depth = items.iter().fold(0, |d, c| combine(d, c.depth));
        CondExpr::node(2, depth, || {
            Expr::Or(items.into_iter().map(|c| c.expr).collect())
        })
    }
    /// `Fn::Not`.
    pub fn not(item: CondExpr) -> CondExpr {
        CondExpr::node(2, item.depth, || Expr::Not(Box::new(item.expr)))
    }
    /// `Fn::FindInMap`.
    pub fn find_in_map<T>(
        map: &Mapping,
        top: impl Into<Val<String>>,
        second: impl Into<Val<String>>,
    ) -> Val<T> {
        let (a, b) = (top.into(), second.into());
        build(2, combine(a.raw_depth(), b.raw_depth()), || {
            Expr::FindInMap(
                map.id.clone(),
                Box::new(a.into_expr()),
                Box::new(b.into_expr()),
            )
        })
    }
    /// `Fn::Base64`.
    pub fn base64(v: impl Into<Val<String>>) -> Val<String> {
        let v = v.into();
        build(1, v.raw_depth(), || Expr::Base64(Box::new(v.into_expr())))
    }
    /// `Fn::Cidr`. Prefer computing CIDRs in Rust (see `stackforge-modules`' network):
    /// literal CIDRs are validated at synth.
    pub fn cidr(ip_block: impl Into<Val<String>>, count: u32, cidr_bits: u32) -> Val<List<String>> {
        let ip = ip_block.into();
        build(2, ip.raw_depth(), || {
            Expr::Cidr(
                Box::new(ip.into_expr()),
                Box::new(Expr::Int(i64::from(count))),
                Box::new(Expr::Int(i64::from(cidr_bits))),
            )
        })
    }
    /// A free-form JSON value without references. For JSON that holds references (policy
    /// documents, redrive policies, environment maps), use the [`crate::json!`] macro.
    pub fn json(v: serde_json::Value) -> Val<Json> {
        Val::from_expr(Expr::Json(v))
    }
    /// `Fn::Contains`, for template rules ([`crate::Scope::rule`]): `list` contains `value`.
    pub fn contains<T>(list: impl Into<Val<List<T>>>, value: impl Into<Val<T>>) -> CondExpr {
        let (a, b) = (list.into(), value.into());
        CondExpr::node(2, combine(a.raw_depth(), b.raw_depth()), || {
            Expr::Contains(Box::new(a.into_expr()), Box::new(b.into_expr()))
        })
    }
    /// `Fn::EachMemberEquals`, for template rules: every member of `list` equals `value`.
    pub fn each_member_equals<T>(
        list: impl Into<Val<List<T>>>,
        value: impl Into<Val<T>>,
    ) -> CondExpr {
        let (a, b) = (list.into(), value.into());
        CondExpr::node(2, combine(a.raw_depth(), b.raw_depth()), || {
            Expr::EachMemberEquals(Box::new(a.into_expr()), Box::new(b.into_expr()))
        })
    }
    /// `Fn::EachMemberIn`, for template rules: every member of `list` is in `allowed`.
    pub fn each_member_in<T>(
        list: impl Into<Val<List<T>>>,
        allowed: impl Into<Val<List<T>>>,
    ) -> CondExpr {
        let (a, b) = (list.into(), allowed.into());
        CondExpr::node(2, combine(a.raw_depth(), b.raw_depth()), || {
            Expr::EachMemberIn(Box::new(a.into_expr()), Box::new(b.into_expr()))
        })
    }
}

/// Dynamic references: `{{resolve:…}}` strings that CloudFormation resolves at deploy time,
/// so no secret value ever appears in a template.
pub mod dynamic {
    use super::{fns, SubPart, Val};

    /// `{{resolve:secretsmanager:<secret>:SecretString[:<json_key>]}}`.
    ///
    /// `secret` is a secret's ARN or name, literal or a reference (`secret.reference()`).
    pub fn secrets_manager(secret: impl Into<Val<String>>, json_key: Option<&str>) -> Val<String> {
        let tail = match json_key {
            Some(k) => format!(":SecretString:{k}}}}}"),
            None => ":SecretString}}".to_owned(),
        };
        fns::sub([
            SubPart::from("{{resolve:secretsmanager:"),
            SubPart::from(secret.into()),
            SubPart::Lit(tail),
        ])
    }
    /// `{{resolve:ssm:<name>}}`: a plain SSM parameter (public AMI ids, for example).
    pub fn ssm(parameter: &str) -> Val<String> {
        Val::from(format!("{{{{resolve:ssm:{parameter}}}}}"))
    }
    /// `{{resolve:ssm-secure:<name>[:<version>]}}`: a SecureString parameter.
    pub fn ssm_secure(parameter: &str, version: Option<u32>) -> Val<String> {
        match version {
            Some(v) => Val::from(format!("{{{{resolve:ssm-secure:{parameter}:{v}}}}}")),
            None => Val::from(format!("{{{{resolve:ssm-secure:{parameter}}}}}")),
        }
    }
}

/// Builds an `Fn::Sub` from literal pieces and values:
/// `sub!("arn:", pseudo::partition(), ":s3:::", bucket.reference(), "/*")`.
#[macro_export]
macro_rules! sub {
    ($($part:expr),* $(,)?) => {
        $crate::value::fns::sub([$($crate::value::SubPart::from($part)),*])
    };
}
