//! `POST /api/v1/charge-points/{id}/password`: gives a station a new Basic auth password
//! (security profile 1) through the Configure operation, ChangeConfiguration `AuthorizationKey`
//! in 1.6 and SetVariables `SecurityCtrlr.BasicAuthPassword` in 2.0.1
//! ([`csms_commands::password`]). The old password stays valid until the station connects
//! with the new one.
//!
//! Body `{"password": "..."}` (16 to 40 characters), or empty for a generated one, which the
//! answer shows once; the command's views never show it.

use chrono::{DateTime, Utc};
use csms_commands::password;
use csms_commands::publish::Publish;
use csms_store::{KeyValue, Sql};
use serde::{Deserialize, Serialize};

use crate::commands::{enqueue, Queued};
use crate::problem::ApiError;
use crate::{json_body, Outbound, Reply};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rotation {
    /// Absent: generated. `null` is refused: the document says a string, and a client
    /// sending null likely lost a value.
    #[serde(default, deserialize_with = "json_body::present")]
    password: Option<Option<String>>,
}

#[derive(Debug, Serialize)]
struct Rotated {
    #[serde(flatten)]
    queued: Queued,
    /// The generated password, when the operator did not give one.
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<String>,
}

pub(crate) fn post(
    sql: &impl Sql,
    kv: &impl KeyValue,
    outbound: &Outbound<'_, impl Publish>,
    cp: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let rotation: Rotation = if body.iter().all(u8::is_ascii_whitespace) {
        Rotation::default()
    } else {
        json_body::parse(body)?
    };
    let (new, generated) = match rotation.password {
        Some(Some(given)) => (given, None),
        Some(None) => {
            return Err(ApiError::bad_request(
                "invalid field `password`: a string of 16 to 40 characters; leave it out to have one generated",
            ))
        }
        None => {
            let made = csms_store::credentials::generate_password()
                .map_err(|e| ApiError::Internal(anyhow::anyhow!("generating a password: {e}")))?;
            (made.clone(), Some(made))
        }
    };
    let hash = crate::charge_points::hash(&new)?;
    let queued = enqueue(
        sql,
        kv,
        outbound,
        cp,
        "ChangeConfiguration",
        password::change_configuration(&new),
        true,
        Some(&hash),
        now,
    )?;
    Reply::accepted(&Rotated {
        queued,
        password: generated,
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::Bench;
    use csms_store::Sql;
    use serde_json::json;

    fn bench(version: &str) -> Bench {
        let bench = Bench::new();
        bench.exec(&format!(
            "INSERT INTO charge_points (id, ocpp_version, created_at, updated_at) \
             VALUES ('CP1', '{version}', 'x', 'x')"
        ));
        bench
    }

    fn pending(bench: &Bench) -> Option<String> {
        let rows = bench
            .sql
            .execute(
                "SELECT pending_password_hash FROM charge_points WHERE id = 'CP1'",
                &[],
            )
            .unwrap();
        rows[0].opt_text(0, "pending").unwrap()
    }

    #[test]
    fn a_1_6_station_gets_change_configuration_and_the_view_hides_the_password() {
        let bench = bench("ocpp1.6");
        let password = "fresh-password-0123456789";
        let queued = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/password",
            &json!({ "password": password }).to_string(),
        );
        assert_eq!(queued.status, 202, "{}", queued.body);
        assert_eq!(queued.body["action"], "ChangeConfiguration");
        assert!(queued.body.get("password").is_none(), "{}", queued.body);
        let hash = pending(&bench).unwrap();
        assert!(csms_store::credentials::verify_password(password, &hash));
        let id = queued.body["command_id"].as_i64().unwrap();
        let view = bench.call("GET", &format!("/api/v1/commands/{id}"), "");
        assert_eq!(
            view.body["request"],
            json!({"key": "AuthorizationKey", "value": "********"})
        );
        let list = bench.call("GET", "/api/v1/charge-points/CP1/commands", "");
        assert!(!list.body.to_string().contains(password), "{}", list.body);
    }

    #[test]
    fn a_2_0_1_station_gets_set_variables_and_an_empty_body_a_generated_password() {
        let bench = bench("ocpp2.0.1");
        let queued = bench.call("POST", "/api/v1/charge-points/CP1/password", "");
        assert_eq!(queued.status, 202, "{}", queued.body);
        assert_eq!(queued.body["action"], "SetVariables");
        let generated = queued.body["password"].as_str().unwrap().to_owned();
        assert_eq!(generated.len(), 40);
        assert!(csms_store::credentials::verify_password(
            &generated,
            &pending(&bench).unwrap()
        ));
        let id = queued.body["command_id"].as_i64().unwrap();
        let view = bench.call("GET", &format!("/api/v1/commands/{id}"), "");
        assert_eq!(
            view.body["request"],
            json!({"setVariableData": [{"component": {"name": "SecurityCtrlr"},
                   "variable": {"name": "BasicAuthPassword"}, "attributeValue": "********"}]})
        );
    }

    #[test]
    fn bad_passwords_and_password_changes_through_commands_are_400() {
        let bench = bench("ocpp1.6");
        let short = bench
            .call(
                "POST",
                "/api/v1/charge-points/CP1/password",
                r#"{"password":"short"}"#,
            )
            .problem(400);
        assert!(short.contains("`password`"), "{short}");
        for body in [r#"{"pasword":"0123456789abcdef"}"#, r#"{"password":null}"#] {
            bench
                .call("POST", "/api/v1/charge-points/CP1/password", body)
                .problem(400);
        }
        let sideways = bench
            .call(
                "POST",
                "/api/v1/charge-points/CP1/commands/ChangeConfiguration",
                r#"{"key":"AuthorizationKey","value":"0123456789abcdef"}"#,
            )
            .problem(400);
        assert!(sideways.contains("/password"), "{sideways}");
        assert_eq!(pending(&bench), None);
        bench
            .call("POST", "/api/v1/charge-points/NOPE/password", "")
            .problem(404);
    }
}
