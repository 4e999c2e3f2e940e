//! Charge detail records: `GET /api/v1/cdrs` (JSON, paginated like every list) and
//! `GET /api/v1/cdrs.csv` (the same records and filters as CSV, for accounting).
//!
//! Filters and order are the transaction list's ([`crate::transaction_filter`]): newest
//! session first, `from`/`to` on the session's start. The CSV is not streamed (a Spin
//! component answers with a whole body): it holds at most [`CSV_MAX_ROWS`] records per
//! request (`limit`, default the maximum), and when more match, the `X-Next-Cursor` header
//! carries the cursor for the next request with the same filters. Every CSV answer, first or
//! continued, starts with the header row. Amounts are written exactly as stored (decimal
//! text, never floats), times as stored (RFC 3339 UTC).

use anyhow::Context as _;
use csms_store::{Row, Sql, SqlValue};
use serde::Serialize;

use crate::charge_point_list::where_clause;
use crate::csv::{CsvWriter, Field};
use crate::pagination::{self, PageRequest};
use crate::problem::ApiError;
use crate::query::Query;
use crate::transaction_filter::{SessionKey, TransactionFilter, NEWEST_FIRST};
use crate::transactions::{self, CdrView, TransactionView};
use crate::Reply;

pub(crate) const PARAMS: [&str; 6] = ["limit", "cursor", "charge_point_id", "id_tag", "from", "to"];
/// Records per CSV answer, and its default.
pub(crate) const CSV_MAX_ROWS: i64 = 10_000;
const LIST: &str = "cdrs";
pub(crate) const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";
/// The response header that continues a CSV export.
pub(crate) const NEXT_CURSOR_HEADER: &str = "x-next-cursor";

pub(crate) const CSV_HEADER: [&str; 26] = [
    "transaction_id",
    "charge_point_id",
    "connector_id",
    "id_tag",
    "started_at",
    "stopped_at",
    "meter_start_wh",
    "meter_stop_wh",
    "energy_wh",
    "stop_reason",
    "closed_by",
    "duration_s",
    "charging_s",
    "idle_s",
    "tariff_id",
    "currency",
    "total_excl_vat",
    "vat_percent",
    "vat_amount",
    "total_incl_vat",
    "pricing_error",
    "created_at",
    "revised_at",
    "ocpp_version",
    "station_transaction_id",
    "evse_id",
];

/// One CDR with the session it prices.
#[derive(Debug, Serialize)]
struct CdrItem {
    transaction_id: i64,
    charge_point_id: String,
    connector_id: i64,
    id_tag: String,
    started_at: String,
    stopped_at: Option<String>,
    ocpp_version: String,
    station_transaction_id: String,
    evse_id: i64,
    #[serde(flatten)]
    cdr: CdrView,
}

/// A record as read: the view, and the amounts exactly as stored for the CSV.
struct Record {
    transaction: TransactionView,
    cdr: CdrView,
    stored_amounts: [Option<String>; 3],
}

pub(crate) fn list(sql: &impl Sql, query: &Query) -> Result<Reply, ApiError> {
    let filter = TransactionFilter::parse(query)?;
    let request = PageRequest::<SessionKey>::from_query(query, LIST)?;
    let page = request.page(records(sql, &filter, &request)?, LIST, key)?;
    Reply::ok(&pagination::Page {
        items: page
            .items
            .into_iter()
            .map(|r| CdrItem {
                transaction_id: r.transaction.id,
                charge_point_id: r.transaction.charge_point_id,
                connector_id: r.transaction.connector_id,
                id_tag: r.transaction.id_tag,
                started_at: r.transaction.started_at,
                stopped_at: r.transaction.stopped_at,
                ocpp_version: r.transaction.ocpp_version,
                station_transaction_id: r.transaction.station_transaction_id,
                evse_id: r.transaction.evse_id,
                cdr: r.cdr,
            })
            .collect::<Vec<_>>(),
        next_cursor: page.next_cursor,
    })
}

pub(crate) fn csv(sql: &impl Sql, query: &Query) -> Result<Reply, ApiError> {
    let filter = TransactionFilter::parse(query)?;
    let request = PageRequest::<SessionKey>::parse(query, LIST, CSV_MAX_ROWS, CSV_MAX_ROWS)?;
    let page = request.page(records(sql, &filter, &request)?, LIST, key)?;
    let mut csv = CsvWriter::default();
    csv.record(CSV_HEADER.map(|name| Field::Text(Some(name))));
    for record in &page.items {
        let t = &record.transaction;
        let c = &record.cdr;
        let numbers = [
            t.id.to_string(),
            t.connector_id.to_string(),
            t.meter_start_wh.to_string(),
            t.meter_stop_wh.map(|n| n.to_string()).unwrap_or_default(),
            c.energy_wh.to_string(),
            c.duration_s.to_string(),
            c.charging_s.to_string(),
            c.idle_s.to_string(),
            t.evse_id.to_string(),
        ];
        let [excl, vat, incl] = &record.stored_amounts;
        csv.record([
            Field::Number(Some(&numbers[0])),
            Field::Text(Some(t.charge_point_id.as_str())),
            Field::Number(Some(&numbers[1])),
            Field::Text(Some(t.id_tag.as_str())),
            Field::Text(Some(t.started_at.as_str())),
            Field::Text(t.stopped_at.as_deref()),
            Field::Number(Some(&numbers[2])),
            Field::Number(Some(&numbers[3])),
            Field::Number(Some(&numbers[4])),
            Field::Text(t.stop_reason.as_deref()),
            Field::Text(t.closed_by.as_deref()),
            Field::Number(Some(&numbers[5])),
            Field::Number(Some(&numbers[6])),
            Field::Number(Some(&numbers[7])),
            Field::Text(c.tariff_id.as_deref()),
            Field::Text(c.currency.as_deref()),
            Field::Number(excl.as_deref()),
            Field::Number(c.vat_percent.as_deref()),
            Field::Number(vat.as_deref()),
            Field::Number(incl.as_deref()),
            Field::Text(c.pricing_error.as_deref()),
            Field::Text(Some(c.created_at.as_str())),
            Field::Text(c.revised_at.as_deref()),
            Field::Text(Some(t.ocpp_version.as_str())),
            Field::Text(Some(t.station_transaction_id.as_str())),
            Field::Number(Some(&numbers[8])),
        ]);
    }
    let reply = Reply::content(CSV_CONTENT_TYPE, csv.into_bytes());
    Ok(match page.next_cursor {
        Some(cursor) => reply.with_header(NEXT_CURSOR_HEADER, cursor),
        None => reply,
    })
}

fn key(record: &Record) -> SessionKey {
    (record.transaction.started_at.clone(), record.transaction.id)
}

fn records(
    sql: &impl Sql,
    filter: &TransactionFilter,
    request: &PageRequest<SessionKey>,
) -> Result<Vec<Record>, ApiError> {
    let mut conditions: Vec<String> = Vec::new();
    let mut params: Vec<SqlValue> = Vec::new();
    filter.restrict(request, &mut conditions, &mut params)?;
    params.push(request.fetch().into());
    let rows = sql
        .execute(
            &format!(
                "SELECT {} FROM transactions t JOIN charge_detail_records c ON c.transaction_id = t.id{} \
                 {NEWEST_FIRST} LIMIT ?",
                transactions::COLUMNS,
                where_clause(&conditions)
            ),
            &params,
        )
        .context("listing charge detail records")?;
    rows.iter()
        .map(|row| {
            read(row)
                .context("reading charge detail records")
                .map_err(ApiError::from)
        })
        .collect()
}

fn read(row: &Row) -> anyhow::Result<Record> {
    let mut transaction = transactions::read(row)?;
    let id = transaction.id;
    let cdr = transaction
        .charge_detail_record
        .take()
        .ok_or_else(|| anyhow::anyhow!("transaction {id} has no charge detail record"))?;
    let stored = |index| row.opt_text(index, "charge_detail_records");
    Ok(Record {
        transaction,
        cdr,
        stored_amounts: [stored(22)?, stored(23)?, stored(24)?],
    })
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::test_support::Bench;

    /// Sessions 1..=5 started an hour apart from 2026-11-01T00:00Z on CP1/CP2, with CDRs;
    /// 6 is open (no CDR).
    fn bench() -> Bench {
        let bench = Bench::new();
        for (id, cp, tag, started, total) in [
            (1, "CP1", "TAG1", "2026-10-31T23:00:00Z", Some("1.50")),
            (2, "CP2", "tag1", "2026-11-01T00:00:00.000Z", Some("12.50")),
            (3, "CP1", "TAG2", "2026-11-01T01:00:00Z", None),
            (4, "CP1", "TAG1", "2026-11-01T02:00:00.250Z", Some("0.10")),
            (5, "CP2", "TAG1", "2026-12-01T00:00:00Z", Some("100")),
        ] {
            bench.exec(&format!(
                "INSERT INTO transactions (id, charge_point_id, connector_id, id_tag, start_auth_status, \
                 meter_start_wh, started_at, meter_stop_wh, stopped_at, energy_wh, created_at) VALUES \
                 ({id}, '{cp}', 1, '{tag}', 'Accepted', 1000, '{started}', 3000, '{started}', 2000, 'x')"
            ));
            let (total, error) = match total {
                Some(t) => (format!("'{t}'"), "NULL".to_owned()),
                None => ("NULL".into(), "'no tariff, \"default\" missing'".to_owned()),
            };
            bench.exec(&format!(
                "INSERT INTO charge_detail_records (transaction_id, tariff_id, currency, energy_wh, duration_s, \
                 charging_s, idle_s, total_excl_vat, vat_amount, total_incl_vat, priced, pricing_error, created_at) \
                 VALUES ({id}, 'se,1', 'SEK', 2000, 60, 50, 10, {total}, {total}, {total}, \
                 '{{\"vat_percent\":\"25\",\"line_items\":[]}}', {error}, '2026-11-02T00:00:00Z')"
            ));
        }
        bench.exec(
            "INSERT INTO transactions (id, charge_point_id, connector_id, id_tag, start_auth_status, meter_start_wh, \
             started_at, created_at) VALUES (6, 'CP1', 2, 'TAG1', 'Accepted', 0, '2026-11-01T03:00:00Z', 'x')",
        );
        bench
    }

    fn transaction_ids(page: &Value) -> Vec<i64> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["transaction_id"].as_i64().unwrap())
            .collect()
    }

    #[test]
    fn cdrs_are_newest_first_with_their_session_and_filters() {
        let bench = bench();
        let all = bench.call("GET", "/api/v1/cdrs", "").body;
        assert_eq!(transaction_ids(&all), vec![5, 4, 3, 2, 1]);
        let item = &all["items"][1];
        assert_eq!(item["charge_point_id"], "CP1");
        assert_eq!(item["id_tag"], "TAG1");
        assert_eq!(item["started_at"], "2026-11-01T02:00:00.250Z");
        assert_eq!(item["total_incl_vat"], "0.10");
        assert_eq!(item["vat_percent"], "25");
        assert_eq!(item["energy_wh"], 2000);
        let get = |query: &str| {
            transaction_ids(&bench.call("GET", &format!("/api/v1/cdrs?{query}"), "").body)
        };
        assert_eq!(get("charge_point_id=CP2"), vec![5, 2]);
        assert_eq!(get("id_tag=tag1"), vec![5, 4, 2, 1]);
        assert_eq!(
            get("from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z"),
            vec![4, 3, 2]
        );
        assert_eq!(
            get("from=2026-11-01T01:00:00%2B01:00&to=2026-11-01T00:00:00.001Z"),
            vec![2]
        );
        let paged: Vec<i64> = bench
            .every_item("/api/v1/cdrs", "limit=2")
            .iter()
            .map(|c| c["transaction_id"].as_i64().unwrap())
            .collect();
        assert_eq!(paged, vec![5, 4, 3, 2, 1]);
        for bad in [
            "state=open",
            "from=2026-11-01",
            "to=x",
            "limit=501",
            "charge_point_id=",
        ] {
            bench
                .call("GET", &format!("/api/v1/cdrs?{bad}"), "")
                .problem(400);
        }
        // A transactions cursor is not a CDR cursor.
        let tx = bench.call("GET", "/api/v1/transactions?limit=1", "").body;
        let cursor = tx["next_cursor"].as_str().unwrap();
        bench
            .call("GET", &format!("/api/v1/cdrs?cursor={cursor}"), "")
            .problem(400);
    }

    #[test]
    fn csv_has_a_header_quoted_fields_and_amounts_as_stored() {
        let bench = bench();
        let answer = bench.call("GET", "/api/v1/cdrs.csv?charge_point_id=CP1", "");
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.response.header("content-type"),
            Some("text/csv; charset=utf-8")
        );
        assert_eq!(answer.response.header("x-next-cursor"), None);
        let text = String::from_utf8(answer.response.body.clone()).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert_eq!(
            lines[0],
            "transaction_id,charge_point_id,connector_id,id_tag,started_at,stopped_at,meter_start_wh,\
             meter_stop_wh,energy_wh,stop_reason,closed_by,duration_s,charging_s,idle_s,tariff_id,currency,total_excl_vat,\
             vat_percent,vat_amount,total_incl_vat,pricing_error,created_at,revised_at,ocpp_version,\
             station_transaction_id,evse_id"
        );
        assert_eq!(
            lines[1],
            "4,CP1,1,TAG1,2026-11-01T02:00:00.250Z,2026-11-01T02:00:00.250Z,1000,3000,2000,,,60,50,10,\
             \"se,1\",SEK,0.10,25,0.10,0.10,,2026-11-02T00:00:00Z,,ocpp1.6,4,1"
        );
        assert_eq!(
            lines[2],
            "3,CP1,1,TAG2,2026-11-01T01:00:00Z,2026-11-01T01:00:00Z,1000,3000,2000,,,60,50,10,\
             \"se,1\",SEK,,25,,,\"no tariff, \"\"default\"\" missing\",2026-11-02T00:00:00Z,,ocpp1.6,3,1"
        );
        assert!(
            lines[3].starts_with("1,CP1,1,TAG1,2026-10-31T23:00:00Z,"),
            "{text}"
        );
        assert_eq!(lines[4], "");
    }

    #[test]
    fn the_openapi_document_lists_the_csv_columns_in_their_order() {
        let doc: Value = serde_json::from_str(crate::openapi::OPENAPI_JSON).unwrap();
        let description = doc["paths"]["/api/v1/cdrs.csv"]["get"]["description"]
            .as_str()
            .unwrap();
        assert!(
            description.contains(&format!(
                "fields quoted when needed): {}.",
                super::CSV_HEADER.join(", ")
            )),
            "{description}"
        );
    }

    #[test]
    fn csv_continues_with_the_next_cursor_header() {
        let bench = bench();
        let first = bench.call("GET", "/api/v1/cdrs.csv?limit=3", "");
        let cursor = first.response.header("x-next-cursor").unwrap().to_owned();
        let text = String::from_utf8(first.response.body.clone()).unwrap();
        assert_eq!(text.lines().count(), 4);
        let rest = bench.call(
            "GET",
            &format!("/api/v1/cdrs.csv?limit=3&cursor={cursor}"),
            "",
        );
        assert_eq!(rest.response.header("x-next-cursor"), None);
        let text = String::from_utf8(rest.response.body.clone()).unwrap();
        let ids: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(ids, vec!["2", "1"]);
        bench
            .call("GET", "/api/v1/cdrs.csv?limit=10001", "")
            .problem(400);
        bench
            .call("GET", "/api/v1/cdrs.csv?cursor=zz", "")
            .problem(400);
    }
}
