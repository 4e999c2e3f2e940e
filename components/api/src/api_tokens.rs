//! `/api/v1/api-tokens`: an administrator gives each operator (person or system) a token of
//! its own with a role, and revokes it. The token is shown once, in the 201; only its digest
//! is stored. Revoked tokens stay listed so that the audit log's names keep one meaning, and a
//! revoked name is not given out again.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use csms_store::{credentials, Sql};
use ocpp_protocol::timestamp::format_utc;
use serde::{Deserialize, Serialize};

use crate::access::{Caller, Role, BOOTSTRAP};
use crate::pagination::PageRequest;
use crate::problem::ApiError;
use crate::query::Query;
use crate::{json_body, Reply};

pub(crate) const LIST_PARAMS: [&str; 2] = ["limit", "cursor"];
const LIST: &str = "api-tokens";
const NAME_MAX_CHARS: usize = 64;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    role: Role,
}

#[derive(Debug, Serialize)]
struct TokenView {
    name: String,
    role: String,
    created_at: String,
    created_by: String,
    revoked_at: Option<String>,
    revoked_by: Option<String>,
}

#[derive(Debug, Serialize)]
struct Created {
    name: String,
    role: Role,
    /// The only time the token is shown.
    token: String,
    created_at: String,
    created_by: String,
}

pub(crate) fn list(sql: &impl Sql, query: &Query) -> Result<Reply, ApiError> {
    let request = PageRequest::<String>::from_query(query, LIST)?;
    let rows = sql
        .execute(
            "SELECT name, role, created_at, created_by, revoked_at, revoked_by FROM api_tokens \
             WHERE name > ? ORDER BY name LIMIT ?",
            &[
                request.after.clone().unwrap_or_default().into(),
                request.fetch().into(),
            ],
        )
        .context("listing the API tokens")?;
    let items = rows
        .iter()
        .map(|row| {
            Ok(TokenView {
                name: row.text(0, "api_tokens.name")?,
                role: row.text(1, "api_tokens.role")?,
                created_at: row.text(2, "api_tokens.created_at")?,
                created_by: row.text(3, "api_tokens.created_by")?,
                revoked_at: row.opt_text(4, "api_tokens.revoked_at")?,
                revoked_by: row.opt_text(5, "api_tokens.revoked_by")?,
            })
        })
        .collect::<Result<Vec<_>, csms_store::StoreError>>()
        .context("reading the API tokens")?;
    Reply::ok(&request.page(items, LIST, |t| t.name.clone())?)
}

pub(crate) fn create(
    sql: &impl Sql,
    caller: &Caller,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let CreateBody { name, role } = json_body::parse(body)?;
    check_name(&name)?;
    let token = credentials::generate_api_token()
        .map_err(|e| anyhow::anyhow!("drawing a random API token: {e}"))?;
    let created_at = format_utc(now);
    let inserted = sql
        .execute(
            "INSERT INTO api_tokens (name, role, token_digest, created_at, created_by) \
             VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING name",
            &[
                name.as_str().into(),
                role.as_str().into(),
                credentials::api_token_digest(&token).into(),
                created_at.as_str().into(),
                caller.name.as_str().into(),
            ],
        )
        .with_context(|| format!("storing the API token {name:?}"))?;
    if inserted.is_empty() {
        return Err(ApiError::Conflict(format!(
            "an API token named {name:?} exists or existed; revoked names are not reused, so the audit log keeps one meaning for each"
        )));
    }
    Reply::json(
        201,
        &Created {
            name,
            role,
            token,
            created_at,
            created_by: caller.name.clone(),
        },
    )
}

pub(crate) fn revoke(
    sql: &impl Sql,
    caller: &Caller,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let rows = sql
        .execute(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?), \
             revoked_by = COALESCE(revoked_by, ?) WHERE name = ? RETURNING name",
            &[
                format_utc(now).into(),
                caller.name.as_str().into(),
                name.into(),
            ],
        )
        .with_context(|| format!("revoking the API token {name:?}"))?;
    if rows.is_empty() {
        let detail = if name == BOOTSTRAP {
            "the bootstrap token is the `api_token` Spin variable: change or empty the variable to revoke it".to_owned()
        } else {
            format!("no API token is named {name:?}")
        };
        return Err(ApiError::NotFound(detail));
    }
    Ok(Reply::no_content())
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let well_formed = !name.is_empty()
        && name.chars().count() <= NAME_MAX_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if !well_formed {
        return Err(ApiError::bad_request(format!(
            "invalid field `name`: 1 to {NAME_MAX_CHARS} of A-Z, a-z, 0-9, '.', '_', '-', '@'"
        )));
    }
    if name == BOOTSTRAP {
        return Err(ApiError::Conflict(format!(
            "{BOOTSTRAP:?} is the name of the `api_token` variable's token"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::test_support::Bench;
    use csms_store::Sql as _;
    use serde_json::json;

    fn token(bench: &Bench, name: &str, role: &str) -> String {
        let answer = bench.call(
            "POST",
            "/api/v1/api-tokens",
            &json!({"name": name, "role": role}).to_string(),
        );
        assert_eq!(answer.status, 201, "{}", answer.body);
        assert_eq!(answer.body["created_by"], "bootstrap");
        answer.body["token"].as_str().unwrap().to_owned()
    }

    fn as_token(bench: &Bench, token: &str, method: &str, path: &str, body: &str) -> u16 {
        bench
            .send(method, path, Some(&format!("Bearer {token}")), body)
            .status
    }

    #[test]
    fn each_role_can_do_what_it_may_and_no_more() {
        let bench = Bench::new();
        let viewer = token(&bench, "wall-screen", "viewer");
        let operator = token(&bench, "night-shift", "operator");
        let admin = token(&bench, "ops-lead", "admin");
        bench.exec(
            "INSERT INTO transactions (id, charge_point_id, connector_id, id_tag, start_auth_status, \
             meter_start_wh, started_at, created_at) \
             VALUES (7, 'CP1', 1, 'ALICE', 'Accepted', 1000, '2026-11-23T10:00:00Z', 't')",
        );
        let tag = r#"{"status":"Accepted"}"#;
        let cp = r#"{"time_zone":"UTC"}"#;
        for (token, expected) in [
            (&viewer, [200, 403, 403, 403, 403]),
            (&operator, [200, 201, 200, 403, 403]),
            (&admin, [200, 200, 200, 201, 200]),
        ] {
            let got = [
                as_token(&bench, token, "GET", "/api/v1/id-tags", ""),
                as_token(&bench, token, "PUT", "/api/v1/id-tags/T1", tag),
                as_token(&bench, token, "POST", "/api/v1/transactions/7/close", ""),
                as_token(&bench, token, "PUT", "/api/v1/charge-points/CP1", cp),
                as_token(&bench, token, "GET", "/api/v1/api-tokens", ""),
            ];
            // The close succeeds once; later closers find it stopped (409), which is allowed.
            let got = got.map(|s| if s == 409 { 200 } else { s });
            assert_eq!(got, expected);
        }
        let forbidden = bench.send(
            "POST",
            "/api/v1/api-tokens",
            Some(&format!("Bearer {operator}")),
            r#"{"name":"x","role":"admin"}"#,
        );
        let detail = forbidden.problem(403);
        assert!(
            detail.contains("\"night-shift\" has the role operator") && detail.contains("admin"),
            "{detail}"
        );
        // The close names the operator token that made it.
        assert_eq!(bench.closer.calls.borrow()[0].1, "night-shift");
    }

    #[test]
    fn a_revoked_token_is_401_and_its_name_is_not_reused() {
        let bench = Bench::new();
        let viewer = token(&bench, "kiosk", "viewer");
        assert_eq!(
            as_token(&bench, &viewer, "GET", "/api/v1/charge-points", ""),
            200
        );
        assert_eq!(
            bench.call("DELETE", "/api/v1/api-tokens/kiosk", "").status,
            204
        );
        let answer = bench.send(
            "GET",
            "/api/v1/charge-points",
            Some(&format!("Bearer {viewer}")),
            "",
        );
        assert!(answer.problem(401).contains("revoked"));
        // Also for paths that do not exist: a stranger learns nothing.
        assert_eq!(as_token(&bench, &viewer, "GET", "/api/v1/nothing", ""), 401);
        assert_eq!(
            bench
                .call(
                    "POST",
                    "/api/v1/api-tokens",
                    r#"{"name":"kiosk","role":"viewer"}"#
                )
                .status,
            409
        );
        let listed = bench.call("GET", "/api/v1/api-tokens", "");
        assert_eq!(listed.body["items"][0]["name"], "kiosk");
        assert_eq!(listed.body["items"][0]["revoked_by"], "bootstrap");
        assert!(listed.body["items"][0].get("token").is_none());
        assert!(!listed
            .response
            .body
            .windows(64)
            .any(|w| w == viewer.as_bytes()));
        assert_eq!(
            bench.call("DELETE", "/api/v1/api-tokens/nobody", "").status,
            404
        );
        assert_eq!(
            bench
                .call("DELETE", "/api/v1/api-tokens/bootstrap", "")
                .status,
            404
        );
    }

    #[test]
    fn names_and_roles_are_checked() {
        let bench = Bench::new();
        for (body, status) in [
            (r#"{"name":"a b","role":"viewer"}"#, 400),
            (r#"{"name":"","role":"viewer"}"#, 400),
            (r#"{"name":"ok","role":"root"}"#, 400),
            (r#"{"name":"ok"}"#, 400),
            (r#"{"name":"ok","role":"viewer","extra":1}"#, 400),
            (r#"{"name":"bootstrap","role":"viewer"}"#, 409),
        ] {
            assert_eq!(
                bench.call("POST", "/api/v1/api-tokens", body).status,
                status,
                "{body}"
            );
        }
        let stored = bench
            .sql
            .execute("SELECT COUNT(*) FROM api_tokens", &[])
            .unwrap();
        assert_eq!(stored[0].i64(0, "count").unwrap(), 0);
    }
}
