//! `/api/v1/id-tags/{idTag}`: the idTag registry the authorization component decides from.
//!
//! PUT replaces the whole entry (fields left out are cleared). IdTags are case-insensitive in
//! OCPP 1.6 (`CiString20Type`): GET finds a tag whatever its case (the exact spelling first,
//! as the authorization component does), and PUT refuses to create a second tag that differs
//! from an existing one only in case, which would make authorization ambiguous. DELETE finds
//! the tag the same way GET does; transactions keep the idTag they were started with.
//!
//! `GET /api/v1/id-tags` lists them by idTag (byte order), optionally only those of a status.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use csms_store::{Row, Sql, StoreError};
use ocpp_protocol::timestamp::{format_utc, parse_utc};
use serde::{Deserialize, Serialize};

use crate::json_body;
use crate::pagination::PageRequest;
use crate::problem::ApiError;
use crate::query::Query;
use crate::Reply;

/// idTag is CiString20Type in OCPP 1.6.
/// 2.0.1 `IdTokenType.idToken` (1.6 idTags are at most 20; longer tokens are left out of the
/// local lists sent to 1.6 charge points).
pub(crate) const MAX_ID_TAG_CHARS: usize = 36;
pub(crate) const LIST_PARAMS: [&str; 3] = ["limit", "cursor", "status"];
/// The statuses an id tag can be stored with.
pub(crate) const STATUSES: [&str; 2] = ["Accepted", "Blocked"];
const LIST: &str = "id-tags";
const COLUMNS: &str =
    "id_tag, status, expiry_date, parent_id_tag, max_active_transactions, updated_at, token_type";
/// The 2.0.1 `IdTokenEnumType` values a token may be registered with.
pub(crate) const TOKEN_TYPES: [&str; 8] = [
    "Central",
    "eMAID",
    "ISO14443",
    "ISO15693",
    "KeyCode",
    "Local",
    "MacAddress",
    "NoAuthorization",
];

#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
enum Status {
    Accepted,
    Blocked,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Accepted => "Accepted",
            Status::Blocked => "Blocked",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PutIdTag {
    status: Status,
    #[serde(default)]
    expiry_date: Option<String>,
    #[serde(default)]
    parent_id_tag: Option<String>,
    #[serde(default)]
    max_active_transactions: Option<i64>,
    /// 2.0.1 token type: the token matches only requests of that type; absent matches any
    /// (and every 1.6 idTag).
    #[serde(default, rename = "type")]
    token_type: Option<String>,
}

#[derive(Debug, Serialize)]
struct IdTagView {
    id_tag: String,
    status: String,
    expiry_date: Option<String>,
    parent_id_tag: Option<String>,
    max_active_transactions: Option<i64>,
    #[serde(rename = "type")]
    token_type: Option<String>,
    updated_at: String,
}

pub(crate) fn list(sql: &impl Sql, query: &Query) -> Result<Reply, ApiError> {
    let status = query.one_of("status", &STATUSES)?;
    let request = PageRequest::<String>::from_query(query, LIST)?;
    let mut conditions: Vec<String> = Vec::new();
    let mut params: Vec<csms_store::SqlValue> = Vec::new();
    if let Some(status) = status {
        conditions.push("status = ?".into());
        params.push(status.into());
    }
    if let Some(after) = &request.after {
        conditions.push("id_tag > ?".into());
        params.push(after.into());
    }
    params.push(request.fetch().into());
    let rows = sql
        .execute(
            &format!(
                "SELECT {COLUMNS} FROM id_tags{} ORDER BY id_tag LIMIT ?",
                crate::charge_point_list::where_clause(&conditions)
            ),
            &params,
        )
        .context("listing id tags")?;
    let tags = rows
        .iter()
        .map(read)
        .collect::<Result<Vec<_>, StoreError>>()
        .context("reading id tags")?;
    Reply::ok(&request.page(tags, LIST, |t| t.id_tag.clone())?)
}

/// Deletes the tag GET would show.
pub(crate) fn delete(sql: &impl Sql, id_tag: &str) -> Result<Reply, ApiError> {
    sql.transaction(|db| {
        let view = find(db, id_tag)?
            .ok_or_else(|| ApiError::NotFound(format!("id tag {id_tag:?} does not exist")))?;
        db.execute(
            "DELETE FROM id_tags WHERE id_tag = ?",
            &[view.id_tag.as_str().into()],
        )
        .with_context(|| format!("deleting id tag {:?}", view.id_tag))?;
        Ok::<(), ApiError>(())
    })?;
    Ok(Reply::no_content())
}

pub(crate) fn get(sql: &impl Sql, id_tag: &str) -> Result<Reply, ApiError> {
    let view = find(sql, id_tag)?
        .ok_or_else(|| ApiError::NotFound(format!("id tag {id_tag:?} does not exist")))?;
    Reply::ok(&view)
}

pub(crate) fn put(
    sql: &impl Sql,
    id_tag: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    check_tag("idTag", id_tag)?;
    let request: PutIdTag = json_body::parse(body)?;
    let expiry_date = request
        .expiry_date
        .as_deref()
        .map(|text| {
            parse_utc(text).map(format_utc).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "invalid field `expiry_date`: {text:?} is not an RFC 3339 date-time such as \"2027-01-01T00:00:00Z\""
                ))
            })
        })
        .transpose()?;
    if let Some(parent) = &request.parent_id_tag {
        check_tag("parent_id_tag", parent)?;
        if parent.eq_ignore_ascii_case(id_tag) {
            return Err(ApiError::bad_request(
                "invalid field `parent_id_tag`: a tag cannot be its own parent",
            ));
        }
    }
    if let Some(token_type) = &request.token_type {
        if !TOKEN_TYPES.contains(&token_type.as_str()) {
            return Err(ApiError::bad_request(format!(
                "invalid field `type`: {token_type:?} must be one of {}",
                TOKEN_TYPES.join(", ")
            )));
        }
    }
    if let Some(max) = request.max_active_transactions {
        if max < 1 {
            return Err(ApiError::bad_request(format!(
                "invalid field `max_active_transactions`: must be a positive integer, not {max}"
            )));
        }
    }
    let now = format_utc(now);
    let created = sql.transaction(|db| {
        let spellings = db
            .execute(
                "SELECT id_tag FROM id_tags WHERE id_tag = ? COLLATE NOCASE",
                &[id_tag.into()],
            )
            .with_context(|| format!("looking up id tag {id_tag:?}"))?
            .iter()
            .map(|row| row.text(0, "id_tags.id_tag"))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let exists = spellings.iter().any(|s| s == id_tag);
        if let (false, Some(other)) = (exists, spellings.first()) {
            return Err(ApiError::Conflict(format!(
                "id tag {other:?} already exists and idTags are case-insensitive; PUT /api/v1/id-tags/{other} to change it"
            )));
        }
        db.execute(
            "INSERT INTO id_tags (id_tag, status, expiry_date, parent_id_tag, max_active_transactions, updated_at, \
             token_type) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id_tag) DO UPDATE SET status = excluded.status, \
             expiry_date = excluded.expiry_date, parent_id_tag = excluded.parent_id_tag, \
             max_active_transactions = excluded.max_active_transactions, updated_at = excluded.updated_at, \
             token_type = excluded.token_type",
            &[
                id_tag.into(),
                request.status.as_str().into(),
                expiry_date.clone().into(),
                request.parent_id_tag.clone().into(),
                request.max_active_transactions.into(),
                now.as_str().into(),
                request.token_type.clone().into(),
            ],
        )
        .with_context(|| format!("storing id tag {id_tag:?}"))?;
        Ok::<bool, ApiError>(!exists)
    })?;
    let view = find(sql, id_tag)?.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "id tag {id_tag:?} vanished after storing it"
        ))
    })?;
    Reply::put(created, &view)
}

fn check_tag(field: &str, tag: &str) -> Result<(), ApiError> {
    if tag.trim().is_empty() || tag.chars().count() > MAX_ID_TAG_CHARS {
        return Err(ApiError::bad_request(format!(
            "{field} {tag:?} must be 1 to {MAX_ID_TAG_CHARS} characters (OCPP 2.0.1 idToken; 1.6 idTags are at most 20)"
        )));
    }
    Ok(())
}

fn find(sql: &impl Sql, id_tag: &str) -> Result<Option<IdTagView>, ApiError> {
    let rows = sql
        .execute(
            &format!(
                "SELECT {COLUMNS} FROM id_tags WHERE id_tag = ?1 COLLATE NOCASE \
                 ORDER BY id_tag = ?1 DESC LIMIT 1"
            ),
            &[id_tag.into()],
        )
        .with_context(|| format!("loading id tag {id_tag:?}"))?;
    rows.first()
        .map(read)
        .transpose()
        .with_context(|| format!("reading id tag {id_tag:?}"))
        .map_err(ApiError::from)
}

fn read(row: &Row) -> Result<IdTagView, StoreError> {
    const CTX: &str = "id_tags";
    Ok(IdTagView {
        id_tag: row.text(0, CTX)?,
        status: row.text(1, CTX)?,
        expiry_date: row.opt_text(2, CTX)?,
        parent_id_tag: row.opt_text(3, CTX)?,
        max_active_transactions: row.opt_i64(4, CTX)?,
        updated_at: row.text(5, CTX)?,
        token_type: row.opt_text(6, CTX)?,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::test_support::Bench;

    #[test]
    fn put_then_get_round_trips_with_expiry_in_utc() {
        let bench = Bench::new();
        let created = bench.call(
            "PUT",
            "/api/v1/id-tags/TAG1",
            r#"{"status":"Accepted","expiry_date":"2027-01-01T01:00:00+01:00","parent_id_tag":"FLEET","max_active_transactions":2}"#,
        );
        assert_eq!(created.status, 201, "{}", created.body);
        let expected = json!({
            "id_tag": "TAG1",
            "status": "Accepted",
            "expiry_date": "2027-01-01T00:00:00Z",
            "parent_id_tag": "FLEET",
            "max_active_transactions": 2,
            "type": null,
            "updated_at": "2026-11-23T20:15:00Z"
        });
        assert_eq!(created.body, expected);
        assert_eq!(bench.call("GET", "/api/v1/id-tags/TAG1", "").body, expected);
    }

    #[test]
    fn put_replaces_the_whole_entry() {
        let bench = Bench::new();
        bench.call(
            "PUT",
            "/api/v1/id-tags/TAG1",
            r#"{"status":"Accepted","parent_id_tag":"FLEET","max_active_transactions":3}"#,
        );
        let replaced = bench.call("PUT", "/api/v1/id-tags/TAG1", r#"{"status":"Blocked"}"#);
        assert_eq!(replaced.status, 200);
        assert_eq!(replaced.body["status"], "Blocked");
        assert_eq!(replaced.body["parent_id_tag"], Value::Null);
        assert_eq!(replaced.body["max_active_transactions"], Value::Null);
    }

    #[test]
    fn id_tags_are_case_insensitive() {
        let bench = Bench::new();
        bench.call("PUT", "/api/v1/id-tags/AbC123", r#"{"status":"Accepted"}"#);
        assert_eq!(
            bench.call("GET", "/api/v1/id-tags/abc123", "").body["id_tag"],
            "AbC123"
        );
        let detail = bench
            .call("PUT", "/api/v1/id-tags/ABC123", r#"{"status":"Blocked"}"#)
            .problem(409);
        assert!(detail.contains("\"AbC123\""), "{detail}");
        assert_eq!(
            bench.call("GET", "/api/v1/id-tags/AbC123", "").body["status"],
            "Accepted"
        );
    }

    #[test]
    fn invalid_values_are_400_naming_the_field() {
        let bench = Bench::new();
        for (body, field) in [
            (r#"{"status":"Expired"}"#, "`status`"),
            (r#"{}"#, "missing field `status`"),
            (
                r#"{"status":"Accepted","expiry_date":"next year"}"#,
                "`expiry_date`",
            ),
            (
                r#"{"status":"Accepted","max_active_transactions":0}"#,
                "`max_active_transactions`",
            ),
            (
                r#"{"status":"Accepted","max_active_transactions":1.5}"#,
                "`max_active_transactions`",
            ),
            (
                r#"{"status":"Accepted","parent_id_tag":"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789X"}"#,
                "parent_id_tag",
            ),
            (
                r#"{"status":"Accepted","parent_id_tag":"tag1"}"#,
                "`parent_id_tag`",
            ),
            (
                r#"{"status":"Accepted","expiry":"2027-01-01T00:00:00Z"}"#,
                "`expiry`",
            ),
        ] {
            let detail = bench.call("PUT", "/api/v1/id-tags/TAG1", body).problem(400);
            assert!(detail.contains(field), "{body}: {detail}");
        }
        bench
            .call(
                "PUT",
                "/api/v1/id-tags/ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789X",
                r#"{"status":"Accepted"}"#,
            )
            .problem(400);
        bench.call("GET", "/api/v1/id-tags/TAG1", "").problem(404);
    }

    #[test]
    fn id_tags_are_listed_in_pages_and_filtered_by_status() {
        let bench = Bench::new();
        for (tag, status) in [
            ("T3", "Accepted"),
            ("T1", "Blocked"),
            ("T2", "Accepted"),
            ("T4", "Accepted"),
        ] {
            bench.call(
                "PUT",
                &format!("/api/v1/id-tags/{tag}"),
                &format!(r#"{{"status":"{status}"}}"#),
            );
        }
        let tags = |page: &Value| -> Vec<String> {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id_tag"].as_str().unwrap().to_owned())
                .collect()
        };
        let first = bench
            .call("GET", "/api/v1/id-tags?status=Accepted&limit=2", "")
            .body;
        assert_eq!(tags(&first), vec!["T2", "T3"]);
        assert_eq!(first["items"][0]["status"], "Accepted");
        let cursor = first["next_cursor"].as_str().unwrap();
        let second = bench
            .call(
                "GET",
                &format!("/api/v1/id-tags?status=Accepted&limit=2&cursor={cursor}"),
                "",
            )
            .body;
        assert_eq!(tags(&second), vec!["T4"]);
        assert_eq!(second["next_cursor"], Value::Null);
        assert_eq!(
            tags(&bench.call("GET", "/api/v1/id-tags?status=Blocked", "").body),
            vec!["T1"]
        );
        assert_eq!(
            tags(&bench.call("GET", "/api/v1/id-tags", "").body).len(),
            4
        );
        for bad in ["status=Expired", "status=accepted", "limit=-1", "cursor=x"] {
            bench
                .call("GET", &format!("/api/v1/id-tags?{bad}"), "")
                .problem(400);
        }
    }

    #[test]
    fn delete_finds_the_tag_whatever_its_case() {
        let bench = Bench::new();
        bench.call("PUT", "/api/v1/id-tags/AbC", r#"{"status":"Accepted"}"#);
        let deleted = bench.call("DELETE", "/api/v1/id-tags/abc", "");
        assert_eq!(deleted.status, 204);
        assert!(deleted.response.body.is_empty());
        bench.call("GET", "/api/v1/id-tags/AbC", "").problem(404);
        bench.call("DELETE", "/api/v1/id-tags/AbC", "").problem(404);
    }
}
