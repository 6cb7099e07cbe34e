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
pub fn check_repository_name(name: &str) -> Result<(), RepositoryNameError> {
    let name_ = || name.to_owned();
    if !(2..=256).contains(&name.len()) {
        return Err(RepositoryNameError::Length { name: name_() });
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return Err(RepositoryNameError::Start { name: name_() });
    }
    if let Some(c) = name.chars().find(|c| {
        !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '/'))
    }) {
        return Err(RepositoryNameError::Character {
            name: name_(),
            found: c,
        });
    }
    Ok(())
}

/// Why a repository name is refused ([`check_repository_name`]); its code is
/// [`INVALID_REPOSITORY`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RepositoryNameError {
    /// Shorter than 2 or longer than 256 characters.
    #[error("`{name}` has {} characters; ECR allows 2 to 256", name.len())]
    Length {
        /// The name given.
        name: String,
    },
    /// Does not start with a lower-case letter or digit.
    #[error("`{name}` must start with a lower-case letter or digit")]
    Start {
        /// The name given.
        name: String,
    },
    /// A character ECR does not allow.
    #[error("`{name}` contains `{found}`")]
    Character {
        /// The name given.
        name: String,
        /// The first character refused.
        found: char,
    },
}

impl RepositoryNameError {
    /// The code: [`INVALID_REPOSITORY`].
    pub fn code(&self) -> stackforge::Code {
        INVALID_REPOSITORY
    }
}

/// Why an image tag is refused ([`check_image_tag`]); its code is
/// [`INVALID_IMAGE_REFERENCE`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImageTagError {
    /// Empty or longer than 128 characters.
    #[error("tag `{tag}` must have 1 to 128 characters")]
    Length {
        /// The tag given.
        tag: String,
    },
    /// Starts with `.` or `-`.
    #[error("tag `{tag}` must not start with `.` or `-`")]
    Start {
        /// The tag given.
        tag: String,
    },
    /// A character a tag cannot have.
    #[error("tag `{tag}` contains `{found}`")]
    Character {
        /// The tag given.
        tag: String,
        /// The first character refused.
        found: char,
    },
}

impl ImageTagError {
    /// The code: [`INVALID_IMAGE_REFERENCE`].
    pub fn code(&self) -> stackforge::Code {
        INVALID_IMAGE_REFERENCE
    }
}

/// Why an image reference is refused ([`check_image_reference`]): the image and the rule of
/// the grammar it breaks. Its code is [`INVALID_IMAGE_REFERENCE`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{image}` is not an image reference: {rule}")]
#[non_exhaustive]
pub struct ImageReferenceError {
    /// The image given.
    pub image: String,
    /// The rule it breaks, in words.
    pub rule: &'static str,
}

impl ImageReferenceError {
    /// The code: [`INVALID_IMAGE_REFERENCE`].
    pub fn code(&self) -> stackforge::Code {
        INVALID_IMAGE_REFERENCE
    }
}

/// Checks an image tag: 1–128 characters of letters, digits, `_.-`, not starting with `.`
/// or `-`.
pub fn check_image_tag(tag: &str) -> Result<(), ImageTagError> {
    if tag.is_empty() || tag.len() > 128 {
        return Err(ImageTagError::Length {
            tag: tag.to_owned(),
        });
    }
    if tag.starts_with(['.', '-']) {
        return Err(ImageTagError::Start {
            tag: tag.to_owned(),
        });
    }
    if let Some(c) = tag
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(ImageTagError::Character {
            tag: tag.to_owned(),
            found: c,
        });
    }
    Ok(())
}

/// Checks an image reference, with the grammar of Docker's distribution references:
///
/// ```text
/// reference  := name [ ":" tag ] [ "@" digest ]
/// name       := [ registry "/" ] component ( "/" component )*
/// registry   := host [ ":" port ]          (the first part, when it has a `.` or `:` or is
///                                           `localhost`; DNS labels, may use upper case)
/// component  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
/// tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
/// digest     := "sha256:" 64 lower-case hex digits
/// ```
///
/// So `nginx`, `nginx:1.27`, `public.ecr.aws/nginx/nginx:1.27`,
/// `123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:…` and `localhost:5000/app` are
/// accepted; `UPPER case/BAD IMAGE::tag` is not.
pub fn check_image_reference(image: &str) -> Result<(), ImageReferenceError> {
    let bad = |rule: &'static str| {
        Err(ImageReferenceError {
            image: image.to_owned(),
            rule,
        })
    };
    if image.is_empty() || image.len() > 1024 {
        return bad("it must have 1 to 1024 characters");
    }
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    if let Some(d) = digest {
        let ok = d.strip_prefix("sha256:").is_some_and(|h| {
            h.len() == 64
                && h.chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        });
        if !ok {
            return bad("a digest is `@sha256:` and 64 lower-case hex digits");
        }
    }
    // A tag is after the last `:` that follows the last `/` (a registry port comes before it).
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[slash..].find(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag {
        let ok = !t.is_empty()
            && t.len() <= 128
            && t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !ok {
            return bad("a tag has up to 128 letters, digits, `_`, `.` and `-`, and starts with a letter, digit or `_`");
        }
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    let first = parts[0];
    let registry =
        parts.len() > 1 && (first.contains('.') || first.contains(':') || first == "localhost");
    if registry {
        let (host, port) = match first.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (first, None),
        };
        let host_ok = host.split('.').all(|l| {
            !l.is_empty()
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
        let port_ok = port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
        if !host_ok || !port_ok {
            return bad("the registry must be a host name with an optional port");
        }
        parts.remove(0);
    }
    for c in &parts {
        if !component_ok(c) {
            return bad("repository names use lower-case letters and digits, separated by `.`, `_`, `__` or `-`, in `/`-separated parts");
        }
    }
    Ok(())
}

fn component_ok(c: &str) -> bool {
    if c.is_empty() {
        return false;
    }
    let bytes = c.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if alnum(b) {
            i += 1;
            continue;
        }
        // A separator: `.`, `_`, `__` or a run of `-`, followed by an alphanumeric.
        let start = i;
        match b {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if bytes.get(i) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                while bytes.get(i) == Some(&b'-') {
                    i += 1;
                }
            }
            _ => return false,
        }
        if i == start || !bytes.get(i).copied().is_some_and(alnum) {
            return false;
        }
    }
    true
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
                    why.to_string(),
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
        // Reported at the repository (in its own stack), which is what the requirement names.
        let home = scope.home_of(self.repository.id());
        let repo_id = scope.logical_id(self.repository).unwrap_or_default();
        let Some(name) = &self.name else {
            home.error(
                INVALID_IMAGE_REFERENCE,
                &repo_id,
                Some("Properties.RepositoryName"),
                "an image requirement needs the repository's literal name",
                "set ContainerRepositoryProps::repository_name",
            );
            return;
        };
        if let Err(why) = check_image_tag(tag) {
            home.error(
                INVALID_IMAGE_REFERENCE,
                &repo_id,
                Some("ImageTag"),
                why.to_string(),
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
