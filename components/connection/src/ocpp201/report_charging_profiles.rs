//! 2.0.1 ReportChargingProfiles: a part of the answer to a GetChargingProfiles, kept (the
//! command follows its parts by `requestId`) and its profiles recorded as held by the station
//! ([`csms_commands::charging_profiles`]), in one transaction with the retransmission record.

use crate::dispatch::Incoming;
use crate::session::Env;
use crate::{station_events, HandlerError};
use csms_commands::charging_profiles;
use csms_store::processed_messages;
use csms_store::{KeyValue, Sql};
use ocpp_protocol::timestamp::format_utc;
use ocpp_protocol::OcppVersion;
use serde_json::{json, Value};

pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
) -> Result<Value, HandlerError> {
    let now = format_utc(env.now);
    let cp = incoming.charge_point_id;
    let p = incoming.payload;
    let evse_id = p["evseId"].as_i64().unwrap_or_default();
    let profiles = p["chargingProfile"].as_array().cloned().unwrap_or_default();
    env.sql.transaction(|sql| {
        station_events::insert(sql, cp, incoming.action, p, &now)?;
        for profile in &profiles {
            charging_profiles::store(
                sql,
                cp,
                OcppVersion::V201,
                evse_id,
                profile,
                incoming.action,
                &now,
            )?;
        }
        let response = json!({});
        processed_messages::record(
            sql,
            cp,
            incoming.message_id,
            incoming.action,
            p,
            &response,
            &now,
        )?;
        Ok::<_, HandlerError>(response)
    })
}
