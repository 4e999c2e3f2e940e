//! Answers from the charge point: a CALLRESULT or CALLERROR matched to its call by message id,
//! stored on the command with its effect, in one transaction. A call that already timed out
//! still takes its answer ([`store::awaiting_answer`]): the state moves on from `timed_out`
//! and the effect applies, since the charge point did what it answers.

use chrono::{DateTime, Utc};
use csms_store::Sql;
use ocpp_protocol::timestamp::format_utc;
use ocpp_protocol::{CallError, CallResult};
use serde_json::Value;

use crate::{operations, store, CommandError};

/// What became of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A valid CALLRESULT, stored and applied.
    Answered(i64),
    /// A CALLRESULT that is not a valid answer to the call: the command is in state `error`.
    Invalid { command_id: i64, reason: String },
    /// A CALLERROR, stored: the command is in state `error`.
    Refused(i64),
    /// No call of this charge point awaiting an answer has this message id (answered already,
    /// ended offline, or not ours).
    Unmatched,
}

/// Stores a CALLRESULT on the command it answers.
pub fn on_result(
    sql: &impl Sql,
    charge_point_id: &str,
    result: &CallResult,
    now: DateTime<Utc>,
) -> Result<Outcome, CommandError> {
    sql.transaction(|sql| {
        let Some(command) = matching(sql, charge_point_id, &result.message_id)? else {
            return Ok(Outcome::Unmatched);
        };
        let now_text = format_utc(now);
        match operations::validate_response(command.version(), &command.action, &result.payload) {
            Ok(_) => {
                operations::apply(sql, &command, &result.payload, &now_text)?;
                finish(
                    sql,
                    command.id,
                    "answered",
                    &result.payload,
                    None,
                    &now_text,
                )?;
                Ok(Outcome::Answered(command.id))
            }
            Err(e) => {
                let reason = format!(
                    "the charge point's answer is not a valid {} response: {}",
                    command.action, e.description
                );
                let code = e.code.as_str(command.version());
                finish(
                    sql,
                    command.id,
                    "error",
                    &result.payload,
                    Some((code, &reason, &Value::Object(Default::default()))),
                    &now_text,
                )?;
                Ok(Outcome::Invalid {
                    command_id: command.id,
                    reason,
                })
            }
        }
    })
}

/// Stores a CALLERROR on the command it answers.
pub fn on_error(
    sql: &impl Sql,
    charge_point_id: &str,
    error: &CallError,
    now: DateTime<Utc>,
) -> Result<Outcome, CommandError> {
    sql.transaction(|sql| {
        let Some(command) = matching(sql, charge_point_id, &error.message_id)? else {
            return Ok(Outcome::Unmatched);
        };
        finish(
            sql,
            command.id,
            "error",
            &Value::Null,
            Some((
                &error.error_code,
                &error.error_description,
                &error.error_details,
            )),
            &format_utc(now),
        )?;
        Ok(Outcome::Refused(command.id))
    })
}

/// Stores an answer frame that could not be parsed (a CALLRESULT or CALLERROR whose message
/// id could still be read) as an error of the command it answers: the charge point did answer,
/// and waiting for the timeout would report `timed_out` for a call that failed.
pub fn on_malformed(
    sql: &impl Sql,
    charge_point_id: &str,
    message_id: &str,
    error: &ocpp_protocol::FrameError,
    text: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, CommandError> {
    sql.transaction(|sql| {
        let Some(command) = matching(sql, charge_point_id, message_id)? else {
            return Ok(Outcome::Unmatched);
        };
        let reason = format!(
            "the charge point's answer is not a valid OCPP-J frame: {}",
            error.description
        );
        finish(
            sql,
            command.id,
            "error",
            &Value::Null,
            Some((
                error.code.as_str(command.version()),
                &reason,
                &serde_json::json!({ "frame": text }),
            )),
            &format_utc(now),
        )?;
        Ok(Outcome::Invalid {
            command_id: command.id,
            reason,
        })
    })
}

fn matching(
    sql: &impl Sql,
    charge_point_id: &str,
    message_id: &str,
) -> Result<Option<store::Command>, CommandError> {
    store::awaiting_answer(sql, charge_point_id, message_id)
}

fn finish(
    sql: &impl Sql,
    id: i64,
    state: &str,
    response: &Value,
    error: Option<(&str, &str, &Value)>,
    now: &str,
) -> Result<(), CommandError> {
    let response = (!response.is_null()).then(|| response.to_string());
    let (code, description, details) = match error {
        Some((code, description, details)) => (
            Some(code.to_owned()),
            Some(description.to_owned()),
            Some(details.to_string()),
        ),
        None => (None, None, None),
    };
    sql.execute(
        "UPDATE commands SET state = ?, response = ?, error_code = ?, error_description = ?, \
         error_details = ?, answered_at = ?, finished_at = ? WHERE id = ? AND state IN ('sent', 'timed_out')",
        &[
            state.into(),
            response.into(),
            code.into(),
            description.into(),
            details.into(),
            now.into(),
            now.into(),
            id.into(),
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::claim_next;
    use crate::store::{get, insert, State};
    use crate::test_support::{at, db};
    use serde_json::json;

    fn sent(db: &crate::test_support::Db, action: &str, request: Value) -> (i64, String) {
        let now = at("2026-11-23T20:00:00Z");
        let id = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            action,
            &request,
            now,
        )
        .unwrap();
        let call = claim_next(&db.sql, "CP1", now).unwrap().unwrap();
        assert_eq!(call.command_id, id);
        (id, call.message_id)
    }

    fn result(message_id: &str, payload: Value) -> CallResult {
        CallResult {
            message_id: message_id.to_owned(),
            payload,
        }
    }

    #[test]
    fn a_valid_result_is_stored_on_the_command_it_answers() {
        let db = db();
        let (id, message_id) = sent(&db, "Reset", json!({"type":"Soft"}));
        let now = at("2026-11-23T20:00:01.5Z");
        let outcome = on_result(
            &db.sql,
            "CP1",
            &result(&message_id, json!({"status":"Accepted"})),
            now,
        )
        .unwrap();
        assert_eq!(outcome, Outcome::Answered(id));
        let command = get(&db.sql, id).unwrap().unwrap();
        assert_eq!(command.state, State::Answered);
        assert_eq!(command.response, Some(json!({"status":"Accepted"})));
        assert_eq!(
            command.answered_at.as_deref(),
            Some("2026-11-23T20:00:01.500Z")
        );
        assert!(command.error.is_none());
    }

    #[test]
    fn a_late_answer_after_the_timeout_is_stored_and_takes_effect() {
        let db = db();
        let request = json!({"reservationId": 5, "connectorId": 1, "idTag": "ALICE",
                             "expiryDate": "2026-11-23T22:00:00Z"});
        let (id, message_id) = sent(&db, "ReserveNow", request);
        let next = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "ClearCache",
            &json!({}),
            at("2026-11-23T20:00:00Z"),
        )
        .unwrap();
        let later = at("2026-11-23T20:02:00Z");
        assert!(crate::delivery::expire(&db.sql, "CP1", later, 60).unwrap());
        assert_eq!(
            claim_next(&db.sql, "CP1", later)
                .unwrap()
                .unwrap()
                .command_id,
            next
        );
        let outcome = on_result(
            &db.sql,
            "CP1",
            &result(&message_id, json!({"status":"Accepted"})),
            later,
        )
        .unwrap();
        assert_eq!(outcome, Outcome::Answered(id));
        let command = get(&db.sql, id).unwrap().unwrap();
        assert_eq!(command.state, State::Answered);
        let held =
            crate::reservations::list_for(&db.sql, "CP1", Some("active"), None, 10, later).unwrap();
        assert_eq!(held.len(), 1, "the charge point holds the reservation");
        // The call outstanding now is untouched, and a second answer matches nothing.
        assert_eq!(get(&db.sql, next).unwrap().unwrap().state, State::Sent);
        assert_eq!(
            on_result(
                &db.sql,
                "CP1",
                &result(&message_id, json!({"status":"Rejected"})),
                later
            )
            .unwrap(),
            Outcome::Unmatched
        );
    }

    #[test]
    fn answers_with_another_message_id_or_from_another_charge_point_are_unmatched() {
        let db = db();
        let (id, message_id) = sent(&db, "Reset", json!({"type":"Soft"}));
        let now = at("2026-11-23T20:00:01Z");
        let accepted = json!({"status":"Accepted"});
        assert_eq!(
            on_result(&db.sql, "CP1", &result("other", accepted.clone()), now).unwrap(),
            Outcome::Unmatched
        );
        assert_eq!(
            on_result(&db.sql, "CP2", &result(&message_id, accepted), now).unwrap(),
            Outcome::Unmatched
        );
        assert_eq!(get(&db.sql, id).unwrap().unwrap().state, State::Sent);
    }

    #[test]
    fn an_invalid_result_puts_the_command_in_error_with_the_reason() {
        let db = db();
        let (id, message_id) = sent(&db, "Reset", json!({"type":"Soft"}));
        let outcome = on_result(
            &db.sql,
            "CP1",
            &result(&message_id, json!({"status":"Maybe"})),
            at("2026-11-23T20:00:01Z"),
        )
        .unwrap();
        assert!(matches!(outcome, Outcome::Invalid { command_id, .. } if command_id == id));
        let command = get(&db.sql, id).unwrap().unwrap();
        assert_eq!(command.state, State::Error);
        assert_eq!(command.response, Some(json!({"status":"Maybe"})));
        let error = command.error.unwrap();
        assert_eq!(error.code, "PropertyConstraintViolation");
        assert!(
            error.description.contains("status"),
            "{}",
            error.description
        );
    }

    #[test]
    fn a_call_error_is_stored_with_code_description_and_details() {
        let db = db();
        let (id, message_id) = sent(&db, "UnlockConnector", json!({"connectorId":1}));
        let error = CallError {
            message_id: message_id.clone(),
            error_code: "NotSupported".into(),
            error_description: "no lock".into(),
            error_details: json!({"why":"hardware"}),
        };
        assert_eq!(
            on_error(&db.sql, "CP1", &error, at("2026-11-23T20:00:02Z")).unwrap(),
            Outcome::Refused(id)
        );
        let command = get(&db.sql, id).unwrap().unwrap();
        assert_eq!(command.state, State::Error);
        assert_eq!(command.response, None);
        assert_eq!(
            command.error,
            Some(store::ErrorInfo {
                code: "NotSupported".into(),
                description: "no lock".into(),
                details: json!({"why":"hardware"}),
            })
        );
        // The queue is free again.
        let next = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "ClearCache",
            &json!({}),
            at("2026-11-23T20:00:03Z"),
        )
        .unwrap();
        assert_eq!(
            claim_next(&db.sql, "CP1", at("2026-11-23T20:00:03Z"))
                .unwrap()
                .unwrap()
                .command_id,
            next
        );
    }
}
