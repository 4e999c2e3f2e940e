//! One OCPP-J message in, at most one message out, whatever the version: framing and
//! CALLERRORs, the version's routing table ([`crate::ocpp16::ROUTES`],
//! [`crate::ocpp201::ROUTES`]), payload validation, retransmission records and the
//! registration gate are the same for every version; the table entry's adapter does the rest.

use crate::routing::{self, Gate, Handler, Route};
use crate::session::Env;
use crate::{csms_calls, forward, ocpp16, ocpp201, HandlerError};
use csms_commands::registration_gate;
use csms_contracts::registration::NOT_ACCEPTED;
use csms_store::processed_messages;
use csms_store::{KeyValue, Sql};
use ocpp_protocol::messages::{v16, v201};
use ocpp_protocol::timestamp::format_utc;
use ocpp_protocol::{check_supported, Call, CallError, CallResult, ErrorCode, Frame, OcppVersion};
use serde_json::Value;

/// One CALL from a station, as every adapter receives it.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub charge_point_id: &'a str,
    pub connection_id: &'a str,
    pub message_id: &'a str,
    pub action: &'a str,
    /// Validated against the action's schema of the negotiated version.
    pub payload: &'a Value,
    /// The registration states its route admits.
    pub gate: Gate,
}

/// How long a BootNotification's recorded answer is given again to a retransmission.
const BOOT_ANSWER_FRESH_SECONDS: i64 = 120;

/// The actions a version's routing table lists.
pub fn supported_actions(version: OcppVersion) -> Vec<&'static str> {
    match version {
        OcppVersion::V16 => ocpp16::ROUTES.iter().map(|r| r.action).collect(),
        OcppVersion::V201 => ocpp201::ROUTES.iter().map(|r| r.action).collect(),
    }
}

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
    let call = Received {
        charge_point_id,
        connection_id,
        call,
    };
    match version {
        OcppVersion::V16 => routed(env, version, &call, ocpp16::ROUTES, ocpp16::run),
        OcppVersion::V201 => routed(env, version, &call, ocpp201::ROUTES, ocpp201::run),
    }
}

/// A CALL before its route is known.
struct Received<'a> {
    charge_point_id: &'a str,
    connection_id: &'a str,
    call: &'a Call,
}

type Adapter<S, K, C, A> = fn(&Env<'_, S, K, C>, A, &Incoming<'_>) -> Result<Value, HandlerError>;

fn routed<S: Sql, K: KeyValue, C: forward::Chain, A: Copy>(
    env: &Env<'_, S, K, C>,
    version: OcppVersion,
    received: &Received<'_>,
    table: &'static [Route<A>],
    run: Adapter<S, K, C, A>,
) -> Frame {
    let call = received.call;
    let fail = |code: ErrorCode, description: &str| -> Frame {
        CallError::new(&call.message_id, code, version, description).into()
    };
    let supported: Vec<&str> = table.iter().map(|r| r.action).collect();
    if let Err(e) = check_supported(version, &call.action, &supported) {
        return fail(e.code, &e.description);
    }
    let Some(route) = routing::find(table, &call.action) else {
        return fail(ErrorCode::NotSupported, "not routed");
    };
    if let Err(e) = decode_request(version, &call.action, &call.payload) {
        return fail(e.code, &e.description);
    }
    let incoming = Incoming {
        charge_point_id: received.charge_point_id,
        connection_id: received.connection_id,
        message_id: &call.message_id,
        action: &call.action,
        payload: &call.payload,
        gate: route.gate,
    };
    if route.recorded_here {
        // BootNotification's answer carries the current time and the registration status,
        // both stale after a while, and applying a boot again is harmless: only a quick
        // retransmission gets the recorded answer.
        let not_before = (incoming.action == "BootNotification")
            .then(|| format_utc(env.now - chrono::Duration::seconds(BOOT_ANSWER_FRESH_SECONDS)));
        match processed_messages::lookup_since(
            env.sql,
            incoming.charge_point_id,
            incoming.message_id,
            incoming.action,
            incoming.payload,
            not_before.as_deref(),
        ) {
            Ok(Some(answer)) => return answer_with(incoming.message_id, answer),
            Ok(None) => {}
            Err(e) => {
                return fail(
                    ErrorCode::InternalError,
                    &format!("checking for a retransmission: {e}"),
                )
            }
        }
    }
    // What is forwarded to the transactions component is gated there, in the database
    // connection it opens anyway: this component then opens none for it.
    if route.handler != Handler::Transactions {
        match registration_gate::admits(
            env.sql,
            incoming.charge_point_id,
            incoming.action,
            route.gate,
            env.now,
            env.config.command_timeout_seconds,
        ) {
            Ok(true) => {}
            Ok(false) => return fail(ErrorCode::SecurityError, NOT_ACCEPTED),
            Err(e) => {
                return fail(
                    ErrorCode::InternalError,
                    &format!("reading the registry: {e}"),
                )
            }
        }
    }
    match run(env, route.run, &incoming) {
        Ok(payload) => match decode_response(version, incoming.action, &payload) {
            Ok(()) => answer_with(incoming.message_id, payload),
            Err(e) => fail(
                ErrorCode::InternalError,
                &format!(
                    "the central system produced an invalid {} answer: {e}",
                    incoming.action
                ),
            ),
        },
        Err(HandlerError::Forward(forward::ForwardError::NotAdmitted)) => {
            fail(ErrorCode::SecurityError, NOT_ACCEPTED)
        }
        Err(e) => fail(
            ErrorCode::InternalError,
            &format!("{}: {e}", incoming.action),
        ),
    }
}

fn decode_request(
    version: OcppVersion,
    action: &str,
    payload: &Value,
) -> Result<(), ocpp_protocol::PayloadError> {
    match version {
        OcppVersion::V16 => v16::Request::decode(action, payload).map(drop),
        OcppVersion::V201 => v201::Request::decode(action, payload).map(drop),
    }
}

fn decode_response(
    version: OcppVersion,
    action: &str,
    payload: &Value,
) -> Result<(), ocpp_protocol::PayloadError> {
    match version {
        OcppVersion::V16 => v16::Response::decode(action, payload).map(drop),
        OcppVersion::V201 => v201::Response::decode(action, payload).map(drop),
    }
}

fn answer_with(message_id: &str, payload: Value) -> Frame {
    CallResult {
        message_id: message_id.to_owned(),
        payload,
    }
    .into()
}
