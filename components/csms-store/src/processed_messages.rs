//! Retransmitted CALLs (same message id from the same charge point) get the answer they got
//! the first time, and nothing is applied twice.
//!
//! The answer is recorded in `processed_messages` inside the SQL transaction that applies the
//! message, so "applied" and "answered" can never disagree.
//!
//! OCPP-J only makes message ids unique per connection, and many charge points restart their
//! counter when they reboot: "1" after a reboot is a new message. So a record answers again
//! only when the action and the request itself (a SHA-256 of its JSON) are those recorded; a
//! reused id with another request is applied as the new message it is. (Records made before
//! the digest was kept match on the action alone.)

use crate::{Sql, StoreError};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The digest a request is recognised by: SHA-256 of its JSON text, hex. serde_json writes
/// the same value the same way, so a retransmission gives the same digest.
pub fn request_digest(request: &Value) -> String {
    use std::fmt::Write as _;
    let digest = Sha256::digest(request.to_string().as_bytes());
    let mut hex = String::with_capacity(2 * digest.len());
    for byte in digest {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// The answer already given to this request, if it was processed.
pub fn lookup(
    sql: &impl Sql,
    charge_point_id: &str,
    message_id: &str,
    action: &str,
    request: &Value,
) -> Result<Option<Value>, StoreError> {
    lookup_since(sql, charge_point_id, message_id, action, request, None)
}

/// [`lookup`], but only an answer recorded at or after `not_before` (RFC 3339): for answers
/// that go stale, such as BootNotification's current time.
pub fn lookup_since(
    sql: &impl Sql,
    charge_point_id: &str,
    message_id: &str,
    action: &str,
    request: &Value,
    not_before: Option<&str>,
) -> Result<Option<Value>, StoreError> {
    let rows = sql.execute(
        "SELECT action, response, request_digest, \
         CAST(?3 AS TEXT) IS NULL OR julianday(processed_at) >= julianday(?3) \
         FROM processed_messages WHERE charge_point_id = ?1 AND message_id = ?2",
        &[charge_point_id.into(), message_id.into(), not_before.into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    if row.text(0, "processed_messages.action")? != action {
        return Ok(None);
    }
    if let Some(digest) = row.opt_text(2, "processed_messages.request_digest")? {
        if digest != request_digest(request) {
            return Ok(None);
        }
    }
    if row.i64(3, "processed_messages fresh")? == 0 {
        return Ok(None);
    }
    let response = row.text(1, "processed_messages.response")?;
    serde_json::from_str(&response).map(Some).map_err(|e| {
        StoreError::Sql(format!(
            "processed_messages.response of {message_id:?} is not JSON: {e}"
        ))
    })
}

/// Records the answer to a request; call inside the transaction that applies it.
pub fn record(
    sql: &impl Sql,
    charge_point_id: &str,
    message_id: &str,
    action: &str,
    request: &Value,
    response: &Value,
    now: &str,
) -> Result<(), StoreError> {
    sql.execute(
        "INSERT INTO processed_messages (charge_point_id, message_id, action, response, processed_at, request_digest) \
         VALUES (?, ?, ?, ?, ?, ?) \
         ON CONFLICT(charge_point_id, message_id) DO UPDATE SET action = excluded.action, \
         response = excluded.response, processed_at = excluded.processed_at, \
         request_digest = excluded.request_digest",
        &[
            charge_point_id.into(),
            message_id.into(),
            action.into(),
            response.to_string().into(),
            now.into(),
            request_digest(request).into(),
        ],
    )?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::native::NativeSql;
    use serde_json::json;

    fn db(name: &str) -> NativeSql {
        let dir = std::env::temp_dir().join(format!("csms-store-pm-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        let _ = std::fs::remove_file(&path);
        let sql = NativeSql::open(&path).unwrap();
        crate::migrate(&sql).unwrap();
        sql
    }

    #[test]
    fn a_retransmission_gets_the_recorded_answer_and_a_reused_id_does_not() {
        let sql = db("reuse");
        let start = json!({"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "2026-12-01T10:00:00Z"});
        let answer = json!({"transactionId": 7});
        record(
            &sql,
            "CP1",
            "1",
            "StartTransaction",
            &start,
            &answer,
            "2026-12-01T10:00:00Z",
        )
        .unwrap();
        assert_eq!(
            lookup(&sql, "CP1", "1", "StartTransaction", &start).unwrap(),
            Some(answer)
        );
        // The same id after a reboot: another session.
        let next = json!({"connectorId": 1, "idTag": "A", "meterStart": 900, "timestamp": "2026-12-01T12:00:00Z"});
        assert_eq!(
            lookup(&sql, "CP1", "1", "StartTransaction", &next).unwrap(),
            None
        );
        assert_eq!(
            lookup(&sql, "CP1", "1", "MeterValues", &start).unwrap(),
            None
        );
        assert_eq!(
            lookup(&sql, "CP2", "1", "StartTransaction", &start).unwrap(),
            None
        );
    }

    #[test]
    fn a_stale_answer_is_not_given_again_when_freshness_matters() {
        let sql = db("stale");
        let boot = json!({"chargePointVendor": "V", "chargePointModel": "M"});
        let answer = json!({"status": "Accepted"});
        record(
            &sql,
            "CP1",
            "1",
            "BootNotification",
            &boot,
            &answer,
            "2026-12-01T10:00:00Z",
        )
        .unwrap();
        let found = |not_before| {
            lookup_since(
                &sql,
                "CP1",
                "1",
                "BootNotification",
                &boot,
                Some(not_before),
            )
            .unwrap()
        };
        assert_eq!(found("2026-12-01T09:58:00Z"), Some(answer));
        assert_eq!(found("2026-12-01T10:00:00.001Z"), None);
    }
}
