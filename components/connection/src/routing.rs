//! What a routing table entry says: an action, who handles it, and whether a station that
//! is not Accepted yet may send it.

/// Where an action is applied (shown in the README's table of supported messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    Here,
    Authorization,
    Transactions,
}

/// Which registration states may send an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// BootNotification (and 1.6 Heartbeat): before any registration.
    Always,
    /// What a Pending station may send: what the CSMS can ask for with TriggerMessage, and
    /// the reports of what it may ask while Pending (2.0.1 GetBaseReport).
    WhilePending,
    /// Only once Accepted.
    Accepted,
}

/// One entry of a version's routing table; `run` names the adapter that the version's
/// `run` function calls (an exhaustive match, so every entry has one).
#[derive(Debug, Clone, Copy)]
pub struct Route<A: 'static> {
    pub action: &'static str,
    pub handler: Handler,
    pub gate: Gate,
    pub run: A,
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
    }
}

/// The entry for `action` in `table`.
pub fn find<A: Copy>(table: &'static [Route<A>], action: &str) -> Option<&'static Route<A>> {
    table.iter().find(|r| r.action == action)
}
