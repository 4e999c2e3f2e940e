//! Start a session remotely: RemoteStartTransaction (1.6) and RequestStartTransaction
//! (2.0.1), one operation.
//!
//! - Either name may be used for either version: `idTag` / `connectorId` and `idToken` /
//!   `evseId` carry over (a charging profile does not: its format differs, so it must be
//!   written for the station's own version). A 1.6 idTag sent as a 2.0.1 idToken takes the
//!   type the registry gives it, else `Central`.
//! - 2.0.1: the operator may leave out `remoteStartId`; the command's id is used, set when
//!   the call is sent ([`complete`]). The transactions component links the TransactionEvent
//!   that carries it to the command.
//! - 1.6: an `Accepted` answer that arrives after the StartTransaction it led to (the two
//!   race between the charge point and the central system) links that transaction to the
//!   command here. The usual order, answer first, is linked by the transactions component
//!   when the start arrives; both use the same rule: same idTag (case-insensitive), the
//!   command's connector if it named one, not linked yet, started since the command was sent.

use csms_store::Sql;
use ocpp_protocol::OcppVersion;
use serde_json::{json, Map, Value};

use super::Resolved;
use crate::store::Command;
use crate::CommandError;

/// The placeholder `remoteStartId` a request is validated with before it has its own.
const UNSET_REMOTE_START_ID: i64 = 1;

pub(super) fn prepare(
    sql: &impl Sql,
    resolved: &Resolved,
    payload: Value,
) -> Result<Result<Vec<Value>, String>, CommandError> {
    if payload.get("chargingProfile").is_some() && resolved.written_for != resolved.version {
        return Ok(Err(format!(
            "a charging profile must be written for OCPP {}: send {}",
            resolved.version.subprotocol(),
            resolved.action
        )));
    }
    let request = match (resolved.written_for, resolved.version) {
        (OcppVersion::V16, OcppVersion::V201) => {
            let id_tag = payload
                .get("idTag")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let mut request = Map::new();
            request.insert(
                "idToken".into(),
                json!({"idToken": id_tag, "type": token_type(sql, id_tag)?}),
            );
            if let Some(connector) = payload.get("connectorId") {
                request.insert("evseId".into(), connector.clone());
            }
            Value::Object(request)
        }
        (OcppVersion::V201, OcppVersion::V16) => {
            let mut request = Map::new();
            request.insert("idTag".into(), payload["idToken"]["idToken"].clone());
            if let Some(evse) = payload.get("evseId") {
                request.insert("connectorId".into(), evse.clone());
            }
            Value::Object(request)
        }
        _ => payload,
    };
    Ok(Ok(vec![request]))
}

/// The request as it will be sent, for validation before it has its `remoteStartId`.
pub(super) fn as_validated(version: OcppVersion, request: &Value) -> Value {
    let mut request = request.clone();
    if version == OcppVersion::V201 {
        if let Some(object) = request.as_object_mut() {
            object
                .entry("remoteStartId")
                .or_insert(UNSET_REMOTE_START_ID.into());
        }
    }
    request
}

/// A 2.0.1 request without `remoteStartId` gets the command's id.
pub(super) fn complete(command: &Command) -> Value {
    let mut request = command.request.clone();
    if command.version() == OcppVersion::V201 {
        if let Some(object) = request.as_object_mut() {
            object.entry("remoteStartId").or_insert(command.id.into());
        }
    }
    request
}

/// The type the registry gives a token, else `Central` (a token the CSMS vouches for).
fn token_type(sql: &impl Sql, id_tag: &str) -> Result<String, CommandError> {
    let rows = sql.execute(
        "SELECT token_type FROM id_tags WHERE id_tag = ? COLLATE NOCASE AND token_type IS NOT NULL",
        &[id_tag.into()],
    )?;
    Ok(match rows.first() {
        Some(row) => row.text(0, "id_tags.token_type")?,
        None => "Central".to_owned(),
    })
}

pub(super) fn apply(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
) -> Result<(), CommandError> {
    if command.version() != OcppVersion::V16 {
        return Ok(());
    }
    if response.get("status").and_then(Value::as_str) != Some("Accepted") {
        return Ok(());
    }
    let (Some(id_tag), Some(sent_at)) = (
        command.request.get("idTag").and_then(Value::as_str),
        command.sent_at.as_deref(),
    ) else {
        return Ok(());
    };
    let connector_id = command.request.get("connectorId").and_then(Value::as_i64);
    sql.execute(
        "UPDATE transactions SET remote_start_command_id = ?1 WHERE id = (\
         SELECT id FROM transactions WHERE charge_point_id = ?2 AND id_tag = ?3 COLLATE NOCASE \
         AND (?4 IS NULL OR connector_id = ?4) AND remote_start_command_id IS NULL \
         AND julianday(created_at) >= julianday(?5) ORDER BY id LIMIT 1) \
         AND NOT EXISTS (SELECT 1 FROM transactions WHERE remote_start_command_id = ?1)",
        &[
            command.id.into(),
            command.charge_point_id.as_str().into(),
            id_tag.into(),
            connector_id.into(),
            sent_at.into(),
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::operations::answered;
    use crate::store::get;
    use crate::test_support::{at, db};
    use csms_store::Sql;
    use serde_json::json;

    fn transaction(db: &crate::test_support::Db, connector: i64, tag: &str, created: &str) -> i64 {
        let rows = db
            .sql
            .execute(
                "INSERT INTO transactions (charge_point_id, connector_id, id_tag, start_auth_status, \
                 meter_start_wh, started_at, created_at) VALUES ('CP1', ?, ?, 'Accepted', 0, ?, ?) RETURNING id",
                &[connector.into(), tag.into(), created.into(), created.into()],
            )
            .unwrap();
        rows[0].i64(0, "id").unwrap()
    }

    #[test]
    fn a_start_that_arrived_before_the_answer_is_linked_when_it_arrives() {
        let db = db();
        let before = transaction(&db, 1, "ALICE", "2026-11-23T19:59:00Z");
        let other_connector = transaction(&db, 2, "ALICE", "2026-11-23T20:00:00.500Z");
        let started = transaction(&db, 1, "alice", "2026-11-23T20:00:00.500Z");
        let command = answered(
            &db,
            "RemoteStartTransaction",
            json!({"idTag": "ALICE", "connectorId": 1}),
            json!({"status": "Accepted"}),
            at("2026-11-23T20:00:00Z"),
        );
        let linked = |id: i64| {
            db.sql
                .execute(
                    "SELECT remote_start_command_id FROM transactions WHERE id = ?",
                    &[id.into()],
                )
                .unwrap()[0]
                .opt_i64(0, "link")
                .unwrap()
        };
        assert_eq!(linked(started), Some(command));
        assert_eq!((linked(before), linked(other_connector)), (None, None));
        assert_eq!(
            get(&db.sql, command).unwrap().unwrap().transaction_id,
            Some(started)
        );
    }

    #[test]
    fn a_rejected_remote_start_links_nothing() {
        let db = db();
        let started = transaction(&db, 1, "ALICE", "2026-11-23T20:00:01Z");
        let command = answered(
            &db,
            "RemoteStartTransaction",
            json!({"idTag": "ALICE"}),
            json!({"status": "Rejected"}),
            at("2026-11-23T20:00:00Z"),
        );
        assert_eq!(get(&db.sql, command).unwrap().unwrap().transaction_id, None);
        let rows = db
            .sql
            .execute(
                "SELECT remote_start_command_id FROM transactions WHERE id = ?",
                &[started.into()],
            )
            .unwrap();
        assert_eq!(rows[0].opt_i64(0, "link").unwrap(), None);
    }
}
