//! The audit log: who asked for each change, and how it was answered.
//!
//! Every call that is not a read is written down *before* it runs (who, when, what method and
//! path), so no change can happen without its entry; the answer's status and the id of what it
//! made (a command's id, a token's name) are added after. Refused calls (403) are kept too: an
//! operator probing for more than their role allows is worth knowing about. Calls without a
//! valid token are not: they have no name to record, and logging them would let strangers
//! fill the table.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use csms_store::{Row, Sql, SqlValue, StoreError};
use ocpp_protocol::timestamp::format_utc;
use serde::Serialize;

use crate::access::Caller;
use crate::pagination::PageRequest;
use crate::problem::ApiError;
use crate::query::Query;
use crate::router::Method;
use crate::{Reply, Response};

pub(crate) const PARAMS: [&str; 3] = ["limit", "cursor", "actor"];
const LIST: &str = "audit-log";
const ACTOR_MAX_CHARS: usize = 64;

/// An entry written by [`begin`], waiting for its answer.
#[derive(Debug)]
pub(crate) struct Entry(i64);

#[derive(Debug, Serialize)]
struct EntryView {
    id: i64,
    at: String,
    actor: String,
    role: String,
    method: String,
    path: String,
    /// `null` when the answer could not be recorded (the change may or may not have happened).
    status: Option<i64>,
    reference: Option<String>,
}

pub(crate) fn begin(
    sql: &impl Sql,
    caller: &Caller,
    method: Method,
    path: &str,
    now: DateTime<Utc>,
) -> Result<Entry, ApiError> {
    let rows = sql
        .execute(
            "INSERT INTO audit_log (at, actor, role, method, path) VALUES (?, ?, ?, ?, ?) RETURNING id",
            &[
                format_utc(now).into(),
                caller.name.as_str().into(),
                caller.role.as_str().into(),
                method.as_str().into(),
                path.into(),
            ],
        )
        .context("writing the audit log entry")?;
    let id = rows
        .first()
        .map(|row| row.i64(0, "audit_log.id"))
        .transpose()?
        .context("the audit log insert returned no id")?;
    Ok(Entry(id))
}

pub(crate) fn finish(sql: &impl Sql, entry: Entry, response: &Response) -> Result<(), StoreError> {
    sql.execute(
        "UPDATE audit_log SET status = ?, reference = ? WHERE id = ?",
        &[
            i64::from(response.status).into(),
            reference(response).map_or(SqlValue::Null, SqlValue::from),
            entry.0.into(),
        ],
    )
    .map(drop)
}

/// What a successful answer made: the commands it queued (their ids, comma-separated), or its
/// `id` (a charge point, a tariff), or its `name` (an API token). Nothing else of the body is
/// kept; it may hold a secret.
fn reference(response: &Response) -> Option<String> {
    use serde_json::Value;
    if !(200..300).contains(&response.status) || !response.header("content-type")?.contains("json")
    {
        return None;
    }
    let body: Value = serde_json::from_slice(&response.body).ok()?;
    let scalar = |value: &Value| match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    };
    if let Some(Value::Array(ids)) = body.get("command_ids") {
        let ids: Vec<String> = ids.iter().filter_map(scalar).collect();
        return Some(ids.join(","));
    }
    ["id", "name"].iter().find_map(|field| scalar(&body[field]))
}

pub(crate) fn list(sql: &impl Sql, query: &Query) -> Result<Reply, ApiError> {
    let request = PageRequest::<i64>::from_query(query, LIST)?;
    let actor = query.text("actor", ACTOR_MAX_CHARS)?;
    let rows = sql
        .execute(
            "SELECT id, at, actor, role, method, path, status, reference FROM audit_log \
             WHERE id < ? AND (? IS NULL OR actor = ?) ORDER BY id DESC LIMIT ?",
            &[
                request.after.unwrap_or(i64::MAX).into(),
                actor.clone().map_or(SqlValue::Null, SqlValue::from),
                actor.map_or(SqlValue::Null, SqlValue::from),
                request.fetch().into(),
            ],
        )
        .context("listing the audit log")?;
    let items = rows
        .iter()
        .map(view)
        .collect::<Result<Vec<_>, StoreError>>()
        .context("reading the audit log")?;
    Reply::ok(&request.page(items, LIST, |e| e.id)?)
}

fn view(row: &Row) -> Result<EntryView, StoreError> {
    Ok(EntryView {
        id: row.i64(0, "audit_log.id")?,
        at: row.text(1, "audit_log.at")?,
        actor: row.text(2, "audit_log.actor")?,
        role: row.text(3, "audit_log.role")?,
        method: row.text(4, "audit_log.method")?,
        path: row.text(5, "audit_log.path")?,
        status: row.opt_i64(6, "audit_log.status")?,
        reference: row.opt_text(7, "audit_log.reference")?,
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::Bench;
    use serde_json::json;

    #[test]
    fn changes_and_refusals_name_who_asked_and_reads_are_not_logged() {
        let bench = Bench::new();
        let created = bench.call(
            "POST",
            "/api/v1/api-tokens",
            r#"{"name":"night-shift","role":"viewer"}"#,
        );
        let viewer = created.body["token"].as_str().unwrap().to_owned();
        let as_viewer = |method, path, body| {
            bench
                .send(method, path, Some(&format!("Bearer {viewer}")), body)
                .status
        };
        assert_eq!(as_viewer("GET", "/api/v1/tariffs", ""), 200);
        assert_eq!(as_viewer("DELETE", "/api/v1/tariffs/t1", ""), 403);
        bench
            .send("PUT", "/api/v1/id-tags/T1", Some("Bearer wrong"), "{}")
            .problem(401);
        assert_eq!(
            bench
                .call("PUT", "/api/v1/id-tags/T%201", r#"{"status":"Accepted"}"#)
                .status,
            201
        );
        let log = bench.call("GET", "/api/v1/audit-log", "");
        assert_eq!(log.status, 200, "{}", log.body);
        let entries: Vec<_> = log.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                json!([
                    e["actor"],
                    e["role"],
                    e["method"],
                    e["path"],
                    e["status"],
                    e["reference"]
                ])
            })
            .collect();
        assert_eq!(
            entries,
            [
                json!([
                    "bootstrap",
                    "admin",
                    "PUT",
                    "/api/v1/id-tags/T%201",
                    201,
                    null
                ]),
                json!([
                    "night-shift",
                    "viewer",
                    "DELETE",
                    "/api/v1/tariffs/t1",
                    403,
                    null
                ]),
                json!([
                    "bootstrap",
                    "admin",
                    "POST",
                    "/api/v1/api-tokens",
                    201,
                    "night-shift"
                ]),
            ]
        );
        let only = bench.call("GET", "/api/v1/audit-log?actor=night-shift&limit=1", "");
        assert_eq!(only.body["items"].as_array().unwrap().len(), 1);
        assert!(only.body["next_cursor"].is_null());
        // The log itself is for administrators.
        assert_eq!(as_viewer("GET", "/api/v1/audit-log", ""), 403);
    }
}
