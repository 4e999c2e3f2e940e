//! 2.0.1 BootNotification onto [`crate::registration`].

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
    let station = &incoming.payload["chargingStation"];
    let modem = &station["modem"];
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let report = BootReport {
        vendor: text(station, "vendorName"),
        model: text(station, "model"),
        serial_number: text(station, "serialNumber"),
        charge_box_serial_number: None,
        firmware_version: text(station, "firmwareVersion"),
        iccid: text(modem, "iccid"),
        imsi: text(modem, "imsi"),
        meter_type: None,
        meter_serial_number: None,
    };
    registration::boot(env, incoming, OcppVersion::V201, &report)
}
