//! What a station sends after answering: an UpdateFirmware is followed by
//! FirmwareStatusNotifications, a GetLog by LogStatusNotifications, a CustomerInformation by
//! NotifyCustomerInformation parts, and so on. The connection component keeps them in
//! `station_events` with the `requestId` they carry; a command's [`progress`] is what arrived
//! for it so far: every such notification received after the command was sent whose
//! `requestId` is the command's (or that has none, as in 1.6, which has no request ids).

use csms_store::Sql;
use serde::Serialize;
use serde_json::Value;

use crate::store::Command;
use crate::CommandError;

/// When the notifications that follow a command are complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ends {
    /// Parts of one report: the one with `tbc` false (or absent) is the last.
    LastPart,
    /// Status updates: one of these statuses is the last.
    Status(&'static [&'static str]),
}

/// The notification that follows an operation, and when it is complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowUp {
    pub notification: &'static str,
    pub ends: Ends,
}

const fn parts(notification: &'static str) -> FollowUp {
    FollowUp {
        notification,
        ends: Ends::LastPart,
    }
}

const fn statuses(notification: &'static str, last: &'static [&'static str]) -> FollowUp {
    FollowUp {
        notification,
        ends: Ends::Status(last),
    }
}

/// The statuses after which a firmware update goes no further (1.6 and 2.0.1).
pub const FIRMWARE: FollowUp = statuses(
    "FirmwareStatusNotification",
    &[
        "Installed",
        "InstallationFailed",
        "DownloadFailed",
        "InvalidSignature",
        "InstallVerificationFailed",
    ],
);
/// The 1.6 security extension's SignedUpdateFirmware.
pub const SIGNED_FIRMWARE: FollowUp = statuses(
    "SignedFirmwareStatusNotification",
    &[
        "Installed",
        "InstallationFailed",
        "DownloadFailed",
        "InvalidSignature",
        "InstallVerificationFailed",
    ],
);

pub const DIAGNOSTICS: FollowUp = statuses(
    "DiagnosticsStatusNotification",
    &["Uploaded", "UploadFailed"],
);
pub const LOG: FollowUp = statuses(
    "LogStatusNotification",
    &[
        // The upload a second GetLog cancelled (2.0.1 N01.FR.12).
        "AcceptedCanceled",
        "Uploaded",
        "UploadFailure",
        "BadMessage",
        "NotSupportedOperation",
        "PermissionDenied",
    ],
);
pub const PUBLISH_FIRMWARE: FollowUp = statuses(
    "PublishFirmwareStatusNotification",
    &[
        "Published",
        "DownloadFailed",
        "InvalidChecksum",
        "PublishFailed",
    ],
);
pub const CUSTOMER_INFORMATION: FollowUp = parts("NotifyCustomerInformation");
pub const CHARGING_PROFILES: FollowUp = parts("ReportChargingProfiles");
pub const MONITORING_REPORT: FollowUp = parts("NotifyMonitoringReport");
pub const DISPLAY_MESSAGES: FollowUp = parts("NotifyDisplayMessages");

/// At most this many notifications are shown on a command.
const SHOWN: i64 = 100;

/// One notification as received.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    pub received_at: String,
    pub payload: Value,
}

/// The notifications that followed a command so far.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Progress {
    pub notification: &'static str,
    /// Received so far (the latest 100 are in `received`).
    pub count: i64,
    /// The `status` of the latest one, for status updates.
    pub status: Option<String>,
    /// The last part, or a status after which nothing more comes, arrived.
    pub complete: bool,
    pub received: Vec<Notification>,
}

/// The notifications that followed `command`, once it was sent, if its operation has any.
pub fn progress(sql: &impl Sql, command: &Command) -> Result<Option<Progress>, CommandError> {
    let Some(follow_up) = super::of(command).and_then(|o| o.follow_up) else {
        return Ok(None);
    };
    let Some(sent_at) = command.sent_at.as_deref() else {
        return Ok(None);
    };
    let request_id = command.request.get("requestId").and_then(Value::as_i64);
    let (cp, action) = (command.charge_point_id.as_str(), follow_up.notification);
    let conditions =
        "charge_point_id = ? AND action = ? AND julianday(received_at) >= julianday(?) \
                      AND (request_id IS NULL OR request_id = ?)";
    let params = [cp.into(), action.into(), sent_at.into(), request_id.into()];
    let mut with_limit = params.to_vec();
    with_limit.push(SHOWN.into());
    // The latest ones, so that the last part or the final status is among them.
    let rows = sql.execute(
        &format!(
            "SELECT payload, received_at FROM station_events WHERE {conditions} \
             ORDER BY id DESC LIMIT ?"
        ),
        &with_limit,
    )?;
    const CTX: &str = "station_events";
    let mut received = Vec::new();
    for row in rows.iter().rev() {
        let text = row.text(0, CTX)?;
        let payload = serde_json::from_str(&text).map_err(|error| CommandError::Corrupt {
            id: command.id,
            what: "station event",
            error,
        })?;
        received.push(Notification {
            received_at: row.text(1, CTX)?,
            payload,
        });
    }
    let count = if received.len() < SHOWN as usize {
        received.len() as i64
    } else {
        let rows = sql.execute(
            &format!("SELECT COUNT(*) FROM station_events WHERE {conditions}"),
            &params,
        )?;
        match rows.first() {
            Some(row) => row.i64(0, CTX)?,
            None => 0,
        }
    };
    let last = received.last().map(|n| &n.payload);
    let status = last
        .and_then(|p| p.get("status"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let complete = match follow_up.ends {
        Ends::LastPart => {
            last.is_some_and(|p| !p.get("tbc").and_then(Value::as_bool).unwrap_or(false))
        }
        Ends::Status(last) => status.as_deref().is_some_and(|s| last.contains(&s)),
    };
    Ok(Some(Progress {
        notification: follow_up.notification,
        count,
        status,
        complete,
        received,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{at, db, Db};
    use ocpp_protocol::OcppVersion;
    use serde_json::json;

    fn event(db: &Db, action: &str, payload: Value, received_at: &str) {
        db.sql
            .execute(
                "INSERT INTO station_events (charge_point_id, action, payload, received_at, request_id) \
                 VALUES ('CP1', ?, ?, ?, ?)",
                &[
                    action.into(),
                    payload.to_string().into(),
                    received_at.into(),
                    payload.get("requestId").and_then(Value::as_i64).into(),
                ],
            )
            .unwrap();
    }

    fn progress_of(db: &Db, id: i64) -> Option<Progress> {
        let command = crate::store::get(&db.sql, id).unwrap().unwrap();
        progress(&db.sql, &command).unwrap()
    }

    #[test]
    fn a_2_0_1_get_log_follows_its_own_request_id_to_the_final_status() {
        let db = db();
        // Before the command: not part of it.
        event(
            &db,
            "LogStatusNotification",
            json!({"status": "Uploaded", "requestId": 7}),
            "2026-12-02T09:00:00Z",
        );
        let id = crate::operations::answered_as(
            &db,
            OcppVersion::V201,
            "GetLog",
            json!({"logType": "DiagnosticsLog", "requestId": 7,
                   "log": {"remoteLocation": "https://logs.example.com/"}}),
            json!({"status": "Accepted"}),
            at("2026-12-02T10:00:00Z"),
        );
        let started = progress_of(&db, id).unwrap();
        assert_eq!((started.count, started.complete), (0, false));
        event(
            &db,
            "LogStatusNotification",
            json!({"status": "Uploading", "requestId": 7}),
            "2026-12-02T10:00:01Z",
        );
        event(
            &db,
            "LogStatusNotification",
            json!({"status": "Uploaded", "requestId": 8}),
            "2026-12-02T10:00:02Z",
        );
        let uploading = progress_of(&db, id).unwrap();
        assert_eq!(uploading.count, 1);
        assert_eq!(uploading.status.as_deref(), Some("Uploading"));
        assert!(!uploading.complete);
        event(
            &db,
            "LogStatusNotification",
            json!({"status": "Uploaded", "requestId": 7}),
            "2026-12-02T10:00:03Z",
        );
        let done = progress_of(&db, id).unwrap();
        assert_eq!((done.count, done.complete), (2, true));
        assert_eq!(done.received[1].received_at, "2026-12-02T10:00:03Z");
    }

    #[test]
    fn customer_information_is_complete_with_the_part_that_has_tbc_false() {
        let db = db();
        let id = crate::operations::answered_as(
            &db,
            OcppVersion::V201,
            "CustomerInformation",
            json!({"requestId": 3, "report": true, "clear": false,
                   "idToken": {"idToken": "ALICE", "type": "ISO14443"}}),
            json!({"status": "Accepted"}),
            at("2026-12-02T10:00:00Z"),
        );
        let part = |seq: i64, tbc: bool| {
            json!({"data": format!("part {seq}"), "seqNo": seq, "requestId": 3, "tbc": tbc,
                   "generatedAt": "2026-12-02T10:00:01Z"})
        };
        event(
            &db,
            "NotifyCustomerInformation",
            part(0, true),
            "2026-12-02T10:00:01Z",
        );
        assert!(!progress_of(&db, id).unwrap().complete);
        event(
            &db,
            "NotifyCustomerInformation",
            part(1, false),
            "2026-12-02T10:00:02Z",
        );
        let done = progress_of(&db, id).unwrap();
        assert_eq!((done.count, done.complete, done.status), (2, true, None));
    }

    #[test]
    fn a_1_6_firmware_update_follows_the_notifications_after_it_was_sent() {
        let db = db();
        let id = crate::operations::answered(
            &db,
            "UpdateFirmware",
            json!({"location": "https://fw.example.com/1.2.bin",
                   "retrieveDate": "2026-12-02T10:00:00Z"}),
            json!({}),
            at("2026-12-02T10:00:00Z"),
        );
        for (status, second) in [("Downloading", 1), ("Downloaded", 2), ("Installing", 3)] {
            event(
                &db,
                "FirmwareStatusNotification",
                json!({"status": status}),
                &format!("2026-12-02T10:00:0{second}Z"),
            );
        }
        let installing = progress_of(&db, id).unwrap();
        assert_eq!((installing.count, installing.complete), (3, false));
        event(
            &db,
            "FirmwareStatusNotification",
            json!({"status": "Installed"}),
            "2026-12-02T10:00:09Z",
        );
        assert!(progress_of(&db, id).unwrap().complete);
        // An operation that nothing follows has no progress.
        let reset = crate::operations::answered(
            &db,
            "Reset",
            json!({"type": "Soft"}),
            json!({"status": "Accepted"}),
            at("2026-12-02T10:01:00Z"),
        );
        assert_eq!(progress_of(&db, reset), None);
    }
}
