//! BootNotification: registers what the charge point says it is and tells it
//! whether it is accepted, from the registry and the unknown-charge-point policy.

use crate::registry;
use crate::session::Env;
use crate::{HandlerError, UnknownChargePoints};
use csms_store::processed_messages;
use csms_store::{KeyValue, Sql};
use ocpp_protocol::timestamp::format_utc;
use serde_json::{json, Value};

pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    charge_point_id: &str,
    message_id: &str,
    payload: &Value,
) -> Result<Value, HandlerError> {
    let now = format_utc(env.now);
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
        let text = |key: &str| payload.get(key).and_then(Value::as_str).map(str::to_owned);
        sql.execute(
            "UPDATE charge_points SET vendor = ?, model = ?, serial_number = ?, charge_box_serial_number = ?, \
             firmware_version = ?, iccid = ?, imsi = ?, meter_type = ?, meter_serial_number = ?, \
             ocpp_version = 'ocpp1.6', last_boot_at = ?, updated_at = ? WHERE id = ?",
            &[
                text("chargePointVendor").into(),
                text("chargePointModel").into(),
                text("chargePointSerialNumber").into(),
                text("chargeBoxSerialNumber").into(),
                text("firmwareVersion").into(),
                text("iccid").into(),
                text("imsi").into(),
                text("meterType").into(),
                text("meterSerialNumber").into(),
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
        processed_messages::record(sql, charge_point_id, message_id, "BootNotification", payload, &response, &now)?;
        Ok(response)
    })
}
