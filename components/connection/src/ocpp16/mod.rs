//! OCPP 1.6: the routing table of what a charge point may send, which is also what
//! dispatches, and one adapter per action mapping the 1.6 payload onto the domain.

mod authorize;
mod boot_notification;
mod status_notification;

use crate::dispatch::Incoming;
use crate::routing::{route, Gate, Handler, Route};
use crate::session::Env;
use crate::{data_transfer, forward, heartbeat, sign_certificate, station_events, HandlerError};
use csms_store::{KeyValue, Sql};
use ocpp_protocol::OcppVersion;
use serde_json::Value;

/// The adapters, one per supported action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    BootNotification,
    Heartbeat,
    StatusNotification,
    DataTransfer,
    Kept,
    Authorize,
    Transaction,
    SignCertificate,
}

/// Every charge-point-initiated 1.6 action this central system handles. The README's table
/// of supported messages is checked against it.
pub const ROUTES: &[Route<Run>] = &[
    route(
        "BootNotification",
        Handler::Here,
        Gate::Always,
        Run::BootNotification,
    ),
    route("Heartbeat", Handler::Here, Gate::Always, Run::Heartbeat).unrecorded(),
    // OCPP 1.6 4.2: a Pending charge point sends only what TriggerMessage can ask for.
    // Whether one asked is not checked: what it reports is kept rather than refused.
    route(
        "StatusNotification",
        Handler::Here,
        Gate::WhilePending,
        Run::StatusNotification,
    ),
    route(
        "DataTransfer",
        Handler::Here,
        Gate::Accepted,
        Run::DataTransfer,
    ),
    route(
        "DiagnosticsStatusNotification",
        Handler::Here,
        Gate::WhilePending,
        Run::Kept,
    ),
    route(
        "FirmwareStatusNotification",
        Handler::Here,
        Gate::WhilePending,
        Run::Kept,
    ),
    route(
        "SecurityEventNotification",
        Handler::Here,
        Gate::Accepted,
        Run::Kept,
    ),
    // The rest of the security extension.
    route(
        "SignCertificate",
        Handler::Here,
        Gate::Accepted,
        Run::SignCertificate,
    ),
    route(
        "LogStatusNotification",
        Handler::Here,
        Gate::Accepted,
        Run::Kept,
    ),
    route(
        "SignedFirmwareStatusNotification",
        Handler::Here,
        Gate::WhilePending,
        Run::Kept,
    ),
    route(
        "Authorize",
        Handler::Authorization,
        Gate::Accepted,
        Run::Authorize,
    ),
    route(
        "StartTransaction",
        Handler::Transactions,
        Gate::Accepted,
        Run::Transaction,
    ),
    route(
        "StopTransaction",
        Handler::Transactions,
        Gate::Accepted,
        Run::Transaction,
    ),
    route(
        "MeterValues",
        Handler::Transactions,
        Gate::WhilePending,
        Run::Transaction,
    ),
];

pub fn run<S: Sql, K: KeyValue, C: forward::Chain>(
    env: &Env<'_, S, K, C>,
    run: Run,
    incoming: &Incoming<'_>,
) -> Result<Value, HandlerError> {
    match run {
        Run::BootNotification => boot_notification::handle(env, incoming),
        Run::Heartbeat => heartbeat::handle(env, incoming.charge_point_id, incoming.connection_id),
        Run::StatusNotification => status_notification::handle(env, incoming),
        Run::DataTransfer => data_transfer::handle(env, incoming),
        Run::Kept => station_events::handle(env, incoming),
        Run::Authorize => authorize::handle(env, incoming),
        Run::SignCertificate => sign_certificate::handle(env, incoming, OcppVersion::V16),
        Run::Transaction => {
            forward::transaction_message(env, csms_contracts::transactions::OCPP16_PATH, incoming)
        }
    }
}
