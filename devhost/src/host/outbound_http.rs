//! Outbound HTTP (`wasi:http/outgoing-handler`) with Spin's rules:
//! `allowed_outbound_hosts` is enforced (denied = `ErrorCode::HttpRequestDenied`),
//! and `http://<component-id>.spin.internal/...` is served in-process by that
//! component (service chaining), which is how private routes are reached.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use super::store_calls::StoreCalls;

/// A malformed `allowed_outbound_hosts` entry.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid allowed_outbound_hosts entry '{entry}': {reason}")]
pub struct AllowedHostError {
    pub entry: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortRule {
    Any,
    /// No port written: the scheme's default port.
    Default,
    Range(u16, u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct HostRule {
    /// `None` = `*`.
    scheme: Option<String>,
    /// `*`, `*.suffix` or an exact name.
    host: String,
    port: PortRule,
}

/// The parsed `allowed_outbound_hosts` of one component.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    rules: Vec<HostRule>,
}

impl AllowedHosts {
    /// Parses entries like `https://api.example.com`, `http://localhost:3001`,
    /// `*://*.example.com:*`, `http://*.spin.internal`, `https://*:8000..8010`.
    /// Templates must already be rendered.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, AllowedHostError> {
        let mut rules = Vec::new();
        for entry in entries {
            let entry = entry.as_ref();
            let err = |reason: &str| AllowedHostError {
                entry: entry.to_string(),
                reason: reason.to_string(),
            };
            let (scheme, rest) = entry
                .split_once("://")
                .ok_or_else(|| err("must be scheme://host[:port]"))?;
            let rest = rest.trim_end_matches('/');
            if rest.contains('/') {
                return Err(err("paths are not allowed"));
            }
            let (host, port) = match rest.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            };
            if host.is_empty() {
                return Err(err("missing host"));
            }
            let port = match port {
                None => PortRule::Default,
                Some("*") => PortRule::Any,
                Some(p) => match p.split_once("..") {
                    Some((a, b)) => PortRule::Range(
                        a.parse().map_err(|_| err("bad port range"))?,
                        b.parse::<u16>()
                            .map_err(|_| err("bad port range"))?
                            .saturating_sub(1),
                    ),
                    None => {
                        let n: u16 = p.parse().map_err(|_| err("bad port"))?;
                        PortRule::Range(n, n)
                    }
                },
            };
            if scheme == "*" && port == PortRule::Default {
                return Err(err("a wildcard scheme needs an explicit port (or :*)"));
            }
            // As Spin: without a port the scheme must have a well-known one.
            if port == PortRule::Default && well_known_port(&scheme.to_ascii_lowercase()).is_none()
            {
                return Err(err("no port given and the scheme has no well-known port"));
            }
            rules.push(HostRule {
                scheme: (scheme != "*").then(|| scheme.to_ascii_lowercase()),
                host: host.to_ascii_lowercase(),
                port,
            });
        }
        Ok(Self { rules })
    }

    /// Whether a request to `scheme://host:port` is allowed; no `port` = the scheme's
    /// well-known one (a scheme without one is then allowed only by a `:*` rule, as in Spin).
    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let scheme = scheme.to_ascii_lowercase();
        let host = host.to_ascii_lowercase();
        let default_port = well_known_port(&scheme);
        let port = port.or(default_port);
        self.rules.iter().any(|r| {
            let scheme_ok = r.scheme.as_deref().is_none_or(|s| s == scheme);
            let host_ok = r.host == "*"
                || r.host == host
                || r.host
                    .strip_prefix("*.")
                    .is_some_and(|suffix| host.ends_with(&format!(".{suffix}")));
            let port_ok = match r.port {
                PortRule::Any => true,
                PortRule::Default => port.is_some() && port == default_port,
                PortRule::Range(a, b) => port.is_some_and(|p| (a..=b).contains(&p)),
            };
            scheme_ok && host_ok && port_ok
        })
    }

    /// Whether service chaining to `component_id` is allowed: the caller must
    /// list `http://<id>.spin.internal` or `http://*.spin.internal`.
    pub fn allows_chaining_to(&self, component_id: &str) -> bool {
        self.rules.iter().any(|r| {
            r.scheme.as_deref().is_none_or(|s| s == "http")
                && (r.host == format!("{component_id}.spin.internal")
                    || r.host == "*.spin.internal")
        })
    }
}

/// The port an `allowed_outbound_hosts` entry or an address without one means, as Spin's
/// list of well-known ports.
pub fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "mqtt" => Some(1883),
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

/// A boxed future as the wasi-http hooks want it.
pub type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Dispatches a chained request to a component inside this host.
pub trait ChainDispatch: Send + Sync {
    fn dispatch(
        &self,
        component_id: String,
        request: http::Request<WasiBody>,
        calls: Arc<StoreCalls>,
    ) -> BoxFut<Result<http::Response<WasiBody>, String>>;
    fn has_component(&self, component_id: &str) -> bool;
}

/// Per-request wasi-http hooks for one component.
pub struct OutboundHooks {
    pub(crate) component_id: String,
    pub(crate) allowed: Arc<AllowedHosts>,
    pub(crate) chain: Option<Arc<dyn ChainDispatch>>,
    /// The calling request's counts, which a chained request adds to.
    pub(crate) calls: Arc<StoreCalls>,
}

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;
type SendResult = Result<(http::Response<WasiBody>, IoFuture), HttpError>;

impl WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: IoFuture,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        let uri = request.uri().clone();
        let scheme = uri.scheme_str().unwrap_or("http").to_string();
        let host = uri.host().unwrap_or("").to_ascii_lowercase();
        let caller = self.component_id.clone();

        if let Some(target) = host.strip_suffix(".spin.internal") {
            let target = target.to_string();
            let allowed = self.allowed.allows_chaining_to(&target);
            let chain = self.chain.clone();
            let calls = self.calls.clone();
            return Box::new(async move {
                if !allowed {
                    tracing::warn!(component = %caller, %uri, "service chaining denied: not in allowed_outbound_hosts");
                    return Err(HttpError::HttpRequestDenied);
                }
                let Some(chain) = chain.filter(|c| c.has_component(&target)) else {
                    return Err(HttpError::DestinationNotFound);
                };
                let resp = chain
                    .dispatch(target, request, calls)
                    .await
                    .map_err(|e| HttpError::InternalError(Some(e)))?;
                Ok((resp, Box::new(async { Ok(()) }) as IoFuture))
            });
        }

        let allowed = self.allowed.allows(&scheme, &host, uri.port_u16());
        Box::new(async move {
            if !allowed {
                tracing::warn!(component = %caller, %uri, "outbound request denied: not in allowed_outbound_hosts");
                return Err(HttpError::HttpRequestDenied);
            }
            let (resp, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((resp.map(BodyExt::boxed_unsync), Box::new(io) as IoFuture))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_host_uses_default_port() -> Result<(), AllowedHostError> {
        let a = AllowedHosts::parse(&["https://api.example.com"])?;
        assert!(a.allows("https", "api.example.com", None));
        assert!(a.allows("https", "api.example.com", Some(443)));
        assert!(!a.allows("https", "api.example.com", Some(8443)));
        assert!(!a.allows("http", "api.example.com", None));
        assert!(!a.allows("https", "example.com", None));
        Ok(())
    }

    #[test]
    fn wildcards_for_host_scheme_and_port() -> Result<(), AllowedHostError> {
        let a = AllowedHosts::parse(&["*://*.example.com:*", "http://localhost:3000..3002"])?;
        assert!(a.allows("http", "a.example.com", Some(1234)));
        assert!(a.allows("https", "b.c.example.com", None));
        assert!(!a.allows("https", "example.com", None));
        assert!(a.allows("http", "localhost", Some(3001)));
        assert!(!a.allows("http", "localhost", Some(3002)));
        Ok(())
    }

    #[test]
    fn chaining_needs_the_internal_host() -> Result<(), AllowedHostError> {
        let a = AllowedHosts::parse(&["http://authz.spin.internal"])?;
        assert!(a.allows_chaining_to("authz"));
        assert!(!a.allows_chaining_to("billing"));
        let all = AllowedHosts::parse(&["http://*.spin.internal"])?;
        assert!(all.allows_chaining_to("billing"));
        assert!(!AllowedHosts::default().allows_chaining_to("authz"));
        Ok(())
    }

    #[test]
    fn database_schemes_have_their_well_known_ports() -> Result<(), AllowedHostError> {
        let a = AllowedHosts::parse(&["postgres://db.internal", "redis://127.0.0.1:7000"])?;
        assert!(a.allows("postgres", "db.internal", None));
        assert!(a.allows("postgres", "db.internal", Some(5432)));
        assert!(!a.allows("postgres", "db.internal", Some(5433)));
        assert!(!a.allows("http", "db.internal", None));
        assert!(a.allows("redis", "127.0.0.1", Some(7000)));
        assert!(!a.allows("redis", "127.0.0.1", None));
        let any = AllowedHosts::parse(&["*://*:*"])?;
        assert!(any.allows("postgres", "anywhere", None));
        assert!(any.allows("ftp", "anywhere", Some(21)));
        assert!(any.allows("ftp", "anywhere", None));
        Ok(())
    }

    #[test]
    fn rejects_malformed_entries() {
        assert!(AllowedHosts::parse(&["ftp://example.com"]).is_err());
        assert!(AllowedHosts::parse(&["example.com"]).is_err());
        assert!(AllowedHosts::parse(&["https://example.com/path"]).is_err());
        assert!(AllowedHosts::parse(&["*://example.com"]).is_err());
        assert!(AllowedHosts::parse(&["http://example.com:http"]).is_err());
    }
}
