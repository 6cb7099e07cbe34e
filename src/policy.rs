//! Typed IAM policy documents: statements with actions, resources, principals and
//! conditions whose values may be references, and ARN helpers.
//!
//! ```
//! use stackforge::policy::{PolicyDocument, Principal, Statement};
//! use stackforge::{pseudo, Val};
//!
//! let bucket_arn: Val<String> = "arn:aws:s3:::my-bucket".into();
//! let doc = PolicyDocument::new([
//!     Statement::deny()
//!         .sid("TlsOnly")
//!         .principal(Principal::Any)
//!         .action("s3:*")
//!         .resources([bucket_arn.clone(), stackforge::sub!(bucket_arn, "/*")])
//!         .condition("Bool", "aws:SecureTransport", false),
//!     Statement::allow()
//!         .principal(Principal::account(pseudo::account_id()))
//!         .actions(["s3:GetObject"])
//!         .resource("*"),
//! ]);
//! let _value: stackforge::Val<stackforge::Json> = doc.into();
//! ```

use std::collections::BTreeMap;

use crate::resource::ToExpr;
use crate::value::{pseudo, Expr, Json, SubPart, Val};

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
}

/// Who a resource policy or trust policy applies to.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Principal {
    /// An AWS service, e.g. `lambda.amazonaws.com`.
    Service(String),
    /// An IAM principal by ARN (a role, a user, an account root).
    Aws(Val<String>),
    /// A federated identity provider.
    Federated(String),
    /// Anyone (`"*"`): only with a condition that narrows it.
    Any,
}

impl Principal {
    /// An AWS service principal (`lambda.amazonaws.com`).
    pub fn service(name: impl Into<String>) -> Self {
        Principal::Service(name.into())
    }
    /// The root of an account (`arn:<partition>:iam::<account>:root`): the account's IAM
    /// decides.
    pub fn account(account_id: impl Into<Val<String>>) -> Self {
        Principal::Aws(crate::sub!(
            "arn:",
            pseudo::partition(),
            ":iam::",
            account_id.into(),
            ":root"
        ))
    }
    /// An IAM principal by ARN.
    pub fn arn(arn: impl Into<Val<String>>) -> Self {
        Principal::Aws(arn.into())
    }
    fn key(&self) -> &'static str {
        match self {
            Principal::Service(_) => "Service",
            Principal::Aws(_) | Principal::Any => "AWS",
            Principal::Federated(_) => "Federated",
        }
    }
    fn value(self) -> Expr {
        match self {
            Principal::Service(s) | Principal::Federated(s) => Expr::Str(s),
            Principal::Aws(v) => v.into_expr(),
            Principal::Any => Expr::Str("*".into()),
        }
    }
}

/// One statement of a policy document.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    sid: Option<String>,
    effect: Effect,
    actions: Vec<String>,
    not_actions: Vec<String>,
    resources: Vec<Expr>,
    not_resources: Vec<Expr>,
    principals: Vec<Principal>,
    conditions: BTreeMap<String, BTreeMap<String, Vec<Expr>>>,
}

impl Statement {
    fn of(effect: Effect) -> Self {
        Statement {
            sid: None,
            effect,
            actions: Vec::new(),
            not_actions: Vec::new(),
            resources: Vec::new(),
            not_resources: Vec::new(),
            principals: Vec::new(),
            conditions: BTreeMap::new(),
        }
    }
    /// An `Allow` statement.
    pub fn allow() -> Self {
        Statement::of(Effect::Allow)
    }
    /// A `Deny` statement.
    pub fn deny() -> Self {
        Statement::of(Effect::Deny)
    }
    /// `Sid` (letters and digits).
    pub fn sid(mut self, sid: impl Into<String>) -> Self {
        self.sid = Some(sid.into());
        self
    }
    /// Adds one action (`s3:GetObject`).
    pub fn action(mut self, action: impl Into<String>) -> Self {
        let a = action.into();
        if !self.actions.contains(&a) {
            self.actions.push(a);
        }
        self
    }
    /// Adds actions.
    pub fn actions<S: Into<String>>(self, actions: impl IntoIterator<Item = S>) -> Self {
        actions.into_iter().fold(self, Statement::action)
    }
    /// Adds `NotAction` entries.
    pub fn not_actions<S: Into<String>>(mut self, actions: impl IntoIterator<Item = S>) -> Self {
        self.not_actions.extend(actions.into_iter().map(Into::into));
        self
    }
    /// Adds one resource ARN (a literal, `"*"`, or a reference).
    pub fn resource(mut self, arn: impl Into<Val<String>>) -> Self {
        let e = arn.into().into_expr();
        if !self.resources.contains(&e) {
            self.resources.push(e);
        }
        self
    }
    /// Adds resource ARNs.
    pub fn resources<V: Into<Val<String>>>(self, arns: impl IntoIterator<Item = V>) -> Self {
        arns.into_iter().fold(self, Statement::resource)
    }
    /// Adds `NotResource` entries.
    pub fn not_resources<V: Into<Val<String>>>(
        mut self,
        arns: impl IntoIterator<Item = V>,
    ) -> Self {
        self.not_resources
            .extend(arns.into_iter().map(|a| a.into().into_expr()));
        self
    }
    /// Adds a principal (resource and trust policies only).
    pub fn principal(mut self, p: Principal) -> Self {
        if !self.principals.contains(&p) {
            self.principals.push(p);
        }
        self
    }
    /// Adds a condition: `operator` (`StringEquals`, `Bool`, `ArnLike`, …), `key`
    /// (`aws:SourceArn`) and a value, which may be a reference. A boolean stays a JSON boolean
    /// (`aws:SecureTransport` must be `false`, not `"false"`).
    pub fn condition(mut self, operator: &str, key: &str, value: impl ToExpr) -> Self {
        self.conditions
            .entry(operator.to_owned())
            .or_default()
            .entry(key.to_owned())
            .or_default()
            .push(value.to_expr());
        self
    }
    /// The effect.
    pub fn effect(&self) -> Effect {
        self.effect
    }
    /// The actions, in the order given.
    pub fn action_names(&self) -> &[String] {
        &self.actions
    }
    /// The resources, in the order given.
    pub fn resource_exprs(&self) -> &[Expr] {
        &self.resources
    }
    /// The statement as an expression (`{"Effect": …, "Action": …, …}`).
    pub fn into_expr(self) -> Expr {
        let mut m: BTreeMap<String, Expr> = BTreeMap::new();
        if let Some(sid) = self.sid {
            m.insert("Sid".into(), Expr::Str(sid));
        }
        m.insert(
            "Effect".into(),
            Expr::Str(
                match self.effect {
                    Effect::Allow => "Allow",
                    Effect::Deny => "Deny",
                }
                .into(),
            ),
        );
        let one_or_list = |mut v: Vec<Expr>| {
            if v.len() == 1 {
                v.remove(0)
            } else {
                Expr::List(v)
            }
        };
        let strs = |v: Vec<String>| v.into_iter().map(Expr::Str).collect::<Vec<_>>();
        if !self.actions.is_empty() {
            m.insert("Action".into(), one_or_list(strs(self.actions)));
        }
        if !self.not_actions.is_empty() {
            m.insert("NotAction".into(), one_or_list(strs(self.not_actions)));
        }
        if !self.resources.is_empty() {
            m.insert("Resource".into(), one_or_list(self.resources));
        }
        if !self.not_resources.is_empty() {
            m.insert("NotResource".into(), one_or_list(self.not_resources));
        }
        if !self.principals.is_empty() {
            if self.principals == [Principal::Any] {
                m.insert("Principal".into(), Expr::Str("*".into()));
            } else {
                let mut p: BTreeMap<String, Vec<Expr>> = BTreeMap::new();
                for pr in self.principals {
                    p.entry(pr.key().to_owned()).or_default().push(pr.value());
                }
                m.insert(
                    "Principal".into(),
                    Expr::Map(p.into_iter().map(|(k, v)| (k, one_or_list(v))).collect()),
                );
            }
        }
        if !self.conditions.is_empty() {
            m.insert(
                "Condition".into(),
                Expr::Map(
                    self.conditions
                        .into_iter()
                        .map(|(op, keys)| {
                            (
                                op,
                                Expr::Map(
                                    keys.into_iter().map(|(k, v)| (k, one_or_list(v))).collect(),
                                ),
                            )
                        })
                        .collect(),
                ),
            );
        }
        Expr::Map(m)
    }
}

impl ToExpr for Statement {
    fn to_expr(self) -> Expr {
        self.into_expr()
    }
}

/// A policy document: `Version` 2012-10-17 and its statements.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct PolicyDocument {
    statements: Vec<Statement>,
}

impl PolicyDocument {
    /// A document with these statements.
    pub fn new(statements: impl IntoIterator<Item = Statement>) -> Self {
        PolicyDocument {
            statements: statements.into_iter().collect(),
        }
    }
    /// Adds a statement.
    pub fn statement(mut self, s: Statement) -> Self {
        self.statements.push(s);
        self
    }
    /// The statements.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }
    /// A trust policy that lets an AWS service assume a role, from this account only
    /// (`aws:SourceAccount`), which blocks the confused-deputy problem.
    pub fn assumed_by_service(service: &str) -> Self {
        PolicyDocument::new([Statement::allow()
            .principal(Principal::service(service))
            .action("sts:AssumeRole")
            .condition("StringEquals", "aws:SourceAccount", pseudo::account_id())])
    }
}

impl ToExpr for PolicyDocument {
    fn to_expr(self) -> Expr {
        Expr::Map(BTreeMap::from([
            ("Version".to_owned(), Expr::Str("2012-10-17".into())),
            (
                "Statement".to_owned(),
                Expr::List(
                    self.statements
                        .into_iter()
                        .map(Statement::into_expr)
                        .collect(),
                ),
            ),
        ]))
    }
}

impl From<PolicyDocument> for Val<Json> {
    fn from(d: PolicyDocument) -> Self {
        Val::from_expr(d.to_expr())
    }
}

/// An ARN in this stack's partition, region and account:
/// `arn:${AWS::Partition}:<service>:${AWS::Region}:${AWS::AccountId}:<resource>`.
pub fn arn(service: &str, resource: impl Into<Val<String>>) -> Val<String> {
    crate::value::fns::sub([
        SubPart::from("arn:"),
        SubPart::from(pseudo::partition()),
        SubPart::Lit(format!(":{service}:")),
        SubPart::from(pseudo::region()),
        SubPart::from(":"),
        SubPart::from(pseudo::account_id()),
        SubPart::from(":"),
        SubPart::from(resource.into()),
    ])
}

/// An ARN of a global service without region and account (`arn:${AWS::Partition}:s3:::<name>`).
pub fn global_arn(service: &str, resource: impl Into<Val<String>>) -> Val<String> {
    crate::value::fns::sub([
        SubPart::from("arn:"),
        SubPart::from(pseudo::partition()),
        SubPart::Lit(format!(":{service}:::")),
        SubPart::from(resource.into()),
    ])
}

/// Why an IAM action is refused ([`check_action`]); its code is `SF022`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ActionError {
    /// No `:` between a service prefix and an action name.
    #[error("`{action}` is not `service:Action`")]
    NoService {
        /// The action as given.
        action: String,
    },
    /// A service prefix or an action name with characters IAM does not allow.
    #[error("`{action}` is not `service:Action` (a lower-case service prefix, then letters, digits, * or ?)")]
    Malformed {
        /// The action as given.
        action: String,
    },
}

impl ActionError {
    /// The diagnostic code: [`crate::diag::codes::INVALID_POLICY`].
    pub fn code(&self) -> crate::diag::Code {
        crate::diag::codes::INVALID_POLICY
    }
}

/// Checks the shape of an IAM action (`service:Action`, `*` and `?` wildcards allowed).
pub fn check_action(action: &str) -> Result<(), ActionError> {
    if action == "*" {
        return Ok(());
    }
    let Some((service, name)) = action.split_once(':') else {
        return Err(ActionError::NoService {
            action: action.to_owned(),
        });
    };
    let service_ok = !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let name_ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?');
    if service_ok && name_ok {
        Ok(())
    } else {
        Err(ActionError::Malformed {
            action: action.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_action_and_resource_render_as_strings() {
        let e = Statement::allow()
            .action("s3:GetObject")
            .resource("*")
            .into_expr();
        let Expr::Map(m) = e else { panic!() };
        assert_eq!(m["Action"], Expr::Str("s3:GetObject".into()));
        assert_eq!(m["Resource"], Expr::Str("*".into()));
        assert_eq!(m["Effect"], Expr::Str("Allow".into()));
    }

    #[test]
    fn booleans_stay_booleans_and_duplicates_collapse() {
        let e = Statement::deny()
            .actions(["s3:*", "s3:*"])
            .condition("Bool", "aws:SecureTransport", false)
            .into_expr();
        let Expr::Map(m) = e else { panic!() };
        assert_eq!(m["Action"], Expr::Str("s3:*".into()));
        let Expr::Map(c) = &m["Condition"] else {
            panic!()
        };
        let Expr::Map(b) = &c["Bool"] else { panic!() };
        assert_eq!(b["aws:SecureTransport"], Expr::Bool(false));
    }

    #[test]
    fn action_shapes() {
        assert!(check_action("s3:GetObject").is_ok());
        assert!(check_action("s3:Get*").is_ok());
        assert!(check_action("*").is_ok());
        assert_eq!(
            check_action("GetObject"),
            Err(ActionError::NoService {
                action: "GetObject".into()
            })
        );
        let e = check_action("S3:GetObject").expect_err("upper-case service");
        assert_eq!(e.code().as_str(), "SF022");
        assert_eq!(e.to_string(), "`S3:GetObject` is not `service:Action` (a lower-case service prefix, then letters, digits, * or ?)");
        assert!(check_action("S3:GetObject").is_err());
        assert!(check_action("s3:Get Object").is_err());
    }
}
