//! 2.0.1 NotifyEvent: every event kept; an `AvailabilityState` event of a connector is also
//! its status (an allowed alternative to StatusNotification, 2.0.1 G01/G03).

use crate::connector_status::{self, StatusReport};
use crate::dispatch::Incoming;
use crate::session::Env;
use crate::{station_events, HandlerError};
use csms_store::{KeyValue, Sql};
use serde_json::Value;

pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
) -> Result<Value, HandlerError> {
    let reports = availability_reports(incoming.payload);
    if !reports.is_empty() {
        env.sql.transaction(|sql| {
            for report in &reports {
                connector_status::store(sql, incoming.charge_point_id, report, env.now)?;
            }
            Ok::<(), HandlerError>(())
        })?;
    }
    station_events::handle(env, incoming)
}

/// The connector statuses in the events: `AvailabilityState` of a component on an EVSE
/// and connector.
fn availability_reports(payload: &Value) -> Vec<StatusReport> {
    let Some(Value::Array(events)) = payload.get("eventData") else {
        return Vec::new();
    };
    events
        .iter()
        .filter(|e| e["variable"]["name"].as_str() == Some("AvailabilityState"))
        .filter_map(|e| {
            let evse = &e["component"]["evse"];
            Some(StatusReport {
                evse_id: evse["id"].as_i64()?,
                connector_id: evse["connectorId"].as_i64()?,
                status: e["actualValue"].as_str()?.to_owned(),
                reported_at: e["timestamp"].as_str().map(str::to_owned),
                ..StatusReport::default()
            })
        })
        .collect()
}
