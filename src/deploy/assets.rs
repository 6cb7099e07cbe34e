//! The staging bucket: templates over 51,200 bytes (`templates/<sha256>.json`) and file
//! assets (`assets/<sha256>.zip`), each uploaded once (an object already there under its
//! content-addressed key is skipped). Container images are designed but not published yet.

use super::classify::ErrorKind;
use super::error::DeployError;
use super::event::{Event, Identity};
use super::Engine;
use crate::assembly::{sha256_hex, AssetKind, CloudAssembly, LoadedStack};
use crate::synth::{MAX_INLINE_TEMPLATE, MAX_TEMPLATE};

/// The largest file asset uploaded (one PutObject).
pub const MAX_FILE_ASSET: u64 = 256 * 1024 * 1024;

/// The staging bucket of an account and region (`stackforge bootstrap` creates it).
pub fn staging_bucket(account: &str, region: &str) -> String {
    format!("stackforge-staging-{account}-{region}")
}

/// Where a large template goes in the bucket.
pub(crate) fn template_key(body: &str) -> String {
    format!("templates/{}.json", sha256_hex(body.as_bytes()))
}

impl Engine<'_> {
    /// The template inline, or uploaded to the bucket (the options' `bucket`, else the
    /// staging bucket) when it is over the inline limit: `(body, url)`.
    pub(crate) async fn template_source(
        &mut self,
        s: &LoadedStack,
        account: &str,
    ) -> Result<(Option<String>, Option<String>), DeployError> {
        let body = s.minified();
        let bytes = body.len();
        let stack = s.entry.name.clone();
        if bytes > MAX_TEMPLATE {
            return Err(DeployError::TemplateTooLarge {
                stack,
                bytes,
                limit: MAX_TEMPLATE,
            });
        }
        if bytes <= MAX_INLINE_TEMPLATE {
            return Ok((Some(body), None));
        }
        let too_large = || DeployError::TemplateTooLarge {
            stack: stack.clone(),
            bytes,
            limit: MAX_INLINE_TEMPLATE,
        };
        if self.clients.s3.is_none() {
            return Err(too_large());
        }
        let bucket = match self.options.bucket.clone() {
            Some(b) => b,
            None => {
                let b = staging_bucket(account, &self.clients.region);
                if !self.bucket_exists(&b).await? {
                    return Err(too_large());
                }
                b
            }
        };
        let key = template_key(&body);
        self.put_if_absent(&bucket, &key, body.into_bytes(), "application/json")
            .await?;
        // The virtual-hosted AWS form; local endpoints (moto, LocalStack) resolve it from
        // their own S3 too.
        let url = format!(
            "https://{bucket}.s3.{}.amazonaws.com/{key}",
            self.clients.region
        );
        self.emit(Event::TemplateUploaded {
            stack,
            url: url.clone(),
            bytes,
        });
        Ok((None, Some(url)))
    }

    /// Publishes the assets the selected stacks use, before any of them deploys.
    pub(crate) async fn publish_assets(
        &mut self,
        assembly: &CloudAssembly,
        stacks: &[&LoadedStack],
        id: &Identity,
    ) -> Result<(), DeployError> {
        let wanted: Vec<_> = assembly
            .manifest
            .assets
            .iter()
            .filter(|a| {
                a.stacks.is_empty()
                    || a.stacks
                        .iter()
                        .any(|n| stacks.iter().any(|s| &s.entry.name == n))
            })
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let bucket = staging_bucket(&id.account, &id.region);
        for asset in wanted {
            match &asset.kind {
                AssetKind::FileZip {
                    path,
                    sha256,
                    object_key,
                } => {
                    let Some(dir) = &assembly.dir else {
                        return Err(DeployError::Asset {
                            id: asset.id.clone(),
                            message: "file assets are read from the assembly directory; write the assembly first (synth) and deploy it from there".to_owned(),
                        });
                    };
                    if self.clients.s3.is_none() || !self.bucket_exists(&bucket).await? {
                        return Err(DeployError::NotBootstrapped {
                            what: format!("asset {}", asset.id),
                            bucket,
                        });
                    }
                    let file = dir.join(path);
                    let bytes = crate::template::read_regular_file(&file, MAX_FILE_ASSET)?;
                    let actual = sha256_hex(&bytes);
                    if &actual != sha256 {
                        return Err(DeployError::Asset {
                            id: asset.id.clone(),
                            message: format!("{} has sha256 {actual}, but the manifest says {sha256}; synthesize again", file.display()),
                        });
                    }
                    let skipped = !self
                        .put_if_absent(&bucket, object_key, bytes, "application/zip")
                        .await?;
                    self.emit(Event::AssetPublished {
                        id: asset.id.clone(),
                        bucket: bucket.clone(),
                        key: object_key.clone(),
                        skipped,
                    });
                }
                AssetKind::ContainerImage {
                    repository, tag, ..
                } => {
                    return Err(DeployError::Asset {
                        id: asset.id.clone(),
                        message: format!("container-image assets are not published by this stackforge yet (building needs a Docker engine): build the image and push it to {repository}:{tag} yourself, then deploy"),
                    });
                }
            }
        }
        Ok(())
    }

    async fn bucket_exists(&mut self, bucket: &str) -> Result<bool, DeployError> {
        let Some(s3) = self.clients.s3.clone() else {
            return Ok(false);
        };
        match self
            .call("HeadBucket", || s3.head_bucket().bucket(bucket).send())
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Uploads unless an object is already there under `key`; `true` when it uploaded.
    pub(crate) async fn put_if_absent(
        &mut self,
        bucket: &str,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
    ) -> Result<bool, DeployError> {
        let Some(s3) = self.clients.s3.clone() else {
            return Ok(false);
        };
        match self
            .call("HeadObject", || {
                s3.head_object().bucket(bucket).key(key).send()
            })
            .await
        {
            Ok(_) => return Ok(false),
            Err(e) if e.kind == ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        self.call("PutObject", || {
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .content_type(content_type)
                .body(body.clone().into())
                .send()
        })
        .await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_content_addressed_and_per_account_and_region() {
        assert_eq!(
            staging_bucket("123456789012", "eu-west-1"),
            "stackforge-staging-123456789012-eu-west-1"
        );
        assert_eq!(
            template_key("abc"),
            "templates/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.json"
        );
    }
}
