//! `GET /api/v1/charge-points/{id}/connectors` (the current status of each connector, by
//! connector id) and `GET .../connectors/{connectorId}/status-history` (every
//! StatusNotification the connector sent, newest first by the time the charge point
//! reported, optionally within `from`..`to`).

use anyhow::Context as _;
use csms_store::{Row, Sql, SqlValue, StoreError};
use serde::Serialize;

use crate::charge_point_list::where_clause;
use crate::charge_points;
use crate::pagination::{self, PageRequest};
use crate::problem::ApiError;
use crate::query::{Query, TimeRange};
use crate::Reply;

pub(crate) const PARAMS: [&str; 2] = pagination::PARAMS;
pub(crate) const HISTORY_PARAMS: [&str; 4] = ["limit", "cursor", "from", "to"];
const LIST: &str = "connectors";
const HISTORY: &str = "status-history";

#[derive(Debug, Serialize)]
struct StatusChange {
    id: i64,
    connector_id: i64,
    status: String,
    error_code: String,
    info: Option<String>,
    vendor_id: Option<String>,
    vendor_error_code: Option<String>,
    /// When the charge point says the status changed.
    status_at: String,
    /// When the central system received the notification.
    received_at: String,
}

pub(crate) fn list(sql: &impl Sql, cp: &str, query: &Query) -> Result<Reply, ApiError> {
    let request = PageRequest::<i64>::from_query(query, LIST)?;
    crate::charge_points::require(sql, cp)?;
    let mut params: Vec<SqlValue> = vec![cp.into()];
    let after = match request.after {
        Some(after) => {
            params.push(after.into());
            " AND connector_id * 1000000 + evse_connector_id > ?"
        }
        None => "",
    };
    params.push(request.fetch().into());
    let rows = sql
        .execute(
            &format!(
                "SELECT {} FROM connectors WHERE charge_point_id = ?{after} ORDER BY connector_id, evse_connector_id LIMIT ?",
                charge_points::CONNECTOR_COLUMNS
            ),
            &params,
        )
        .with_context(|| format!("listing the connectors of charge point {cp:?}"))?;
    let connectors = rows
        .iter()
        .map(charge_points::read_connector)
        .collect::<Result<Vec<_>, StoreError>>()
        .with_context(|| format!("reading the connectors of charge point {cp:?}"))?;
    // One key for (EVSE, connector): OCPP gives neither more than a few hundred.
    Reply::ok(&request.page(connectors, LIST, |c| {
        c.connector_id * 1_000_000 + c.evse_connector_id
    })?)
}

pub(crate) fn status_history(
    sql: &impl Sql,
    cp: &str,
    connector: &str,
    query: &Query,
) -> Result<Reply, ApiError> {
    let request = PageRequest::<(String, i64)>::from_query(query, HISTORY)?;
    let range = TimeRange::parse(query)?;
    if let Some((status_at, _)) = &request.after {
        pagination::require_instant(status_at)?;
    }
    crate::charge_points::require(sql, cp)?;
    let unknown_connector = || {
        ApiError::NotFound(format!(
            "charge point {cp:?} has no connector {connector:?}"
        ))
    };
    // Connector ids are integers (0 is the charge point as a whole); text cannot name one.
    let connector_id = match connector.parse::<i64>() {
        Ok(n) if n >= 0 && connector.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => return Err(unknown_connector()),
    };
    if !connector_known(sql, cp, connector_id)? {
        return Err(unknown_connector());
    }

    let mut conditions = vec![
        "charge_point_id = ?".to_owned(),
        "connector_id = ?".to_owned(),
    ];
    let mut params: Vec<SqlValue> = vec![cp.into(), connector_id.into()];
    range.restrict("status_at", &mut conditions, &mut params);
    if let Some((status_at, id)) = &request.after {
        conditions.push(
            "(julianday(status_at) < julianday(?) OR (julianday(status_at) = julianday(?) AND id < ?))"
                .to_owned(),
        );
        params.extend([status_at.into(), status_at.into(), (*id).into()]);
    }
    params.push(request.fetch().into());
    let rows = sql
        .execute(
            &format!(
                "SELECT id, connector_id, status, error_code, info, vendor_id, vendor_error_code, \
                 status_at, received_at FROM connector_status_history{} \
                 ORDER BY julianday(status_at) DESC, id DESC LIMIT ?",
                where_clause(&conditions)
            ),
            &params,
        )
        .with_context(|| {
            format!("listing the status history of connector {connector_id} of charge point {cp:?}")
        })?;
    let changes = rows
        .iter()
        .map(read_change)
        .collect::<Result<Vec<_>, StoreError>>()
        .with_context(|| {
            format!("reading the status history of connector {connector_id} of charge point {cp:?}")
        })?;
    Reply::ok(&request.page(changes, HISTORY, |c| (c.status_at.clone(), c.id))?)
}

/// A connector the charge point reports now, or reported in the past.
fn connector_known(sql: &impl Sql, cp: &str, connector_id: i64) -> Result<bool, ApiError> {
    let rows = sql
        .execute(
            "SELECT 1 FROM connectors WHERE charge_point_id = ?1 AND connector_id = ?2 \
             UNION ALL SELECT 1 FROM connector_status_history WHERE charge_point_id = ?1 \
             AND connector_id = ?2 LIMIT 1",
            &[cp.into(), connector_id.into()],
        )
        .with_context(|| format!("looking up connector {connector_id} of charge point {cp:?}"))?;
    Ok(!rows.is_empty())
}

fn read_change(row: &Row) -> Result<StatusChange, StoreError> {
    const CTX: &str = "connector_status_history";
    Ok(StatusChange {
        id: row.i64(0, CTX)?,
        connector_id: row.i64(1, CTX)?,
        status: row.text(2, CTX)?,
        error_code: row.text(3, CTX)?,
        info: row.opt_text(4, CTX)?,
        vendor_id: row.opt_text(5, CTX)?,
        vendor_error_code: row.opt_text(6, CTX)?,
        status_at: row.text(7, CTX)?,
        received_at: row.text(8, CTX)?,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::test_support::Bench;

    fn bench() -> Bench {
        let bench = Bench::new();
        bench.call("PUT", "/api/v1/charge-points/CP1", "{}");
        for connector in [2, 0, 1] {
            bench.exec(&format!(
                "INSERT INTO connectors (charge_point_id, connector_id, status, error_code, status_at) \
                 VALUES ('CP1', {connector}, 'Available', 'NoError', '2026-11-23T19:00:00Z')"
            ));
        }
        // Out of order, with and without fractional seconds, one duplicate instant.
        for (status, at) in [
            ("Preparing", "2026-11-23T10:00:00.500Z"),
            ("Available", "2026-11-23T09:00:00Z"),
            ("Charging", "2026-11-23T10:00:01Z"),
            ("Finishing", "2026-11-23T11:00:00Z"),
            ("Available", "2026-11-23T11:00:00.000Z"),
            ("Faulted", "2026-11-23T10:00:00Z"),
        ] {
            bench.exec(&format!(
                "INSERT INTO connector_status_history (charge_point_id, connector_id, status, error_code, \
                 status_at, received_at) VALUES ('CP1', 1, '{status}', 'NoError', '{at}', '{at}')"
            ));
        }
        bench
    }

    fn field(page: &Value, name: &str) -> Vec<Value> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i[name].clone())
            .collect()
    }

    #[test]
    fn connectors_are_listed_by_id_in_pages() {
        let bench = bench();
        let first = bench
            .call("GET", "/api/v1/charge-points/CP1/connectors?limit=2", "")
            .body;
        assert_eq!(field(&first, "connector_id"), vec![0, 1]);
        assert_eq!(first["items"][0]["status"], "Available");
        let cursor = first["next_cursor"].as_str().unwrap();
        let second = bench
            .call(
                "GET",
                &format!("/api/v1/charge-points/CP1/connectors?limit=2&cursor={cursor}"),
                "",
            )
            .body;
        assert_eq!(field(&second, "connector_id"), vec![2]);
        assert_eq!(second["next_cursor"], Value::Null);
        bench
            .call("GET", "/api/v1/charge-points/CP9/connectors", "")
            .problem(404);
    }

    #[test]
    fn history_is_newest_first_by_instant_across_pages() {
        let bench = bench();
        let items = bench.every_item(
            "/api/v1/charge-points/CP1/connectors/1/status-history",
            "limit=4",
        );
        let statuses: Vec<Value> = items.iter().map(|i| i["status"].clone()).collect();
        // 11:00:00 twice (the later-inserted first), then 10:00:01, 10:00:00.5, 10:00:00, 09:00.
        assert_eq!(
            statuses,
            vec![
                "Available",
                "Finishing",
                "Charging",
                "Preparing",
                "Faulted",
                "Available"
            ]
        );
    }

    #[test]
    fn history_is_filtered_by_time_range() {
        let bench = bench();
        let page = bench
            .call(
                "GET",
                "/api/v1/charge-points/CP1/connectors/1/status-history?from=2026-11-23T10:00:00.5Z&to=2026-11-23T11:00:00Z",
                "",
            )
            .body;
        assert_eq!(field(&page, "status"), vec!["Charging", "Preparing"]);
        assert_eq!(page["items"][0]["received_at"], "2026-11-23T10:00:01Z");
        // Connector 2 is known (it reports a status) but has no history yet.
        let empty = bench
            .call(
                "GET",
                "/api/v1/charge-points/CP1/connectors/2/status-history",
                "",
            )
            .body;
        assert_eq!(empty["items"], serde_json::json!([]));
    }

    #[test]
    fn unknown_connectors_and_bad_parameters_are_refused() {
        let bench = bench();
        for connector in ["7", "-1", "one", "+1"] {
            bench
                .call(
                    "GET",
                    &format!("/api/v1/charge-points/CP1/connectors/{connector}/status-history"),
                    "",
                )
                .problem(404);
        }
        bench
            .call(
                "GET",
                "/api/v1/charge-points/CP9/connectors/1/status-history",
                "",
            )
            .problem(404);
        for query in [
            "from=yesterday",
            "to=2026-13-01T00:00:00Z",
            "limit=0",
            "cursor=abc",
            "state=open",
        ] {
            bench
                .call(
                    "GET",
                    &format!("/api/v1/charge-points/CP1/connectors/1/status-history?{query}"),
                    "",
                )
                .problem(400);
        }
        // A well-formed cursor of this list whose key is not a time.
        let forged = crate::pagination::encode("status-history", &("soon", 1)).unwrap();
        bench
            .call(
                "GET",
                &format!("/api/v1/charge-points/CP1/connectors/1/status-history?cursor={forged}"),
                "",
            )
            .problem(400);
    }
}
