//! 2.0.1 ReportChargingProfiles: a part of the answer to a GetChargingProfiles, kept (the
//! command follows its parts by `requestId`) and its profiles recorded as held by the station
//! ([`csms_commands::charging_profiles`]), in one transaction with the retransmission record.

use crate::dispatch::Incoming;
use crate::session::Env;
use crate::{station_events, HandlerError};
use csms_commands::charging_profiles;
use csms_store::{KeyValue, Sql};
use ocpp_protocol::OcppVersion;
use serde_json::{json, Value};

pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
) -> Result<Value, HandlerError> {
    let p = incoming.payload;
    let evse_id = p["evseId"].as_i64().unwrap_or_default();
    let profiles = p["chargingProfile"].as_array().cloned().unwrap_or_default();
    station_events::keep_and_answer_with(env, incoming, json!({}), |sql, now| {
        for profile in &profiles {
            charging_profiles::store(
                sql,
                incoming.charge_point_id,
                OcppVersion::V201,
                evse_id,
                profile,
                incoming.action,
                now,
            )?;
        }
        Ok(())
    })
}
