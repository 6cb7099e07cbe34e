//! What deploy reads from templates without calling AWS: IAM capabilities, broadened
//! permissions, export names and what blocks or survives a teardown.

use std::collections::BTreeSet;

use serde_json::Value as Json;

/// IAM resource types and the property that gives each a custom name.
const IAM_TYPES: &[(&str, Option<&str>)] = &[
    ("AWS::IAM::AccessKey", None),
    ("AWS::IAM::Group", Some("GroupName")),
    ("AWS::IAM::InstanceProfile", Some("InstanceProfileName")),
    ("AWS::IAM::ManagedPolicy", Some("ManagedPolicyName")),
    ("AWS::IAM::Policy", None),
    ("AWS::IAM::Role", Some("RoleName")),
    ("AWS::IAM::RolePolicy", None),
    ("AWS::IAM::User", Some("UserName")),
    ("AWS::IAM::UserToGroupAddition", None),
];

fn resources(t: &Json) -> impl Iterator<Item = (&String, &Json)> {
    t.get("Resources")
        .and_then(Json::as_object)
        .into_iter()
        .flat_map(|m| m.iter())
}

fn type_of(r: &Json) -> &str {
    r.get("Type").and_then(Json::as_str).unwrap_or("")
}

/// The capabilities a template needs: `CAPABILITY_NAMED_IAM` when an IAM resource has a
/// custom name, `CAPABILITY_IAM` for other IAM resources, none otherwise.
pub fn capabilities(t: &Json) -> Vec<&'static str> {
    let mut iam = false;
    let mut named = false;
    for (_, r) in resources(t) {
        if let Some((_, name_prop)) = IAM_TYPES.iter().find(|(ty, _)| *ty == type_of(r)) {
            iam = true;
            if let Some(p) = name_prop {
                if r.get("Properties").and_then(|ps| ps.get(*p)).is_some() {
                    named = true;
                }
            }
        }
    }
    if named {
        vec!["CAPABILITY_NAMED_IAM"]
    } else if iam {
        vec!["CAPABILITY_IAM"]
    } else {
        Vec::new()
    }
}

/// One permission-bearing item: an IAM statement or a security-group rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    /// Logical ID of the resource that carries it.
    pub logical_id: String,
    /// `IAM statement` or `security-group ingress` / `egress`.
    pub kind: &'static str,
    /// The statement or rule as compact JSON.
    pub json: String,
}

fn statements(doc: Option<&Json>) -> Vec<Json> {
    match doc.and_then(|d| d.get("Statement")) {
        Some(Json::Array(a)) => a.clone(),
        Some(s @ Json::Object(_)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// Every IAM statement, managed-policy attachment and security-group rule of a template.
pub fn grants(t: &Json) -> BTreeSet<Grant> {
    let mut out = BTreeSet::new();
    let mut push = |id: &str, kind: &'static str, j: &Json| {
        out.insert(Grant {
            logical_id: id.to_owned(),
            kind,
            json: j.to_string(),
        });
    };
    for (id, r) in resources(t) {
        let null = Json::Null;
        let p = r.get("Properties").unwrap_or(&null);
        match type_of(r) {
            "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
                for s in statements(p.get("AssumeRolePolicyDocument")) {
                    push(id, "IAM trust statement", &s);
                }
                for pol in p
                    .get("Policies")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    for s in statements(pol.get("PolicyDocument")) {
                        push(id, "IAM statement", &s);
                    }
                }
                for arn in p
                    .get("ManagedPolicyArns")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    push(id, "IAM managed policy", arn);
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::IAM::RolePolicy" => {
                for s in statements(p.get("PolicyDocument")) {
                    push(id, "IAM statement", &s);
                }
            }
            "AWS::EC2::SecurityGroup" => {
                for (prop, kind) in [
                    ("SecurityGroupIngress", "security-group ingress"),
                    ("SecurityGroupEgress", "security-group egress"),
                ] {
                    for rule in p.get(prop).and_then(Json::as_array).into_iter().flatten() {
                        push(id, kind, rule);
                    }
                }
            }
            "AWS::EC2::SecurityGroupIngress" => push(id, "security-group ingress", p),
            "AWS::EC2::SecurityGroupEgress" => push(id, "security-group egress", p),
            _ => {}
        }
    }
    out
}

/// Grants in `new` that `old` does not have: new or widened permissions.
pub fn broadening(old: &Json, new: &Json) -> Vec<Grant> {
    let before = grants(old);
    grants(new)
        .into_iter()
        .filter(|g| !before.contains(g))
        .collect()
}

/// The literal export names of a template's outputs (computed names are skipped).
pub fn export_names(t: &Json) -> BTreeSet<String> {
    t.get("Outputs")
        .and_then(Json::as_object)
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(|o| o.get("Export")?.get("Name")?.as_str().map(str::to_owned))
        .collect()
}

/// Resources a delete leaves behind, by DeletionPolicy: `(logical id, type, policy)`.
pub fn retained(t: &Json) -> Vec<(String, String, String)> {
    resources(t)
        .filter_map(|(id, r)| {
            let p = r.get("DeletionPolicy")?.as_str()?;
            (p != "Delete").then(|| (id.clone(), type_of(r).to_owned(), p.to_owned()))
        })
        .collect()
}

/// What the secure defaults protect from deletion, as found in a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protected {
    /// RDS instance or cluster with `DeletionProtection: true`.
    Database {
        /// Logical ID.
        logical_id: String,
        /// Type name.
        type_name: String,
    },
    /// DynamoDB table with `DeletionProtectionEnabled: true`.
    Table {
        /// Logical ID.
        logical_id: String,
    },
    /// Application or network load balancer with `deletion_protection.enabled` = `true`.
    LoadBalancer {
        /// Logical ID.
        logical_id: String,
    },
    /// A bucket that CloudFormation deletes (no Retain policy): it must be empty.
    Bucket {
        /// Logical ID.
        logical_id: String,
    },
    /// An ECR repository without `EmptyOnDelete`: it must be empty.
    Repository {
        /// Logical ID.
        logical_id: String,
    },
}

/// Resources whose deletion the secure defaults may block.
pub fn protected(t: &Json) -> Vec<Protected> {
    let mut out = Vec::new();
    for (id, r) in resources(t) {
        let null = Json::Null;
        let p = r.get("Properties").unwrap_or(&null);
        let retained = matches!(
            r.get("DeletionPolicy").and_then(Json::as_str),
            Some("Retain" | "RetainExceptOnCreate" | "Snapshot")
        );
        let truthy = |k: &str| {
            matches!(p.get(k), Some(Json::Bool(true)))
                || p.get(k).and_then(Json::as_str) == Some("true")
        };
        match type_of(r) {
            ty @ ("AWS::RDS::DBInstance" | "AWS::RDS::DBCluster")
                if truthy("DeletionProtection") =>
            {
                out.push(Protected::Database {
                    logical_id: id.clone(),
                    type_name: ty.to_owned(),
                })
            }
            "AWS::DynamoDB::Table" if truthy("DeletionProtectionEnabled") => {
                out.push(Protected::Table {
                    logical_id: id.clone(),
                })
            }
            "AWS::ElasticLoadBalancingV2::LoadBalancer"
                if p.get("LoadBalancerAttributes")
                    .and_then(Json::as_array)
                    .is_some_and(|attrs| {
                        attrs.iter().any(|a| {
                            a.get("Key").and_then(Json::as_str)
                                == Some("deletion_protection.enabled")
                                && a.get("Value").and_then(Json::as_str) == Some("true")
                        })
                    }) =>
            {
                out.push(Protected::LoadBalancer {
                    logical_id: id.clone(),
                })
            }
            "AWS::S3::Bucket" if !retained => out.push(Protected::Bucket {
                logical_id: id.clone(),
            }),
            "AWS::ECR::Repository" if !retained && !truthy("EmptyOnDelete") => {
                out.push(Protected::Repository {
                    logical_id: id.clone(),
                })
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn load_balancer_deletion_protection_blocks_destroy() {
        let lb = |v: &str| json!({"Resources": {"Lb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"LoadBalancerAttributes": [{"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"}, {"Key": "deletion_protection.enabled", "Value": v}]}}}});
        assert_eq!(
            protected(&lb("true")),
            vec![Protected::LoadBalancer {
                logical_id: "Lb".into()
            }]
        );
        assert!(protected(&lb("false")).is_empty());
    }

    #[test]
    fn named_iam_needs_the_named_capability() {
        let t = json!({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "x"}}}});
        assert_eq!(capabilities(&t), ["CAPABILITY_NAMED_IAM"]);
        let t = json!({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {}}}});
        assert_eq!(capabilities(&t), ["CAPABILITY_IAM"]);
        let t = json!({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}});
        assert!(capabilities(&t).is_empty());
    }

    #[test]
    fn a_new_ingress_rule_is_broadening_and_a_removed_one_is_not() {
        let old = json!({"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [{"CidrIp": "10.0.0.0/8", "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80}]}}}});
        let new = json!({"Resources": {"Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [{"CidrIp": "0.0.0.0/0", "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80}]}}}});
        let b = broadening(&old, &new);
        assert_eq!(b.len(), 1);
        assert!(b[0].json.contains("0.0.0.0/0"));
        assert!(broadening(&new, &json!({})).is_empty());
    }
}
