//! Clients and calls: every AWS call goes through [`Engine::call`], which classifies errors
//! and backs off while the call is throttled.

use std::future::Future;
use std::time::Duration;

use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::classify::{classify, ErrorKind};
use super::error::{ApiError, DeployError};
use super::event::Event;
use super::Engine;

/// The clients the engine talks to: built by [`connect`], or by tests with mocks.
#[derive(Clone, Debug)]
pub struct Clients {
    /// CloudFormation.
    pub cfn: aws_sdk_cloudformation::Client,
    /// STS, for GetCallerIdentity.
    pub sts: aws_sdk_sts::Client,
    /// S3: large templates and assets (`None`: no uploads possible).
    pub s3: Option<aws_sdk_s3::Client>,
    /// ECR: image requirements (`None`: the checks are skipped with a note).
    pub ecr: Option<aws_sdk_ecr::Client>,
    /// The region the clients use.
    pub region: String,
    /// The endpoint override, if any.
    pub endpoint_url: Option<String>,
}

/// Where and as whom to connect. Everything unset comes from the standard AWS chain
/// (`AWS_PROFILE`, `AWS_REGION`, environment keys, SSO, instance roles, …).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Connection {
    /// A named profile of the shared AWS config.
    pub profile: Option<String>,
    /// The region.
    pub region: Option<String>,
    /// An endpoint override (also `AWS_ENDPOINT_URL`), e.g. a local emulator.
    pub endpoint_url: Option<String>,
}

impl Connection {
    /// A connection from the standard chain with these overrides.
    pub fn new(
        profile: Option<String>,
        region: Option<String>,
        endpoint_url: Option<String>,
    ) -> Self {
        Connection {
            profile,
            region,
            endpoint_url,
        }
    }
}

/// Builds the clients from the standard AWS chain and the overrides.
pub async fn connect(c: &Connection) -> Result<Clients, DeployError> {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(p) = &c.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &c.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    if let Some(u) = &c.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    let conf = loader.load().await;
    let region = conf
        .region()
        .map(|r| r.as_ref().to_owned())
        .ok_or(DeployError::NoRegion)?;
    let endpoint_url = conf.endpoint_url().map(str::to_owned);
    // Local endpoints (moto, LocalStack) need path-style S3 addressing.
    let s3_conf = aws_sdk_s3::config::Builder::from(&conf)
        .force_path_style(endpoint_url.is_some())
        .build();
    Ok(Clients {
        cfn: aws_sdk_cloudformation::Client::new(&conf),
        sts: aws_sdk_sts::Client::new(&conf),
        s3: Some(aws_sdk_s3::Client::from_conf(s3_conf)),
        ecr: Some(aws_sdk_ecr::Client::new(&conf)),
        region,
        endpoint_url,
    })
}

/// An SDK error as an [`ApiError`].
pub(crate) fn api_error<E>(operation: &'static str, e: &SdkError<E, HttpResponse>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = e.code().map(str::to_owned);
    let status = match e {
        SdkError::ServiceError(se) => Some(se.raw().status().as_u16()),
        SdkError::ResponseError(re) => Some(re.raw().status().as_u16()),
        _ => None,
    };
    let message = match (e.message(), status) {
        (Some(m), _) => m.to_owned(),
        // An answer without a parsable error (e.g. an emulator's HTTP 500).
        (None, Some(s)) => format!("HTTP {s} without an AWS error in the body"),
        (None, None) => DisplayErrorContext(e).to_string(),
    };
    ApiError {
        operation,
        kind: classify(code.as_deref(), &message, status),
        code,
        message,
    }
}

impl Engine<'_> {
    /// Calls an API; while it is throttled, waits (doubling from the options' back-off, at
    /// most 30 s) and tries again, up to the options' attempts.
    pub(crate) async fn call<T, E, F, Fut>(
        &mut self,
        operation: &'static str,
        mut f: F,
    ) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let mut wait = self.options.throttle_backoff;
        let mut attempt = 1;
        loop {
            match f().await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    let err = api_error(operation, &e);
                    if err.kind == ErrorKind::Throttling && attempt < self.options.max_attempts {
                        self.emit(Event::Throttled {
                            operation,
                            code: err.code.clone(),
                            retry_in: wait,
                        });
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(30));
                        attempt += 1;
                        continue;
                    }
                    return Err(err);
                }
            }
        }
    }
}
