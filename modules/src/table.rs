//! [`Table`]: a DynamoDB table with on-demand billing, point-in-time recovery, encryption,
//! deletion protection and a `Retain` policy.
//!
//! The key schema is typed: the partition and sort keys are [`Attribute`]s (a name *and* a
//! type), so the table's own key cannot be left undeclared. Index keys name attributes; a
//! name that is not declared is an error (`SFM105`) with the index's path.
//! [`Table::grant_read`], [`Table::grant_write`] and [`Table::grant_read_write`] give any
//! [`Grantee`] (a service, a function, a role) least-privilege access to exactly this table
//! and its indexes.
//!
//! ```
//! use stackforge::App;
//! use stackforge_modules::table::{Attribute, Table, TableProps};
//!
//! let app = App::new();
//! let mut s = app.stack("data");
//! let t = Table::new(&mut s, "Orders", TableProps {
//!     partition_key: Attribute::string("orderId"),
//!     ..Default::default()
//! });
//! let tpl = &app.synth().unwrap().stacks[0].template;
//! assert_eq!(tpl["Resources"]["OrdersTable"]["Properties"]["BillingMode"], "PAY_PER_REQUEST");
//! # let _ = t;
//! ```

use stackforge::cfn::dynamodb::{self, table};
use stackforge::{sub, Grant, Handle, Policy, Scope, Val};

use crate::grants::{self, KeyUse};
use crate::refs::Grantee;

pub use crate::codes::{CONFLICTING_ATTRIBUTE, UNDECLARED_KEY};

/// The type of a key attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttributeType {
    /// `S`
    String,
    /// `N`
    Number,
    /// `B`
    Binary,
}

impl AttributeType {
    fn cfn(self) -> table::AttributeType {
        match self {
            AttributeType::String => table::AttributeType::S,
            AttributeType::Number => table::AttributeType::N,
            AttributeType::Binary => table::AttributeType::B,
        }
    }
}

/// A key attribute: a name and a type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute name.
    pub name: String,
    /// Its type.
    pub ty: AttributeType,
}

impl Attribute {
    /// A string attribute.
    pub fn string(name: impl Into<String>) -> Self {
        Attribute {
            name: name.into(),
            ty: AttributeType::String,
        }
    }
    /// A number attribute.
    pub fn number(name: impl Into<String>) -> Self {
        Attribute {
            name: name.into(),
            ty: AttributeType::Number,
        }
    }
    /// A binary attribute.
    pub fn binary(name: impl Into<String>) -> Self {
        Attribute {
            name: name.into(),
            ty: AttributeType::Binary,
        }
    }
}

/// A global secondary index whose keys name declared attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalIndex {
    /// The index name.
    pub name: String,
    /// The partition key: the name of an attribute in [`TableProps::attributes`] (or a key
    /// of the table).
    pub partition_key: String,
    /// The sort key, likewise.
    pub sort_key: Option<String>,
}

/// Options of [`Table`].
#[derive(Clone, Debug, PartialEq)]
pub struct TableProps {
    /// The partition (hash) key.
    /// Default: `id`, a string.
    pub partition_key: Attribute,
    /// The sort (range) key.
    /// Default: none.
    pub sort_key: Option<Attribute>,
    /// Further attributes, used as index keys.
    /// Default: none.
    pub attributes: Vec<Attribute>,
    /// Global secondary indexes (projecting all attributes).
    /// Default: none.
    pub global_indexes: Vec<GlobalIndex>,
    /// The table name.
    /// Default: none (CloudFormation generates one, so a replacement never collides).
    pub table_name: Option<Val<String>>,
    /// A customer-managed KMS key (ARN).
    /// Default: none (the AWS-managed key `aws/dynamodb`).
    pub kms_key_arn: Option<Val<String>>,
    /// Deletion protection (DynamoDB refuses `DeleteTable` while it is on).
    /// Default: `true`.
    pub deletion_protection: bool,
    /// `DeletionPolicy` and `UpdateReplacePolicy`.
    /// Default: [`Policy::Retain`] (the data outlives the stack).
    pub removal_policy: Policy,
}

impl Default for TableProps {
    fn default() -> Self {
        TableProps {
            partition_key: Attribute::string("id"),
            sort_key: None,
            attributes: Vec::new(),
            global_indexes: Vec::new(),
            table_name: None,
            kms_key_arn: None,
            deletion_protection: true,
            removal_policy: Policy::Retain,
        }
    }
}

/// A DynamoDB table.
#[derive(Clone, Debug)]
pub struct Table {
    /// The `AWS::DynamoDB::Table` (id `<id>Table`).
    pub table: Handle<dynamodb::Table>,
    /// The pattern's full path.
    pub name: String,
    /// The customer key the table is encrypted with, if any.
    pub kms_key_arn: Option<Val<String>>,
}

fn key(name: &str, hash: bool) -> table::KeySchemaItem {
    table::KeySchemaItem::new(name, if hash { "HASH" } else { "RANGE" })
}

impl Table {
    /// Creates the table under `id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: TableProps) -> Self {
        let name = scope.logical_id_for(id);
        let mut s = scope.child(id);
        // Every declared attribute, keys first; a name declared twice must keep its type.
        let mut declared: Vec<Attribute> = Vec::new();
        let all = std::iter::once(&props.partition_key)
            .chain(props.sort_key.as_ref())
            .chain(&props.attributes);
        for a in all {
            match declared.iter().find(|d| d.name == a.name) {
                Some(d) if d.ty != a.ty => s.error(
                    CONFLICTING_ATTRIBUTE,
                    "Table",
                    Some("Properties.AttributeDefinitions"),
                    format!(
                        "attribute `{}` is declared as {:?} and as {:?}",
                        a.name, d.ty, a.ty
                    ),
                    "declare each attribute once, with one type",
                ),
                Some(_) => {}
                None => declared.push(a.clone()),
            }
        }
        let mut indexes = Vec::new();
        let mut used: Vec<&str> = vec![props.partition_key.name.as_str()];
        used.extend(props.sort_key.as_ref().map(|k| k.name.as_str()));
        for (i, gi) in props.global_indexes.iter().enumerate() {
            if props.global_indexes[..i].iter().any(|o| o.name == gi.name) {
                s.error(
                    CONFLICTING_ATTRIBUTE,
                    "Table",
                    Some(&format!("Properties.GlobalSecondaryIndexes[{i}].IndexName")),
                    format!("index `{}` is defined twice", gi.name),
                    "give each index its own name",
                );
            }
            let mut schema = Vec::new();
            for (k, hash, field) in [
                (Some(&gi.partition_key), true, 0),
                (gi.sort_key.as_ref(), false, 1),
            ] {
                let Some(k) = k else { continue };
                if !declared.iter().any(|d| &d.name == k) {
                    s.error(
                        UNDECLARED_KEY,
                        "Table",
                        Some(&format!(
                            "Properties.GlobalSecondaryIndexes[{i}].KeySchema[{field}].AttributeName"
                        )),
                        format!(
                            "index `{}` uses key `{k}`, which is not a declared attribute (declared: {})",
                            gi.name,
                            declared.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                        format!("add `Attribute::string(\"{k}\")` (or number/binary) to TableProps::attributes"),
                    );
                }
                used.push(k.as_str());
                schema.push(table::GlobalSecondaryIndexKeySchema::new(
                    k.clone(),
                    if hash { "HASH" } else { "RANGE" },
                ));
            }
            let projection = table::Projection {
                projection_type: Some(table::ProjectionType::All.into()),
                ..Default::default()
            };
            indexes.push(table::GlobalSecondaryIndex::new(
                gi.name.clone(),
                schema,
                projection,
            ));
        }
        // DynamoDB rejects attribute definitions that no key uses.
        let definitions: Vec<table::AttributeDefinition> = declared
            .iter()
            .filter(|d| used.contains(&d.name.as_str()))
            .map(|d| table::AttributeDefinition::new(d.name.clone(), d.ty.cfn()))
            .collect();
        let mut key_schema = vec![key(&props.partition_key.name, true)];
        key_schema.extend(props.sort_key.as_ref().map(|k| key(&k.name, false)));

        let mut sse = table::SseSpecification::new(true);
        if let Some(k) = &props.kms_key_arn {
            sse.sse_type = Some(table::SseType::Kms.into());
            sse.kms_master_key_id = Some(k.clone());
        }
        let mut t = dynamodb::Table::new(key_schema);
        t.attribute_definitions = Some(definitions);
        t.billing_mode = Some(table::BillingMode::PayPerRequest.into());
        t.point_in_time_recovery_specification = Some(table::PointInTimeRecoverySpecification {
            point_in_time_recovery_enabled: Some(true.into()),
            ..Default::default()
        });
        t.sse_specification = Some(sse);
        t.deletion_protection_enabled = Some(props.deletion_protection.into());
        t.table_name = props.table_name.clone();
        if !indexes.is_empty() {
            t.global_secondary_indexes = Some(indexes);
        }
        let table = s.add("Table", t);
        s.set_policies(table, props.removal_policy);
        // The secure settings: an override that changes one without a reason is a warning.
        s.protect(table, &["SSESpecification"], "encryption");
        s.protect(
            table,
            &["PointInTimeRecoverySpecification"],
            "point-in-time recovery",
        );
        if props.deletion_protection {
            s.protect(table, &["DeletionProtectionEnabled"], "deletion protection");
        }
        if props.kms_key_arn.is_none() {
            s.skip_checkov(
                table,
                "CKV_AWS_119",
                "encrypted at rest with the AWS-managed key aws/dynamodb by default; set TableProps::kms_key_arn for a customer-managed key",
            );
        }
        Table {
            table,
            name,
            kms_key_arn: props.kms_key_arn.clone(),
        }
    }

    /// The table name (`Ref`).
    pub fn table_name(&self) -> Val<String> {
        self.table.reference()
    }

    /// The table ARN.
    pub fn arn(&self) -> Val<String> {
        self.table.attr_arn()
    }

    /// The table and its indexes, the resources of every grant.
    fn grant_resources(&self) -> Vec<Val<String>> {
        vec![self.arn(), sub!(self.arn(), "/index/*")]
    }

    /// The table's customer key, if any (grants then add the key's statement).
    fn key(&self) -> Option<&Val<String>> {
        self.kms_key_arn.as_ref()
    }

    /// Lets `grantee` read items of exactly this table and its indexes
    /// ([`grants::DYNAMODB_READ`]).
    pub fn grant_read(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        let st = grants::allow("ReadTable", grants::DYNAMODB_READ, self.grant_resources());
        grants::grant(
            scope,
            grantee,
            vec![st],
            self.key().map(|k| (k, KeyUse::Decrypt)),
        )
    }

    /// Lets `grantee` write items of exactly this table ([`grants::DYNAMODB_WRITE`]).
    pub fn grant_write(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        let st = grants::allow("WriteTable", grants::DYNAMODB_WRITE, vec![self.arn()]);
        grants::grant(
            scope,
            grantee,
            vec![st],
            self.key().map(|k| (k, KeyUse::Both)),
        )
    }

    /// Lets `grantee` read and write items of exactly this table and its indexes: item
    /// reads, writes, queries and scans, no table management.
    pub fn grant_read_write(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        let mut actions: Vec<&str> = grants::DYNAMODB_READ
            .iter()
            .chain(grants::DYNAMODB_WRITE)
            .copied()
            .collect();
        actions.sort_unstable();
        actions.dedup();
        let st = grants::allow("ReadWriteTable", &actions, self.grant_resources());
        grants::grant(
            scope,
            grantee,
            vec![st],
            self.key().map(|k| (k, KeyUse::Both)),
        )
    }
}
