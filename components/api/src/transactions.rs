//! `/api/v1/transactions`: transactions with their meter samples and charge detail record.
//!
//! The transactions component writes the rows; this module only reads them. The CDR's
//! `priced` column holds the priced session as JSON: its line items are passed through as the
//! tariff component produced them, its totals (TEXT columns) are checked to be decimals and
//! returned as decimal strings, never as JSON numbers.
//!
//! The list (filters and order in [`crate::transaction_filter`]) shows each transaction with
//! its CDR; the detail adds the first [`pagination::MAX_LIMIT`] meter samples, oldest first,
//! and a cursor for the rest (`GET /api/v1/transactions/{id}/meter-values`).

use anyhow::Context as _;
use csms_store::{Row, Sql, SqlValue};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use crate::charge_point_list::where_clause;
use crate::meter_values::{self, MeterValue};
use crate::pagination::{self, PageRequest};
use crate::problem::ApiError;
use crate::query::Query;
use crate::transaction_filter::{SessionKey, TransactionFilter, NEWEST_FIRST};
use crate::Reply;

pub(crate) const LIST_PARAMS: [&str; 7] = [
    "limit",
    "cursor",
    "charge_point_id",
    "id_tag",
    "from",
    "to",
    "state",
];
pub(crate) const STATES: [&str; 2] = ["open", "closed"];
const LIST: &str = "transactions";

/// The columns [`read`] reads from [`FROM`]: the transaction, then its CDR (NULLs when none).
pub(crate) const COLUMNS: &str = "t.id, t.charge_point_id, t.connector_id, t.id_tag, \
     t.start_auth_status, t.reservation_id, t.meter_start_wh, t.meter_stop_wh, t.energy_wh, \
     t.started_at, t.stopped_at, t.stop_reason, t.stop_id_tag, t.flagged, t.flag_reason, \
     c.transaction_id IS NOT NULL, c.tariff_id, c.currency, c.energy_wh, c.duration_s, \
     c.charging_s, c.idle_s, c.total_excl_vat, c.vat_amount, c.total_incl_vat, c.priced, \
     c.pricing_error, c.created_at, t.closed_by, t.remote_start_command_id, t.energy_check, \
     t.replaced_close, c.revised_at, t.ocpp_version, \
     COALESCE(t.station_transaction_id, CAST(t.id AS TEXT)), COALESCE(t.evse_connector_id, 1), \
     t.charging_state, \
     (SELECT group_concat(DISTINCT e.seq_no) FROM transaction_events e WHERE e.transaction_id = t.id)";
pub(crate) const FROM: &str =
    "transactions t LEFT JOIN charge_detail_records c ON c.transaction_id = t.id";

#[derive(Debug, Serialize)]
pub(crate) struct TransactionView {
    pub(crate) id: i64,
    pub(crate) charge_point_id: String,
    /// The 1.6 connector id, which is the EVSE id.
    pub(crate) connector_id: i64,
    /// The version the station reported the transaction in.
    pub(crate) ocpp_version: String,
    /// The station's own id: 2.0.1 `transactionId`; for 1.6 the decimal `id`.
    pub(crate) station_transaction_id: String,
    pub(crate) evse_id: i64,
    /// The connector on the EVSE (1 for 1.6).
    evse_connector_id: i64,
    /// 2.0.1 `chargingState` of the newest event that reported one.
    charging_state: Option<String>,
    /// 2.0.1 event `seqNo`s missing below the highest received (events not arrived yet).
    seq_no_gaps: Vec<i64>,
    pub(crate) id_tag: String,
    start_auth_status: String,
    reservation_id: Option<i64>,
    pub(crate) meter_start_wh: i64,
    pub(crate) meter_stop_wh: Option<i64>,
    energy_wh: Option<i64>,
    pub(crate) started_at: String,
    pub(crate) stopped_at: Option<String>,
    pub(crate) stop_reason: Option<String>,
    stop_id_tag: Option<String>,
    flagged: bool,
    flag_reason: Option<String>,
    /// Who closed a transaction the charge point never stopped (`POST .../close`); null when
    /// open or stopped by the charge point.
    pub(crate) closed_by: Option<String>,
    /// The RemoteStartTransaction command this transaction answered, if any.
    remote_start_command_id: Option<i64>,
    /// meterStart/meterStop against the register samples: `consistent`, `no register
    /// samples`, or the discrepancies (which also flag the transaction).
    energy_check: Option<String>,
    /// An operator's close that the charge point's own StopTransaction replaced later.
    replaced_close: Option<Value>,
    pub(crate) charge_detail_record: Option<CdrView>,
}

/// The detail: the transaction, and its meter samples.
#[derive(Debug, Serialize)]
struct TransactionDetail {
    #[serde(flatten)]
    transaction: TransactionView,
    meter_values: Vec<MeterValue>,
    /// Continues `meter_values` through `GET /api/v1/transactions/{id}/meter-values`.
    meter_values_next_cursor: Option<String>,
    /// The 2.0.1 TransactionEvents in seqNo order (empty for 1.6): the chargingState timeline.
    events: Vec<EventView>,
}

/// One 2.0.1 TransactionEvent as received.
#[derive(Debug, Serialize)]
struct EventView {
    seq_no: i64,
    event_type: String,
    trigger_reason: String,
    timestamp: String,
    charging_state: Option<String>,
    offline: bool,
    id_token: Option<String>,
    received_at: String,
}

/// The events of transaction `id` in seqNo order; a station sends a few dozen per session.
fn events(sql: &impl Sql, id: i64) -> anyhow::Result<Vec<EventView>> {
    const CTX: &str = "transaction_events";
    let rows = sql
        .execute(
            "SELECT seq_no, event_type, trigger_reason, event_at, charging_state, offline, id_token, \
             received_at FROM transaction_events WHERE transaction_id = ? ORDER BY seq_no, id LIMIT 1000",
            &[id.into()],
        )
        .with_context(|| format!("loading the events of transaction {id}"))?;
    rows.iter()
        .map(|row| {
            Ok(EventView {
                seq_no: row.i64(0, CTX)?,
                event_type: row.text(1, CTX)?,
                trigger_reason: row.text(2, CTX)?,
                timestamp: row.text(3, CTX)?,
                charging_state: row.opt_text(4, CTX)?,
                offline: row.i64(5, CTX)? != 0,
                id_token: row.opt_text(6, CTX)?,
                received_at: row.text(7, CTX)?,
            })
        })
        .collect()
}

#[derive(Debug, Serialize)]
pub(crate) struct CdrView {
    pub(crate) tariff_id: Option<String>,
    pub(crate) currency: Option<String>,
    pub(crate) energy_wh: i64,
    pub(crate) duration_s: i64,
    pub(crate) charging_s: i64,
    pub(crate) idle_s: i64,
    line_items: Vec<Value>,
    pub(crate) total_excl_vat: Option<String>,
    pub(crate) vat_percent: Option<String>,
    pub(crate) vat_amount: Option<String>,
    pub(crate) total_incl_vat: Option<String>,
    pub(crate) pricing_error: Option<String>,
    pub(crate) created_at: String,
    /// When the record was re-priced (the charge point's stop replacing an operator's close).
    pub(crate) revised_at: Option<String>,
}

pub(crate) fn get(sql: &impl Sql, id: &str) -> Result<Reply, ApiError> {
    let number = parse_id(id)?;
    let rows = sql
        .execute(
            &format!("SELECT {COLUMNS} FROM {FROM} WHERE t.id = ?"),
            &[number.into()],
        )
        .with_context(|| format!("loading transaction {number}"))?;
    let row = rows.first().ok_or_else(|| not_found(id))?;
    let transaction = read(row).with_context(|| format!("reading transaction {number}"))?;
    let samples = PageRequest {
        limit: pagination::MAX_LIMIT,
        after: None,
    };
    let page = meter_values::page(sql, number, &samples)?;
    Reply::ok(&TransactionDetail {
        transaction,
        meter_values: page.items,
        meter_values_next_cursor: page.next_cursor,
        events: events(sql, number)?,
    })
}

pub(crate) fn list(sql: &impl Sql, query: &Query) -> Result<Reply, ApiError> {
    let filter = TransactionFilter::parse(query)?;
    let state = query.one_of("state", &STATES)?;
    let request = PageRequest::<SessionKey>::from_query(query, LIST)?;
    let mut conditions: Vec<String> = Vec::new();
    let mut params: Vec<SqlValue> = Vec::new();
    filter.restrict(&request, &mut conditions, &mut params)?;
    match state {
        Some("open") => conditions.push("t.stopped_at IS NULL".into()),
        Some(_) => conditions.push("t.stopped_at IS NOT NULL".into()),
        None => {}
    }
    params.push(request.fetch().into());
    let rows = sql
        .execute(
            &format!(
                "SELECT {COLUMNS} FROM {FROM}{} {NEWEST_FIRST} LIMIT ?",
                where_clause(&conditions)
            ),
            &params,
        )
        .context("listing transactions")?;
    let transactions = rows
        .iter()
        .map(read)
        .collect::<anyhow::Result<Vec<_>>>()
        .context("reading transactions")?;
    Reply::ok(&request.page(transactions, LIST, |t| (t.started_at.clone(), t.id))?)
}

/// OCPP 1.6 transaction ids are integers; anything else cannot name one.
pub(crate) fn parse_id(id: &str) -> Result<i64, ApiError> {
    id.parse::<i64>().map_err(|_| not_found(id))
}

pub(crate) fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("transaction {id:?} does not exist"))
}

/// A row of [`COLUMNS`].
pub(crate) fn read(row: &Row) -> anyhow::Result<TransactionView> {
    const CTX: &str = "transactions";
    let id = row.i64(0, CTX)?;
    let charge_detail_record = if row.i64(15, CTX)? != 0 {
        Some(
            read_cdr(row)
                .with_context(|| format!("reading the charge detail record of transaction {id}"))?,
        )
    } else {
        None
    };
    Ok(TransactionView {
        id,
        charge_point_id: row.text(1, CTX)?,
        connector_id: row.i64(2, CTX)?,
        ocpp_version: row.text(33, CTX)?,
        station_transaction_id: row.text(34, CTX)?,
        evse_id: row.i64(2, CTX)?,
        evse_connector_id: row.i64(35, CTX)?,
        charging_state: row.opt_text(36, CTX)?,
        seq_no_gaps: seq_no_gaps(row.opt_text(37, CTX)?.as_deref()),
        id_tag: row.text(3, CTX)?,
        start_auth_status: row.text(4, CTX)?,
        reservation_id: row.opt_i64(5, CTX)?,
        meter_start_wh: row.i64(6, CTX)?,
        meter_stop_wh: row.opt_i64(7, CTX)?,
        energy_wh: row.opt_i64(8, CTX)?,
        started_at: row.text(9, CTX)?,
        stopped_at: row.opt_text(10, CTX)?,
        stop_reason: row.opt_text(11, CTX)?,
        stop_id_tag: row.opt_text(12, CTX)?,
        flagged: row.i64(13, CTX)? != 0,
        flag_reason: row.opt_text(14, CTX)?,
        closed_by: row.opt_text(28, CTX)?,
        remote_start_command_id: row.opt_i64(29, CTX)?,
        energy_check: row.opt_text(30, CTX)?,
        replaced_close: row
            .opt_text(31, CTX)?
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .context("`replaced_close` is not JSON")?,
        charge_detail_record,
    })
}

/// The seqNos missing from `received` (comma-separated, as SQLite's group_concat writes
/// them) between 0 and the highest.
fn seq_no_gaps(received: Option<&str>) -> Vec<i64> {
    let mut seen: Vec<i64> = received
        .unwrap_or_default()
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .filter(|n| *n >= 0)
        .collect();
    seen.sort_unstable();
    seen.dedup();
    let Some(&highest) = seen.last() else {
        return Vec::new();
    };
    // A station that skips millions of seqNos is broken; list the first gaps only.
    (0..highest)
        .filter(|n| seen.binary_search(n).is_err())
        .take(1000)
        .collect()
}

fn read_cdr(row: &Row) -> anyhow::Result<CdrView> {
    const CTX: &str = "charge_detail_records";
    let priced: Option<Value> = row
        .opt_text(25, CTX)?
        .map(|text| serde_json::from_str(&text))
        .transpose()
        .context("`priced` is not JSON")?;
    let decimal = |index: usize, name: &str| -> anyhow::Result<Option<String>> {
        row.opt_text(index, CTX)?
            .map(|t| decimal_string(&t).with_context(|| format!("`{name}`")))
            .transpose()
    };
    Ok(CdrView {
        tariff_id: row.opt_text(16, CTX)?,
        currency: row.opt_text(17, CTX)?,
        energy_wh: row.i64(18, CTX)?,
        duration_s: row.i64(19, CTX)?,
        charging_s: row.i64(20, CTX)?,
        idle_s: row.i64(21, CTX)?,
        line_items: priced.as_ref().map(line_items).unwrap_or_default(),
        total_excl_vat: decimal(22, "total_excl_vat")?,
        vat_percent: priced
            .as_ref()
            .and_then(|p| p.get("vat_percent").or_else(|| p.get("vat-percent")))
            .and_then(|v| match v {
                Value::String(s) => decimal_string(s).ok(),
                Value::Number(n) => decimal_string(&n.to_string()).ok(),
                _ => None,
            }),
        vat_amount: decimal(23, "vat_amount")?,
        total_incl_vat: decimal(24, "total_incl_vat")?,
        pricing_error: row.opt_text(26, CTX)?,
        created_at: row.text(27, CTX)?,
        revised_at: row.opt_text(32, CTX)?,
    })
}

/// The line items of a priced session: its `line_items` (or WIT-style `line-items`) array, or
/// the value itself when it is the bare array.
fn line_items(priced: &Value) -> Vec<Value> {
    match priced {
        Value::Array(items) => items.clone(),
        Value::Object(fields) => match fields
            .get("line_items")
            .or_else(|| fields.get("line-items"))
        {
            Some(Value::Array(items)) => items.clone(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// A stored amount as an exact decimal string (`"12.50"` keeps its scale).
pub(crate) fn decimal_string(text: &str) -> anyhow::Result<String> {
    Decimal::from_str_exact(text.trim())
        .map(|d| d.to_string())
        .map_err(|e| anyhow::anyhow!("{text:?} is not a decimal: {e}"))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::test_support::Bench;

    const STOPPED: &str = "INSERT INTO transactions (id, charge_point_id, connector_id, id_tag, start_auth_status, \
        flagged, flag_reason, meter_start_wh, started_at, meter_stop_wh, stopped_at, stop_reason, energy_wh, created_at) \
        VALUES (42, 'CP1', 1, 'TAG1', 'Accepted', 1, 'meter went backwards in a sample', 1000, '2026-01-13T05:30:00Z', \
        23000, '2026-01-13T08:00:00Z', 'EVDisconnected', 22000, '2026-01-13T05:30:01Z')";

    /// The priced session as the transactions component stores it (serde of its
    /// `PricedSession`, decimals as strings).
    const PRICED: &str = r#"{"tariff_id":"stockholm-2026","currency":"SEK","line_items":[
        {"kind":"energy","description":"Energy at 2.00 SEK/kWh","quantity":"5.500","unit":"kWh","unit_price":"2.00","amount_excl_vat":"11.00"},
        {"kind":"energy","description":"Energy at 3.50 SEK/kWh","quantity":"16.500","unit":"kWh","unit_price":"3.50","amount_excl_vat":"57.75"},
        {"kind":"parking-time","description":"Parking at 60.00 SEK/h","quantity":"0.5","unit":"h","unit_price":"60.00","amount_excl_vat":"30.00"},
        {"kind":"session-fee","description":"Session fee","quantity":"1","unit":"session","unit_price":"5.00","amount_excl_vat":"5.00"}],
        "total_excl_vat":"103.75","vat_percent":"25","vat_amount":"25.94","total_incl_vat":"129.69"}"#;

    fn insert_cdr(
        bench: &Bench,
        priced: Option<&str>,
        totals: [Option<&str>; 3],
        error: Option<&str>,
    ) {
        csms_store::Sql::execute(
            &bench.sql,
            "INSERT INTO charge_detail_records (transaction_id, tariff_id, currency, energy_wh, duration_s, \
             charging_s, idle_s, total_excl_vat, vat_amount, total_incl_vat, priced, pricing_error, created_at) \
             VALUES (42, 'stockholm-2026', 'SEK', 22000, 9000, 7200, 1800, ?, ?, ?, ?, ?, '2026-01-13T08:00:01Z')",
            &[totals[0].into(), totals[1].into(), totals[2].into(), priced.into(), error.into()],
        )
        .unwrap();
    }

    #[test]
    fn transaction_view_includes_priced_cdr() {
        let bench = Bench::new();
        bench.exec(STOPPED);
        insert_cdr(
            &bench,
            Some(PRICED),
            [Some("103.75"), Some("25.94"), Some("129.69")],
            None,
        );
        let answer = bench.call("GET", "/api/v1/transactions/42", "");
        assert_eq!(answer.status, 200, "{}", answer.body);
        let view = answer.body;
        assert_eq!(view["id"], 42);
        assert_eq!(view["charge_point_id"], "CP1");
        assert_eq!(view["connector_id"], 1);
        assert_eq!(view["id_tag"], "TAG1");
        assert_eq!(view["meter_start_wh"], 1000);
        assert_eq!(view["meter_stop_wh"], 23000);
        assert_eq!(view["energy_wh"], 22000);
        assert_eq!(view["started_at"], "2026-01-13T05:30:00Z");
        assert_eq!(view["stopped_at"], "2026-01-13T08:00:00Z");
        assert_eq!(view["stop_reason"], "EVDisconnected");
        assert_eq!(view["flagged"], true);
        assert_eq!(view["flag_reason"], "meter went backwards in a sample");
        let cdr = &view["charge_detail_record"];
        assert_eq!(cdr["energy_wh"], 22000);
        assert_eq!(cdr["duration_s"], 9000);
        assert_eq!(cdr["charging_s"], 7200);
        assert_eq!(cdr["idle_s"], 1800);
        assert_eq!(cdr["tariff_id"], "stockholm-2026");
        assert_eq!(cdr["currency"], "SEK");
        // Money stays decimal strings, scale included.
        assert_eq!(cdr["total_excl_vat"], "103.75");
        assert_eq!(cdr["vat_percent"], "25");
        assert_eq!(cdr["vat_amount"], "25.94");
        assert_eq!(cdr["total_incl_vat"], "129.69");
        assert_eq!(cdr["pricing_error"], Value::Null);
        let items = cdr["line_items"].as_array().unwrap();
        assert_eq!(items.len(), 4);
        assert_eq!(items[1]["amount_excl_vat"], "57.75");
        assert_eq!(items[2]["kind"], "parking-time");
    }

    #[test]
    fn unpriced_cdr_says_why() {
        let bench = Bench::new();
        bench.exec(STOPPED);
        insert_cdr(
            &bench,
            None,
            [None, None, None],
            Some("charge point CP1 has no tariff"),
        );
        let cdr =
            bench.call("GET", "/api/v1/transactions/42", "").body["charge_detail_record"].clone();
        assert_eq!(cdr["pricing_error"], "charge point CP1 has no tariff");
        assert_eq!(cdr["line_items"], json!([]));
        assert_eq!(cdr["total_incl_vat"], Value::Null);
    }

    #[test]
    fn open_transaction_has_no_cdr() {
        let bench = Bench::new();
        bench.exec(
            "INSERT INTO transactions (id, charge_point_id, connector_id, id_tag, start_auth_status, meter_start_wh, \
             started_at, created_at) VALUES (7, 'CP1', 2, 'TAG1', 'Accepted', 0, '2026-11-23T20:00:00Z', '2026-11-23T20:00:00Z')",
        );
        let view = bench.call("GET", "/api/v1/transactions/7", "").body;
        assert_eq!(view["flagged"], false);
        assert_eq!(view["stopped_at"], Value::Null);
        assert_eq!(view["meter_stop_wh"], Value::Null);
        assert_eq!(view["charge_detail_record"], Value::Null);
    }

    #[test]
    fn unknown_transaction_is_404() {
        let bench = Bench::new();
        for id in ["1", "abc", "1.5"] {
            bench
                .call("GET", &format!("/api/v1/transactions/{id}"), "")
                .problem(404);
        }
    }

    #[test]
    fn corrupt_amounts_are_500_saying_where() {
        let bench = Bench::new();
        bench.exec(STOPPED);
        insert_cdr(&bench, Some(PRICED), [Some("103,75"), None, None], None);
        let detail = bench
            .call("GET", "/api/v1/transactions/42", "")
            .problem(500);
        assert!(
            detail.contains("transaction 42") && detail.contains("total_excl_vat"),
            "{detail}"
        );
    }

    /// Transactions 1..=6: started one a day from 2026-11-01 (5 and 6 at the same instant,
    /// written differently), 2 and 6 still open.
    fn sessions(bench: &Bench) {
        for (id, cp, tag, started, open) in [
            (1, "CP1", "TAG1", "2026-11-01T10:00:00Z", false),
            (2, "CP2", "TAG2", "2026-11-02T10:00:00Z", true),
            (3, "CP1", "tag2", "2026-11-03T10:00:00.5Z", false),
            (4, "CP1", "TAG1", "2026-11-03T10:00:00.499Z", false),
            (5, "CP2", "TAG1", "2026-11-05T10:00:00Z", false),
            (6, "CP1", "TAG1", "2026-11-05T10:00:00.000Z", true),
        ] {
            let stop = if open {
                "NULL, NULL".to_owned()
            } else {
                format!("'{started}', 500")
            };
            bench.exec(&format!(
                "INSERT INTO transactions (id, charge_point_id, connector_id, id_tag, start_auth_status, \
                 meter_start_wh, started_at, stopped_at, meter_stop_wh, created_at) \
                 VALUES ({id}, '{cp}', 1, '{tag}', 'Accepted', 0, '{started}', {stop}, 'x')"
            ));
        }
    }

    fn ids(bench: &Bench, query: &str) -> Vec<i64> {
        let answer = bench.call("GET", &format!("/api/v1/transactions?{query}"), "");
        assert_eq!(answer.status, 200, "{query}: {}", answer.body);
        answer.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    }

    #[test]
    fn transactions_are_listed_newest_first_and_filtered() {
        let bench = Bench::new();
        sessions(&bench);
        assert_eq!(ids(&bench, ""), vec![6, 5, 3, 4, 2, 1]);
        assert_eq!(ids(&bench, "state=open"), vec![6, 2]);
        assert_eq!(ids(&bench, "state=closed"), vec![5, 3, 4, 1]);
        assert_eq!(ids(&bench, "charge_point_id=CP2"), vec![5, 2]);
        assert_eq!(ids(&bench, "id_tag=TAG2"), vec![3, 2]);
        assert_eq!(
            ids(
                &bench,
                "from=2026-11-02T10:00:00Z&to=2026-11-03T10:00:00.5Z"
            ),
            vec![4, 2]
        );
        assert_eq!(
            ids(&bench, "charge_point_id=CP1&id_tag=tag1&state=closed"),
            vec![4, 1]
        );
        let listed = bench.call("GET", "/api/v1/transactions?limit=1", "").body;
        assert_eq!(listed["items"][0]["charge_detail_record"], Value::Null);
        assert!(listed["items"][0].get("meter_values").is_none());
        for bad in [
            "state=running",
            "from=2026-11-02",
            "from=2026-11-03T00:00:00Z&to=2026-11-02T00:00:00Z",
            "limit=1&limit=2",
            "id_tag=ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789X",
            "charge_point=CP1",
        ] {
            bench
                .call("GET", &format!("/api/v1/transactions?{bad}"), "")
                .problem(400);
        }
    }

    #[test]
    fn transaction_pages_have_no_duplicates_or_gaps_even_on_equal_instants() {
        let bench = Bench::new();
        sessions(&bench);
        for limit in 1..=6 {
            let seen: Vec<i64> = bench
                .every_item("/api/v1/transactions", &format!("limit={limit}"))
                .iter()
                .map(|t| t["id"].as_i64().unwrap())
                .collect();
            assert_eq!(seen, vec![6, 5, 3, 4, 2, 1], "limit {limit}");
        }
        // A session added behind the cursor shows on a later page, none is repeated.
        let first = bench.call("GET", "/api/v1/transactions?limit=2", "").body;
        bench.exec(
            "INSERT INTO transactions (id, charge_point_id, connector_id, id_tag, start_auth_status, \
             meter_start_wh, started_at, created_at) VALUES (7, 'CP1', 1, 'T', 'Accepted', 0, \
             '2026-11-04T00:00:00Z', 'x')",
        );
        let cursor = first["next_cursor"].as_str().unwrap();
        assert_eq!(
            ids(&bench, &format!("cursor={cursor}")),
            vec![7, 3, 4, 2, 1]
        );
    }
}
