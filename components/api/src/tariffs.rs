//! `/api/v1/tariffs/{id}`: tariff definitions, validated before they are stored.
//!
//! The body is the tariff JSON the tariff components read (the OCPI-style format of
//! `docs/tariffs.md`), checked with `tariff-engine` so that a tariff that could price no
//! session is refused, naming the field at fault, instead of stored. The `id` in the body may
//! be left out (the path's is filled in) but must otherwise match the path. The definition is
//! stored and returned as sent (layout and field order kept), so GET, edit, PUT round-trips.
//!
//! A tariff assigned to charge points cannot be deleted (409): unassign it first, so that no
//! charge point is left pricing with a tariff that no longer exists. Charge detail records
//! keep the id and the priced lines of the tariff they were priced with either way.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use csms_store::Sql;
use ocpp_protocol::timestamp::format_utc;
use serde_json::Value;
use tariff_engine::Tariff;

use crate::pagination::{self, PageRequest};
use crate::problem::ApiError;
use crate::query::Query;
use crate::Reply;

pub(crate) const MAX_ID_CHARS: usize = 64;
pub(crate) const LIST_PARAMS: [&str; 2] = pagination::PARAMS;
const LIST: &str = "tariffs";
/// How many of the charge points a tariff is assigned to a 409 names.
const NAMED_IN_CONFLICT: usize = 5;

/// `GET /api/v1/tariffs`: the definitions, ordered by id.
pub(crate) fn list(sql: &impl Sql, query: &Query) -> Result<Reply, ApiError> {
    let request = PageRequest::<String>::from_query(query, LIST)?;
    let mut params: Vec<csms_store::SqlValue> = Vec::new();
    let after = match &request.after {
        Some(after) => {
            params.push(after.into());
            " WHERE id > ?"
        }
        None => "",
    };
    params.push(request.fetch().into());
    let rows = sql
        .execute(
            &format!("SELECT id, definition FROM tariffs{after} ORDER BY id LIMIT ?"),
            &params,
        )
        .context("listing tariffs")?;
    let tariffs = rows
        .iter()
        .map(|row| {
            let id = row.text(0, "tariffs.id")?;
            let definition = row.text(1, "tariffs.definition")?;
            let value = serde_json::from_str::<Value>(&definition)
                .with_context(|| format!("tariff {id:?} is stored as invalid JSON"))?;
            Ok((id, value))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let page = request.page(tariffs, LIST, |(id, _)| id.clone())?;
    Reply::ok(&pagination::Page {
        items: page.items.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
        next_cursor: page.next_cursor,
    })
}

/// `DELETE /api/v1/tariffs/{id}`: 409 while charge points use it.
pub(crate) fn delete(sql: &impl Sql, id: &str) -> Result<Reply, ApiError> {
    sql.transaction(|db| {
        if !exists(db, id)? {
            return Err(not_found(id));
        }
        let assigned = db
            .execute(
                "SELECT id, count(*) OVER () FROM charge_points WHERE tariff_id = ? ORDER BY id LIMIT ?",
                &[id.into(), i64::try_from(NAMED_IN_CONFLICT).unwrap_or(5).into()],
            )
            .with_context(|| format!("looking up the charge points of tariff {id:?}"))?;
        if let Some(first) = assigned.first() {
            let total = first.i64(1, "charge_points")?;
            let named = assigned
                .iter()
                .map(|row| row.text(0, "charge_points.id").map(|id| format!("{id:?}")))
                .collect::<Result<Vec<_>, _>>()?;
            let more = if total > named.len() as i64 {
                format!(" and {} more", total - named.len() as i64)
            } else {
                String::new()
            };
            return Err(ApiError::Conflict(format!(
                "tariff {id:?} is assigned to {total} charge point(s) ({}{more}); assign them another \
                 tariff (PUT /api/v1/charge-points/{{id}}/tariff) first; \
                 GET /api/v1/tariffs/{{id}}/charge-points lists them",
                named.join(", ")
            )));
        }
        db.execute("DELETE FROM tariffs WHERE id = ?", &[id.into()])
            .with_context(|| format!("deleting tariff {id:?}"))?;
        Ok(())
    })?;
    Ok(Reply::no_content())
}

pub(crate) fn not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("tariff {id:?} does not exist"))
}

pub(crate) fn get(sql: &impl Sql, id: &str) -> Result<Reply, ApiError> {
    let rows = sql
        .execute("SELECT definition FROM tariffs WHERE id = ?", &[id.into()])
        .with_context(|| format!("loading tariff {id:?}"))?;
    let row = rows.first().ok_or_else(|| not_found(id))?;
    let definition = row.text(0, "tariffs.definition")?;
    serde_json::from_str::<Value>(&definition)
        .with_context(|| format!("tariff {id:?} is stored as invalid JSON"))?;
    Ok(Reply::json_text(None, definition))
}

pub(crate) fn put(
    sql: &impl Sql,
    id: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    if id.trim().is_empty() || id.chars().count() > MAX_ID_CHARS {
        return Err(ApiError::bad_request(format!(
            "tariff id {id:?} must be 1 to {MAX_ID_CHARS} characters"
        )));
    }
    let definition = definition(id, body)?;
    let now = format_utc(now);
    let created = sql.transaction(|db| {
        let exists = exists(db, id)?;
        db.execute(
            "INSERT INTO tariffs (id, definition, updated_at) VALUES (?, ?, ?) \
             ON CONFLICT(id) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at",
            &[id.into(), definition.as_str().into(), now.as_str().into()],
        )
        .with_context(|| format!("storing tariff {id:?}"))?;
        Ok::<bool, ApiError>(!exists)
    })?;
    Ok(Reply::json_text(Some(created), definition))
}

pub(crate) fn exists(sql: &impl Sql, id: &str) -> Result<bool, ApiError> {
    Ok(!sql
        .execute("SELECT 1 FROM tariffs WHERE id = ?", &[id.into()])
        .with_context(|| format!("looking up tariff {id:?}"))?
        .is_empty())
}

/// The text to store: the body as sent when it names the tariff itself, else with the path's
/// `id` added.
fn definition(id: &str, body: &[u8]) -> Result<String, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::bad_request("the request body is not UTF-8"))?
        .trim();
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(ApiError::bad_request(
            "invalid request body: a tariff is a JSON object",
        ));
    };
    let text = match object.get("id") {
        Some(Value::String(body_id)) if body_id == id => text.to_owned(),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "invalid field `id`: {other} does not match the tariff id in the path ({id:?}); leave it out or make them equal"
            )))
        }
        // Added in front, textually, so that the rest keeps the operator's order and layout.
        None => {
            let id_json = Value::String(id.to_owned()).to_string();
            let rest = text.strip_prefix('{').unwrap_or(text);
            if object.is_empty() {
                format!("{{\"id\":{id_json}}}")
            } else {
                format!("{{\"id\":{id_json},{rest}")
            }
        }
    };
    Tariff::from_json(&text).map_err(|e| ApiError::bad_request(format!("invalid tariff: {e}")))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::test_support::Bench;

    const TARIFF: &str = r#"{
        "id": "se-2026", "currency": "SEK", "vat_percent": "25",
        "elements": [
            { "price_components": [{ "type": "ENERGY", "price": "3.50", "step_size": 1 }],
              "restrictions": { "start_time": "07:00", "end_time": "22:00" } },
            { "price_components": [{ "type": "ENERGY", "price": "2.00" }, { "type": "FLAT", "price": "5.00" }] }
        ]
    }"#;

    #[test]
    fn valid_tariff_is_stored_and_read_back() {
        let bench = Bench::new();
        let created = bench.call("PUT", "/api/v1/tariffs/se-2026", TARIFF);
        assert_eq!(created.status, 201, "{}", created.body);
        let expected: Value = serde_json::from_str(TARIFF).unwrap();
        assert_eq!(created.body, expected);
        assert_eq!(
            bench.call("GET", "/api/v1/tariffs/se-2026", "").body,
            expected
        );
        assert_eq!(
            bench.call("PUT", "/api/v1/tariffs/se-2026", TARIFF).status,
            200
        );
    }

    #[test]
    fn id_is_taken_from_the_path_when_left_out() {
        let bench = Bench::new();
        let answer = bench.call(
            "PUT",
            "/api/v1/tariffs/flat%2049",
            r#"{"currency":"EUR","vat_percent":"0","elements":[{"price_components":[{"type":"FLAT","price":"1"}]}]}"#,
        );
        assert_eq!(answer.status, 201, "{}", answer.body);
        assert_eq!(answer.body["id"], "flat 49");
        let text = String::from_utf8(answer.response.body.clone()).unwrap();
        assert!(
            text.starts_with(r#"{"id":"flat 49","currency":"EUR","vat_percent""#),
            "{text}"
        );
        let stored = bench.call("GET", "/api/v1/tariffs/flat%2049", "").body;
        assert_eq!(stored["id"], "flat 49");
        // What the tariff component will be given parses with the id it prices under.
        let rows =
            csms_store::Sql::execute(&bench.sql, "SELECT definition FROM tariffs", &[]).unwrap();
        let definition = rows[0].text(0, "definition").unwrap();
        assert_eq!(
            tariff_engine::Tariff::from_json(&definition).unwrap().id(),
            "flat 49"
        );
    }

    #[test]
    fn id_that_differs_from_the_path_is_400() {
        let bench = Bench::new();
        let detail = bench
            .call("PUT", "/api/v1/tariffs/other", TARIFF)
            .problem(400);
        assert!(
            detail.contains("`id`") && detail.contains("\"other\""),
            "{detail}"
        );
        bench.call("GET", "/api/v1/tariffs/other", "").problem(404);
    }

    #[test]
    fn invalid_tariff_is_400_naming_the_problem() {
        let bench = Bench::new();
        for (body, named) in [
            (
                TARIFF.replace("\"step_size\"", "\"stepsize\""),
                "elements[0].price_components[0].stepsize",
            ),
            (
                TARIFF.replace("\"07:00\"", "\"7:00\""),
                "elements[0].restrictions.start_time",
            ),
            (TARIFF.replace("\"SEK\"", "\"XYZ\""), "XYZ"),
            (
                TARIFF.replace("\"3.50\"", "\"-1\""),
                "elements[0].price_components[0].price",
            ),
            (TARIFF.replace("\"25\"", "\"125\""), "vat_percent"),
        ] {
            let detail = bench
                .call("PUT", "/api/v1/tariffs/se-2026", &body)
                .problem(400);
            assert!(detail.starts_with("invalid tariff: "), "{detail}");
            assert!(detail.contains(named), "{named}: {detail}");
        }
        for body in ["", "{", "[]", "\"tariff\""] {
            bench
                .call("PUT", "/api/v1/tariffs/se-2026", body)
                .problem(400);
        }
        bench
            .call("GET", "/api/v1/tariffs/se-2026", "")
            .problem(404);
    }

    const SMALL: &str = r#"{"currency":"EUR","vat_percent":"0","elements":[{"price_components":[{"type":"FLAT","price":"1"}]}]}"#;

    #[test]
    fn tariffs_are_listed_by_id_across_pages() {
        let bench = Bench::new();
        for id in ["c", "a", "b"] {
            bench.call("PUT", &format!("/api/v1/tariffs/{id}"), SMALL);
        }
        let first = bench.call("GET", "/api/v1/tariffs?limit=2", "").body;
        let ids = |page: &Value| -> Vec<String> {
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(ids(&first), vec!["a", "b"]);
        assert_eq!(first["items"][0]["currency"], "EUR");
        let cursor = first["next_cursor"].as_str().unwrap();
        let second = bench
            .call(
                "GET",
                &format!("/api/v1/tariffs?limit=2&cursor={cursor}"),
                "",
            )
            .body;
        assert_eq!(ids(&second), vec!["c"]);
        assert_eq!(second["next_cursor"], Value::Null);
    }

    #[test]
    fn an_assigned_tariff_cannot_be_deleted() {
        let bench = Bench::new();
        bench.call("PUT", "/api/v1/tariffs/t1", SMALL);
        for cp in ["CP1", "CP2"] {
            bench.call(
                "PUT",
                &format!("/api/v1/charge-points/{cp}"),
                r#"{"tariff_id":"t1"}"#,
            );
        }
        let detail = bench.call("DELETE", "/api/v1/tariffs/t1", "").problem(409);
        assert!(
            detail.contains("2 charge point(s)") && detail.contains("\"CP1\", \"CP2\""),
            "{detail}"
        );
        for cp in ["CP1", "CP2"] {
            bench.call(
                "PUT",
                &format!("/api/v1/charge-points/{cp}/tariff"),
                r#"{"tariff_id":null}"#,
            );
        }
        let deleted = bench.call("DELETE", "/api/v1/tariffs/t1", "");
        assert_eq!(deleted.status, 204);
        assert!(deleted.response.body.is_empty());
        assert_eq!(deleted.response.header("content-type"), None);
        bench.call("GET", "/api/v1/tariffs/t1", "").problem(404);
        bench.call("DELETE", "/api/v1/tariffs/t1", "").problem(404);
    }
}
