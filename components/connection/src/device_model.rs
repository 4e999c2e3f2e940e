//! NotifyReport parts: the device model a station reports, stored through
//! [`csms_commands::device_model`] (which GetVariables and SetVariables answers feed too), one
//! row per (component, instance, EVSE, connector, variable, instance, attribute type), the
//! newest value winning.
//!
//! A report comes in parts (`seqNo` from 0, `tbc` while more follow); each part is stored
//! as it arrives, and `device_model_reports` counts parts and entries per `requestId` and says
//! when the report is complete.

use crate::dispatch::Incoming;
use crate::session::Env;
use crate::HandlerError;
use csms_store::processed_messages;
use csms_store::{KeyValue, Sql};
use ocpp_protocol::timestamp::format_utc;
use serde_json::{json, Value};

pub use csms_commands::device_model::Attribute;

/// The attributes of a 2.0.1 `reportData` array (schema-validated JSON).
pub fn from_report_data(report_data: Option<&Value>) -> Vec<Attribute> {
    let Some(Value::Array(entries)) = report_data else {
        return Vec::new();
    };
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut out = Vec::new();
    for entry in entries {
        let characteristics = entry.get("variableCharacteristics").map(Value::to_string);
        let Some(Value::Array(attributes)) = entry.get("variableAttribute") else {
            continue;
        };
        for attribute in attributes {
            let attribute_type = attribute.get("type").and_then(Value::as_str);
            out.push(Attribute {
                value: text(attribute, "value"),
                mutability: text(attribute, "mutability"),
                characteristics: characteristics.clone(),
                ..Attribute::named(&entry["component"], &entry["variable"], attribute_type)
            });
        }
    }
    out
}

/// One part of a report.
pub struct ReportPart<'a> {
    pub request_id: i64,
    pub seq_no: i64,
    pub more_to_come: bool,
    pub generated_at: Option<&'a str>,
    pub attributes: Vec<Attribute>,
}

/// Stores a report part and answers `{}`.
pub fn store_report<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
    part: &ReportPart<'_>,
) -> Result<Value, HandlerError> {
    let now = format_utc(env.now);
    let cp = incoming.charge_point_id;
    env.sql.transaction(|sql| {
        for a in &part.attributes {
            csms_commands::device_model::store(sql, cp, a, incoming.action, &now)?;
        }
        let entries = i64::try_from(part.attributes.len()).unwrap_or(i64::MAX);
        sql.execute(
            "INSERT INTO device_model_reports AS r (charge_point_id, request_id, parts, entries, last_seq_no, complete, \
             generated_at, updated_at) VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7) \
             ON CONFLICT (charge_point_id, request_id) DO UPDATE SET parts = r.parts + 1, \
             entries = r.entries + excluded.entries, \
             last_seq_no = CASE WHEN excluded.last_seq_no > r.last_seq_no THEN excluded.last_seq_no ELSE r.last_seq_no END, \
             complete = CASE WHEN excluded.complete > r.complete THEN excluded.complete ELSE r.complete END, \
             updated_at = excluded.updated_at",
            &[
                cp.into(),
                part.request_id.into(),
                entries.into(),
                part.seq_no.into(),
                (!part.more_to_come).into(),
                part.generated_at.map(str::to_owned).into(),
                now.as_str().into(),
            ],
        )?;
        let response = json!({});
        processed_messages::record(
            sql,
            cp,
            incoming.message_id,
            incoming.action,
            incoming.payload,
            &response,
            &now,
        )?;
        Ok(response)
    })
}
