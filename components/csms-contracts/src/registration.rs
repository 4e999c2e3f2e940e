//! Which registration states may send an action: the connection component's routing tables
//! say it per action, and whichever component opens the database for the message checks it
//! (`csms_commands::registration_gate`).

use serde::{Deserialize, Serialize};

/// Which registration states may send an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Gate {
    /// BootNotification (and 1.6 Heartbeat): before any registration.
    Always,
    /// What a Pending station may send: what the CSMS can ask for with TriggerMessage, and
    /// the reports of what it may ask while Pending (2.0.1 GetBaseReport).
    WhilePending,
    /// Only once Accepted.
    Accepted,
}

/// A forwarded message's gate, checked by the component that applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admission {
    pub gate: Gate,
    /// How long a TriggerMessage the station accepted lets a Pending station send what it
    /// asked for: the command timeout (`command_timeout_seconds`).
    pub trigger_window_seconds: i64,
}

/// The CALLERROR description of a message its station's registration does not admit.
pub const NOT_ACCEPTED: &str =
    "this charge point is not accepted yet: send BootNotification and wait for Accepted";
