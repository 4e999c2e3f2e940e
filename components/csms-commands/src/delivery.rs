//! One outstanding call per charge point; the rest wait in order.
//!
//! The outstanding call is the charge point's one command in state `sent` (the
//! `commands_one_outstanding` index forbids a second). It is claimed in a SQL transaction, so
//! the API and the connection component, running concurrently in separate instances, never
//! send two at once. Spin has no timers: [`expire`] is called whenever a component looks at a
//! charge point, and marks a call unanswered for longer than the timeout `timed_out`.

use chrono::{DateTime, Duration, Utc};
use csms_store::Sql;
use ocpp_protocol::timestamp::{format_utc, parse_utc};
use ocpp_protocol::{Call, Frame};

use crate::publish::{self, Publish};
use crate::{local_list, store, CommandError};

/// A CALL ready to go on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingCall {
    pub command_id: i64,
    pub message_id: String,
    pub action: String,
    /// The OCPP-J CALL frame text.
    pub text: String,
}

/// The message id of a command's CALL: unique per central system, at most 36 characters.
pub fn message_id(command_id: i64) -> String {
    format!("csms-{command_id}")
}

/// Marks the outstanding call `timed_out` when it was sent more than `timeout_seconds` before
/// `now`; returns whether it did.
pub fn expire(
    sql: &impl Sql,
    charge_point_id: &str,
    now: DateTime<Utc>,
    timeout_seconds: i64,
) -> Result<bool, CommandError> {
    let Some(command) = store::outstanding(sql, charge_point_id)? else {
        return Ok(false);
    };
    // A sent_at that cannot be read is treated as overdue, so the queue never jams.
    let overdue = command
        .sent_at
        .as_deref()
        .and_then(parse_utc)
        .is_none_or(|sent| now - sent >= Duration::seconds(timeout_seconds));
    if !overdue {
        return Ok(false);
    }
    sql.execute(
        "UPDATE commands SET state = 'timed_out', finished_at = ? WHERE id = ? AND state = 'sent'",
        &[format_utc(now).into(), command.id.into()],
    )?;
    Ok(true)
}

/// When nothing is outstanding, marks the oldest queued command `sent` and returns its CALL.
///
/// A request the central system completes when sending (a SendLocalList to build,
/// [`local_list`]) is completed here and stored as sent; one that cannot be completed ends in
/// state `error` with the reason, and the next queued command is claimed instead.
pub fn claim_next(
    sql: &impl Sql,
    charge_point_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<OutgoingCall>, CommandError> {
    // Cheap check first (every request of the connection component makes it).
    if !has_work(sql, charge_point_id)? {
        return Ok(None);
    }
    sql.transaction(|sql| {
        if store::outstanding(sql, charge_point_id)?.is_some() {
            return Ok(None);
        }
        loop {
            let rows = sql.execute(
                "SELECT id FROM commands WHERE charge_point_id = ? AND state = 'queued' ORDER BY id LIMIT 1",
                &[charge_point_id.into()],
            )?;
            let Some(row) = rows.first() else {
                return Ok(None);
            };
            let id = row.i64(0, "commands")?;
            let Some(command) = store::get(sql, id)? else {
                return Ok(None);
            };
            let request = match crate::operations::complete(sql, &command)? {
                Ok(request) => request,
                Err(reason) => {
                    not_sent(sql, id, &reason, now)?;
                    continue;
                }
            };
            let message_id = message_id(id);
            sql.execute(
                "UPDATE commands SET state = 'sent', message_id = ?, sent_at = ?, request = ? WHERE id = ?",
                &[
                    message_id.as_str().into(),
                    format_utc(now).into(),
                    request.to_string().into(),
                    id.into(),
                ],
            )?;
            let text = Frame::Call(Call {
                message_id: message_id.clone(),
                action: command.action.clone(),
                payload: request,
            })
            .to_text();
            return Ok(Some(OutgoingCall {
                command_id: id,
                message_id,
                action: command.action,
                text,
            }));
        }
    })
}

/// Ends a queued command the central system could not complete, without sending it.
fn not_sent(sql: &impl Sql, id: i64, reason: &str, now: DateTime<Utc>) -> Result<(), CommandError> {
    sql.execute(
        "UPDATE commands SET state = 'error', error_code = ?, error_description = ?, \
         error_details = '{}', finished_at = ? WHERE id = ? AND state = 'queued'",
        &[
            local_list::NOT_BUILT.into(),
            reason.into(),
            format_utc(now).into(),
            id.into(),
        ],
    )?;
    Ok(())
}

/// Whether the charge point has a queued command and nothing outstanding.
fn has_work(sql: &impl Sql, charge_point_id: &str) -> Result<bool, CommandError> {
    let rows = sql.execute(
        "SELECT state FROM commands WHERE charge_point_id = ? AND state IN ('sent', 'queued') \
         ORDER BY state = 'sent' DESC, id LIMIT 1",
        &[charge_point_id.into()],
    )?;
    Ok(match rows.first() {
        Some(row) => row.text(0, "commands")? == "queued",
        None => false,
    })
}

/// Whether the charge point has nothing queued and nothing outstanding.
pub fn idle(sql: &impl Sql, charge_point_id: &str) -> Result<bool, CommandError> {
    let rows = sql.execute(
        "SELECT 1 FROM commands WHERE charge_point_id = ? AND state IN ('sent', 'queued') LIMIT 1",
        &[charge_point_id.into()],
    )?;
    Ok(rows.is_empty())
}

/// Puts a claimed command back at the head of the queue (its CALL could not be delivered).
pub fn release(sql: &impl Sql, command_id: i64) -> Result<(), CommandError> {
    sql.execute(
        "UPDATE commands SET state = 'queued', message_id = NULL, sent_at = NULL \
         WHERE id = ? AND state = 'sent'",
        &[command_id.into()],
    )?;
    Ok(())
}

/// The connection closed: the outstanding call will never be answered on it.
pub fn connection_lost(
    sql: &impl Sql,
    charge_point_id: &str,
    now: DateTime<Utc>,
) -> Result<(), CommandError> {
    // Every socket's OPEN and close come here: a read first spares them a write transaction
    // (SQLite takes the write lock for an UPDATE even when nothing matches).
    if store::outstanding(sql, charge_point_id)?.is_none() {
        return Ok(());
    }
    sql.execute(
        "UPDATE commands SET state = 'offline', finished_at = ? WHERE charge_point_id = ? AND state = 'sent'",
        &[format_utc(now).into(), charge_point_id.into()],
    )?;
    Ok(())
}

/// How [`publish_next`] ended.
#[derive(Debug)]
pub enum Published {
    /// Nothing to send (something outstanding, or the queue is empty).
    Nothing,
    /// This command's CALL went to the gateway.
    Sent(i64),
    /// The gateway refused; the command is queued again. When the gateway may have taken it
    /// after all ([`crate::publish::PublishError::maybe_delivered`]) it stays `sent` instead.
    Failed(crate::publish::PublishError),
}

/// Claims the next command and publishes its CALL to the charge point's channel; a publish the
/// gateway refused puts the command back in the queue, one that may have got through leaves
/// it `sent` for its answer or its timeout. Call only when the charge point is online.
pub fn publish_next(
    sql: &impl Sql,
    publisher: &impl Publish,
    charge_point_id: &str,
    now: DateTime<Utc>,
) -> Result<Published, CommandError> {
    let Some(call) = claim_next(sql, charge_point_id, now)? else {
        return Ok(Published::Nothing);
    };
    match publisher.publish(&publish::channel(charge_point_id), &call.text) {
        Ok(()) => Ok(Published::Sent(call.command_id)),
        Err(e) => {
            if !e.maybe_delivered {
                release(sql, call.command_id)?;
            }
            Ok(Published::Failed(e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::PublishError;
    use crate::store::{get, insert, State};
    use crate::test_support::{at, db};
    use serde_json::json;
    use std::cell::RefCell;

    struct Recorder {
        sent: RefCell<Vec<(String, String)>>,
        fail: bool,
    }

    impl Publish for Recorder {
        fn publish(&self, channel: &str, content: &str) -> Result<(), PublishError> {
            if self.fail {
                return Err(PublishError::refused("connection refused"));
            }
            self.sent
                .borrow_mut()
                .push((channel.to_owned(), content.to_owned()));
            Ok(())
        }
    }

    #[test]
    fn commands_go_out_one_at_a_time_in_queue_order() {
        let db = db();
        let now = at("2026-11-23T20:00:00Z");
        let a = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "Reset",
            &json!({"type":"Soft"}),
            now,
        )
        .unwrap();
        let b = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "ClearCache",
            &json!({}),
            now,
        )
        .unwrap();
        let first = claim_next(&db.sql, "CP1", now).unwrap().unwrap();
        assert_eq!(first.command_id, a);
        assert_eq!(
            first.text,
            format!(r#"[2,"csms-{a}","Reset",{{"type":"Soft"}}]"#)
        );
        // The first is outstanding: nothing else goes out.
        assert!(claim_next(&db.sql, "CP1", now).unwrap().is_none());
        assert_eq!(get(&db.sql, b).unwrap().unwrap().state, State::Queued);
        // Another charge point has its own queue.
        let c = insert(
            &db.sql,
            "CP2",
            ocpp_protocol::OcppVersion::V16,
            "ClearCache",
            &json!({}),
            now,
        )
        .unwrap();
        assert_eq!(
            claim_next(&db.sql, "CP2", now).unwrap().unwrap().command_id,
            c
        );
        // Once the first is done, the second goes.
        db.sql
            .execute(
                "UPDATE commands SET state = 'answered' WHERE id = ?",
                &[a.into()],
            )
            .unwrap();
        assert_eq!(
            claim_next(&db.sql, "CP1", now).unwrap().unwrap().command_id,
            b
        );
    }

    #[test]
    fn an_unanswered_call_times_out_lazily_and_frees_the_queue() {
        let db = db();
        let sent = at("2026-11-23T20:00:00.250Z");
        let a = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "Reset",
            &json!({"type":"Hard"}),
            sent,
        )
        .unwrap();
        let b = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "ClearCache",
            &json!({}),
            sent,
        )
        .unwrap();
        claim_next(&db.sql, "CP1", sent).unwrap().unwrap();
        assert!(!expire(&db.sql, "CP1", at("2026-11-23T20:00:59Z"), 60).unwrap());
        assert_eq!(get(&db.sql, a).unwrap().unwrap().state, State::Sent);
        assert!(expire(&db.sql, "CP1", at("2026-11-23T20:01:00.250Z"), 60).unwrap());
        assert_eq!(get(&db.sql, a).unwrap().unwrap().state, State::TimedOut);
        let next = claim_next(&db.sql, "CP1", at("2026-11-23T20:01:01Z"))
            .unwrap()
            .unwrap();
        assert_eq!(next.command_id, b);
    }

    struct Unclear;

    impl Publish for Unclear {
        fn publish(&self, _: &str, _: &str) -> Result<(), PublishError> {
            Err(PublishError::unclear("response timed out"))
        }
    }

    #[test]
    fn a_publish_that_may_have_got_through_is_not_sent_again() {
        let db = db();
        let now = at("2026-11-23T20:00:00Z");
        let a = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "RemoteStartTransaction",
            &json!({"idTag": "A"}),
            now,
        )
        .unwrap();
        assert!(matches!(
            publish_next(&db.sql, &Unclear, "CP1", now).unwrap(),
            Published::Failed(_)
        ));
        assert_eq!(get(&db.sql, a).unwrap().unwrap().state, State::Sent);
        assert!(matches!(
            publish_next(&db.sql, &Unclear, "CP1", now).unwrap(),
            Published::Nothing
        ));
    }

    #[test]
    fn a_failed_publish_keeps_the_command_queued_at_the_head() {
        let db = db();
        let now = at("2026-11-23T20:00:00Z");
        let a = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "ClearCache",
            &json!({}),
            now,
        )
        .unwrap();
        let failing = Recorder {
            sent: RefCell::new(Vec::new()),
            fail: true,
        };
        assert!(matches!(
            publish_next(&db.sql, &failing, "CP1", now).unwrap(),
            Published::Failed(_)
        ));
        let command = get(&db.sql, a).unwrap().unwrap();
        assert_eq!((command.state, command.sent_at), (State::Queued, None));
        let working = Recorder {
            sent: RefCell::new(Vec::new()),
            fail: false,
        };
        assert!(matches!(
            publish_next(&db.sql, &working, "CP1", now).unwrap(),
            Published::Sent(id) if id == a
        ));
        assert_eq!(
            working.sent.borrow().as_slice(),
            &[(
                "ocpp:CP1".to_owned(),
                format!(r#"[2,"csms-{a}","ClearCache",{{}}]"#)
            )]
        );
        assert!(matches!(
            publish_next(&db.sql, &working, "CP1", now).unwrap(),
            Published::Nothing
        ));
    }

    #[test]
    fn a_lost_connection_ends_the_outstanding_call_as_offline() {
        let db = db();
        let now = at("2026-11-23T20:00:00Z");
        let a = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "Reset",
            &json!({"type":"Soft"}),
            now,
        )
        .unwrap();
        claim_next(&db.sql, "CP1", now).unwrap().unwrap();
        connection_lost(&db.sql, "CP1", now).unwrap();
        assert_eq!(get(&db.sql, a).unwrap().unwrap().state, State::Offline);
    }
}
