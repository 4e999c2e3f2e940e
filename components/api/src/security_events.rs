//! `GET /api/v1/charge-points/{id}/security-events`: what a station reported with
//! SecurityEventNotification (both versions) and what the CSMS itself saw at its handshakes
//! (a station of security profile 2 or 3 arriving without TLS or with a certificate that is not
//! its own), newest first, read alike.

use anyhow::Context as _;
use csms_store::{Row, Sql, StoreError};
use serde::Serialize;
use serde_json::Value;

use crate::pagination::PageRequest;
use crate::problem::ApiError;
use crate::query::Query;
use crate::Reply;

pub(crate) const PARAMS: [&str; 3] = ["limit", "cursor", "source"];
const SOURCES: [&str; 2] = ["station", "csms"];
const LIST: &str = "security-events";
/// `station_events.action` of each source; the connection component writes both.
pub(crate) const STATION: &str = "SecurityEventNotification";
pub(crate) const CSMS: &str = "CsmsSecurityEvent";

/// The source of a security event stored with `action`.
pub(crate) fn source(action: &str) -> &'static str {
    if action == CSMS {
        "csms"
    } else {
        "station"
    }
}

#[derive(Debug, Serialize)]
struct SecurityEvent {
    id: i64,
    /// `station` (its SecurityEventNotification) or `csms` (seen at the handshake).
    source: &'static str,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// When it happened, as the payload says.
    timestamp: Option<String>,
    tech_info: Option<String>,
    received_at: String,
}

pub(crate) fn list(sql: &impl Sql, cp: &str, query: &Query) -> Result<Reply, ApiError> {
    let request = PageRequest::<i64>::from_query(query, LIST)?;
    let actions: Vec<&str> = match query.one_of("source", &SOURCES)? {
        Some("station") => vec![STATION],
        Some(_) => vec![CSMS],
        None => vec![STATION, CSMS],
    };
    crate::charge_points::require(sql, cp)?;
    let rows = sql
        .execute(
            "SELECT id, action, payload, received_at FROM station_events \
             WHERE charge_point_id = ? AND action IN (?, ?) AND id < ? ORDER BY id DESC LIMIT ?",
            &[
                cp.into(),
                actions[0].into(),
                actions[actions.len() - 1].into(),
                request.after.unwrap_or(i64::MAX).into(),
                request.fetch().into(),
            ],
        )
        .with_context(|| format!("listing the security events of charge point {cp:?}"))?;
    let items = rows
        .iter()
        .map(event)
        .collect::<Result<Vec<_>, StoreError>>()
        .with_context(|| format!("reading the security events of charge point {cp:?}"))?;
    Reply::ok(&request.page(items, LIST, |e| e.id)?)
}

fn event(row: &Row) -> Result<SecurityEvent, StoreError> {
    let payload: Value =
        serde_json::from_str(&row.text(2, "station_events.payload")?).unwrap_or(Value::Null);
    let text = |field: &str| payload[field].as_str().map(str::to_owned);
    Ok(SecurityEvent {
        id: row.i64(0, "station_events.id")?,
        source: source(&row.text(1, "station_events.action")?),
        kind: text("type"),
        timestamp: text("timestamp"),
        tech_info: text("techInfo"),
        received_at: row.text(3, "station_events.received_at")?,
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::Bench;
    use serde_json::json;

    #[test]
    fn both_sources_newest_first_and_filtered() {
        let bench = Bench::new();
        bench.exec(
            "INSERT INTO charge_points (id, created_at, updated_at) VALUES ('CP1', 't', 't');\n\
             INSERT INTO station_events (charge_point_id, action, payload, received_at) VALUES \
             ('CP1', 'SecurityEventNotification', '{\"type\":\"FirmwareUpdated\",\"timestamp\":\"2026-11-23T10:00:00Z\"}', 't1');\n\
             INSERT INTO station_events (charge_point_id, action, payload, received_at) VALUES \
             ('CP1', 'StatusNotification', '{}', 't2');\n\
             INSERT INTO station_events (charge_point_id, action, payload, received_at) VALUES \
             ('CP1', 'CsmsSecurityEvent', '{\"type\":\"SecurityProfileDowngrade\",\"timestamp\":\"2026-11-23T11:00:00Z\",\"techInfo\":\"no TLS\"}', 't3');\n\
             INSERT INTO station_events (charge_point_id, action, payload, received_at) VALUES \
             ('CP2', 'CsmsSecurityEvent', '{}', 't4')",
        );
        let all = bench.call("GET", "/api/v1/charge-points/CP1/security-events", "");
        assert_eq!(all.status, 200, "{}", all.body);
        let seen: Vec<_> = all.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| json!([e["source"], e["type"], e["tech_info"]]))
            .collect();
        assert_eq!(
            seen,
            [
                json!(["csms", "SecurityProfileDowngrade", "no TLS"]),
                json!(["station", "FirmwareUpdated", null]),
            ]
        );
        let station = bench.call(
            "GET",
            "/api/v1/charge-points/CP1/security-events?source=station",
            "",
        );
        assert_eq!(station.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(
            bench
                .call("GET", "/api/v1/charge-points/CP9/security-events", "")
                .status,
            404
        );
    }
}
