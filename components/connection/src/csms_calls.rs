//! Calls the central system makes to the charge point (operator commands, queued by the API
//! component): answers matched to the outstanding call, and the next queued call sent as a
//! TEXT event in the same GRIP response.
//!
//! The queue itself (one outstanding call per charge point, lazy timeouts, effects of answers)
//! is [`csms_commands`]; this module is where the connection component meets it:
//! - a CALLRESULT or CALLERROR is stored on the command it answers ([`on_result`],
//!   [`on_error`]), also when it comes after the call timed out; an answer nobody waits for
//!   (answered already, ended offline, not ours) is ignored;
//! - at the end of every request on a live socket, [`next_call`] times out an overdue call
//!   and returns the oldest queued one when nothing is outstanding, so a reconnecting charge
//!   point gets its queue right after the OPEN, and the next command follows each answer; it
//!   looks in SQL only when [`queue_marker`] says a command may be waiting;
//! - when the socket closes, the outstanding call ends as `offline` ([`connection_lost`]);
//!   so it does when a new socket of the same charge point opens ([`connection_replaced`]):
//!   OCPP-J answers a call on the connection that carried it, and a charge point that
//!   reconnected without closing the old socket cleanly (its close arrives late, or never)
//!   will not answer it on the new one. Left `sent`, it would hold up the queue until the
//!   timeout and end `timed_out` instead of `offline`.
//!
//! Nothing here can be answered to the charge point, so store failures are logged to stderr
//! and the call stays outstanding until it times out.

use crate::connection_state;
use crate::forward::Chain;
use crate::session::Env;
use csms_commands::{answer, delivery, queue_marker};
use csms_store::{KeyValue, Sql};
use ocpp_protocol::{CallError, CallResult, FrameError};

/// A CALLRESULT from the charge point.
pub fn on_result<S: Sql, K: KeyValue, C: Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
    result: &CallResult,
) {
    match answer::on_result(env.sql, charge_point_id, result, env.now) {
        Ok(answer::Outcome::Invalid { command_id, reason }) => {
            eprintln!("{charge_point_id}: command {command_id}: {reason}");
        }
        Ok(_) => {}
        Err(e) => eprintln!(
            "{charge_point_id}: storing the answer to message {:?}: {e}",
            result.message_id
        ),
    }
}

/// A CALLERROR from the charge point.
pub fn on_error<S: Sql, K: KeyValue, C: Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
    error: &CallError,
) {
    if let Err(e) = answer::on_error(env.sql, charge_point_id, error, env.now) {
        eprintln!(
            "{charge_point_id}: storing the CALLERROR to message {:?}: {e}",
            error.message_id
        );
    }
}

/// A CALLRESULT or CALLERROR from the charge point that is not a valid frame.
pub fn on_malformed<S: Sql, K: KeyValue, C: Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
    error: &FrameError,
    text: &str,
) {
    let Some(message_id) = &error.message_id else {
        eprintln!(
            "{charge_point_id}: an answer frame without a readable message id: {}",
            error.description
        );
        return;
    };
    match answer::on_malformed(env.sql, charge_point_id, message_id, error, text, env.now) {
        Ok(answer::Outcome::Invalid { command_id, reason }) => {
            eprintln!("{charge_point_id}: command {command_id}: {reason}");
        }
        Ok(_) => {}
        Err(e) => {
            eprintln!("{charge_point_id}: storing the broken answer to message {message_id:?}: {e}")
        }
    }
}

/// The CALL text to send now on this socket, if any.
pub fn next_call<S: Sql, K: KeyValue, C: Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
) -> Option<String> {
    // Most requests end here, without opening the database.
    let look = queue_marker::look(env.kv, charge_point_id, env.now)?;
    let result = delivery::expire(
        env.sql,
        charge_point_id,
        env.now,
        env.config.command_timeout_seconds,
    )
    .and_then(|_| delivery::claim_next(env.sql, charge_point_id, env.now));
    match result {
        Ok(Some(call)) => Some(call.text),
        Ok(None) => {
            match delivery::idle(env.sql, charge_point_id) {
                Ok(true) => {
                    if let Err(e) =
                        queue_marker::nothing_left(env.kv, charge_point_id, &look, env.now)
                    {
                        eprintln!("{charge_point_id}: recording its empty command queue: {e}");
                    }
                }
                Ok(false) => {}
                Err(e) => eprintln!("{charge_point_id}: reading its command queue: {e}"),
            }
            None
        }
        Err(e) => {
            eprintln!("{charge_point_id}: sending the next queued command: {e}");
            None
        }
    }
}

/// Command `command_id`, committed, is queued for the charge point (by this component, or
/// by the transactions component for the message it forwarded).
pub fn mark_queued<S: Sql, K: KeyValue, C: Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
    command_id: i64,
) {
    if let Err(e) = queue_marker::queued(env.kv, charge_point_id, command_id) {
        eprintln!("{charge_point_id}: marking command {command_id} queued: {e}");
    }
}

/// A new socket of the charge point was accepted: a call sent on an older one is lost.
pub fn connection_replaced<S: Sql, K: KeyValue, C: Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
) {
    if let Err(e) = delivery::connection_lost(env.sql, charge_point_id, env.now) {
        eprintln!("{charge_point_id}: ending the call sent on the previous socket: {e}");
    }
}

/// The socket `connection_id` closed; when it is still the charge point's current one, the
/// outstanding call can no longer be answered.
pub fn connection_lost<S: Sql, K: KeyValue, C: Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
    connection_id: &str,
) {
    let current = connection_state::load(env.kv, charge_point_id)
        .ok()
        .flatten()
        .is_some_and(|s| s.connection_id == connection_id);
    if !current {
        return;
    }
    if let Err(e) = delivery::connection_lost(env.sql, charge_point_id, env.now) {
        eprintln!("{charge_point_id}: ending the outstanding command: {e}");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use crate::forward::{Chain, ForwardError};
    use crate::session::{channel, handle, Env, GripRequest};
    use crate::{Config, UnknownChargePoints};
    use chrono::{DateTime, Duration, Utc};
    use csms_commands::store::{self, State};
    use csms_store::native::{NativeKeyValue, NativeSql};
    use grip::events::{encode, WsEvent};
    use serde_json::{json, Value};

    struct NoChain;

    impl Chain for NoChain {
        fn post_json(&self, url: &str, _: &Value) -> Result<(u16, Value), ForwardError> {
            panic!("unexpected forward to {url}")
        }
    }

    struct Bench {
        _dir: tempfile::TempDir,
        sql: NativeSql,
        kv: NativeKeyValue,
        config: Config,
    }

    fn bench() -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let sql = NativeSql::open(&dir.path().join("sqlite_db.db")).unwrap();
        csms_store::migrate(&sql).unwrap();
        let kv = NativeKeyValue::open(&dir.path().join("sqlite_key_value.db")).unwrap();
        let config = Config {
            unknown_charge_points: UnknownChargePoints::Accept,
            command_timeout_seconds: 30,
            ..Config::default()
        };
        Bench {
            _dir: dir,
            sql,
            kv,
            config,
        }
    }

    fn t0() -> DateTime<Utc> {
        ocpp_protocol::timestamp::parse_utc("2026-11-23T20:00:00Z").unwrap()
    }

    impl Bench {
        /// Sends events on CP1's socket at `now`; returns the TEXT answers.
        fn send(&self, now: DateTime<Utc>, events: &[WsEvent]) -> Vec<String> {
            self.send_on("c1", now, events)
        }

        /// Sends events on CP1's socket `connection_id`.
        fn send_on(
            &self,
            connection_id: &str,
            now: DateTime<Utc>,
            events: &[WsEvent],
        ) -> Vec<String> {
            let req = GripRequest {
                path: "/ocpp/CP1".into(),
                headers: vec![
                    ("connection-id".into(), connection_id.into()),
                    ("sec-websocket-protocol".into(), "ocpp1.6".into()),
                ],
                body: encode(events),
            };
            let env = Env {
                sql: &self.sql,
                kv: &self.kv,
                chain: &NoChain,
                config: &self.config,
                now,
            };
            let response = handle(&req, &env);
            assert_eq!(response.status, 200);
            response
                .events()
                .into_iter()
                .filter_map(|e| match e {
                    WsEvent::Text(t) => Some(String::from_utf8(t.to_vec()).unwrap()),
                    _ => None,
                })
                .collect()
        }

        fn text(&self, now: DateTime<Utc>, text: &str) -> Vec<String> {
            self.send(now, &[WsEvent::Text(text.to_owned().into())])
        }

        fn queue(&self, action: &str, request: Value) -> i64 {
            let id = store::insert(
                &self.sql,
                "CP1",
                ocpp_protocol::OcppVersion::V16,
                action,
                &request,
                t0(),
            )
            .unwrap();
            csms_commands::queue_marker::queued(&self.kv, "CP1", id).unwrap();
            id
        }

        fn command(&self, id: i64) -> store::Command {
            store::get(&self.sql, id).unwrap().unwrap()
        }
    }

    #[test]
    fn the_api_publishes_to_the_channel_the_socket_is_subscribed_to() {
        assert_eq!(csms_commands::publish::channel("CP 1"), channel("CP 1"));
    }

    #[test]
    fn open_sends_the_oldest_queued_command_after_the_subscribe() {
        let b = bench();
        let first = b.queue("Reset", json!({"type":"Soft"}));
        b.queue("ClearCache", json!({}));
        let texts = b.send(t0(), &[WsEvent::Open]);
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts[0].starts_with("c:"), "{texts:?}");
        assert_eq!(
            texts[1],
            format!(r#"[2,"csms-{first}","Reset",{{"type":"Soft"}}]"#)
        );
    }

    #[test]
    fn the_gateways_keep_alive_sends_a_command_queued_after_open() {
        let b = bench();
        assert_eq!(
            b.send(t0(), &[WsEvent::Open]).len(),
            1,
            "only the subscribe"
        );
        // Posted while the socket was too young for a publish; the charge point is silent.
        let id = b.queue("Reset", json!({"type":"Soft"}));
        let later = t0() + Duration::seconds(20);
        assert_eq!(
            b.send(later, &[]),
            vec![format!(r#"[2,"csms-{id}","Reset",{{"type":"Soft"}}]"#)]
        );
        assert_eq!(b.command(id).state, State::Sent);
    }

    #[test]
    fn a_clients_ping_sends_a_command_queued_after_open() {
        let b = bench();
        b.send(t0(), &[WsEvent::Open]);
        let id = b.queue("ClearCache", json!({}));
        let texts = b.send(t0(), &[WsEvent::Ping(vec![1, 2].into())]);
        assert_eq!(texts, vec![format!(r#"[2,"csms-{id}","ClearCache",{{}}]"#)]);
    }

    #[test]
    fn nothing_is_sent_on_a_socket_that_is_closing() {
        let b = bench();
        b.send(t0(), &[WsEvent::Open]);
        let id = b.queue("ClearCache", json!({}));
        assert!(b
            .send(t0(), &[WsEvent::Close(vec![3, 232].into())])
            .is_empty());
        assert_eq!(b.command(id).state, State::Queued);
    }

    #[test]
    fn an_answer_is_stored_and_the_next_command_follows_in_the_same_response() {
        let b = bench();
        let first = b.queue("Reset", json!({"type":"Soft"}));
        let second = b.queue("ClearCache", json!({}));
        b.send(t0(), &[WsEvent::Open]);
        let later = t0() + Duration::seconds(1);
        let texts = b.text(
            later,
            &format!(r#"[3,"csms-{first}",{{"status":"Accepted"}}]"#),
        );
        assert_eq!(
            texts,
            vec![format!(r#"[2,"csms-{second}","ClearCache",{{}}]"#)]
        );
        let answered = b.command(first);
        assert_eq!(answered.state, State::Answered);
        assert_eq!(answered.response, Some(json!({"status":"Accepted"})));
        assert_eq!(b.command(second).state, State::Sent);
        // A CALLERROR for the second: stored, nothing more to send.
        let texts = b.text(
            later,
            &format!(r#"[4,"csms-{second}","NotSupported","no cache",{{}}]"#),
        );
        assert!(texts.is_empty(), "{texts:?}");
        let refused = b.command(second);
        assert_eq!(refused.state, State::Error);
        assert_eq!(refused.error.unwrap().code, "NotSupported");
    }

    #[test]
    fn an_invalid_answer_is_an_error_and_an_unknown_one_is_ignored() {
        let b = bench();
        let id = b.queue("Reset", json!({"type":"Soft"}));
        b.send(t0(), &[WsEvent::Open]);
        assert!(b
            .text(t0(), r#"[3,"someone-else",{"status":"Accepted"}]"#)
            .is_empty());
        assert_eq!(b.command(id).state, State::Sent);
        assert!(b.text(t0(), &format!(r#"[3,"csms-{id}",{{}}]"#)).is_empty());
        let command = b.command(id);
        assert_eq!(command.state, State::Error);
        assert_eq!(command.error.unwrap().code, "OccurenceConstraintViolation");
    }

    #[test]
    fn an_overdue_call_times_out_on_the_next_request_and_the_next_one_goes() {
        let b = bench();
        let first = b.queue("Reset", json!({"type":"Soft"}));
        let second = b.queue("ClearCache", json!({}));
        b.send(t0(), &[WsEvent::Open]);
        let heartbeat = r#"[2,"hb","Heartbeat",{}]"#;
        let texts = b.text(t0() + Duration::seconds(29), heartbeat);
        assert_eq!(texts.len(), 1, "only the heartbeat answer: {texts:?}");
        let texts = b.text(t0() + Duration::seconds(30), heartbeat);
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert_eq!(b.command(first).state, State::TimedOut);
        assert_eq!(b.command(second).state, State::Sent);
    }

    #[test]
    fn closing_the_socket_ends_the_outstanding_call_as_offline() {
        let b = bench();
        let first = b.queue("Reset", json!({"type":"Soft"}));
        let second = b.queue("ClearCache", json!({}));
        b.send(t0(), &[WsEvent::Open]);
        b.send(t0(), &[WsEvent::Disconnect]);
        assert_eq!(b.command(first).state, State::Offline);
        assert_eq!(b.command(second).state, State::Queued);
        // On reconnect the queue continues.
        let texts = b.send(t0(), &[WsEvent::Open]);
        assert_eq!(
            texts[1],
            format!(r#"[2,"csms-{second}","ClearCache",{{}}]"#)
        );
    }

    #[test]
    fn a_new_socket_ends_the_call_sent_on_the_old_one_and_carries_the_queue_on() {
        let b = bench();
        let first = b.queue("Reset", json!({"type":"Soft"}));
        let second = b.queue("ClearCache", json!({}));
        b.send_on("c1", t0(), &[WsEvent::Open]);
        assert_eq!(b.command(first).state, State::Sent);
        // The charge point lost c1 without a close the gateway noticed, and connects again.
        let later = t0() + Duration::seconds(5);
        let texts = b.send_on("c2", later, &[WsEvent::Open]);
        assert_eq!(b.command(first).state, State::Offline);
        assert_eq!(
            texts[1],
            format!(r#"[2,"csms-{second}","ClearCache",{{}}]"#)
        );
        // c1's disconnect, noticed at last, does not end the call c2 carries.
        b.send_on("c1", later, &[WsEvent::Disconnect]);
        assert_eq!(b.command(second).state, State::Sent);
        b.send_on(
            "c2",
            later,
            &[WsEvent::Text(
                format!(r#"[3,"csms-{second}",{{"status":"Accepted"}}]"#).into(),
            )],
        );
        assert_eq!(b.command(second).state, State::Answered);
    }

    #[test]
    fn a_broken_answer_ends_the_call_as_an_error_at_once_and_the_queue_moves_on() {
        let b = bench();
        let first = b.queue("Reset", json!({"type":"Soft"}));
        let second = b.queue("ClearCache", json!({}));
        b.send(t0(), &[WsEvent::Open]);
        // A CALLRESULT with a fourth element: its id is readable, the frame is not valid.
        let texts = b.text(
            t0(),
            &format!(r#"[3,"csms-{first}",{{"status":"Accepted"}},1]"#),
        );
        let command = b.command(first);
        assert_eq!(command.state, State::Error);
        let description = command.error.unwrap().description;
        assert!(
            description.contains("not a valid OCPP-J frame"),
            "{description}"
        );
        // Nothing is answered back to an answer; the next command goes instead.
        assert_eq!(
            texts,
            vec![format!(r#"[2,"csms-{second}","ClearCache",{{}}]"#)]
        );
    }
}
