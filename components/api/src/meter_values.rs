//! `GET /api/v1/transactions/{id}/meter-values`: a transaction's meter samples, oldest first
//! (by the time the charge point sampled them, ties by arrival), as a meter series reads.
//!
//! `value` is the sampled value as the charge point sent it (OCPP sends text); `value_wh`
//! is the same reading in Wh when it is an energy register the connection component could
//! convert, else null.

use anyhow::Context as _;
use csms_store::{Row, Sql, SqlValue, StoreError};
use serde::Serialize;

use crate::pagination::{self, Page, PageRequest};
use crate::problem::ApiError;
use crate::query::Query;
use crate::{transactions, Reply};

pub(crate) const PARAMS: [&str; 2] = pagination::PARAMS;
const LIST: &str = "meter-values";

#[derive(Debug, Serialize)]
pub(crate) struct MeterValue {
    id: i64,
    connector_id: i64,
    sampled_at: String,
    measurand: String,
    value: String,
    value_wh: Option<i64>,
    unit: Option<String>,
    phase: Option<String>,
    context: Option<String>,
    location: Option<String>,
    format: Option<String>,
    /// The OCPP message the sample came in (MeterValues, StopTransaction).
    source: String,
    received_at: String,
}

pub(crate) fn list(sql: &impl Sql, id: &str, query: &Query) -> Result<Reply, ApiError> {
    let request = PageRequest::<(String, i64)>::from_query(query, LIST)?;
    let number = transactions::parse_id(id)?;
    let rows = sql
        .execute("SELECT 1 FROM transactions WHERE id = ?", &[number.into()])
        .with_context(|| format!("looking up transaction {number}"))?;
    if rows.is_empty() {
        return Err(transactions::not_found(id));
    }
    Reply::ok(&page(sql, number, &request)?)
}

/// One page of the samples of `transaction_id`.
pub(crate) fn page(
    sql: &impl Sql,
    transaction_id: i64,
    request: &PageRequest<(String, i64)>,
) -> Result<Page<MeterValue>, ApiError> {
    let mut params: Vec<SqlValue> = vec![transaction_id.into()];
    let after = match &request.after {
        Some((sampled_at, id)) => {
            pagination::require_instant(sampled_at)?;
            params.extend([sampled_at.into(), sampled_at.into(), (*id).into()]);
            " AND (julianday(sampled_at) > julianday(?) \
             OR (julianday(sampled_at) = julianday(?) AND id > ?))"
        }
        None => "",
    };
    params.push(request.fetch().into());
    let rows = sql
        .execute(
            &format!(
                "SELECT id, connector_id, sampled_at, measurand, value, value_wh, unit, phase, \
                 context, location, format, source, received_at FROM meter_values \
                 WHERE transaction_id = ?{after} ORDER BY julianday(sampled_at), id LIMIT ?"
            ),
            &params,
        )
        .with_context(|| format!("loading the meter values of transaction {transaction_id}"))?;
    let samples = rows
        .iter()
        .map(read)
        .collect::<Result<Vec<_>, StoreError>>()
        .with_context(|| format!("reading the meter values of transaction {transaction_id}"))?;
    request.page(samples, LIST, |s| (s.sampled_at.clone(), s.id))
}

fn read(row: &Row) -> Result<MeterValue, StoreError> {
    const CTX: &str = "meter_values";
    Ok(MeterValue {
        id: row.i64(0, CTX)?,
        connector_id: row.i64(1, CTX)?,
        sampled_at: row.text(2, CTX)?,
        measurand: row.text(3, CTX)?,
        value: row.text(4, CTX)?,
        value_wh: row.opt_i64(5, CTX)?,
        unit: row.opt_text(6, CTX)?,
        phase: row.opt_text(7, CTX)?,
        context: row.opt_text(8, CTX)?,
        location: row.opt_text(9, CTX)?,
        format: row.opt_text(10, CTX)?,
        source: row.text(11, CTX)?,
        received_at: row.text(12, CTX)?,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::test_support::Bench;

    fn bench(samples: usize) -> Bench {
        let bench = Bench::new();
        bench.exec(
            "INSERT INTO transactions (id, charge_point_id, connector_id, id_tag, start_auth_status, meter_start_wh, \
             started_at, created_at) VALUES (9, 'CP1', 1, 'T', 'Accepted', 0, '2026-11-23T10:00:00Z', 'x')",
        );
        // Sampled once a second from 10:00:00, inserted newest first; every other one with
        // `.000` so that text order and time order differ.
        let start = chrono::DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z").unwrap();
        let rows: Vec<String> = (0..samples as i64)
            .rev()
            .map(|i| {
                let at = (start + chrono::Duration::seconds(i)).format("%Y-%m-%dT%H:%M:%S");
                let fraction = if i % 2 == 0 { "" } else { ".000" };
                format!(
                    "('CP1', 1, 9, 'MeterValues', '{at}{fraction}Z', '{}', {}, \
                     'Energy.Active.Import.Register', 'Wh', 'x')",
                    i * 10,
                    i * 10
                )
            })
            .collect();
        bench.exec(&format!(
            "INSERT INTO meter_values (charge_point_id, connector_id, transaction_id, source, sampled_at, \
             value, value_wh, measurand, unit, received_at) VALUES {}",
            rows.join(", ")
        ));
        // Not this transaction's.
        bench.exec(
            "INSERT INTO meter_values (charge_point_id, connector_id, transaction_id, source, sampled_at, value, \
             measurand, received_at) VALUES ('CP1', 1, NULL, 'MeterValues', '2026-11-23T10:00:00Z', '1', 'Voltage', 'x')",
        );
        bench
    }

    fn values(items: &Value) -> Vec<i64> {
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["value_wh"].as_i64().unwrap())
            .collect()
    }

    #[test]
    fn detail_includes_the_samples_oldest_first() {
        let bench = bench(3);
        let detail = bench.call("GET", "/api/v1/transactions/9", "").body;
        assert_eq!(values(&detail["meter_values"]), vec![0, 10, 20]);
        assert_eq!(detail["meter_values"][1]["value"], "10");
        assert_eq!(
            detail["meter_values"][1]["sampled_at"],
            "2026-11-23T10:00:01.000Z"
        );
        assert_eq!(
            detail["meter_values"][0]["measurand"],
            "Energy.Active.Import.Register"
        );
        assert_eq!(detail["meter_values_next_cursor"], Value::Null);
        assert_eq!(detail["id"], 9);
    }

    #[test]
    fn many_samples_continue_through_the_meter_values_route() {
        let bench = bench(1203);
        let detail = bench.call("GET", "/api/v1/transactions/9", "").body;
        let mut seen = values(&detail["meter_values"]);
        assert_eq!(seen.len(), 500);
        let mut cursor = detail["meter_values_next_cursor"]
            .as_str()
            .unwrap()
            .to_owned();
        loop {
            let page = bench
                .call(
                    "GET",
                    &format!("/api/v1/transactions/9/meter-values?limit=300&cursor={cursor}"),
                    "",
                )
                .body;
            seen.extend(values(&page["items"]));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = next.to_owned(),
                None => break,
            }
        }
        let expected: Vec<i64> = (0..1203).map(|i| i * 10).collect();
        assert_eq!(seen, expected);
        let first = bench
            .call("GET", "/api/v1/transactions/9/meter-values?limit=2", "")
            .body;
        assert_eq!(values(&first["items"]), vec![0, 10]);
    }

    #[test]
    fn unknown_transactions_and_bad_parameters_are_refused() {
        let bench = bench(1);
        bench
            .call("GET", "/api/v1/transactions/10/meter-values", "")
            .problem(404);
        bench
            .call("GET", "/api/v1/transactions/x/meter-values", "")
            .problem(404);
        for query in ["limit=501", "cursor=AAAA", "from=2026-11-23T10:00:00Z"] {
            bench
                .call(
                    "GET",
                    &format!("/api/v1/transactions/9/meter-values?{query}"),
                    "",
                )
                .problem(400);
        }
    }
}
