//! Aspects: rules applied across a whole app, an environment or a scope, run by synth before
//! validation, on every resource they cover.
//!
//! An aspect sees each resource through [`ResourceMut`]: its stack, environment, logical ID,
//! type and properties. It may change properties, tags, policies and metadata, and report
//! diagnostics with its own code, which synth reports with everything else. Two aspects ship
//! with the core: [`Tags`] (a tag on every taggable resource) and [`RemovalPolicy`] (a
//! deletion and replacement policy for every stateful resource, e.g. `Delete` in `dev` and
//! `Retain` in `prod`).
//!
//! ```
//! use stackforge::aspect::{ResourceMut, Tags};
//! use stackforge::{App, Raw};
//!
//! let app = App::new();
//! app.add_aspect(Tags::new([("team", "payments")]));
//! app.add_aspect(|r: &mut ResourceMut<'_>| {
//!     if r.type_name() == "AWS::SQS::Queue" && r.property(&["SqsManagedSseEnabled"]).is_none() {
//!         r.error(stackforge::Code::new("ORG001"), None, "queues must be encrypted", "set SqsManagedSseEnabled");
//!     }
//! });
//! app.stack("s").add_raw("Q", Raw::new("AWS::SQS::Queue"));
//! let err = app.synth().unwrap_err();
//! assert_eq!(err.codes(), [stackforge::Code::new("ORG001")]);
//! ```

use std::collections::BTreeMap;

use crate::diag::{Code, DiagPath, Diagnostic};
use crate::stack::{Policy, ResourceNode};
use crate::value::Expr;

/// A rule run on every resource it covers, before validation.
pub trait Aspect: Send + Sync {
    /// Looks at (and may change) one resource.
    fn visit(&self, resource: &mut ResourceMut<'_>);
}

impl<F: Fn(&mut ResourceMut<'_>) + Send + Sync> Aspect for F {
    fn visit(&self, resource: &mut ResourceMut<'_>) {
        self(resource)
    }
}

/// One resource as an aspect sees it.
pub struct ResourceMut<'a> {
    pub(crate) stack: &'a str,
    pub(crate) environment: Option<&'a str>,
    pub(crate) node: &'a mut ResourceNode,
    pub(crate) diags: &'a mut Vec<Diagnostic>,
}

impl ResourceMut<'_> {
    /// The full stack name.
    pub fn stack(&self) -> &str {
        self.stack
    }
    /// The environment of the stack, if any.
    pub fn environment(&self) -> Option<&str> {
        self.environment
    }
    /// The logical ID.
    pub fn logical_id(&self) -> &str {
        &self.node.logical_id
    }
    /// The CloudFormation type.
    pub fn type_name(&self) -> &str {
        &self.node.type_name
    }
    /// A property by path below `Properties` (`["Tags"]`, `["LoggingConfig", "Level"]`).
    pub fn property(&self, path: &[&str]) -> Option<&Expr> {
        let mut cur = &self.node.props;
        for k in path {
            match cur {
                Expr::Map(m) => cur = m.get(*k)?,
                _ => return None,
            }
        }
        Some(cur)
    }
    /// Sets a property by path below `Properties`, creating objects on the way.
    pub fn set_property(&mut self, path: &[&str], value: impl Into<Expr>) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let mut value = value.into();
        self.node.seen |= crate::depth::bound(&mut value, path.len() as u32);
        let mut cur = &mut self.node.props;
        for k in parents {
            if !matches!(cur, Expr::Map(_)) {
                *cur = Expr::Map(BTreeMap::new());
            }
            let Expr::Map(m) = cur else { return };
            cur = m
                .entry((*k).to_owned())
                .or_insert_with(|| Expr::Map(BTreeMap::new()));
        }
        if !matches!(cur, Expr::Map(_)) {
            *cur = Expr::Map(BTreeMap::new());
        }
        if let Expr::Map(m) = cur {
            m.insert((*last).to_owned(), value);
        }
    }
    /// Removes a property by path below `Properties`.
    pub fn remove_property(&mut self, path: &[&str]) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let mut cur = &mut self.node.props;
        for k in parents {
            let Expr::Map(m) = cur else { return };
            let Some(next) = m.get_mut(*k) else { return };
            cur = next;
        }
        if let Expr::Map(m) = cur {
            m.remove(*last);
        }
    }
    /// The `DeletionPolicy`.
    pub fn deletion_policy(&self) -> Option<Policy> {
        self.node.deletion_policy
    }
    /// Sets the `DeletionPolicy`.
    pub fn set_deletion_policy(&mut self, p: Policy) {
        self.node.deletion_policy = Some(p);
    }
    /// Sets the `UpdateReplacePolicy`.
    pub fn set_update_replace_policy(&mut self, p: Policy) {
        self.node.update_replace_policy = Some(p);
    }
    /// Sets one `Metadata` key.
    pub fn set_metadata(&mut self, key: &str, value: crate::Json) {
        self.node.metadata.insert(key.to_owned(), value);
    }
    /// Adds (or replaces) a tag on a taggable resource, in the type's tag shape. Returns
    /// `false` when the type takes no tags this way (not taggable, or an unusual shape).
    pub fn set_tag(&mut self, key: &str, value: impl Into<Expr>) -> bool {
        let Some(meta) = crate::cfn::meta::lookup(&self.node.type_name) else {
            return false;
        };
        let Some(prop) = meta.tag_property else {
            return false;
        };
        let value = value.into();
        match meta.tag_shape {
            crate::cfn::meta::TagShape::KeyValueList => {
                let entry = Expr::Map(BTreeMap::from([
                    ("Key".to_owned(), Expr::Str(key.to_owned())),
                    ("Value".to_owned(), value),
                ]));
                let mut list = match self.property(&[prop]) {
                    Some(Expr::List(items)) => items.clone(),
                    Some(_) => return false,
                    None => Vec::new(),
                };
                let pos = list.iter().position(|t| match t {
                    Expr::Map(m) => m.get("Key").and_then(Expr::as_str) == Some(key),
                    _ => false,
                });
                match pos {
                    Some(i) => list[i] = entry,
                    None => list.push(entry),
                }
                self.set_property(&[prop], Expr::List(list));
                true
            }
            crate::cfn::meta::TagShape::Map => {
                match self.property(&[prop]) {
                    None | Some(Expr::Map(_)) => {}
                    Some(_) => return false,
                }
                self.set_property(&[prop, key], value);
                true
            }
            _ => false,
        }
    }
    /// Reports an error on this resource (`property` below `Properties`, if any).
    pub fn error(
        &mut self,
        code: Code,
        property: Option<&str>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let path = self.path(property);
        self.diags
            .push(Diagnostic::error(code, path, message, help));
    }
    /// Reports a warning on this resource.
    pub fn warning(
        &mut self,
        code: Code,
        property: Option<&str>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        let path = self.path(property);
        self.diags
            .push(Diagnostic::warning(code, path, message, help));
    }
    fn path(&self, property: Option<&str>) -> DiagPath {
        DiagPath {
            stack: Some(self.stack.to_owned()),
            logical_id: Some(self.node.logical_id.clone()),
            property: property.map(|p| format!("Properties.{p}")),
        }
    }
}

/// Tags every taggable resource (and, through synth, nothing else). Tags already set on a
/// resource with the same key are replaced.
#[derive(Clone, Debug, PartialEq)]
pub struct Tags(BTreeMap<String, String>);

impl Tags {
    /// The tags to set.
    pub fn new<K: Into<String>, V: Into<String>>(tags: impl IntoIterator<Item = (K, V)>) -> Self {
        Tags(
            tags.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

impl Aspect for Tags {
    fn visit(&self, r: &mut ResourceMut<'_>) {
        for (k, v) in &self.0 {
            r.set_tag(k, Expr::Str(v.clone()));
        }
    }
}

/// Sets the deletion and replacement policy of every stateful resource (databases, volumes,
/// buckets, tables, keys, …, as `diff::is_stateful` knows them): `Delete` where an
/// environment is disposable, `Retain` or `Snapshot` where data must survive. `Snapshot` is
/// used only where CloudFormation supports it, `Retain` elsewhere.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RemovalPolicy(pub Policy);

/// Types that support the `Snapshot` deletion policy.
const SNAPSHOT_TYPES: &[&str] = &[
    "AWS::EC2::Volume",
    "AWS::ElastiCache::CacheCluster",
    "AWS::ElastiCache::ReplicationGroup",
    "AWS::Neptune::DBCluster",
    "AWS::RDS::DBCluster",
    "AWS::RDS::DBInstance",
    "AWS::Redshift::Cluster",
    "AWS::DocDB::DBCluster",
];

impl Aspect for RemovalPolicy {
    fn visit(&self, r: &mut ResourceMut<'_>) {
        if !crate::semantic::is_stateful(r.type_name()) {
            return;
        }
        let p = match self.0 {
            Policy::Snapshot if !SNAPSHOT_TYPES.contains(&r.type_name()) => Policy::Retain,
            p => p,
        };
        r.set_deletion_policy(p);
        r.set_update_replace_policy(p);
    }
}
