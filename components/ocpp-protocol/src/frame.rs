//! OCPP-J RPC frames: `[2, id, action, payload]`, `[3, id, payload]`,
//! `[4, id, code, description, details]`.
//!
//! Parsing never fails silently: every malformed frame becomes a [`FrameError`]
//! carrying the code the negotiated version prescribes and, when it could be
//! read, the message id to answer with.

use crate::{ErrorCode, OcppVersion};
use serde_json::{json, Map, Value};

/// OCPP-J limits message ids to 36 characters so that a UUID fits.
pub const MAX_MESSAGE_ID_LEN: usize = 36;

/// 2.0.1 bounds `errorDescription` to 255 characters; 1.6 sets no bound, but
/// nothing gains from longer text, so both versions are cut to the same length.
pub const MAX_ERROR_DESCRIPTION_LEN: usize = 255;

/// The message id to answer with when the offending frame's id could not be
/// read, as OCPP-J 2.0.1 prescribes; 1.6 is silent and peers accept the same.
pub const UNKNOWN_MESSAGE_ID: &str = "-1";

const CALL: u64 = 2;
const CALL_RESULT: u64 = 3;
const CALL_ERROR: u64 = 4;

/// One parsed OCPP-J frame. Payloads stay JSON here; [`crate::messages`]
/// turns them into typed messages once the action is known.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    Call(Call),
    CallResult(CallResult),
    CallError(CallError),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub message_id: String,
    pub action: String,
    pub payload: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CallResult {
    pub message_id: String,
    pub payload: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CallError {
    pub message_id: String,
    /// Kept as received: a peer may send a code we do not know, and the
    /// operator should see exactly what it said. [`ErrorCode::parse`] reads it.
    pub error_code: String,
    pub error_description: String,
    pub error_details: Value,
}

/// Why a text is not a valid OCPP-J frame, and how to answer it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct FrameError {
    pub code: ErrorCode,
    pub description: String,
    /// The message id, when the frame got far enough for it to be read.
    pub message_id: Option<String>,
    /// The message type number, when it could be read.
    pub message_type: Option<u64>,
}

impl FrameError {
    fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: description.into(),
            message_id: None,
            message_type: None,
        }
    }

    fn with_id(mut self, message_id: &str) -> Self {
        self.message_id = Some(message_id.to_owned());
        self
    }

    fn with_type(mut self, message_type: u64) -> Self {
        self.message_type = Some(message_type);
        self
    }

    /// OCPP-J only lets a CALLERROR answer a CALL. A broken CALLRESULT or
    /// CALLERROR from the peer is a failed answer to *our* call, recorded by the
    /// caller, never answered (that would start an error ping-pong).
    pub fn should_answer(&self) -> bool {
        !matches!(self.message_type, Some(CALL_RESULT | CALL_ERROR))
    }

    /// The CALLERROR frame that answers this error. An id over the length
    /// limit is reported in the description but answered as unreadable, so the
    /// answer itself stays a valid frame.
    pub fn to_call_error(&self, version: OcppVersion) -> CallError {
        let id = self
            .message_id
            .as_deref()
            .filter(|id| id.chars().count() <= MAX_MESSAGE_ID_LEN)
            .unwrap_or(UNKNOWN_MESSAGE_ID);
        CallError::new(id, self.code, version, &self.description)
    }
}

impl CallError {
    /// A CALLERROR with `code` spelled the way `version` spells it.
    pub fn new(message_id: &str, code: ErrorCode, version: OcppVersion, description: &str) -> Self {
        Self {
            message_id: message_id.to_owned(),
            error_code: code.as_str(version).to_owned(),
            error_description: truncate_chars(description, MAX_ERROR_DESCRIPTION_LEN),
            error_details: Value::Object(Map::new()),
        }
    }
}

impl Frame {
    /// Parses one WebSocket TEXT message. `version` only chooses how errors are
    /// classified; the frame shape is the same in 1.6 and 2.0.1.
    pub fn parse(text: &str) -> Result<Frame, FrameError> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            let mut err = FrameError::new(
                ErrorCode::RpcFrameworkError,
                format!("message is not valid JSON: {e}"),
            );
            // Salvage the id of a frame whose payload is broken, so that the
            // charge point can tell which of its calls failed.
            if let Some((message_type, id)) = salvage_header(text) {
                err.message_type = Some(message_type);
                if id.chars().count() <= MAX_MESSAGE_ID_LEN {
                    err.message_id = Some(id);
                }
            }
            err
        })?;
        Self::from_value(value)
    }

    fn from_value(value: Value) -> Result<Frame, FrameError> {
        let Value::Array(items) = value else {
            return Err(FrameError::new(
                ErrorCode::RpcFrameworkError,
                "message is not a JSON array",
            ));
        };
        let message_type = match items.first() {
            Some(Value::Number(n)) => n.as_u64().ok_or_else(|| {
                FrameError::new(
                    ErrorCode::RpcFrameworkError,
                    format!("message type {n} is not a message type number"),
                )
            })?,
            Some(_) => {
                return Err(FrameError::new(
                    ErrorCode::RpcFrameworkError,
                    "first element (message type) is not a number",
                ))
            }
            None => {
                return Err(FrameError::new(
                    ErrorCode::RpcFrameworkError,
                    "message is an empty array",
                ))
            }
        };
        let message_id = match items.get(1) {
            Some(Value::String(id)) => id.clone(),
            Some(_) => {
                return Err(FrameError::new(
                    ErrorCode::RpcFrameworkError,
                    "second element (message id) is not a string",
                )
                .with_type(message_type))
            }
            None => {
                return Err(
                    FrameError::new(ErrorCode::RpcFrameworkError, "message id is missing")
                        .with_type(message_type),
                )
            }
        };
        let len = message_id.chars().count();
        if len > MAX_MESSAGE_ID_LEN {
            return Err(FrameError::new(
                ErrorCode::RpcFrameworkError,
                format!(
                    "message id is {len} characters long, at most {MAX_MESSAGE_ID_LEN} are allowed"
                ),
            )
            .with_id(&message_id)
            .with_type(message_type));
        }
        let fail = |code: ErrorCode, description: String| {
            FrameError::new(code, description)
                .with_id(&message_id)
                .with_type(message_type)
        };
        match message_type {
            CALL => {
                let [_, _, action, payload] = items.as_slice() else {
                    return Err(fail(
                        ErrorCode::RpcFrameworkError,
                        format!("CALL has {} elements, expected 4", items.len()),
                    ));
                };
                let Value::String(action) = action else {
                    return Err(fail(
                        ErrorCode::RpcFrameworkError,
                        "third element (action) is not a string".into(),
                    ));
                };
                if !payload.is_object() {
                    return Err(fail(
                        ErrorCode::FormatViolation,
                        format!("payload of {action} is not a JSON object"),
                    ));
                }
                Ok(Frame::Call(Call {
                    message_id: message_id.clone(),
                    action: action.clone(),
                    payload: payload.clone(),
                }))
            }
            CALL_RESULT => {
                let [_, _, payload] = items.as_slice() else {
                    return Err(fail(
                        ErrorCode::RpcFrameworkError,
                        format!("CALLRESULT has {} elements, expected 3", items.len()),
                    ));
                };
                if !payload.is_object() {
                    return Err(fail(
                        ErrorCode::FormatViolation,
                        "CALLRESULT payload is not a JSON object".into(),
                    ));
                }
                Ok(Frame::CallResult(CallResult {
                    message_id: message_id.clone(),
                    payload: payload.clone(),
                }))
            }
            CALL_ERROR => {
                // Some 1.6 firmwares omit errorDetails; the rest of the frame
                // still says what went wrong, so it is accepted.
                let (code, description, details) = match items.as_slice() {
                    [_, _, code, description, details] => (code, description, details.clone()),
                    [_, _, code, description] => (code, description, Value::Object(Map::new())),
                    _ => {
                        return Err(fail(
                            ErrorCode::RpcFrameworkError,
                            format!("CALLERROR has {} elements, expected 5", items.len()),
                        ))
                    }
                };
                let (Value::String(code), Value::String(description)) = (code, description) else {
                    return Err(fail(
                        ErrorCode::FormatViolation,
                        "CALLERROR errorCode and errorDescription must be strings".into(),
                    ));
                };
                Ok(Frame::CallError(CallError {
                    message_id: message_id.clone(),
                    error_code: code.clone(),
                    error_description: description.clone(),
                    error_details: details,
                }))
            }
            other => Err(fail(
                ErrorCode::MessageTypeNotSupported,
                format!("message type {other} is not supported"),
            )),
        }
    }

    /// The message id this frame carries.
    pub fn message_id(&self) -> &str {
        match self {
            Frame::Call(c) => &c.message_id,
            Frame::CallResult(r) => &r.message_id,
            Frame::CallError(e) => &e.message_id,
        }
    }

    /// The frame as the JSON array that goes on the wire.
    pub fn to_value(&self) -> Value {
        match self {
            Frame::Call(c) => json!([CALL, c.message_id, c.action, c.payload]),
            Frame::CallResult(r) => json!([CALL_RESULT, r.message_id, r.payload]),
            Frame::CallError(e) => json!([
                CALL_ERROR,
                e.message_id,
                e.error_code,
                e.error_description,
                e.error_details
            ]),
        }
    }

    /// The frame as the text of one WebSocket message.
    pub fn to_text(&self) -> String {
        self.to_value().to_string()
    }
}

impl From<Call> for Frame {
    fn from(c: Call) -> Self {
        Frame::Call(c)
    }
}

impl From<CallResult> for Frame {
    fn from(r: CallResult) -> Self {
        Frame::CallResult(r)
    }
}

impl From<CallError> for Frame {
    fn from(e: CallError) -> Self {
        Frame::CallError(e)
    }
}

/// Reads `[<type>, "<id>"` from the start of a text that is not valid JSON as a
/// whole.
fn salvage_header(text: &str) -> Option<(u64, String)> {
    let rest = text.trim_start().strip_prefix('[')?.trim_start();
    let digits_end = rest.find(|c: char| !c.is_ascii_digit())?;
    let message_type = rest.get(..digits_end)?.parse().ok()?;
    let rest = rest
        .get(digits_end..)?
        .trim_start()
        .strip_prefix(',')?
        .trim_start();
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<String>();
    let id = stream.next()?.ok()?;
    Some((message_type, id))
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => text.get(..cut).unwrap_or(text).to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OcppVersion::*;

    fn error(text: &str) -> FrameError {
        match Frame::parse(text) {
            Err(e) => e,
            Ok(frame) => panic!("{text} parsed as {frame:?}"),
        }
    }

    #[test]
    fn call_round_trips() {
        let text = r#"[2,"19223201","BootNotification",{"chargePointVendor":"VendorX","chargePointModel":"SingleSocketCharger"}]"#;
        let frame = Frame::parse(text).unwrap();
        let Frame::Call(call) = &frame else {
            panic!("not a call")
        };
        assert_eq!(call.message_id, "19223201");
        assert_eq!(call.action, "BootNotification");
        assert_eq!(call.payload["chargePointModel"], "SingleSocketCharger");
        assert_eq!(Frame::parse(&frame.to_text()).unwrap(), frame);
    }

    #[test]
    fn call_result_and_call_error_round_trip() {
        for text in [
            r#"[3,"19223201",{"currentTime":"2013-02-01T20:53:32.486Z","interval":300,"status":"Accepted"}]"#,
            r#"[4,"162376037","NotSupported","SetDisplayMessageRequest not implemented",{}]"#,
        ] {
            let frame = Frame::parse(text).unwrap();
            assert_eq!(frame.to_text(), text);
        }
    }

    #[test]
    fn call_error_without_details_is_accepted() {
        let Frame::CallError(e) = Frame::parse(r#"[4,"7","InternalError","boom"]"#).unwrap() else {
            panic!("not a call error")
        };
        assert_eq!(e.error_code, "InternalError");
        assert_eq!(e.error_details, json!({}));
    }

    #[test]
    fn invalid_json_is_a_formation_violation_in_16_and_rpc_framework_error_in_201() {
        let e = error("[2, \"abc\", \"Heartbeat\", {");
        assert_eq!(e.code.as_str(V16), "FormationViolation");
        assert_eq!(e.code.as_str(V201), "RpcFrameworkError");
        assert_eq!(
            e.message_id.as_deref(),
            Some("abc"),
            "id salvaged from broken JSON"
        );
        assert!(e.should_answer());
    }

    #[test]
    fn unreadable_id_is_answered_with_minus_one() {
        let e = error("not json at all");
        assert_eq!(e.message_id, None);
        let answer = Frame::from(e.to_call_error(V201)).to_text();
        assert!(
            answer.starts_with(r#"[4,"-1","RpcFrameworkError","#),
            "{answer}"
        );
    }

    #[test]
    fn wrong_shapes_are_rpc_errors_with_the_id_when_readable() {
        for (text, id) in [
            (r#"{"a":1}"#, None),
            ("[]", None),
            (r#"["2","x","Heartbeat",{}]"#, None),
            (r#"[2,17,"Heartbeat",{}]"#, None),
            (r#"[2,"x","Heartbeat"]"#, Some("x")),
            (r#"[2,"x",5,{}]"#, Some("x")),
            (r#"[2,"x","Heartbeat",{},{}]"#, Some("x")),
            (r#"[3,"x"]"#, Some("x")),
            (r#"[4,"x","GenericError"]"#, Some("x")),
        ] {
            let e = error(text);
            assert_eq!(e.code, ErrorCode::RpcFrameworkError, "{text}");
            assert_eq!(e.code.as_str(V16), "FormationViolation", "{text}");
            assert_eq!(e.message_id.as_deref(), id, "{text}");
        }
    }

    #[test]
    fn payload_that_is_not_an_object_is_a_format_violation() {
        let e = error(r#"[2,"x","Heartbeat",[]]"#);
        assert_eq!(e.code.as_str(V16), "FormationViolation");
        assert_eq!(e.code.as_str(V201), "FormatViolation");
        assert_eq!(e.message_id.as_deref(), Some("x"));
    }

    #[test]
    fn message_id_longer_than_36_characters_is_refused() {
        let id = "x".repeat(37);
        let e = error(&format!(r#"[2,"{id}","Heartbeat",{{}}]"#));
        assert_eq!(e.code.as_str(V16), "FormationViolation");
        assert_eq!(e.code.as_str(V201), "RpcFrameworkError");
        assert_eq!(e.message_id.as_deref(), Some(id.as_str()));
        assert_eq!(e.to_call_error(V16).message_id, UNKNOWN_MESSAGE_ID);
        // 36 is still fine, and counts characters, not bytes.
        let ok = "é".repeat(36);
        assert!(Frame::parse(&format!(r#"[2,"{ok}","Heartbeat",{{}}]"#)).is_ok());
    }

    #[test]
    fn unknown_message_type_is_message_type_not_supported_in_201() {
        let e = error(r#"[5,"x","Heartbeat",{}]"#);
        assert_eq!(e.code.as_str(V201), "MessageTypeNotSupported");
        assert_eq!(e.code.as_str(V16), "FormationViolation");
        assert_eq!(e.message_id.as_deref(), Some("x"));
    }

    #[test]
    fn broken_answers_are_not_answered() {
        assert!(!error(r#"[3,"x",[]]"#).should_answer());
        assert!(!error(r#"[4,"x",1,2,{}]"#).should_answer());
        assert!(error(r#"[2,"x","A",1]"#).should_answer());
    }

    #[test]
    fn call_error_descriptions_are_bounded() {
        let e = CallError::new("1", ErrorCode::GenericError, V201, &"ä".repeat(300));
        assert_eq!(
            e.error_description.chars().count(),
            MAX_ERROR_DESCRIPTION_LEN
        );
    }
}
