//! One OCPP-J message in, at most one message out: the routing table of the
//! OCPP 1.6 actions a charge point may send, and where each is handled.

use crate::session::Env;
use crate::{
    boot_notification, csms_calls, data_transfer, forward, heartbeat, registry, station_events,
    status_notification, HandlerError,
};
use csms_store::processed_messages;
use csms_store::{KeyValue, Sql};
use ocpp_protocol::messages::v16;
use ocpp_protocol::timestamp::format_utc;
use ocpp_protocol::{check_supported, Call, CallError, CallResult, ErrorCode, Frame, OcppVersion};
use serde_json::Value;

/// Where each supported charge-point-initiated 1.6 action is handled. The
/// README's table of supported messages is checked against this list.
pub const SUPPORTED_16: &[(&str, Handler)] = &[
    ("BootNotification", Handler::Here),
    ("Heartbeat", Handler::Here),
    ("StatusNotification", Handler::Here),
    ("DataTransfer", Handler::Here),
    ("DiagnosticsStatusNotification", Handler::Here),
    ("FirmwareStatusNotification", Handler::Here),
    ("SecurityEventNotification", Handler::Here),
    ("Authorize", Handler::Authorization),
    ("StartTransaction", Handler::Transactions),
    ("StopTransaction", Handler::Transactions),
    ("MeterValues", Handler::Transactions),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    Here,
    Authorization,
    Transactions,
}

/// How long a BootNotification's recorded answer is given again to a retransmission.
const BOOT_ANSWER_FRESH_SECONDS: i64 = 120;

/// OCPP 1.6 (4.2): a Pending charge point sends only what the central system asks for with
/// TriggerMessage, which may ask for these (besides BootNotification and Heartbeat). Whether
/// a TriggerMessage asked is not checked: what it reports is kept rather than refused.
const TRIGGERABLE_WHILE_PENDING: &[&str] = &[
    "StatusNotification",
    "MeterValues",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
];

/// Actions a charge point may send before the central system accepted it.
const ALLOWED_BEFORE_ACCEPTED: &[&str] = &["BootNotification", "Heartbeat"];

/// Handles one TEXT message; returns the text to send back, if any.
pub fn on_text<S: Sql, K: KeyValue, C: forward::Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
    connection_id: &str,
    version: OcppVersion,
    text: &str,
) -> Option<String> {
    match Frame::parse(text) {
        Ok(Frame::Call(call)) => {
            Some(on_call(env, charge_point_id, connection_id, version, &call).to_text())
        }
        // Answers to central-system calls; nothing is owed in return.
        Ok(Frame::CallResult(result)) => {
            csms_calls::on_result(env, charge_point_id, &result);
            None
        }
        Ok(Frame::CallError(error)) => {
            csms_calls::on_error(env, charge_point_id, &error);
            None
        }
        Err(e) if e.should_answer() => Some(Frame::from(e.to_call_error(version)).to_text()),
        // A broken answer to one of our calls: never answered back, but it ends the call.
        Err(e) => {
            csms_calls::on_malformed(env, charge_point_id, &e, text);
            None
        }
    }
}

fn on_call<S: Sql, K: KeyValue, C: forward::Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
    connection_id: &str,
    version: OcppVersion,
    call: &Call,
) -> Frame {
    let fail = |code: ErrorCode, description: &str| -> Frame {
        CallError::new(&call.message_id, code, version, description).into()
    };
    let supported: Vec<&str> = SUPPORTED_16.iter().map(|(name, _)| *name).collect();
    if let Err(e) = check_supported(version, &call.action, &supported) {
        return fail(e.code, &e.description);
    }
    if let Err(e) = v16::Request::decode(&call.action, &call.payload) {
        return fail(e.code, &e.description);
    }
    // BootNotification's answer carries the current time and the registration status, both
    // stale after a while, and applying a boot again is harmless: only a quick retransmission
    // gets the recorded answer.
    let not_before = (call.action == "BootNotification")
        .then(|| format_utc(env.now - chrono::Duration::seconds(BOOT_ANSWER_FRESH_SECONDS)));
    match processed_messages::lookup_since(
        env.sql,
        charge_point_id,
        &call.message_id,
        &call.action,
        &call.payload,
        not_before.as_deref(),
    ) {
        Ok(Some(answer)) => return answer_with(&call.message_id, answer),
        Ok(None) => {}
        Err(e) => {
            return fail(
                ErrorCode::InternalError,
                &format!("checking for a retransmission: {e}"),
            )
        }
    }
    if !ALLOWED_BEFORE_ACCEPTED.contains(&call.action.as_str()) {
        match registry::find(env.sql, charge_point_id) {
            Ok(Some(cp)) if cp.is_accepted() => {}
            Ok(Some(cp))
                if cp.is_pending() && TRIGGERABLE_WHILE_PENDING.contains(&call.action.as_str()) => {}
            Ok(_) => {
                return fail(
                    ErrorCode::SecurityError,
                    "this charge point is not accepted yet: send BootNotification and wait for Accepted",
                )
            }
            Err(e) => return fail(ErrorCode::InternalError, &format!("reading the registry: {e}")),
        }
    }
    match apply(env, charge_point_id, connection_id, call) {
        Ok(payload) => match v16::Response::decode(&call.action, &payload) {
            Ok(_) => answer_with(&call.message_id, payload),
            Err(e) => fail(
                ErrorCode::InternalError,
                &format!(
                    "the central system produced an invalid {} answer: {e}",
                    call.action
                ),
            ),
        },
        Err(e) => fail(ErrorCode::InternalError, &format!("{}: {e}", call.action)),
    }
}

fn answer_with(message_id: &str, payload: Value) -> Frame {
    CallResult {
        message_id: message_id.to_owned(),
        payload,
    }
    .into()
}

fn apply<S: Sql, K: KeyValue, C: forward::Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
    connection_id: &str,
    call: &Call,
) -> Result<Value, HandlerError> {
    let (action, id, payload) = (
        call.action.as_str(),
        call.message_id.as_str(),
        &call.payload,
    );
    Ok(match action {
        "BootNotification" => boot_notification::handle(env, charge_point_id, id, payload)?,
        "Heartbeat" => heartbeat::handle(env, charge_point_id, connection_id)?,
        "StatusNotification" => status_notification::handle(env, charge_point_id, id, payload)?,
        "DataTransfer" => data_transfer::handle(env, charge_point_id, id, payload)?,
        "Authorize" => forward::authorize(env.chain, charge_point_id, payload)?,
        "StartTransaction" | "StopTransaction" | "MeterValues" => {
            forward::transaction_message(env.chain, action, charge_point_id, id, payload)?
        }
        // DiagnosticsStatusNotification, FirmwareStatusNotification,
        // SecurityEventNotification: kept, acknowledged.
        _ => station_events::handle(env, charge_point_id, id, action, payload)?,
    })
}
