//! `POST /api/v1/transactions/{id}/close`: an operator closes a transaction the charge point
//! never stopped. The stop comes from the last energy register sample and the session is
//! priced like any other, which only the transactions component can do (it imports the
//! tariff), so the close itself is its `POST /operator/close`; this route checks the request,
//! answers what it can from the store, and returns the closed transaction.

use anyhow::Context as _;
use csms_store::Sql;
use serde::Deserialize;

use crate::access::Caller;
use crate::problem::ApiError;
use crate::transactions::{self, not_found, parse_id};
use crate::{json_body, Reply, TransactionsService};

/// Stored with the transaction and exported; a name, not a document.
const CLOSED_BY_MAX_CHARS: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CloseBody {
    /// Recorded as `closed_by` (e.g. the operator's name); the API token's name when absent. `null` is
    /// refused: the document says a string, and a client sending null likely lost a value.
    #[serde(default, deserialize_with = "json_body::present")]
    closed_by: Option<Option<String>>,
}

pub(crate) fn post(
    sql: &impl Sql,
    service: &dyn TransactionsService,
    id: &str,
    body: &[u8],
    caller: &Caller,
) -> Result<Reply, ApiError> {
    let number = parse_id(id)?;
    let closed_by = closed_by(body, caller)?;
    let rows = sql
        .execute(
            "SELECT stopped_at FROM transactions WHERE id = ?",
            &[number.into()],
        )
        .with_context(|| format!("loading transaction {number}"))?;
    let row = rows.first().ok_or_else(|| not_found(id))?;
    if let Some(stopped_at) = row
        .opt_text(0, "transactions.stopped_at")
        .with_context(|| format!("reading transaction {number}"))?
    {
        return Err(already_stopped(number, &stopped_at));
    }
    let (status, answer) = service
        .close(number, &closed_by)
        .map_err(|e| anyhow::anyhow!("asking the transactions component to close {number}: {e}"))?;
    let detail = answer["error"].as_str().unwrap_or_default().to_owned();
    match status {
        200 => transactions::get(sql, id),
        404 => Err(not_found(id)),
        // Stopped between our read and the close: by the charge point, or another operator.
        409 => Err(ApiError::Conflict(detail)),
        other => Err(ApiError::Internal(anyhow::anyhow!(
            "the transactions component answered {other} to closing transaction {number}: {detail}"
        ))),
    }
}

fn already_stopped(number: i64, stopped_at: &str) -> ApiError {
    ApiError::Conflict(format!(
        "transaction {number} was already stopped at {stopped_at}; a stopped transaction is billed and is not closed again"
    ))
}

fn closed_by(body: &[u8], caller: &Caller) -> Result<String, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(caller.name.clone());
    }
    let parsed: CloseBody = json_body::parse(body)?;
    match parsed.closed_by {
        None => Ok(caller.name.clone()),
        Some(None) => Err(ApiError::bad_request(
            "invalid field `closed_by`: a string, or leave it out for the API token's name",
        )),
        Some(Some(name)) if name.trim().is_empty() => Err(ApiError::bad_request(
            "invalid field `closed_by`: it must name who closes the transaction",
        )),
        Some(Some(name)) if name.chars().count() > CLOSED_BY_MAX_CHARS => {
            Err(ApiError::bad_request(format!(
                "invalid field `closed_by`: at most {CLOSED_BY_MAX_CHARS} characters"
            )))
        }
        Some(Some(name)) => Ok(name),
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::Bench;

    fn bench_with_open_transaction() -> Bench {
        let bench = Bench::new();
        bench.exec(
            "INSERT INTO transactions (id, charge_point_id, connector_id, id_tag, start_auth_status, \
             meter_start_wh, started_at, created_at) \
             VALUES (7, 'CP1', 1, 'ALICE', 'Accepted', 1000, '2026-11-23T10:00:00Z', '2026-11-23T10:00:00Z')",
        );
        bench
    }

    #[test]
    fn closing_asks_the_transactions_component_and_returns_the_closed_transaction() {
        let bench = bench_with_open_transaction();
        let answer = bench.call(
            "POST",
            "/api/v1/transactions/7/close",
            r#"{"closed_by":"ops@example.com"}"#,
        );
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["closed_by"], "ops@example.com");
        assert_eq!(answer.body["stopped_at"], "2026-11-23T10:00:00Z");
        assert!(answer.body["meter_values"].is_array());
        assert_eq!(
            *bench.closer.calls.borrow(),
            vec![(7, "ops@example.com".to_owned())]
        );
    }

    #[test]
    fn without_a_body_the_closer_is_the_api_tokens_name() {
        let bench = bench_with_open_transaction();
        let answer = bench.call("POST", "/api/v1/transactions/7/close", "");
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["closed_by"], "bootstrap");
    }

    #[test]
    fn stopped_unknown_and_malformed_requests_never_reach_the_component() {
        let bench = bench_with_open_transaction();
        assert_eq!(
            bench
                .call("POST", "/api/v1/transactions/7/close", "{}")
                .status,
            200
        );
        let detail = bench
            .call("POST", "/api/v1/transactions/7/close", "{}")
            .problem(409);
        assert!(detail.contains("already stopped"), "{detail}");
        bench
            .call("POST", "/api/v1/transactions/8/close", "")
            .problem(404);
        bench
            .call("POST", "/api/v1/transactions/x/close", "")
            .problem(404);
        for body in [
            r#"{"closed_by":""}"#,
            r#"{"closed_by":null}"#,
            r#"{"who":"me"}"#,
            "[]",
            "{",
            &format!(r#"{{"closed_by":"{}"}}"#, "x".repeat(101)),
        ] {
            bench
                .call("POST", "/api/v1/transactions/7/close", body)
                .problem(400);
        }
        assert_eq!(bench.closer.calls.borrow().len(), 1);
    }

    #[test]
    fn a_stop_racing_the_close_is_a_conflict() {
        let bench = bench_with_open_transaction();
        bench.closer.answer.set(409);
        let detail = bench
            .call("POST", "/api/v1/transactions/7/close", "")
            .problem(409);
        assert_eq!(detail, "stopped meanwhile");
        bench.closer.answer.set(503);
        bench
            .call("POST", "/api/v1/transactions/7/close", "")
            .problem(500);
    }
}
