//! Errors as RFC 9457 problem details (`application/problem+json`).
//!
//! Every error answer has `type` (always `about:blank`: the status says what kind of problem
//! it is), `title` (the status phrase), `status` and a `detail` written for the operator that
//! says what to fix: which field, which value, which resource.

use serde::Serialize;

use crate::Response;

pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

/// What a domain function can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// The request is wrong (body, field, path parameter); 400.
    #[error("{0}")]
    BadRequest(String),
    /// The resource named by the path does not exist; 404.
    #[error("{0}")]
    NotFound(String),
    /// The request contradicts what is stored; 409.
    #[error("{0}")]
    Conflict(String),
    /// A store failed; 500 with what was being done.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// How long a client waits before retrying when the database stayed locked: the lock holder
/// is another request, which finishes within the host's busy timeout.
const RETRY_AFTER_SECONDS: u32 = 1;

/// Whether the database was still locked by other writers after every retry (here, or in a
/// component whose answer is passed on): a 503 that a retry can cure, not a fault of ours.
fn is_busy(e: &anyhow::Error) -> bool {
    e.chain()
        .any(|cause| cause.to_string().contains(csms_store::BUSY_MESSAGE))
}

impl From<csms_store::StoreError> for ApiError {
    fn from(e: csms_store::StoreError) -> Self {
        ApiError::Internal(anyhow::Error::new(e))
    }
}

impl ApiError {
    pub(crate) fn bad_request(detail: impl Into<String>) -> Self {
        ApiError::BadRequest(detail.into())
    }

    pub(crate) fn problem(&self) -> Problem {
        let status = match self {
            ApiError::BadRequest(_) => 400,
            ApiError::NotFound(_) => 404,
            ApiError::Conflict(_) => 409,
            ApiError::Internal(e) if is_busy(e) => 503,
            ApiError::Internal(_) => 500,
        };
        // `{:#}` prints anyhow's whole context chain: "storing tariff x: sql: disk full".
        let problem = Problem::new(status, format!("{self:#}"));
        if status == 503 {
            problem.with_header("retry-after", RETRY_AFTER_SECONDS.to_string())
        } else {
            problem
        }
    }
}

/// One problem answer, with any extra headers it needs (`Allow`, `WWW-Authenticate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    status: u16,
    detail: String,
    headers: Vec<(&'static str, String)>,
}

#[derive(Serialize)]
struct ProblemJson<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
}

impl Problem {
    pub(crate) fn new(status: u16, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub(crate) fn response(&self) -> Response {
        let body = ProblemJson {
            kind: "about:blank",
            title: title(self.status),
            status: self.status,
            detail: &self.detail,
        };
        // Serialising four plain fields cannot fail; the fallback keeps the status anyway.
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        self.headers.iter().fold(
            Response::new(self.status, PROBLEM_JSON, bytes),
            |response, (name, value)| response.with_header(name, value.clone()),
        )
    }
}

fn title(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_locked_past_every_retry_is_a_503_with_retry_after() {
        let locked = csms_store::StoreError::Sql("database is locked".into());
        let e = ApiError::Internal(anyhow::Error::new(locked).context("storing tariff t"));
        let response = e.problem().response();
        assert_eq!(response.status, 503);
        assert_eq!(response.header("retry-after"), Some("1"));
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(body["title"], "Service Unavailable");
        let other = ApiError::Internal(anyhow::anyhow!("disk I/O error"));
        assert_eq!(other.problem().response().status, 500);
    }

    #[test]
    fn problem_has_type_title_status_and_detail() {
        let response = ApiError::NotFound("charge point \"CP9\" does not exist".into())
            .problem()
            .response();
        assert_eq!(response.status, 404);
        assert_eq!(response.header("Content-Type"), Some(PROBLEM_JSON));
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({
                "type": "about:blank",
                "title": "Not Found",
                "status": 404,
                "detail": "charge point \"CP9\" does not exist"
            })
        );
    }

    #[test]
    fn internal_errors_keep_their_context() {
        let error =
            ApiError::from(anyhow::anyhow!("sql: disk I/O error").context("storing tariff \"t1\""));
        let body: serde_json::Value =
            serde_json::from_slice(&error.problem().response().body).unwrap();
        assert_eq!(body["status"], 500);
        assert_eq!(body["detail"], "storing tariff \"t1\": sql: disk I/O error");
    }
}
