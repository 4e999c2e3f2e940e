//! 1.6 BootNotification onto [`crate::registration`].

use crate::dispatch::Incoming;
use crate::registration::{self, BootReport};
use crate::session::Env;
use crate::HandlerError;
use csms_store::{KeyValue, Sql};
use ocpp_protocol::OcppVersion;
use serde_json::Value;

pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
) -> Result<Value, HandlerError> {
    let text = |key: &str| {
        incoming
            .payload
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let report = BootReport {
        vendor: text("chargePointVendor"),
        model: text("chargePointModel"),
        serial_number: text("chargePointSerialNumber"),
        charge_box_serial_number: text("chargeBoxSerialNumber"),
        firmware_version: text("firmwareVersion"),
        iccid: text("iccid"),
        imsi: text("imsi"),
        meter_type: text("meterType"),
        meter_serial_number: text("meterSerialNumber"),
    };
    registration::boot(env, incoming, OcppVersion::V16, &report)
}
