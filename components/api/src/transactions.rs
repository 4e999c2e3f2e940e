//! `/api/v1/transactions/{id}`: one transaction and its charge detail record.
//!
//! The transactions component writes both rows; this module only reads them. The CDR's
//! `priced` column holds the priced session as JSON: its line items are passed through as the
//! tariff component produced them, its totals (TEXT columns) are checked to be decimals and
//! returned as decimal strings, never as JSON numbers.

use anyhow::Context as _;
use csms_store::{Row, Sql, StoreError};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

use crate::problem::ApiError;
use crate::Reply;

#[derive(Debug, Serialize)]
struct TransactionView {
    id: i64,
    charge_point_id: String,
    connector_id: i64,
    id_tag: String,
    start_auth_status: String,
    reservation_id: Option<i64>,
    meter_start_wh: i64,
    meter_stop_wh: Option<i64>,
    energy_wh: Option<i64>,
    started_at: String,
    stopped_at: Option<String>,
    stop_reason: Option<String>,
    stop_id_tag: Option<String>,
    flagged: bool,
    flag_reason: Option<String>,
    charge_detail_record: Option<CdrView>,
}

#[derive(Debug, Serialize)]
struct CdrView {
    tariff_id: Option<String>,
    currency: Option<String>,
    energy_wh: i64,
    duration_s: i64,
    charging_s: i64,
    idle_s: i64,
    line_items: Vec<Value>,
    total_excl_vat: Option<String>,
    vat_percent: Option<String>,
    vat_amount: Option<String>,
    total_incl_vat: Option<String>,
    pricing_error: Option<String>,
    created_at: String,
}

pub(crate) fn get(sql: &impl Sql, id: &str) -> Result<Reply, ApiError> {
    let not_found = || ApiError::NotFound(format!("transaction {id:?} does not exist"));
    // OCPP 1.6 transaction ids are integers; anything else cannot name one.
    let Ok(number) = id.parse::<i64>() else {
        return Err(not_found());
    };
    let rows = sql
        .execute(
            "SELECT id, charge_point_id, connector_id, id_tag, start_auth_status, reservation_id, \
             meter_start_wh, meter_stop_wh, energy_wh, started_at, stopped_at, stop_reason, stop_id_tag, \
             flagged, flag_reason FROM transactions WHERE id = ?",
            &[number.into()],
        )
        .with_context(|| format!("loading transaction {number}"))?;
    let row = rows.first().ok_or_else(not_found)?;
    let cdr = cdr(sql, number)?;
    let view = read(row, cdr).with_context(|| format!("reading transaction {number}"))?;
    Reply::ok(&view)
}

fn read(row: &Row, charge_detail_record: Option<CdrView>) -> Result<TransactionView, StoreError> {
    const CTX: &str = "transactions";
    Ok(TransactionView {
        id: row.i64(0, CTX)?,
        charge_point_id: row.text(1, CTX)?,
        connector_id: row.i64(2, CTX)?,
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
        charge_detail_record,
    })
}

fn cdr(sql: &impl Sql, transaction_id: i64) -> Result<Option<CdrView>, ApiError> {
    const CTX: &str = "charge_detail_records";
    let rows = sql
        .execute(
            "SELECT tariff_id, currency, energy_wh, duration_s, charging_s, idle_s, total_excl_vat, \
             vat_amount, total_incl_vat, priced, pricing_error, created_at \
             FROM charge_detail_records WHERE transaction_id = ?",
            &[transaction_id.into()],
        )
        .with_context(|| format!("loading the charge detail record of transaction {transaction_id}"))?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let context = || format!("reading the charge detail record of transaction {transaction_id}");
    let priced: Option<Value> = row
        .opt_text(9, CTX)
        .with_context(context)?
        .map(|text| serde_json::from_str(&text))
        .transpose()
        .with_context(|| format!("{}: `priced` is not JSON", context()))?;
    let decimal = |index: usize, name: &str| -> Result<Option<String>, ApiError> {
        let text = row.opt_text(index, CTX).with_context(context)?;
        text.map(|t| decimal_string(&t).with_context(|| format!("{}: `{name}`", context())))
            .transpose()
            .map_err(ApiError::from)
    };
    Ok(Some(CdrView {
        tariff_id: row.opt_text(0, CTX).with_context(context)?,
        currency: row.opt_text(1, CTX).with_context(context)?,
        energy_wh: row.i64(2, CTX).with_context(context)?,
        duration_s: row.i64(3, CTX).with_context(context)?,
        charging_s: row.i64(4, CTX).with_context(context)?,
        idle_s: row.i64(5, CTX).with_context(context)?,
        line_items: priced.as_ref().map(line_items).unwrap_or_default(),
        total_excl_vat: decimal(6, "total_excl_vat")?,
        vat_percent: priced
            .as_ref()
            .and_then(|p| p.get("vat_percent").or_else(|| p.get("vat-percent")))
            .and_then(|v| match v {
                Value::String(s) => decimal_string(s).ok(),
                Value::Number(n) => decimal_string(&n.to_string()).ok(),
                _ => None,
            }),
        vat_amount: decimal(7, "vat_amount")?,
        total_incl_vat: decimal(8, "total_incl_vat")?,
        pricing_error: row.opt_text(10, CTX).with_context(context)?,
        created_at: row.text(11, CTX).with_context(context)?,
    }))
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
fn decimal_string(text: &str) -> anyhow::Result<String> {
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
}
