//! [`HttpApi`]: an API Gateway HTTP API (v2) whose routes call Lambda functions, with a
//! `$default` stage that writes access logs to its own [`LogGroup`] and throttles every route.
//!
//! Each route ([`HttpApi::add_route`]) is an integration (`AWS_PROXY`, payload 2.0), the route
//! itself (IAM authorization unless told otherwise), and the `AWS::Lambda::Permission` that
//! lets API Gateway invoke the function **from this route only**: its `SourceArn` is
//! `arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*/<METHOD>/<path>`
//! (`*` for `ANY` and for path parameters, `$default` for the default route).
//!
//! Logical IDs (for id `Api`): `ApiApi`, `ApiAccessLogGroup` (a [`LogGroup`]), `ApiStage`;
//! per route `Orders`: `ApiOrdersIntegration`, `ApiOrdersRoute`, `ApiOrdersPermission`.

use stackforge::cfn::apigatewayv2 as apigw;
use stackforge::{pseudo, sub, Handle, Scope, Val};

use crate::codes;
use crate::function::Function;
use crate::log_group::{LogGroup, LogGroupProps};
use crate::metrics::Metric;

/// How a route authorizes callers.
#[derive(Clone, Debug, PartialEq)]
pub enum RouteAuthorization {
    /// Callers sign requests with SigV4 and need `execute-api:Invoke` (`AWS_IAM`).
    Iam,
    /// A JWT authorizer of the API (by its ID), with the scopes the route requires.
    Jwt {
        /// The authorizer's ID (`Ref` of an `AWS::ApiGatewayV2::Authorizer`).
        authorizer_id: Val<String>,
        /// OAuth scopes the token must carry. Empty: any valid token.
        scopes: Vec<String>,
    },
    /// No authorization: anyone on the internet may call the route. The reason is written
    /// next to the checkov skip (CKV_AWS_309).
    None {
        /// Why the route is public.
        reason: String,
    },
}

/// Options of [`HttpApi`].
#[derive(Clone, Debug, PartialEq)]
pub struct HttpApiProps {
    /// The API's name. Default: `None` (the pattern's full path).
    pub name: Option<Val<String>>,
    /// Steady-state requests per second for every route (`ThrottlingRateLimit`, > 0).
    /// Default: `100`.
    pub throttling_rate_limit: Val<f64>,
    /// Burst capacity for every route (`ThrottlingBurstLimit`, ≥ 1). Default: `200`.
    pub throttling_burst_limit: Val<i64>,
    /// Retention of the access logs, in days. Default: `30`.
    pub access_log_retention_days: Val<i64>,
    /// The description. Default: `None`.
    pub description: Option<Val<String>>,
}

impl Default for HttpApiProps {
    fn default() -> Self {
        HttpApiProps {
            name: None,
            throttling_rate_limit: 100.0.into(),
            throttling_burst_limit: 200.into(),
            access_log_retention_days: 30.into(),
            description: None,
        }
    }
}

/// One route's resources.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpRoute {
    /// The integration (`<api><id>Integration`).
    pub integration: Handle<apigw::Integration>,
    /// The route (`<api><id>Route`).
    pub route: Handle<apigw::Route>,
    /// The permission (`<api><id>Permission`).
    pub permission: Handle<stackforge::cfn::lambda::Permission>,
}

/// An HTTP API with a logged, throttled `$default` stage.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpApi {
    /// The `AWS::ApiGatewayV2::Api` (id `<id>Api`).
    pub api: Handle<apigw::Api>,
    /// The `$default` stage (id `<id>Stage`), deployed automatically.
    pub stage: Handle<apigw::Stage>,
    /// The access-log group (id `<id>AccessLogGroup`).
    pub access_logs: LogGroup,
    /// The pattern's full path.
    pub name: String,
}

/// The access-log line: one JSON object per request.
const ACCESS_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","requestTime":"$context.requestTime","routeKey":"$context.routeKey","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","integrationError":"$context.integrationErrorMessage"}"#;

/// HTTP methods a route key may start with.
const METHODS: &[&str] = &[
    "ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT",
];

/// Why a route key is refused ([`route_arn_parts`]); its code is [`codes::INVALID_ROUTE`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RouteKeyError {
    /// Not `METHOD /path` or `$default`.
    #[error("`{route_key}` is not `METHOD /path` (e.g. `GET /orders`) or `$default`")]
    Form {
        /// The route key given.
        route_key: String,
    },
    /// Not an HTTP method.
    #[error("`{method}` is not an HTTP method (one of {})", METHODS.join(", "))]
    Method {
        /// The method given.
        method: String,
    },
    /// Not a path starting with `/` (or with spaces or `//`).
    #[error("`{path}` is not a path starting with /")]
    Path {
        /// The path given.
        path: String,
    },
    /// A segment with braces that is not a path parameter.
    #[error("`{segment}` is not a path parameter such as {{id}}")]
    Parameter {
        /// The segment.
        segment: String,
    },
    /// A greedy parameter (`{proxy+}`) before the last segment.
    #[error("the greedy parameter `{segment}` must be the last segment")]
    GreedyNotLast {
        /// The segment.
        segment: String,
    },
}

impl RouteKeyError {
    /// The code: [`codes::INVALID_ROUTE`].
    pub fn code(&self) -> stackforge::Code {
        codes::INVALID_ROUTE
    }
}

/// Checks a route key (`GET /orders/{id}`, `ANY /{proxy+}`, `$default`) and returns the
/// method and path parts of its execute-api ARN (`GET`, `/orders/*`).
pub fn route_arn_parts(route_key: &str) -> Result<(String, String), RouteKeyError> {
    if route_key == "$default" {
        return Ok(("$default".into(), String::new()));
    }
    let Some((method, path)) = route_key.split_once(' ') else {
        return Err(RouteKeyError::Form {
            route_key: route_key.to_owned(),
        });
    };
    if !METHODS.contains(&method) {
        return Err(RouteKeyError::Method {
            method: method.to_owned(),
        });
    }
    if !path.starts_with('/') || path.contains(char::is_whitespace) || path.contains("//") {
        return Err(RouteKeyError::Path {
            path: path.to_owned(),
        });
    }
    let mut arn_path = String::new();
    for (i, seg) in path.split('/').enumerate().skip(1) {
        let param = seg.starts_with('{') && seg.ends_with('}') && seg.len() > 2;
        if seg.contains(['{', '}']) && !param {
            return Err(RouteKeyError::Parameter {
                segment: seg.to_owned(),
            });
        }
        if seg.ends_with("+}") && i != path.split('/').count() - 1 {
            return Err(RouteKeyError::GreedyNotLast {
                segment: seg.to_owned(),
            });
        }
        arn_path.push('/');
        arn_path.push_str(if param { "*" } else { seg });
    }
    let method = if method == "ANY" { "*" } else { method };
    Ok((method.to_owned(), arn_path))
}

impl HttpApi {
    /// Creates the API, its stage and its access-log group under `id`.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: HttpApiProps) -> Self {
        let name = scope.logical_id_for(id);
        let access_logs = LogGroup::new(
            scope,
            &format!("{id}Access"),
            LogGroupProps {
                retention_days: props.access_log_retention_days.clone(),
                ..Default::default()
            },
        );
        let mut s = scope.child(id);
        s.check_values(
            codes::INVALID_ROUTE,
            "Stage",
            Some("Properties.DefaultRouteSettings"),
            &[
                props.throttling_rate_limit.expr(),
                props.throttling_burst_limit.expr(),
            ],
            |v| {
                let rate = v[0]
                    .as_f64()
                    .or_else(|| v[0].as_str().and_then(|t| t.parse().ok()));
                let burst = crate::key::whole(&v[1]);
                match (rate, burst) {
                    (Some(r), Some(b)) if r > 0.0 && b >= 1 => Ok(()),
                    _ => Err(format!(
                        "throttling of {} requests/s with a burst of {} would refuse every request",
                        v[0], v[1]
                    )),
                }
            },
        );
        let api = s.add(
            "Api",
            apigw::Api {
                name: Some(props.name.clone().unwrap_or_else(|| name.clone().into())),
                protocol_type: Some("HTTP".into()),
                description: props.description.clone(),
                ..Default::default()
            },
        );
        let stage = s.add(
            "Stage",
            apigw::Stage {
                auto_deploy: Some(true.into()),
                access_log_settings: Some(apigw::stage::AccessLogSettings {
                    destination_arn: Some(access_logs.arn()),
                    format: Some(ACCESS_LOG_FORMAT.into()),
                }),
                default_route_settings: Some(apigw::stage::RouteSettings {
                    throttling_rate_limit: Some(props.throttling_rate_limit.clone()),
                    throttling_burst_limit: Some(props.throttling_burst_limit.clone()),
                    detailed_metrics_enabled: Some(true.into()),
                    ..Default::default()
                }),
                ..apigw::Stage::new(api.reference(), "$default")
            },
        );
        HttpApi {
            api,
            stage,
            access_logs,
            name,
        }
    }

    /// The API's ID (`Ref`).
    pub fn api_id(&self) -> Val<String> {
        self.api.reference()
    }

    /// The API's URL, `https://<api id>.execute-api.<region>.<url suffix>`: the value of the
    /// `ApiEndpoint` attribute, built from the API's `Ref` (so an output of it works wherever
    /// the `Ref` does, including emulators without a model of the API's attributes).
    pub fn url(&self) -> Val<String> {
        sub!(
            "https://",
            self.api.reference(),
            ".execute-api.",
            pseudo::region(),
            ".",
            pseudo::url_suffix()
        )
    }

    /// Routes `route_key` (`POST /orders`, `GET /orders/{id}`, `$default`) to `function`:
    /// the integration, the route and the permission with the route's exact source ARN,
    /// named `<api><id>…` at the root of the API's stack. A malformed key is `SFM042`.
    pub fn add_route(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        route_key: &str,
        function: &Function,
        authorization: RouteAuthorization,
    ) -> HttpRoute {
        let mut home = scope.home_of(self.api.id());
        let prefix = format!("{}{id}", self.name);
        let (method, path) = match route_arn_parts(route_key) {
            Ok(parts) => parts,
            Err(why) => {
                home.error(
                    codes::INVALID_ROUTE,
                    &format!("{prefix}Route"),
                    Some("Properties.RouteKey"),
                    why.to_string(),
                    "write the key as `GET /orders/{id}`, `ANY /{proxy+}` or `$default`",
                );
                ("*".into(), "/*".into())
            }
        };
        let integration = home.add(
            &format!("{prefix}Integration"),
            apigw::Integration {
                integration_uri: Some(function.arn()),
                payload_format_version: Some("2.0".into()),
                description: Some(format!("{route_key} -> {}", function.name).into()),
                ..apigw::Integration::new(self.api.reference(), "AWS_PROXY")
            },
        );
        let mut route = apigw::Route {
            target: Some(sub!("integrations/", integration.reference())),
            ..apigw::Route::new(self.api.reference(), route_key)
        };
        match &authorization {
            RouteAuthorization::Iam => route.authorization_type = Some("AWS_IAM".into()),
            RouteAuthorization::Jwt {
                authorizer_id,
                scopes,
            } => {
                route.authorization_type = Some("JWT".into());
                route.authorizer_id = Some(authorizer_id.clone());
                route.authorization_scopes = (!scopes.is_empty()).then(|| scopes.clone().into());
            }
            RouteAuthorization::None { .. } => {
                route.authorization_type = Some("NONE".into());
            }
        }
        let route = home.add(&format!("{prefix}Route"), route);
        if let RouteAuthorization::None { reason } = &authorization {
            home.skip_checkov(route, "CKV_AWS_309", reason);
        }
        let source_arn = sub!(
            "arn:",
            pseudo::partition(),
            ":execute-api:",
            pseudo::region(),
            ":",
            pseudo::account_id(),
            ":",
            self.api.reference(),
            format!("/*/{method}{path}")
        );
        let permission = function.allow_invoke(
            &mut home,
            &format!("{prefix}Permission"),
            "apigateway.amazonaws.com",
            source_arn,
        );
        HttpRoute {
            integration,
            route,
            permission,
        }
    }

    fn api_metric(&self, name: &str) -> Metric {
        Metric::new("AWS/ApiGateway", name).dimension("ApiId", self.api_id())
    }

    /// 5xx responses (`5xx`, a count, `ApiId`).
    pub fn metric_5xx(&self) -> Metric {
        Metric {
            statistic: crate::metrics::Statistic::Sum,
            kind: crate::metrics::MetricKind::Count,
            ..self.api_metric("5xx")
        }
    }

    /// p99 latency in milliseconds (`Latency`, `ApiId`).
    pub fn metric_latency(&self) -> Metric {
        self.api_metric("Latency")
            .statistic(crate::metrics::Statistic::Percentile(99.0))
    }
}
