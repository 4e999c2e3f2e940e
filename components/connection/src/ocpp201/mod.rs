//! OCPP 2.0.1: the routing table of what a charging station may send, which is also what
//! dispatches, and one adapter per action mapping the 2.0.1 payload onto the domain.

mod authorize;
mod boot_notification;
mod notify_event;
mod notify_report;
mod report_charging_profiles;
mod status_notification;

use crate::dispatch::Incoming;
use crate::routing::{route, Gate, Handler, Route};
use crate::session::Env;
use crate::{data_transfer, forward, heartbeat, sign_certificate, station_events, HandlerError};
use csms_store::{KeyValue, Sql};
use serde_json::{json, Value};

/// The adapters, one per supported action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    BootNotification,
    Heartbeat,
    StatusNotification,
    NotifyEvent,
    NotifyReport,
    ReportChargingProfiles,
    DataTransfer,
    /// Kept and acknowledged with `{}`.
    Kept,
    /// Kept; the CSMS cannot provide a charging schedule (no smart charging yet).
    KeptNoSchedule,
    /// Kept; the EV's schedule is acknowledged.
    KeptScheduleAccepted,
    Authorize,
    Transaction,
    SignCertificate,
}

use Gate::{Accepted, Always, WhilePending};
use Handler::{Authorization, Here, Transactions};

/// Every station-initiated 2.0.1 action this central system handles. The README's table of
/// supported messages is checked against it. While Pending a station sends only
/// BootNotification and what the CSMS asked for (B02.FR.02): the reports of a GetBaseReport /
/// GetMonitoringReport it may send while Pending, and what a TriggerMessage asked for
/// (the dispatch gate). Anything else is a SecurityError (TC_B_30).
pub const ROUTES: &[Route<Run>] = &[
    route("BootNotification", Here, Always, Run::BootNotification),
    route("Heartbeat", Here, Accepted, Run::Heartbeat).unrecorded(),
    route(
        "StatusNotification",
        Here,
        Accepted,
        Run::StatusNotification,
    ),
    route("NotifyEvent", Here, Accepted, Run::NotifyEvent),
    route("NotifyReport", Here, WhilePending, Run::NotifyReport),
    route("DataTransfer", Here, Accepted, Run::DataTransfer),
    route("SecurityEventNotification", Here, Accepted, Run::Kept),
    route("SignCertificate", Here, Accepted, Run::SignCertificate),
    route("FirmwareStatusNotification", Here, Accepted, Run::Kept),
    route("LogStatusNotification", Here, Accepted, Run::Kept),
    route(
        "PublishFirmwareStatusNotification",
        Here,
        Accepted,
        Run::Kept,
    ),
    route("ReservationStatusUpdate", Here, Accepted, Run::Kept),
    route(
        "ReportChargingProfiles",
        Here,
        Accepted,
        Run::ReportChargingProfiles,
    ),
    route("NotifyChargingLimit", Here, Accepted, Run::Kept),
    route("ClearedChargingLimit", Here, Accepted, Run::Kept),
    route("NotifyEVChargingNeeds", Here, Accepted, Run::KeptNoSchedule),
    route(
        "NotifyEVChargingSchedule",
        Here,
        Accepted,
        Run::KeptScheduleAccepted,
    ),
    route("NotifyCustomerInformation", Here, Accepted, Run::Kept),
    route("NotifyMonitoringReport", Here, WhilePending, Run::Kept),
    route("NotifyDisplayMessages", Here, Accepted, Run::Kept),
    route("Authorize", Authorization, Accepted, Run::Authorize),
    route("TransactionEvent", Transactions, Accepted, Run::Transaction),
    route("MeterValues", Transactions, Accepted, Run::Transaction),
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
        Run::NotifyEvent => notify_event::handle(env, incoming),
        Run::NotifyReport => notify_report::handle(env, incoming),
        Run::ReportChargingProfiles => report_charging_profiles::handle(env, incoming),
        Run::DataTransfer => data_transfer::handle(env, incoming),
        Run::Kept => station_events::handle(env, incoming),
        Run::KeptNoSchedule => {
            station_events::keep_and_answer(env, incoming, json!({"status": "Rejected"}))
        }
        Run::KeptScheduleAccepted => {
            station_events::keep_and_answer(env, incoming, json!({"status": "Accepted"}))
        }
        Run::Authorize => authorize::handle(env, incoming),
        Run::SignCertificate => {
            sign_certificate::handle(env, incoming, ocpp_protocol::OcppVersion::V201)
        }
        Run::Transaction => {
            forward::transaction_message(env, csms_contracts::transactions::OCPP201_PATH, incoming)
        }
    }
}
