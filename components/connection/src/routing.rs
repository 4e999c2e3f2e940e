//! What a routing table entry says: an action, who handles it, whether a station that is not
//! Accepted yet may send it, and whether its answer is recorded for a retransmission.

pub use csms_contracts::registration::Gate;

/// Where an action is applied (shown in the README's table of supported messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    Here,
    Authorization,
    Transactions,
}

/// One entry of a version's routing table; `run` names the adapter that the version's
/// `run` function calls (an exhaustive match, so every entry has one).
#[derive(Debug, Clone, Copy)]
pub struct Route<A: 'static> {
    pub action: &'static str,
    pub handler: Handler,
    pub gate: Gate,
    pub run: A,
    /// Whether this component records the answer (`processed_messages`), so that a
    /// retransmission is looked up here first. The transactions component looks up and
    /// records what it applies itself; Authorize changes nothing and is not recorded.
    pub recorded_here: bool,
}

/// A table entry (a `const fn`, so tables stay `const`).
pub const fn route<A: Copy>(
    action: &'static str,
    handler: Handler,
    gate: Gate,
    run: A,
) -> Route<A> {
    Route {
        action,
        handler,
        gate,
        run,
        recorded_here: matches!(handler, Handler::Here),
    }
}

impl<A: Copy> Route<A> {
    /// An action handled here whose answer is not recorded: applying it again is harmless
    /// and its answer would be stale (Heartbeat's time).
    pub const fn unrecorded(self) -> Self {
        Self {
            recorded_here: false,
            ..self
        }
    }
}

/// The entry for `action` in `table`.
pub fn find<A: Copy>(table: &'static [Route<A>], action: &str) -> Option<&'static Route<A>> {
    table.iter().find(|r| r.action == action)
}
