//! RemoteStartTransaction: an `Accepted` answer that arrives after the StartTransaction it led
//! to (the two race between the charge point and the central system) links that transaction
//! to the command here. The usual order, answer first, is linked by the transactions component
//! when the start arrives; both use the same rule: same idTag (case-insensitive), the command's
//! connector if it named one, not linked yet, started since the command was sent.

use csms_store::Sql;
use serde_json::Value;

use crate::store::Command;
use crate::CommandError;

pub(super) fn apply(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
) -> Result<(), CommandError> {
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
    use crate::effects::answered;
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
