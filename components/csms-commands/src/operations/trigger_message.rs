//! TriggerMessage: the station sends the requested message after its answer. A Pending
//! station may send what the CSMS asked for (2.0.1 B02.FR.02, 1.6 4.2.1), so the connection
//! component lets a message through while Pending when [`triggered`] says the CSMS asked.

use chrono::{DateTime, Duration, Utc};
use csms_store::Sql;
use ocpp_protocol::timestamp::format_utc;

use crate::CommandError;

/// The `requestedMessage` that asks for `action`, where the two names differ.
fn requested_message(action: &str) -> &str {
    match action {
        "SignCertificate" => "SignChargingStationCertificate",
        other => other,
    }
}

/// Whether the station accepted a TriggerMessage for `action` within the last
/// `window_seconds` (the command timeout: how long the CSMS waits for an answer at all).
pub fn triggered(
    sql: &impl Sql,
    charge_point_id: &str,
    action: &str,
    now: DateTime<Utc>,
    window_seconds: i64,
) -> Result<bool, CommandError> {
    let since = format_utc(now - Duration::seconds(window_seconds));
    let rows = sql.execute(
        "SELECT 1 FROM commands WHERE charge_point_id = ? AND action = 'TriggerMessage' \
         AND state = 'answered' AND json_extract(response, '$.status') = 'Accepted' \
         AND json_extract(request, '$.requestedMessage') = ? AND julianday(answered_at) >= julianday(?) \
         LIMIT 1",
        &[
            charge_point_id.into(),
            requested_message(action).into(),
            since.into(),
        ],
    )?;
    Ok(!rows.is_empty())
}

#[cfg(test)]
mod tests {
    use super::triggered;
    use crate::operations::answered_as;
    use crate::test_support::{at, db};
    use ocpp_protocol::OcppVersion;
    use serde_json::json;

    #[test]
    fn an_accepted_trigger_lets_its_message_through_for_the_command_timeout() {
        let db = db();
        let now = at("2026-11-23T20:00:00Z");
        assert!(!triggered(&db.sql, "CP1", "StatusNotification", now, 60).unwrap());
        answered_as(
            &db,
            OcppVersion::V201,
            "TriggerMessage",
            json!({"requestedMessage": "StatusNotification", "evse": {"id": 1, "connectorId": 1}}),
            json!({"status": "Accepted"}),
            now,
        );
        answered_as(
            &db,
            OcppVersion::V201,
            "TriggerMessage",
            json!({"requestedMessage": "MeterValues"}),
            json!({"status": "Rejected"}),
            now,
        );
        assert!(triggered(&db.sql, "CP1", "StatusNotification", now, 60).unwrap());
        assert!(!triggered(&db.sql, "CP1", "MeterValues", now, 60).unwrap());
        assert!(!triggered(&db.sql, "CP1", "Heartbeat", now, 60).unwrap());
        let later = at("2026-11-23T20:01:01Z");
        assert!(!triggered(&db.sql, "CP1", "StatusNotification", later, 60).unwrap());
    }
}
