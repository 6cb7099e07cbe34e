//! The contract between the core and every resource type, generated or hand-written.
//!
//! A resource type is a plain struct of [`Val`]s and nested structs. It implements
//! [`Resource`]: the CloudFormation type name, the validation [`Shape`] generated from the
//! schema, and a conversion into [`Props`]. Nested property structs implement [`ToExpr`].
//! Adding a resource to a scope ([`crate::Scope::add`]) returns a [`Handle`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use crate::value::{Expr, Json, List, RefTarget, ResourceId, Val};

/// A CloudFormation resource type.
pub trait Resource {
    /// The CloudFormation type name, e.g. `AWS::EC2::VPC`.
    const TYPE: &'static str;
    /// Validation rules generated from the schema (lengths, ranges, patterns, item counts).
    fn shape() -> Option<&'static Shape> {
        None
    }
    /// The `Properties` object.
    fn into_props(self) -> Props;
}

/// Converts a property value (a [`Val`], a nested struct, a list or map of them) into an
/// [`Expr`].
pub trait ToExpr {
    /// The expression CloudFormation will see.
    fn to_expr(self) -> Expr;
}

impl<T> ToExpr for Val<T> {
    fn to_expr(self) -> Expr {
        self.into_expr()
    }
}
impl<T: ToExpr> ToExpr for Vec<T> {
    fn to_expr(self) -> Expr {
        Expr::List(self.into_iter().map(ToExpr::to_expr).collect())
    }
}
impl<T: ToExpr> ToExpr for Box<T> {
    fn to_expr(self) -> Expr {
        (*self).to_expr()
    }
}
impl<T: ToExpr> ToExpr for BTreeMap<String, T> {
    fn to_expr(self) -> Expr {
        Expr::Map(self.into_iter().map(|(k, v)| (k, v.to_expr())).collect())
    }
}
impl ToExpr for Expr {
    fn to_expr(self) -> Expr {
        self
    }
}
impl ToExpr for serde_json::Value {
    fn to_expr(self) -> Expr {
        Expr::Json(self)
    }
}

/// An object of properties under construction. Keys are kept sorted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Props(BTreeMap<String, Expr>);

impl Props {
    /// An empty object.
    pub fn new() -> Self {
        Props(BTreeMap::new())
    }
    /// Sets a property.
    pub fn set(&mut self, key: &str, v: impl ToExpr) -> &mut Self {
        self.0.insert(key.to_owned(), v.to_expr());
        self
    }
    /// Sets a property if it is `Some`.
    pub fn set_opt(&mut self, key: &str, v: Option<impl ToExpr>) -> &mut Self {
        if let Some(v) = v {
            self.0.insert(key.to_owned(), v.to_expr());
        }
        self
    }
    /// Builder-style [`Props::set`].
    pub fn with(mut self, key: &str, v: impl ToExpr) -> Self {
        self.set(key, v);
        self
    }
    /// Builder-style [`Props::set_opt`].
    pub fn with_opt(mut self, key: &str, v: Option<impl ToExpr>) -> Self {
        self.set_opt(key, v);
        self
    }
    /// The keys set so far, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
    /// The object as an expression.
    pub fn into_expr(self) -> Expr {
        Expr::Map(self.0)
    }
}

impl ToExpr for Props {
    fn to_expr(self) -> Expr {
        self.into_expr()
    }
}

/// The Key/Value tag shared by most resource types.
#[derive(Clone, Debug, PartialEq)]
pub struct Tag {
    /// Tag key (1 to 128 characters).
    pub key: Val<String>,
    /// Tag value (0 to 256 characters).
    pub value: Val<String>,
}

impl Tag {
    /// A tag.
    pub fn new(key: impl Into<Val<String>>, value: impl Into<Val<String>>) -> Self {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

impl ToExpr for Tag {
    fn to_expr(self) -> Expr {
        let mut p = Props::new();
        p.set("Key", self.key).set("Value", self.value);
        p.into_expr()
    }
}

/// A structural Key/Value pair that is not a resource tag: load-balancer and target-group
/// attributes, EMR step properties, metric dimensions, … Kept apart from [`Tag`] so a
/// resource's tags and its settings cannot be confused.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyValue {
    /// The key (e.g. `idle_timeout.timeout_seconds`).
    pub key: Val<String>,
    /// The value.
    pub value: Val<String>,
}

impl KeyValue {
    /// A key/value pair.
    pub fn new(key: impl Into<Val<String>>, value: impl Into<Val<String>>) -> Self {
        KeyValue {
            key: key.into(),
            value: value.into(),
        }
    }
}

impl ToExpr for KeyValue {
    fn to_expr(self) -> Expr {
        let mut p = Props::new();
        p.set("Key", self.key).set("Value", self.value);
        p.into_expr()
    }
}

/// Implements [`crate::value::CfnEnum`] (and `Debug`, which shows the value) for a generated
/// fieldless enum from its values in declaration order: `as_str` indexes the list by
/// discriminant.
// Used by the generated modules only, which a build without service features leaves out.
#[allow(unused_macros)]
macro_rules! cfn_enum {
    ($name:ident, [$($value:literal),* $(,)?]) => {
        impl crate::value::CfnEnum for $name {
            #[inline]
            fn as_str(self) -> &'static str {
                const VALUES: &[&str] = &[$($value),*];
                VALUES[self as usize]
            }
        }
        // The CloudFormation value (`gp3`): one line instead of a derived match per variant.
        impl ::std::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(crate::value::CfnEnum::as_str(*self))
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use cfn_enum;

/// `Debug` for generated types: the CloudFormation properties the value serializes to,
/// e.g. `Vpc { CidrBlock: Str("10.0.0.0/16"), … }`. One generic function instead of a
/// derive per type keeps the generated code cheap to compile (see BENCHMARKS.md).
#[doc(hidden)]
pub fn debug_as_props(f: &mut fmt::Formatter<'_>, name: &str, e: &Expr) -> fmt::Result {
    match e {
        Expr::Map(m) => {
            let mut d = f.debug_struct(name);
            for (k, v) in m {
                d.field(k, v);
            }
            d.finish()
        }
        other => fmt::Debug::fmt(other, f),
    }
}

/// `Debug` for a generated resource type (see [`debug_as_props`]).
#[doc(hidden)]
pub fn fmt_resource<R: Resource + Clone>(
    r: &R,
    name: &str,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    debug_as_props(f, name, &r.clone().into_props().into_expr())
}

/// `PartialEq` for a generated resource type: equal exactly when both produce the same
/// properties (every field has its own key; `None` is absent).
#[doc(hidden)]
pub fn eq_resource<R: Resource + Clone>(a: &R, b: &R) -> bool {
    a.clone().into_props() == b.clone().into_props()
}

/// `Debug` for a generated nested type (see [`debug_as_props`]; feature `nested-debug`).
#[doc(hidden)]
pub fn fmt_nested<T: ToExpr + Clone>(v: &T, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    debug_as_props(f, name, &v.clone().to_expr())
}

/// The impls of a generated type, stamped from one line per field so that each field's
/// CloudFormation name is written once: the serializer ([`Resource`] or [`ToExpr`]) and
/// `Debug`/`PartialEq` through the serialized form (the generic helpers above, which cost
/// less to compile than derives; see BENCHMARKS.md). `new` stays plain code, so a call with
/// a missing or mistyped argument reports the real signature.
///
/// ```text
/// props! {
///     nested ScheduledAction;          // or: resource Vpc = "AWS::EC2::VPC", shape: None;
///     req { schedule = "Schedule" }    // required fields (the group is left out when empty)
///     opt { end_time = "EndTime" }     // `Option<_>` fields, left out when `None`
/// }
/// ```
// Used by the generated modules only, which a build without service features leaves out.
#[allow(unused_macros)]
macro_rules! props {
    (resource $name:ident = $type:literal, shape: $shape:expr;
     $(req { $($r:ident = $rk:literal),* $(,)? })?
     $(opt { $($o:ident = $ok:literal),* $(,)? })?) => {
        impl crate::resource::Resource for $name {
            const TYPE: &'static str = $type;
            #[inline]
            fn shape() -> ::std::option::Option<&'static crate::resource::Shape> {
                $shape
            }
            #[inline]
            fn into_props(self) -> crate::resource::Props {
                crate::resource::Props::new()
                    $($(.with($rk, self.$r))*)?
                    $($(.with_opt($ok, self.$o))*)?
            }
        }
        impl ::std::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                crate::resource::fmt_resource(self, stringify!($name), f)
            }
        }
        impl ::std::cmp::PartialEq for $name {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                crate::resource::eq_resource(self, other)
            }
        }
    };
    (nested $name:ident;
     $(req { $($r:ident = $rk:literal),* $(,)? })?
     $(opt { $($o:ident = $ok:literal),* $(,)? })?) => {
        impl crate::resource::ToExpr for $name {
            #[inline]
            fn to_expr(self) -> crate::value::Expr {
                crate::resource::Props::new()
                    $($(.with($rk, self.$r))*)?
                    $($(.with_opt($ok, self.$o))*)?
                    .into_expr()
            }
        }
        // Opt-in: a Debug impl on every nested type is about a tenth of the generated
        // code's compile work (BENCHMARKS.md); a resource's Debug shows its nested values.
        #[cfg(feature = "nested-debug")]
        impl ::std::fmt::Debug for $name {
            #[inline]
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                crate::resource::fmt_nested(self, stringify!($name), f)
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use props;

/// The typed `Fn::GetAtt` accessors of a generated type, one line each, inside
/// `impl Handle<Type> { … }`: `attr_arn: String = "Arn"` is
/// `pub fn attr_arn(self) -> Val<String>`.
// Used by the generated modules only, which a build without service features leaves out.
#[allow(unused_macros)]
macro_rules! attrs {
    ($($(#[$m:meta])* $f:ident: $t:ty = $a:literal),* $(,)?) => {
        $(
            $(#[$m])*
            #[inline]
            pub fn $f(self) -> crate::value::Val<$t> {
                self.__get_att($a)
            }
        )*
    };
}
#[allow(unused_imports)]
pub(crate) use attrs;

/// Validation rules for one object (a resource's properties or a nested definition),
/// generated from the schema. `fields` is sorted by name.
#[derive(Debug)]
pub struct Shape {
    /// `(property name, rule)` sorted by name; properties without rules are absent.
    pub fields: &'static [(&'static str, Rule)],
}

impl Shape {
    /// A shape from its rules, sorted by property name.
    pub const fn new(fields: &'static [(&'static str, Rule)]) -> Self {
        Shape { fields }
    }
    /// A shape with no rules (literals are still checked for non-finite numbers).
    pub const EMPTY: Shape = Shape { fields: &[] };
    /// The rule for a property, if it has one.
    pub fn rule(&self, name: &str) -> Option<&'static Rule> {
        self.fields
            .binary_search_by(|(n, _)| (*n).cmp(name))
            .ok()
            .map(|i| &self.fields[i].1)
    }
}

/// How a schema `pattern` is checked.
#[derive(Debug, Clone, Copy)]
pub enum Pattern {
    /// Checked with ECMAScript semantics (`\w` and `\d` ASCII, `\s` ECMAScript's white
    /// space, look-around and back-references supported), as a search (JSON Schema), by
    /// `fancy-regex` after [`crate::validate::ecma_to_rust`].
    Regex(&'static str),
    /// Not expressible even so (listed in `codegen/UNSUPPORTED_PATTERNS.md` with the reason);
    /// not checked at synth.
    Unsupported(&'static str),
}

/// A schema `format` with a known syntax, checked on literal values
/// ([`crate::validate`]). Formats without one are listed, with counts, in
/// `docs/validation-formats.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// `date-time`, `timestamp`: RFC 3339 (`2026-10-20T22:11:15Z`).
    DateTime,
    /// `json`: a string must parse as JSON.
    Json,
    /// `ipv4-network`: `a.b.c.d/n`, `n` ≤ 32, no host bits set.
    Ipv4Network,
    /// `ipv6-network`: an IPv6 address with a prefix ≤ 128, no host bits set.
    Ipv6Network,
    /// `int64`: an integer within the 64-bit range.
    Int64,
    /// `double`: a finite number.
    Double,
    /// `uri`: starts with a scheme (`https:`).
    Uri,
    /// `AWS::EC2::VPC.Id`: `vpc-` and 8 or 17 hex digits.
    VpcId,
    /// `AWS::EC2::Subnet.Id`: `subnet-` and 8 or 17 hex digits.
    SubnetId,
    /// `AWS::EC2::SecurityGroup.Id`: `sg-` and 8 or 17 hex digits.
    SecurityGroupId,
    /// `AWS::EC2::SecurityGroup.Name`.
    SecurityGroupName,
    /// `AWS::EC2::Image.Id`: `ami-` and 8 or 17 characters (or an EC2 `resolve:ssm:` name).
    ImageId,
    /// `AWS::IAM::Role.Arn`.
    IamRoleArn,
    /// `AWS::KMS::Key.Arn` (a key or alias ARN).
    KmsKeyArn,
    /// `AWS::KMS::Key.Id`: a key UUID, a multi-Region `mrk-` ID or an alias name.
    KmsKeyId,
    /// `AWS::KMS::Alias.AliasName`: `alias/…`.
    KmsAliasName,
    /// `AWS::Lambda::Function.Arn`.
    LambdaFunctionArn,
    /// `AWS::Logs::LogGroup.Name`.
    LogGroupName,
    /// `AWS::S3::Bucket.Name`: 3 to 63 of `a-z0-9.-`, not starting or ending with `.`/`-`.
    S3BucketName,
    /// `AWS::SNS::Topic.Arn`.
    SnsTopicArn,
    /// `AWS::ACM::Certificate.Arn`.
    AcmCertificateArn,
}

impl Format {
    /// The schema's name for the format.
    pub fn name(self) -> &'static str {
        match self {
            Format::DateTime => "date-time",
            Format::Json => "json",
            Format::Ipv4Network => "ipv4-network",
            Format::Ipv6Network => "ipv6-network",
            Format::Int64 => "int64",
            Format::Double => "double",
            Format::Uri => "uri",
            Format::VpcId => "AWS::EC2::VPC.Id",
            Format::SubnetId => "AWS::EC2::Subnet.Id",
            Format::SecurityGroupId => "AWS::EC2::SecurityGroup.Id",
            Format::SecurityGroupName => "AWS::EC2::SecurityGroup.Name",
            Format::ImageId => "AWS::EC2::Image.Id",
            Format::IamRoleArn => "AWS::IAM::Role.Arn",
            Format::KmsKeyArn => "AWS::KMS::Key.Arn",
            Format::KmsKeyId => "AWS::KMS::Key.Id",
            Format::KmsAliasName => "AWS::KMS::Alias.AliasName",
            Format::LambdaFunctionArn => "AWS::Lambda::Function.Arn",
            Format::LogGroupName => "AWS::Logs::LogGroup.Name",
            Format::S3BucketName => "AWS::S3::Bucket.Name",
            Format::SnsTopicArn => "AWS::SNS::Topic.Arn",
            Format::AcmCertificateArn => "AWS::ACM::Certificate.Arn",
        }
    }
}

/// Constraints on one property. Absent constraints are `None`.
#[derive(Debug)]
pub struct Rule {
    /// `minLength` in characters (code points).
    pub min_len: Option<u32>,
    /// `maxLength` in characters (code points).
    pub max_len: Option<u32>,
    /// `minimum`.
    pub min: Option<f64>,
    /// `maximum`.
    pub max: Option<f64>,
    /// `pattern`.
    pub pattern: Option<Pattern>,
    /// Allowed values for string properties typed as plain strings (`enum` on a `Val<String>`).
    pub one_of: &'static [&'static str],
    /// `minItems`.
    pub min_items: Option<u32>,
    /// `maxItems`.
    pub max_items: Option<u32>,
    /// The rule for each item of a list.
    pub items: Option<&'static Rule>,
    /// The shape of a nested object.
    pub shape: Option<&'static Shape>,
    /// `format`: a literal must have one of these syntaxes (several for a schema `anyOf`).
    pub formats: &'static [Format],
    /// A write-only property named like a password, token or secret: a literal value is an
    /// error (use a dynamic reference).
    pub secret: bool,
}

impl Rule {
    /// A rule with no constraints, for struct-update syntax in generated statics.
    pub const NONE: Rule = Rule {
        min_len: None,
        max_len: None,
        min: None,
        max: None,
        pattern: None,
        one_of: &[],
        min_items: None,
        max_items: None,
        items: None,
        shape: None,
        formats: &[],
        secret: false,
    };
}

/// A small `Copy` handle to a resource in a stack: an index into the stack's graph, tagged
/// with its app and stack. It never borrows the stack.
///
/// `R` is the resource type; generated code adds typed attribute accessors
/// (`attr_endpoint_address()`) to `Handle<ThatType>`.
pub struct Handle<R> {
    id: ResourceId,
    _r: PhantomData<fn() -> R>,
}

impl<R> Clone for Handle<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Handle<R> {}
impl<R> PartialEq for Handle<R> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl<R> Eq for Handle<R> {}
impl<R> Hash for Handle<R> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state)
    }
}
impl<R> fmt::Debug for Handle<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Handle").field(&self.id).finish()
    }
}

impl<R> Handle<R> {
    pub(crate) fn new(id: ResourceId) -> Self {
        Handle {
            id,
            _r: PhantomData,
        }
    }
    /// The untyped id of the resource.
    pub fn id(self) -> ResourceId {
        self.id
    }
    /// `Ref` to the resource. What it returns depends on the type; the generated type's docs
    /// say which (an ID, a name or an ARN).
    pub fn reference(self) -> Val<String> {
        Val::from_expr(Expr::Ref(RefTarget::Resource(self.id)))
    }
    /// `Fn::GetAtt`, for generated accessors. Prefer the typed `attr_*` methods.
    #[doc(hidden)]
    pub fn __get_att<T>(self, attribute: &'static str) -> Val<T> {
        Val::from_expr(Expr::GetAtt(self.id, Cow::Borrowed(attribute)))
    }
    /// Forgets the type, e.g. to store handles of different types together.
    pub fn erase(self) -> Handle<Raw> {
        Handle::new(self.id)
    }
}

impl<R> From<Handle<R>> for Val<String> {
    /// `Ref` to the resource.
    fn from(h: Handle<R>) -> Self {
        h.reference()
    }
}

/// A resource of any type, given as a type name and properties: the escape hatch for types
/// that are not generated (third-party or private registry types).
#[derive(Clone, Debug, PartialEq)]
pub struct Raw {
    /// The CloudFormation type name.
    pub type_name: String,
    /// The `Properties` object.
    pub properties: Props,
}

impl Raw {
    /// A raw resource with no properties yet.
    pub fn new(type_name: impl Into<String>) -> Self {
        Raw {
            type_name: type_name.into(),
            properties: Props::new(),
        }
    }
    /// Sets one property.
    pub fn prop(mut self, key: &str, v: impl ToExpr) -> Self {
        self.properties.set(key, v);
        self
    }
}

impl Handle<Raw> {
    /// `Fn::GetAtt` by name, unchecked. Typed handles have `attr_*` accessors instead.
    pub fn get_att<T>(self, attribute: impl Into<Cow<'static, str>>) -> Val<T> {
        Val::from_expr(Expr::GetAtt(self.id, attribute.into()))
    }
    /// A list attribute by name, unchecked.
    pub fn get_att_list(self, attribute: impl Into<Cow<'static, str>>) -> Val<List<String>> {
        self.get_att(attribute)
    }
    /// A JSON attribute by name, unchecked.
    pub fn get_att_json(self, attribute: impl Into<Cow<'static, str>>) -> Val<Json> {
        self.get_att(attribute)
    }
}
