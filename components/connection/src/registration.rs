//! Registration at boot, whatever the version: the station says what it is, the registry
//! and the unknown-charge-point policy say whether it is accepted (Accepted / Pending /
//! Rejected), and the version it booted with is recorded.

use crate::registry;
use crate::session::Env;
use crate::{HandlerError, UnknownChargePoints};
use csms_store::processed_messages;
use csms_store::{KeyValue, Sql};
use ocpp_protocol::timestamp::format_utc;
use ocpp_protocol::OcppVersion;
use serde_json::{json, Value};

/// What a station reports about itself at boot (1.6 BootNotification fields; 2.0.1
/// `chargingStation` and `modem`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BootReport {
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    pub charge_box_serial_number: Option<String>,
    pub firmware_version: Option<String>,
    pub iccid: Option<String>,
    pub imsi: Option<String>,
    pub meter_type: Option<String>,
    pub meter_serial_number: Option<String>,
}

/// Registers the boot and answers `{currentTime, interval, status}`, which both versions'
/// BootNotification responses are.
pub fn boot<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &crate::dispatch::Incoming<'_>,
    version: OcppVersion,
    report: &BootReport,
) -> Result<Value, HandlerError> {
    let now = format_utc(env.now);
    let charge_point_id = incoming.charge_point_id;
    env.sql.transaction(|sql| {
        let status = match registry::find(sql, charge_point_id)? {
            Some(cp) => cp.registration_status,
            None => {
                let status = match env.config.unknown_charge_points {
                    UnknownChargePoints::Accept => "Accepted",
                    UnknownChargePoints::Pending => "Pending",
                    // The handshake refuses these; a request that still gets
                    // here (e.g. a policy change mid-connection) is refused.
                    UnknownChargePoints::Reject => "Rejected",
                };
                if status != "Rejected" {
                    registry::register(sql, charge_point_id, status, &now)?;
                }
                status.to_owned()
            }
        };
        sql.execute(
            "UPDATE charge_points SET vendor = ?, model = ?, serial_number = ?, charge_box_serial_number = ?, \
             firmware_version = ?, iccid = ?, imsi = ?, meter_type = ?, meter_serial_number = ?, \
             ocpp_version = ?, last_boot_at = ?, updated_at = ? WHERE id = ?",
            &[
                report.vendor.clone().into(),
                report.model.clone().into(),
                report.serial_number.clone().into(),
                report.charge_box_serial_number.clone().into(),
                report.firmware_version.clone().into(),
                report.iccid.clone().into(),
                report.imsi.clone().into(),
                report.meter_type.clone().into(),
                report.meter_serial_number.clone().into(),
                version.subprotocol().into(),
                now.as_str().into(),
                now.as_str().into(),
                charge_point_id.into(),
            ],
        )?;
        let response = json!({
            "currentTime": now,
            "interval": env.config.heartbeat_interval,
            "status": status,
        });
        processed_messages::record(
            sql,
            charge_point_id,
            incoming.message_id,
            incoming.action,
            incoming.payload,
            &response,
            &now,
        )?;
        Ok(response)
    })
}
