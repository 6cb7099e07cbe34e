//! [`ContainerRepository`]: an ECR repository for one application's images.
//!
//! Secure by default: tags are immutable (a deploy names a version or commit tag, never a
//! re-pushed `latest`), images are scanned on push, encrypted with KMS, and a lifecycle policy
//! keeps the last N images. Pull access is granted to exactly the roles that use it
//! ([`ContainerRepository::grant_pull`]); a stack that runs an image declares a pre-deploy
//! check that the tag exists ([`ContainerRepository::require_image`]).
//!
//! ```
//! use stackforge::App;
//! use stackforge_modules::container_repository::{ContainerRepository, ContainerRepositoryProps};
//!
//! let mut app = App::new();
//! let mut registry = app.stack("registry");
//! let repo = ContainerRepository::new(&mut registry, "Api", ContainerRepositoryProps {
//!     repository_name: Some("falafel-api".into()),
//!     empty_on_delete: true,
//!     ..Default::default()
//! });
//! let t = &app.synth().unwrap().stacks[0].template;
//! assert_eq!(t["Resources"]["ApiRepository"]["Properties"]["ImageTagMutability"], "IMMUTABLE");
//! # let _ = repo;
//! ```

use serde_json::json;
use stackforge::cfn::ecr::{self, repository};
use stackforge::{sub, Grant, Handle, Requirement, Scope, Val};

use crate::grants;
use crate::refs::Grantee;

pub use crate::codes::{INVALID_IMAGE_REFERENCE, INVALID_REPOSITORY};

/// Options of [`ContainerRepository`].
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerRepositoryProps {
    /// The repository name (2–256 characters: lower-case letters, digits, `._-/`). A literal
    /// name lets other stacks and CI refer to it, and lets deploy check an image tag
    /// ([`ContainerRepository::require_image`]).
    /// Default: none (CloudFormation generates a name).
    pub repository_name: Option<String>,
    /// How many images the lifecycle policy keeps; older ones expire.
    /// Default: `20`.
    pub keep_last_images: u32,
    /// Allow a tag to be pushed again (`MUTABLE`). Leave it off: with immutable tags a deploy
    /// always runs the image that was tested.
    /// Default: `false` (tags are immutable).
    pub mutable_tags: bool,
    /// Delete the images when the repository is deleted (`EmptyOnDelete`), so `destroy`
    /// can remove it. Without it, deleting a repository that holds images fails.
    /// Default: `false`.
    pub empty_on_delete: bool,
    /// A customer-managed KMS key (ARN) for image encryption.
    /// Default: none (the AWS-managed key `aws/ecr`).
    pub kms_key_arn: Option<Val<String>>,
}

impl Default for ContainerRepositoryProps {
    fn default() -> Self {
        ContainerRepositoryProps {
            repository_name: None,
            keep_last_images: 20,
            mutable_tags: false,
            empty_on_delete: false,
            kms_key_arn: None,
        }
    }
}

/// An ECR repository with scanning, immutable tags, encryption and a lifecycle policy.
#[derive(Clone, Debug)]
pub struct ContainerRepository {
    /// The `AWS::ECR::Repository` (id `<id>Repository`).
    pub repository: Handle<ecr::Repository>,
    /// The literal repository name, when one was given.
    pub name: Option<String>,
    /// The stack that holds the repository.
    pub stack: String,
}

/// Checks an ECR repository name: 2–256 characters, lower-case letters, digits and `._-/`,
/// starting with a letter or digit.
pub fn check_repository_name(name: &str) -> Result<(), String> {
    if !(2..=256).contains(&name.len()) {
        return Err(format!(
            "`{name}` has {} characters; ECR allows 2 to 256",
            name.len()
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return Err(format!(
            "`{name}` must start with a lower-case letter or digit"
        ));
    }
    if let Some(c) = name.chars().find(|c| {
        !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '/'))
    }) {
        return Err(format!("`{name}` contains `{c}`"));
    }
    Ok(())
}

/// Checks an image tag: 1–128 characters of letters, digits, `_.-`, not starting with `.`
/// or `-`.
pub fn check_image_tag(tag: &str) -> Result<(), String> {
    if tag.is_empty() || tag.len() > 128 {
        return Err(format!("tag `{tag}` must have 1 to 128 characters"));
    }
    if tag.starts_with(['.', '-']) {
        return Err(format!("tag `{tag}` must not start with `.` or `-`"));
    }
    if let Some(c) = tag
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(format!("tag `{tag}` contains `{c}`"));
    }
    Ok(())
}

impl ContainerRepository {
    /// Creates the repository under `id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: ContainerRepositoryProps) -> Self {
        let mut s = scope.child(id);
        if let Some(name) = &props.repository_name {
            if let Err(why) = check_repository_name(name) {
                s.error(
                    INVALID_REPOSITORY,
                    "Repository",
                    Some("Properties.RepositoryName"),
                    why,
                    "use lower-case letters, digits and `._-/`, e.g. `falafel-api`",
                );
            }
        }
        if !(1..=10_000).contains(&props.keep_last_images) {
            s.error(
                INVALID_REPOSITORY,
                "Repository",
                Some("Properties.LifecyclePolicy"),
                format!(
                    "keep_last_images is {}; it must be 1 to 10000",
                    props.keep_last_images
                ),
                "keep at least the image that runs and the one before it, e.g. 20",
            );
        }
        let keep = props.keep_last_images.clamp(1, 10_000);
        let mut policy = json!({
            "rules": [{
                "rulePriority": 1,
                "description": format!("keep the last {keep} images"),
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep},
                "action": {"type": "expire"}
            }]
        });
        // Sorted keys: the text must not depend on serde_json's `preserve_order` feature,
        // which another crate in the build may turn on.
        policy.sort_all_objects();
        let mut encryption =
            repository::EncryptionConfiguration::new(repository::EncryptionType::Kms);
        encryption.kms_key = props.kms_key_arn.clone();
        let repo = ecr::Repository {
            repository_name: props.repository_name.as_deref().map(Val::from),
            image_tag_mutability: Some(if props.mutable_tags {
                repository::ImageTagMutability::Mutable.into()
            } else {
                repository::ImageTagMutability::Immutable.into()
            }),
            image_scanning_configuration: Some(repository::ImageScanningConfiguration {
                scan_on_push: Some(true.into()),
            }),
            encryption_configuration: Some(encryption),
            lifecycle_policy: Some(repository::LifecyclePolicy {
                lifecycle_policy_text: Some(policy.to_string().into()),
                ..Default::default()
            }),
            empty_on_delete: Some(props.empty_on_delete.into()),
            ..Default::default()
        };
        let repository = s.add("Repository", repo);
        // The secure settings: an override that changes one without a reason is a warning.
        if !props.mutable_tags {
            s.protect(repository, &["ImageTagMutability"], "immutable tags");
        }
        s.protect(repository, &["ImageScanningConfiguration"], "scan on push");
        s.protect(repository, &["EncryptionConfiguration"], "encryption");
        ContainerRepository {
            repository,
            name: props.repository_name,
            stack: scope.stack_name().to_owned(),
        }
    }

    /// The repository URI (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`).
    pub fn uri(&self) -> Val<String> {
        self.repository.attr_repository_uri()
    }

    /// The repository ARN.
    pub fn arn(&self) -> Val<String> {
        self.repository.attr_arn()
    }

    /// The repository name (`Ref`).
    pub fn repository_name(&self) -> Val<String> {
        self.repository.reference()
    }

    /// "The image tagged `tag` in this repository": `<uri>:<tag>`, for a container image.
    pub fn image(&self, tag: &str) -> Val<String> {
        sub!(self.uri(), ":", tag)
    }

    /// Lets `grantee` pull images from exactly this repository ([`grants::ECR_PULL`]), plus
    /// `ecr:GetAuthorizationToken`, which has no resource-level permissions (`*`).
    pub fn grant_pull(&self, scope: &mut Scope<'_>, grantee: &dyn Grantee) -> Grant {
        grants::grant(
            scope,
            grantee,
            vec![
                grants::allow("PullRepository", grants::ECR_PULL, vec![self.arn()]),
                grants::allow(
                    "RegistryLogin",
                    &["ecr:GetAuthorizationToken"],
                    vec!["*".into()],
                ),
            ],
            None,
        )
    }

    /// Declares on the consuming stack (`scope`) that `tag` must exist in this repository
    /// before that stack deploys. The deploy engine checks it with `ecr:DescribeImages` and,
    /// if it is missing, stops after the repository's stack and prints the push commands.
    pub fn require_image(&self, scope: &mut Scope<'_>, tag: &str) {
        let Some(name) = &self.name else {
            scope.error(
                INVALID_IMAGE_REFERENCE,
                "",
                None,
                "an image requirement needs the repository's literal name",
                "set ContainerRepositoryProps::repository_name",
            );
            return;
        };
        if let Err(why) = check_image_tag(tag) {
            scope.error(
                INVALID_IMAGE_REFERENCE,
                "",
                None,
                why,
                "tag images with a version or the commit SHA, e.g. `1.4.2` or `3f2c1ab`",
            );
            return;
        }
        let producer = (self.stack != scope.stack_name()).then(|| self.stack.clone());
        scope.require(Requirement::ImageExists {
            repository: name.clone(),
            tag: tag.to_owned(),
            producer,
        });
    }
}
