//! `/api/v1/tariffs/{id}`: tariff definitions, validated before they are stored.
//!
//! The body is the tariff JSON the tariff components read (the OCPI-style format of
//! `docs/tariffs.md`), checked with `tariff-engine` so that a tariff that could price no
//! session is refused, naming the field at fault, instead of stored. The `id` in the body may
//! be left out (the path's is filled in) but must otherwise match the path. The definition is
//! stored and returned as sent (layout and field order kept), so GET, edit, PUT round-trips.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use csms_store::Sql;
use ocpp_protocol::timestamp::format_utc;
use serde_json::Value;
use tariff_engine::Tariff;

use crate::problem::ApiError;
use crate::Reply;

const MAX_ID_CHARS: usize = 64;

pub(crate) fn get(sql: &impl Sql, id: &str) -> Result<Reply, ApiError> {
    let rows = sql
        .execute("SELECT definition FROM tariffs WHERE id = ?", &[id.into()])
        .with_context(|| format!("loading tariff {id:?}"))?;
    let row = rows
        .first()
        .ok_or_else(|| ApiError::NotFound(format!("tariff {id:?} does not exist")))?;
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
}
