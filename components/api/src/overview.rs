//! `GET /api/v1/overview`: the network at a glance, for the dashboard's first view.
//!
//! Counts are exact. `online` is the one figure SQL cannot answer (the live connection state
//! is in the key-value store), so it costs a key-value read per registered charge point;
//! BENCHMARKS.md gives what that costs at 10,000 stations. "Today" is the UTC day of the
//! request: the energy and revenue of the sessions that stopped since its midnight, revenue
//! summed per currency in decimal, exactly as the records hold it.

use std::collections::BTreeMap;
use std::str::FromStr as _;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use csms_store::{KeyValue, Sql, StoreError};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use crate::problem::ApiError;
use crate::Reply;
use crate::{charge_points, security_events};

/// Entries in each "latest" list.
const LATEST: i64 = 10;

#[derive(Debug, Serialize)]
struct Overview {
    charge_points: Counts,
    sessions_running: i64,
    today: Today,
    latest_faults: Vec<Fault>,
    latest_security_events: Vec<SecurityEvent>,
}

#[derive(Debug, Serialize)]
struct Counts {
    total: i64,
    online: i64,
    offline: i64,
    /// With a connector charging (1.6 status `Charging`, 2.0.1 transaction state `Charging`).
    charging: i64,
    /// With a connector, or the station itself, in status `Faulted`.
    faulted: i64,
}

#[derive(Debug, Serialize)]
struct Today {
    /// The UTC day counted, `YYYY-MM-DD`.
    date: String,
    sessions_stopped: i64,
    energy_wh: i64,
    /// Total including VAT of the priced sessions, one entry per currency.
    revenue: Vec<Revenue>,
}

#[derive(Debug, Serialize)]
struct Revenue {
    currency: String,
    total_incl_vat: String,
}

#[derive(Debug, Serialize)]
struct Fault {
    charge_point_id: String,
    evse_id: i64,
    connector_id: i64,
    status: String,
    error_code: String,
    info: Option<String>,
    status_at: String,
}

#[derive(Debug, Serialize)]
struct SecurityEvent {
    charge_point_id: String,
    source: &'static str,
    #[serde(rename = "type")]
    kind: Option<String>,
    received_at: String,
}

pub(crate) fn get(
    sql: &impl Sql,
    kv: &impl KeyValue,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let midnight = now.format("%Y-%m-%dT00:00:00Z").to_string();
    let overview = Overview {
        charge_points: counts(sql, kv)?,
        sessions_running: single(
            sql,
            "SELECT COUNT(*) FROM transactions WHERE stopped_at IS NULL",
            &[],
        )?,
        today: today(sql, &midnight, now.format("%Y-%m-%d").to_string())?,
        latest_faults: latest_faults(sql)?,
        latest_security_events: latest_security_events(sql)?,
    };
    Reply::ok(&overview)
}

fn counts(sql: &impl Sql, kv: &impl KeyValue) -> Result<Counts, ApiError> {
    let ids = sql
        .execute("SELECT id FROM charge_points", &[])
        .context("listing the charge points for the overview")?;
    let mut online = 0;
    for row in &ids {
        let id = row.text(0, "charge_points.id")?;
        if charge_points::connection(kv, &id)?.is_some_and(|c| c.online) {
            online += 1;
        }
    }
    let total = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    Ok(Counts {
        total,
        online,
        offline: total - online,
        charging: single(
            sql,
            "SELECT COUNT(*) FROM charge_points cp WHERE \
             EXISTS (SELECT 1 FROM connectors c WHERE c.charge_point_id = cp.id AND c.status = 'Charging') \
             OR EXISTS (SELECT 1 FROM transactions t WHERE t.charge_point_id = cp.id \
                        AND t.stopped_at IS NULL AND t.charging_state = 'Charging')",
            &[],
        )?,
        faulted: single(
            sql,
            "SELECT COUNT(DISTINCT charge_point_id) FROM connectors WHERE status = 'Faulted'",
            &[],
        )?,
    })
}

fn today(sql: &impl Sql, midnight: &str, date: String) -> Result<Today, ApiError> {
    let totals = sql
        .execute(
            "SELECT COUNT(*), COALESCE(SUM(energy_wh), 0) FROM transactions \
             WHERE stopped_at IS NOT NULL AND julianday(stopped_at) >= julianday(?)",
            &[midnight.into()],
        )
        .context("summing today's sessions")?;
    let (sessions_stopped, energy_wh) = match totals.first() {
        Some(row) => (row.i64(0, "count")?, row.i64(1, "energy")?),
        None => (0, 0),
    };
    let priced = sql
        .execute(
            "SELECT r.currency, r.total_incl_vat FROM charge_detail_records r \
             JOIN transactions t ON t.id = r.transaction_id \
             WHERE t.stopped_at IS NOT NULL AND julianday(t.stopped_at) >= julianday(?) \
             AND r.currency IS NOT NULL AND r.total_incl_vat IS NOT NULL",
            &[midnight.into()],
        )
        .context("summing today's revenue")?;
    let mut by_currency: BTreeMap<String, Decimal> = BTreeMap::new();
    for row in &priced {
        let currency = row.text(0, "charge_detail_records.currency")?;
        let amount = row.text(1, "charge_detail_records.total_incl_vat")?;
        let amount = Decimal::from_str(&amount)
            .with_context(|| format!("a stored amount {amount:?} is not decimal"))?;
        *by_currency.entry(currency).or_default() += amount;
    }
    Ok(Today {
        date,
        sessions_stopped,
        energy_wh,
        revenue: by_currency
            .into_iter()
            .map(|(currency, total)| Revenue {
                currency,
                total_incl_vat: total.to_string(),
            })
            .collect(),
    })
}

fn latest_faults(sql: &impl Sql) -> Result<Vec<Fault>, ApiError> {
    let rows = sql
        .execute(
            "SELECT charge_point_id, connector_id, evse_connector_id, status, error_code, info, status_at \
             FROM connector_status_history WHERE status = 'Faulted' OR error_code <> 'NoError' \
             ORDER BY id DESC LIMIT ?",
            &[LATEST.into()],
        )
        .context("listing the latest faults")?;
    rows.iter()
        .map(|row| {
            const CTX: &str = "connector_status_history";
            Ok(Fault {
                charge_point_id: row.text(0, CTX)?,
                evse_id: row.i64(1, CTX)?,
                connector_id: row.i64(2, CTX)?,
                status: row.text(3, CTX)?,
                error_code: row.text(4, CTX)?,
                info: row.opt_text(5, CTX)?,
                status_at: row.text(6, CTX)?,
            })
        })
        .collect::<Result<_, StoreError>>()
        .context("reading the latest faults")
        .map_err(ApiError::from)
}

fn latest_security_events(sql: &impl Sql) -> Result<Vec<SecurityEvent>, ApiError> {
    let rows = sql
        .execute(
            "SELECT charge_point_id, action, payload, received_at FROM station_events \
             WHERE action IN (?, ?) ORDER BY id DESC LIMIT ?",
            &[
                security_events::STATION.into(),
                security_events::CSMS.into(),
                LATEST.into(),
            ],
        )
        .context("listing the latest security events")?;
    rows.iter()
        .map(|row| {
            const CTX: &str = "station_events";
            let payload: Value = serde_json::from_str(&row.text(2, CTX)?).unwrap_or(Value::Null);
            Ok(SecurityEvent {
                charge_point_id: row.text(0, CTX)?,
                source: security_events::source(&row.text(1, CTX)?),
                kind: payload["type"].as_str().map(str::to_owned),
                received_at: row.text(3, CTX)?,
            })
        })
        .collect::<Result<_, StoreError>>()
        .context("reading the latest security events")
        .map_err(ApiError::from)
}

fn single(
    sql: &impl Sql,
    statement: &str,
    params: &[csms_store::SqlValue],
) -> Result<i64, ApiError> {
    let rows = sql
        .execute(statement, params)
        .with_context(|| format!("counting for the overview: {statement}"))?;
    match rows.first() {
        Some(row) => Ok(row.i64(0, "count")?),
        None => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::test_support::Bench;

    #[test]
    fn counts_today_and_latest() {
        let bench = Bench::new();
        // The bench's clock is 2026-11-23T20:15:00Z.
        bench.exec(
            "INSERT INTO charge_points (id, created_at, updated_at) VALUES ('CP1','t','t'), ('CP2','t','t'), ('CP3','t','t');\n\
             INSERT INTO connectors (charge_point_id, connector_id, status, error_code, status_at) VALUES \
             ('CP1', 1, 'Charging', 'NoError', 't'), ('CP2', 1, 'Faulted', 'GroundFailure', 't');\n\
             INSERT INTO connector_status_history (charge_point_id, connector_id, status, error_code, status_at, received_at) VALUES \
             ('CP2', 1, 'Available', 'NoError', '2026-11-23T08:00:00Z', 't'), \
             ('CP2', 1, 'Faulted', 'GroundFailure', '2026-11-23T09:00:00Z', 't');\n\
             INSERT INTO transactions (charge_point_id, connector_id, id_tag, start_auth_status, meter_start_wh, started_at, created_at) VALUES \
             ('CP1', 1, 'A', 'Accepted', 0, '2026-11-23T09:00:00Z', 't');\n\
             INSERT INTO transactions (charge_point_id, connector_id, id_tag, start_auth_status, meter_start_wh, started_at, meter_stop_wh, stopped_at, energy_wh, created_at) VALUES \
             ('CP3', 1, 'B', 'Accepted', 0, '2026-11-23T07:00:00Z', 5000, '2026-11-23T08:00:00+01:00', 5000, 't'), \
             ('CP3', 1, 'C', 'Accepted', 0, '2026-11-23T08:00:00Z', 2500, '2026-11-23T09:00:00Z', 2500, 't'), \
             ('CP3', 1, 'D', 'Accepted', 0, '2026-11-22T08:00:00Z', 900, '2026-11-22T09:00:00Z', 900, 't');\n\
             INSERT INTO charge_detail_records (transaction_id, currency, energy_wh, duration_s, charging_s, idle_s, total_incl_vat, created_at) VALUES \
             (3, 'EUR', 2500, 3600, 3600, 0, '1.10', 't'), (4, 'EUR', 900, 3600, 3600, 0, '9.99', 't');\n\
             INSERT INTO station_events (charge_point_id, action, payload, received_at) VALUES \
             ('CP1', 'SecurityEventNotification', '{\"type\":\"TamperDetectionActivated\"}', 't1'), \
             ('CP1', 'StatusNotification', '{}', 't2'), \
             ('CP3', 'CsmsSecurityEvent', '{\"type\":\"InvalidTLSVersion\"}', 't3')",
        );
        bench.set_kv("cp:CP1:connection", r#"{"online":true}"#);
        bench.set_kv("cp:CP2:connection", r#"{"online":false}"#);

        let answer = bench.call("GET", "/api/v1/overview", "");
        assert_eq!(answer.status, 200, "{}", answer.body);
        let body = &answer.body;
        assert_eq!(
            body["charge_points"],
            json!({"total": 3, "online": 1, "offline": 2, "charging": 1, "faulted": 1})
        );
        assert_eq!(body["sessions_running"], 1);
        // 08:00+01:00 is 07:00Z, after midnight UTC; yesterday's session is not counted.
        assert_eq!(
            body["today"],
            json!({"date": "2026-11-23", "sessions_stopped": 2, "energy_wh": 7500,
                   "revenue": [{"currency": "EUR", "total_incl_vat": "1.10"}]})
        );
        let faults = body["latest_faults"].as_array().unwrap();
        assert_eq!(faults.len(), 1);
        assert_eq!(faults[0]["error_code"], "GroundFailure");
        let events: Vec<_> = body["latest_security_events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| json!([e["charge_point_id"], e["source"], e["type"]]))
            .collect();
        assert_eq!(
            events,
            [
                json!(["CP3", "csms", "InvalidTLSVersion"]),
                json!(["CP1", "station", "TamperDetectionActivated"])
            ]
        );
    }

    #[test]
    fn an_empty_network_has_zero_everywhere() {
        let bench = Bench::new();
        let answer = bench.call("GET", "/api/v1/overview", "");
        assert_eq!(answer.status, 200, "{}", answer.body);
        assert_eq!(answer.body["charge_points"]["total"], 0);
        assert_eq!(answer.body["today"]["revenue"], json!([]));
        assert_eq!(answer.body["latest_faults"], json!([]));
    }
}
