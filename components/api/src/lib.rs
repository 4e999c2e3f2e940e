//! The operator API component: REST under `/api/v1` with bearer-token auth.
//!
//! Operators register charge points (password, time zone, tariff), id tags and tariffs, and
//! read back charge points (with their boot information, live connection state and connector
//! statuses), transactions (with their meter samples and priced charge detail record) and
//! charge detail records (as JSON or CSV). Every list is paginated the same way
//! ([`pagination`]) and every query parameter is validated ([`query`]). The routes are listed
//! in [`router`] and described by the OpenAPI 3.1 document served at `/api/v1/openapi.json`;
//! errors are RFC 9457 problem details (`application/problem+json`).
//!
//! Handling is split in two so that requests which are refused (no or wrong token, unknown
//! route, wrong method) or answered statically (the OpenAPI document) never open a store:
//! [`prepare`] routes and authenticates, [`execute`] runs the call against the stores. Both
//! take everything from their arguments (stores as [`csms_store::Sql`] and
//! [`csms_store::KeyValue`], the clock as `now`), so the domain code is tested natively
//! against SQLite files; `spin_component` is the thin Spin adapter.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod access;
mod api_tokens;
mod audit_log;
mod auth;
mod cdrs;
mod certificates;
mod charge_point_delete;
mod charge_point_list;
mod charge_points;
mod charging_profiles;
mod command_actions;
mod commands;
mod connectors;
mod cost_updated;
mod csv;
mod id_tags;
mod json_body;
mod local_list;
mod meter_values;
mod openapi;
mod overview;
mod pagination;
mod password;
mod problem;
mod query;
mod reservations;
pub mod router;
mod security_events;
mod tariffs;
mod transaction_close;
mod transaction_filter;
mod transactions;
mod variables;

#[cfg(test)]
mod test_support;

// The Spin SDK's export macro expands to unsafe code.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod spin_component;

use chrono::{DateTime, Utc};
use csms_store::{KeyValue, Sql};

pub use csms_commands::publish::{Publish, PublishError};

pub use openapi::OPENAPI_JSON;
use problem::{ApiError, Problem};
use query::Query;
use router::{Method, Resource};

/// An HTTP request as the API needs it, independent of the host's types.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `GET`, `PUT`, ... as sent.
    pub method: &'a str,
    /// The full path (`/api/v1/...`), still percent-encoded, with any query string.
    pub path: &'a str,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

/// An HTTP response: status, headers (`content-type` among them unless the body is empty)
/// and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn new(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Self {
            status,
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            body,
        }
    }

    fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What [`prepare`] decided.
#[derive(Debug)]
pub enum Prepared<'a> {
    /// Answered without the stores: refused, or the OpenAPI document.
    Respond(Response),
    /// Authenticated and routed; hand it to [`execute`].
    Execute(Call<'a>),
}

/// A request with a bearer token, ready to be checked and run against the stores.
pub struct Call<'a> {
    credential: access::Credential,
    /// What the path and method name, or why they name nothing: told only once the token is
    /// known to be valid, so strangers learn nothing of which resources exist.
    target: Result<Target, Problem>,
    /// The path without the query string, as sent (for the audit log).
    path: String,
    /// The query string without `?` (empty when there is none).
    query: String,
    body: &'a [u8],
}

/// Neither the token nor the body (which may hold a station's password) reaches a log.
impl std::fmt::Debug for Call<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("credential", &self.credential)
            .field("target", &self.target)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// The resource and method of a routed request, with its path parameters.
#[derive(Debug)]
pub(crate) struct Target {
    resource: Resource,
    method: Method,
    /// The path parameter, percent-decoded (empty for routes without one).
    id: String,
    /// The second path parameter (`{action}`), percent-decoded; empty when there is none.
    sub: String,
}

/// What the command routes need besides the stores: the gateway's publish endpoint (behind
/// [`Publish`]) and how long a charge point has to answer a call; and the transactions
/// component, which alone can price a session (it imports the tariff).
pub struct Outbound<'a, P> {
    pub publisher: &'a P,
    /// Spin variable `command_timeout_seconds`.
    pub command_timeout_seconds: i64,
    pub transactions: &'a dyn TransactionsService,
}

/// The transactions component's operator endpoints (Spin service chaining on Spin).
pub trait TransactionsService {
    /// Closes open transaction `transaction_id` for `closed_by`: the component's HTTP status
    /// and JSON body, or why it could not be reached.
    fn close(
        &self,
        transaction_id: i64,
        closed_by: &str,
    ) -> Result<(u16, serde_json::Value), String>;

    /// The running cost of open transaction `transaction_id`
    /// ([`csms_contracts::transactions::RunningCost`]): the component's HTTP status and JSON
    /// body, or why it could not be reached.
    fn running_cost(&self, transaction_id: i64) -> Result<(u16, serde_json::Value), String>;
}

/// Routes `request` and reads its bearer token.
///
/// The OpenAPI document is public; every other path, known or not, needs a bearer token
/// first, so the API does not tell strangers which resources exist. A request without one is
/// answered here, without the stores; whether the token is valid is [`execute`]'s first step.
pub fn prepare<'a>(request: &Request<'a>, api_token: &str) -> Prepared<'a> {
    let without_fragment = request.path.split('#').next().unwrap_or_default();
    let (path, query) = without_fragment
        .split_once('?')
        .unwrap_or((without_fragment, ""));
    let resolved = router::resolve(path);
    if let Ok(matched) = &resolved {
        if matched.route.resource == Resource::OpenApi {
            return Prepared::Respond(match matched.route.method(request.method) {
                Some(_) => openapi::response(),
                None => router::method_not_allowed(matched.route, request.method).response(),
            });
        }
    }
    let token = match auth::bearer(request.authorization) {
        Ok(token) => token,
        Err(problem) => return Prepared::Respond(problem.response()),
    };
    let target = resolved.and_then(|matched| {
        let method = matched
            .route
            .method(request.method)
            .ok_or_else(|| router::method_not_allowed(matched.route, request.method))?;
        Ok(Target {
            resource: matched.route.resource,
            method,
            id: matched.param,
            sub: matched.sub,
        })
    });
    Prepared::Execute(Call {
        credential: access::Credential::of(token, api_token),
        target,
        path: path.to_owned(),
        query: query.to_owned(),
        body: request.body,
    })
}

/// Checks the token and its role, then runs the call; store failures become 500 problems
/// saying what was being done. Every call that may change something is in the audit log
/// before it runs, and its answer's status after.
pub fn execute(
    call: &Call<'_>,
    sql: &impl Sql,
    kv: &impl KeyValue,
    outbound: &Outbound<'_, impl Publish>,
    now: DateTime<Utc>,
) -> Response {
    let caller = match access::authenticate(sql, &call.credential) {
        Ok(caller) => caller,
        Err(problem) => return problem.response(),
    };
    let target = match &call.target {
        Ok(target) => target,
        Err(problem) => return problem.response(),
    };
    let entry = if target.method == Method::Get {
        None
    } else {
        match audit_log::begin(sql, &caller, target.method, &call.path, now) {
            Ok(entry) => Some(entry),
            Err(error) => return error.problem().response(),
        }
    };
    let response = match access::authorize(&caller, target.resource, target.method, &target.sub) {
        Err(problem) => problem.response(),
        Ok(()) => Query::parse(&call.query, query_params(target.resource, target.method))
            .and_then(|query| dispatch(target, call.body, &caller, &query, sql, kv, outbound, now))
            .map_or_else(|error| error.problem().response(), Reply::response),
    };
    if let Some(entry) = entry {
        // The call has run; failing to note its status must not hide its answer, and the
        // entry already says who asked for what.
        if let Err(error) = audit_log::finish(sql, entry, &response) {
            eprintln!(
                "audit log: recording the answer of {} {}: {error:#}",
                target.method.as_str(),
                call.path
            );
        }
    }
    response
}

#[allow(clippy::too_many_arguments)]
fn dispatch(
    target: &Target,
    body: &[u8],
    caller: &access::Caller,
    query: &Query,
    sql: &impl Sql,
    kv: &impl KeyValue,
    outbound: &Outbound<'_, impl Publish>,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let id = target.id.as_str();
    match (target.resource, target.method) {
        (Resource::OpenApi, Method::Get) => Ok(Reply::openapi()),
        (Resource::Overview, Method::Get) => overview::get(sql, kv, now),
        (Resource::CommandActions, Method::Get) => command_actions::list(),
        (Resource::ChargePoints, Method::Get) => charge_point_list::list(sql, kv, query),
        (Resource::ChargePoint, Method::Get) => charge_points::get(sql, kv, id),
        (Resource::ChargePoint, Method::Put) => charge_points::put(sql, kv, id, body, now),
        (Resource::ChargePoint, Method::Delete) => charge_point_delete::delete(sql, kv, id),
        (Resource::ChargePointTariff, Method::Put) => {
            charge_points::put_tariff(sql, kv, id, body, now)
        }
        (Resource::ChargePointConnectors, Method::Get) => connectors::list(sql, id, query),
        (Resource::ConnectorStatusHistory, Method::Get) => {
            connectors::status_history(sql, id, &target.sub, query)
        }
        (Resource::IdTags, Method::Get) => id_tags::list(sql, query),
        (Resource::IdTag, Method::Get) => id_tags::get(sql, id),
        (Resource::IdTag, Method::Put) => id_tags::put(sql, id, body, now),
        (Resource::IdTag, Method::Delete) => id_tags::delete(sql, id),
        (Resource::Tariffs, Method::Get) => tariffs::list(sql, query),
        (Resource::Tariff, Method::Get) => tariffs::get(sql, id),
        (Resource::Tariff, Method::Put) => tariffs::put(sql, id, body, now),
        (Resource::Tariff, Method::Delete) => tariffs::delete(sql, id),
        (Resource::TariffChargePoints, Method::Get) => {
            charge_point_list::of_tariff(sql, kv, id, query)
        }
        (Resource::Transactions, Method::Get) => transactions::list(sql, query),
        (Resource::Transaction, Method::Get) => transactions::get(sql, id),
        (Resource::TransactionMeterValues, Method::Get) => meter_values::list(sql, id, query),
        (Resource::TransactionClose, Method::Post) => {
            transaction_close::post(sql, outbound.transactions, id, body, caller)
        }
        (Resource::Cdrs, Method::Get) => cdrs::list(sql, query),
        (Resource::CdrsCsv, Method::Get) => cdrs::csv(sql, query),
        (Resource::ChargePointCommand, Method::Post) => {
            commands::post(sql, kv, outbound, id, &target.sub, body, query, now)
        }
        (Resource::ChargePointCommands, Method::Get) => {
            commands::list(sql, kv, outbound, id, query, now)
        }
        (Resource::Command, Method::Get) => commands::get(sql, kv, outbound, id, now),
        (Resource::ChargePointConfiguration, Method::Get) => commands::configuration(sql, id),
        (Resource::ChargePointVariables, Method::Get) => variables::list(sql, id),
        (Resource::ChargePointChargingProfiles, Method::Get) => charging_profiles::list(sql, id),
        (Resource::ChargePointPassword, Method::Post) => {
            password::post(sql, kv, outbound, id, body, now)
        }
        (Resource::ChargePointReservations, Method::Get) => reservations::list(sql, id, query, now),
        (Resource::ChargePointLocalList, Method::Get) => local_list::get(sql, id),
        (Resource::ChargePointLocalListEntries, Method::Get) => local_list::entries(sql, id, query),
        (Resource::ChargePointSecurityEvents, Method::Get) => security_events::list(sql, id, query),
        (Resource::ChargePointCertificates, Method::Get) => certificates::list(sql, id),
        (Resource::ExpiringCertificates, Method::Get) => certificates::expiring(sql, query, now),
        (Resource::ApiTokens, Method::Get) => api_tokens::list(sql, query),
        (Resource::ApiTokens, Method::Post) => api_tokens::create(sql, caller, body, now),
        (Resource::ApiToken, Method::Delete) => api_tokens::revoke(sql, caller, id, now),
        (Resource::AuditLog, Method::Get) => audit_log::list(sql, query),
        // prepare() only lets through the methods a route lists.
        (resource, method) => Err(ApiError::Internal(anyhow::anyhow!(
            "no handler for {} on {resource:?}",
            method.as_str()
        ))),
    }
}

/// The query parameters an operation reads; any other is refused with 400. The OpenAPI
/// document is checked against this by a test.
pub(crate) fn query_params(resource: Resource, method: Method) -> &'static [&'static str] {
    match (resource, method) {
        (Resource::ChargePoints, Method::Get) => &charge_point_list::PARAMS,
        (Resource::TariffChargePoints, Method::Get) => &charge_point_list::TARIFF_PARAMS,
        (Resource::ChargePointConnectors, Method::Get) => &connectors::PARAMS,
        (Resource::ConnectorStatusHistory, Method::Get) => &connectors::HISTORY_PARAMS,
        (Resource::IdTags, Method::Get) => &id_tags::LIST_PARAMS,
        (Resource::Tariffs, Method::Get) => &tariffs::LIST_PARAMS,
        (Resource::Transactions, Method::Get) => &transactions::LIST_PARAMS,
        (Resource::TransactionMeterValues, Method::Get) => &meter_values::PARAMS,
        (Resource::Cdrs | Resource::CdrsCsv, Method::Get) => &cdrs::PARAMS,
        (Resource::ChargePointCommand, Method::Post) => &commands::POST_PARAMS,
        (Resource::ChargePointCommands, Method::Get) => &commands::LIST_PARAMS,
        (Resource::ChargePointReservations, Method::Get) => &reservations::PARAMS,
        (Resource::ChargePointLocalListEntries, Method::Get) => &local_list::ENTRY_PARAMS,
        (Resource::ApiTokens, Method::Get) => &api_tokens::LIST_PARAMS,
        (Resource::ChargePointSecurityEvents, Method::Get) => &security_events::PARAMS,
        (Resource::ExpiringCertificates, Method::Get) => &certificates::EXPIRING_PARAMS,
        (Resource::AuditLog, Method::Get) => &audit_log::PARAMS,
        _ => &[],
    }
}

/// [`prepare`] then [`execute`]: the whole request, for hosts that open stores eagerly.
pub fn handle(
    request: &Request<'_>,
    api_token: &str,
    sql: &impl Sql,
    kv: &impl KeyValue,
    outbound: &Outbound<'_, impl Publish>,
    now: DateTime<Utc>,
) -> Response {
    match prepare(request, api_token) {
        Prepared::Respond(response) => response,
        Prepared::Execute(call) => execute(&call, sql, kv, outbound, now),
    }
}

/// A 500 problem for failures outside the domain code (opening stores, reading variables),
/// with the whole context chain as its detail.
pub fn internal_error(error: &anyhow::Error) -> Response {
    Problem::new(500, format!("{error:#}")).response()
}

/// A successful answer of a domain function: JSON serialised in the order its fields are
/// declared (a JSON map would sort them), CSV, or nothing.
#[derive(Debug)]
pub(crate) struct Reply {
    status: u16,
    /// `None` only for 204, which has no body to describe.
    content_type: Option<&'static str>,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Reply {
    /// 200 with `body` as JSON.
    pub(crate) fn ok(body: &impl serde::Serialize) -> Result<Self, ApiError> {
        Self::json(200, body)
    }

    /// 202 with `body` as JSON: taken on, finished later.
    pub(crate) fn accepted(body: &impl serde::Serialize) -> Result<Self, ApiError> {
        Self::json(202, body)
    }

    /// 201 when `created`, else 200: the answer to a PUT.
    pub(crate) fn put(created: bool, body: &impl serde::Serialize) -> Result<Self, ApiError> {
        Self::json(if created { 201 } else { 200 }, body)
    }

    /// 204: done, nothing to say (a DELETE).
    pub(crate) fn no_content() -> Self {
        Self {
            status: 204,
            content_type: None,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// 200 with a body of another media type (CSV).
    pub(crate) fn content(content_type: &'static str, body: Vec<u8>) -> Self {
        Self {
            status: 200,
            content_type: Some(content_type),
            headers: Vec::new(),
            body,
        }
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// JSON text that is already valid, passed through unchanged (a stored tariff).
    pub(crate) fn json_text(created: Option<bool>, text: String) -> Self {
        let status = match created {
            Some(true) => 201,
            Some(false) | None => 200,
        };
        Self {
            status,
            content_type: Some("application/json"),
            headers: Vec::new(),
            body: text.into_bytes(),
        }
    }

    fn openapi() -> Self {
        Self::json_text(None, OPENAPI_JSON.to_owned())
    }

    fn json(status: u16, body: &impl serde::Serialize) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(body).map_err(|e| {
            ApiError::Internal(anyhow::Error::new(e).context("serialising the answer"))
        })?;
        Ok(Self {
            status,
            content_type: Some("application/json"),
            headers: Vec::new(),
            body,
        })
    }

    pub(crate) fn response(self) -> Response {
        let mut response = Response {
            status: self.status,
            headers: Vec::new(),
            body: self.body,
        };
        if let Some(content_type) = self.content_type {
            response = response.with_header("content-type", content_type);
        }
        self.headers
            .into_iter()
            .fold(response, |response, (name, value)| {
                response.with_header(name, value)
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Bench, TOKEN};

    #[test]
    fn missing_bearer_token_is_401() {
        let bench = Bench::new();
        let answer = bench.send("GET", "/api/v1/tariffs/t1", None, "");
        assert!(answer.problem(401).contains("Bearer"));
        assert_eq!(
            answer.response.header("www-authenticate"),
            Some("Bearer realm=\"ocpp-csms\"")
        );
    }

    #[test]
    fn wrong_bearer_token_is_401_invalid_token() {
        let bench = Bench::new();
        for header in [
            "Bearer wrong",
            "Basic dXNlcjpwYXNz",
            &format!("Bearer {TOKEN}x"),
        ] {
            let answer = bench.send(
                "PUT",
                "/api/v1/id-tags/TAG1",
                Some(header),
                r#"{"status":"Accepted"}"#,
            );
            answer.problem(401);
            assert!(answer
                .response
                .header("www-authenticate")
                .unwrap()
                .starts_with("Bearer"));
        }
        // Nothing was stored.
        assert_eq!(bench.call("GET", "/api/v1/id-tags/TAG1", "").status, 404);
    }

    #[test]
    fn unknown_paths_need_the_token_before_they_are_404() {
        let bench = Bench::new();
        bench
            .send("GET", "/api/v1/widgets/1", None, "")
            .problem(401);
        let detail = bench.call("GET", "/api/v1/widgets/1", "").problem(404);
        assert!(detail.contains("openapi.json"), "{detail}");
    }

    #[test]
    fn wrong_method_is_405_with_allow() {
        let bench = Bench::new();
        let answer = bench.call("PATCH", "/api/v1/charge-points/CP1", "");
        answer.problem(405);
        assert_eq!(answer.response.header("allow"), Some("GET, PUT, DELETE"));
        let answer = bench.call("POST", "/api/v1/transactions/1", "{}");
        answer.problem(405);
        assert_eq!(answer.response.header("allow"), Some("GET"));
    }

    #[test]
    fn openapi_document_is_public_json() {
        let bench = Bench::new();
        let answer = bench.send("GET", "/api/v1/openapi.json", None, "");
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.response.header("content-type"),
            Some("application/json")
        );
        assert_eq!(answer.body["openapi"], "3.1.0");
        bench
            .send("PUT", "/api/v1/openapi.json", None, "{}")
            .problem(405);
    }

    #[test]
    fn refusals_and_the_document_are_answered_without_stores() {
        let request = |method, path, authorization| Request {
            method,
            path,
            authorization,
            body: b"",
        };
        for (req, status) in [
            (request("GET", "/api/v1/charge-points/CP1", None), 401),
            (
                request("GET", "/api/v1/charge-points/CP1", Some("Basic dDp0")),
                401,
            ),
            (request("GET", "/api/v1/openapi.json", None), 200),
        ] {
            match prepare(&req, "t") {
                Prepared::Respond(response) => assert_eq!(response.status, status),
                Prepared::Execute(call) => panic!("{call:?} would open the stores"),
            }
        }
        // With a token, where nothing is or with the wrong method, the answer waits until the
        // token is known to be good: only then is it a 404 or 405.
        for req in [
            request("GET", "/api/v1/nothing", Some("Bearer t")),
            request("PATCH", "/api/v1/tariffs/x", Some("Bearer t")),
        ] {
            match prepare(&req, "t") {
                Prepared::Execute(call) => assert!(call.target.is_err()),
                Prepared::Respond(response) => panic!("answered {} unchecked", response.status),
            }
        }
        let authorized = request(
            "GET",
            "/api/v1/charge-points/CP%201?verbose=1",
            Some("Bearer t"),
        );
        match prepare(&authorized, "t") {
            Prepared::Execute(call) => assert_eq!(call.target.unwrap().id, "CP 1"),
            Prepared::Respond(response) => panic!("refused with {}", response.status),
        }
    }

    #[test]
    fn store_failures_are_500_problems_saying_what_was_being_done() {
        let dir = tempfile::tempdir().unwrap();
        // Not migrated: every table is missing.
        let sql = csms_store::native::NativeSql::open(&dir.path().join("db")).unwrap();
        let kv = csms_store::native::NativeKeyValue::open(&dir.path().join("kv")).unwrap();
        let request = Request {
            method: "GET",
            path: "/api/v1/charge-points/CP1",
            authorization: Some("Bearer t"),
            body: b"",
        };
        let outbound = Outbound {
            publisher: &test_support::NoGateway,
            command_timeout_seconds: 60,
            transactions: &test_support::NoGateway,
        };
        let response = handle(&request, "t", &sql, &kv, &outbound, chrono::Utc::now());
        assert_eq!(response.status, 500);
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        let detail = body["detail"].as_str().unwrap();
        assert!(
            // Each engine says "no such table" its own way.
            detail.starts_with("loading charge point \"CP1\": sql: ")
                && detail.contains("charge_points"),
            "{detail}"
        );

        let edge = internal_error(
            &anyhow::anyhow!("no such store").context("opening the default database"),
        );
        let body: serde_json::Value = serde_json::from_slice(&edge.body).unwrap();
        assert_eq!(
            body["detail"],
            "opening the default database: no such store"
        );
    }
}
