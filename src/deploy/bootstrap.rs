//! `stackforge bootstrap`: the per-account, per-region staging resources, as a stack named
//! [`BOOTSTRAP_STACK`] built with stackforge's own typed resources and deployed like any other.
//!
//! - S3 bucket `stackforge-staging-<account>-<region>`: encrypted (SSE-S3), versioned, public
//!   access blocked, bucket-owner-enforced, TLS only (a bucket policy denies requests with
//!   `aws:SecureTransport` false), noncurrent versions expire after 30 days and objects
//!   under `assets/` and `templates/` after 365 days, unfinished uploads after 7; kept when
//!   the stack is deleted (deployed stacks may still point at its assets). No server access
//!   logging: a documented checkov skip (CKV_AWS_18), see the reason in the code.
//! - ECR repository `stackforge-assets` for container-image assets: immutable tags (the tag
//!   is the content hash), scanned on push, KMS-encrypted, untagged images expire after a day.

use serde_json::json;

use super::error::DeployError;
use super::event::StackReport;
use super::Engine;
use crate::assembly::CloudAssembly;
use crate::cfn::ecr::{self, repository};
use crate::cfn::s3::{self, bucket};
use crate::value::pseudo;
use crate::{sub, App, Output, Policy, Props, Val};

/// The bootstrap stack's name.
pub const BOOTSTRAP_STACK: &str = "StackforgeBootstrap";
/// The staging repository for container-image assets.
pub const STAGING_REPOSITORY: &str = "stackforge-assets";
/// The version of the bootstrap resources (an output of the stack).
pub const BOOTSTRAP_VERSION: u32 = 1;

fn rule(id: &str, prefix: Option<&str>) -> bucket::Rule {
    let mut r = bucket::Rule::new(bucket::RuleStatus::Enabled);
    r.id = Some(id.into());
    match prefix {
        Some(p) => {
            r.prefix = Some(p.into());
            r.expiration_in_days = Some(365.into());
        }
        None => {
            r.noncurrent_version_expiration = Some(bucket::NoncurrentVersionExpiration::new(30));
            r.abort_incomplete_multipart_upload =
                Some(bucket::AbortIncompleteMultipartUpload::new(7));
        }
    }
    r
}

/// The bootstrap app: one stack, the staging bucket and repository.
pub fn bootstrap_app() -> App {
    let app = App::new();
    let mut s = app.stack(BOOTSTRAP_STACK);
    s.set_description("stackforge staging resources: the bucket for large templates and file assets, the repository for image assets");
    let encryption = bucket::ServerSideEncryptionRule {
        server_side_encryption_by_default: Some(bucket::ServerSideEncryptionByDefault::new(
            bucket::SseAlgorithm::Aes256,
        )),
        bucket_key_enabled: Some(true.into()),
        ..Default::default()
    };
    let staging = s3::Bucket {
        bucket_name: Some(sub!(
            "stackforge-staging-",
            pseudo::account_id(),
            "-",
            pseudo::region()
        )),
        bucket_encryption: Some(bucket::BucketEncryption::new(vec![encryption])),
        versioning_configuration: Some(bucket::VersioningConfiguration::new(
            bucket::VersioningStatus::Enabled,
        )),
        public_access_block_configuration: Some(bucket::PublicAccessBlockConfiguration {
            block_public_acls: Some(true.into()),
            block_public_policy: Some(true.into()),
            ignore_public_acls: Some(true.into()),
            restrict_public_buckets: Some(true.into()),
        }),
        ownership_controls: Some(bucket::OwnershipControls::new(vec![
            bucket::OwnershipControlsRule {
                object_ownership: Some(bucket::ObjectOwnership::BucketOwnerEnforced.into()),
            },
        ])),
        lifecycle_configuration: Some(bucket::LifecycleConfiguration::new(vec![
            rule("NoncurrentVersions", None),
            rule("OldAssets", Some("assets/")),
            rule("OldTemplates", Some("templates/")),
        ])),
        ..Default::default()
    };
    let staging = s.add("StagingBucket", staging);
    s.set_policies(staging, Policy::Retain);
    // Deliberate exception (also in SECURITY.md): a log bucket would need its own logging,
    // and the objects here are content-addressed copies of what the assembly already holds.
    s.skip_checkov(
        staging,
        "CKV_AWS_18",
        "staging bucket of content-addressed deploy artifacts (templates, asset zips) that are also in the assembly; CloudTrail data events are the audit trail; a server-access-log bucket would need its own log bucket",
    );
    let mut deny = Props::new();
    deny.set("Sid", Val::<String>::from("TlsOnly"))
        .set("Effect", Val::<String>::from("Deny"))
        .set("Principal", Val::<String>::from("*"))
        .set("Action", Val::<String>::from("s3:*"))
        .set(
            "Resource",
            vec![staging.attr_arn(), sub!(staging.attr_arn(), "/*")],
        )
        .set(
            "Condition",
            crate::Expr::from(json!({"Bool": {"aws:SecureTransport": false}})),
        );
    let mut document = Props::new();
    document
        .set("Version", Val::<String>::from("2012-10-17"))
        .set("Statement", crate::Expr::List(vec![deny.into_expr()]));
    s.add(
        "StagingBucketPolicy",
        s3::BucketPolicy::new(staging.reference(), Val::from_expr(document.into_expr())),
    );
    let mut lifecycle = json!({"rules": [{
        "rulePriority": 1,
        "description": "untagged images expire after a day",
        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 1},
        "action": {"type": "expire"}
    }]});
    lifecycle.sort_all_objects();
    let repo = ecr::Repository {
        repository_name: Some(STAGING_REPOSITORY.into()),
        image_tag_mutability: Some(repository::ImageTagMutability::Immutable.into()),
        image_scanning_configuration: Some(repository::ImageScanningConfiguration {
            scan_on_push: Some(true.into()),
        }),
        encryption_configuration: Some(repository::EncryptionConfiguration::new(
            repository::EncryptionType::Kms,
        )),
        lifecycle_policy: Some(repository::LifecyclePolicy {
            lifecycle_policy_text: Some(lifecycle.to_string().into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let repo = s.add("StagingRepository", repo);
    s.set_policies(repo, Policy::Retain);
    s.output("BucketName", Output::new(staging.reference()));
    s.output("RepositoryName", Output::new(repo.reference()));
    s.output(
        "BootstrapVersion",
        Output::new(Val::<String>::from(BOOTSTRAP_VERSION.to_string())),
    );
    app
}

impl Engine<'_> {
    /// Creates or updates the bootstrap stack in the clients' account and region.
    pub async fn bootstrap(&mut self) -> Result<StackReport, DeployError> {
        let assembly = bootstrap_app().synth().map_err(|e| DeployError::Usage {
            message: format!("the bootstrap stack does not synthesize: {e}"),
        })?;
        let assembly = CloudAssembly::from_synth(&assembly);
        let outputs_dir = self.options.outputs_dir.take();
        let result = self.deploy(&assembly, &[]).await;
        self.options.outputs_dir = outputs_dir;
        result?
            .into_iter()
            .next()
            .ok_or_else(|| DeployError::Usage {
                message: "the bootstrap assembly has no stack".to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_staging_bucket_is_named_per_account_and_region_and_tls_only() {
        let a = bootstrap_app().synth().expect("synthesizes");
        let t = &a.stacks[0].template;
        let b = &t["Resources"]["StagingBucket"];
        assert_eq!(
            b["Properties"]["BucketName"],
            json!({"Fn::Sub": "stackforge-staging-${AWS::AccountId}-${AWS::Region}"})
        );
        assert_eq!(b["DeletionPolicy"], "Retain");
        let statement =
            &t["Resources"]["StagingBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"][0];
        assert_eq!(
            statement["Condition"]["Bool"]["aws:SecureTransport"],
            json!(false)
        );
        assert_eq!(
            t["Resources"]["StagingRepository"]["Properties"]["RepositoryName"],
            STAGING_REPOSITORY
        );
    }
}
