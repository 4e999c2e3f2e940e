//! Typed request and response payloads of every message, one table per
//! version.
//!
//! The same action name means different payloads in 1.6 and 2.0.1, so each
//! version has its own [`v16::Request`] / [`v201::Request`] enums; the table in
//! each module is the single list of what that version contains, and the
//! README's table of supported messages is checked against it.

use crate::payload::{self, Kind, PayloadError};
use crate::{ErrorCode, OcppVersion};
use ocpp_types::validate::Validate;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Decodes and validates `payload` as the CALL payload of one action of `version`, for a
/// component that applies only a few actions: unlike [`v16::Request::decode`] and
/// [`v201::Request::decode`], it links only that message's decoder, not the whole table's.
pub fn decode_request<T>(version: OcppVersion, payload: &Value) -> Result<T, PayloadError>
where
    T: ocpp_types::Action + DeserializeOwned + Serialize + Validate,
{
    payload::decode::<T>(version, T::ACTION, Kind::Request, payload)
}

pub mod v16;
pub mod v201;

/// Which side starts an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    /// The charge point (1.6) or charging station (2.0.1) sends the CALL.
    ChargePoint,
    /// The central system sends the CALL.
    Csms,
    /// Either side may (DataTransfer).
    Both,
}

/// One row of a version's message table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionInfo {
    pub name: &'static str,
    pub initiator: Initiator,
}

impl ActionInfo {
    /// Whether a charge point may send this action to the central system.
    pub fn sent_by_charge_point(&self) -> bool {
        matches!(self.initiator, Initiator::ChargePoint | Initiator::Both)
    }

    /// Whether the central system may send this action to a charge point.
    pub fn sent_by_csms(&self) -> bool {
        matches!(self.initiator, Initiator::Csms | Initiator::Both)
    }
}

/// Every action `version` defines.
pub fn actions(version: OcppVersion) -> &'static [ActionInfo] {
    match version {
        OcppVersion::V16 => v16::ACTIONS,
        OcppVersion::V201 => v201::ACTIONS,
    }
}

/// Looks up `action` in `version`'s table.
pub fn action_info(version: OcppVersion, action: &str) -> Option<ActionInfo> {
    actions(version).iter().find(|a| a.name == action).copied()
}

/// Decides whether an incoming CALL's action may be processed at all:
/// `NotImplemented` when the version does not know it, `NotSupported` when
/// it is known but not in `supported` (what the receiving component handles).
pub fn check_supported(
    version: OcppVersion,
    action: &str,
    supported: &[&str],
) -> Result<ActionInfo, PayloadError> {
    let info = action_info(version, action).ok_or_else(|| not_implemented(version, action))?;
    if supported.contains(&action) {
        Ok(info)
    } else {
        Err(PayloadError::new(
            ErrorCode::NotSupported,
            format!("{action} is not supported by this central system"),
        ))
    }
}

pub(crate) fn not_implemented(version: OcppVersion, action: &str) -> PayloadError {
    // The peer chose the action name; keep the description bounded anyway.
    let shown: String = action.chars().take(64).collect();
    PayloadError::new(
        ErrorCode::NotImplemented,
        format!("{shown:?} is not an OCPP {} action", version.subprotocol()),
    )
}

/// Generates, from one `Action: Initiator => RequestType, ResponseType;` list,
/// the version's action table and its `Request` and `Response` enums.
macro_rules! message_table {
    ($( $name:ident : $initiator:ident => $req:ty, $resp:ty; )*) => {
        use serde_json::Value;
        use $crate::messages::{ActionInfo, Initiator};
        use $crate::payload::{decode, encode, Kind, PayloadError};

        /// Every action this version defines, in the specification's order.
        pub const ACTIONS: &[ActionInfo] = &[
            $( ActionInfo { name: stringify!($name), initiator: Initiator::$initiator }, )*
        ];

        /// A CALL payload of this version. Boxed because some 2.0.1 messages
        /// hold kilobytes of bounded strings inline.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Request { $( $name(Box<$req>), )* }

        /// A CALLRESULT payload of this version.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Response { $( $name(Box<$resp>), )* }

        impl Request {
            /// Decodes and validates the payload of a CALL for `action`.
            pub fn decode(action: &str, payload: &Value) -> Result<Self, PayloadError> {
                match action {
                    $( stringify!($name) => decode::<$req>(VERSION, action, Kind::Request, payload).map(|m| Self::$name(Box::new(m))), )*
                    other => Err($crate::messages::not_implemented(VERSION, other)),
                }
            }

            /// The action name that goes in the CALL frame.
            pub fn action(&self) -> &'static str {
                match self { $( Self::$name(_) => stringify!($name), )* }
            }

            /// The JSON payload that goes in the CALL frame.
            pub fn to_payload(&self) -> Value {
                match self { $( Self::$name(m) => encode(m.as_ref()), )* }
            }
        }

        impl Response {
            /// Decodes and validates the payload of a CALLRESULT answering `action`.
            pub fn decode(action: &str, payload: &Value) -> Result<Self, PayloadError> {
                match action {
                    $( stringify!($name) => decode::<$resp>(VERSION, action, Kind::Response, payload).map(|m| Self::$name(Box::new(m))), )*
                    other => Err($crate::messages::not_implemented(VERSION, other)),
                }
            }

            /// The action this response answers.
            pub fn action(&self) -> &'static str {
                match self { $( Self::$name(_) => stringify!($name), )* }
            }

            /// The JSON payload that goes in the CALLRESULT frame.
            pub fn to_payload(&self) -> Value {
                match self { $( Self::$name(m) => encode(m.as_ref()), )* }
            }
        }

        #[cfg(test)]
        mod table_tests {
            use super::*;

            #[test]
            fn every_action_name_matches_its_types() {
                $(
                    assert_eq!(<$req as ocpp_types::Action>::ACTION, stringify!($name));
                )*
            }
        }
    };
}
pub(crate) use message_table;
