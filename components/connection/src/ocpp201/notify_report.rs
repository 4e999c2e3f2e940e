//! 2.0.1 NotifyReport: one part of a device model report onto [`crate::device_model`].

use crate::device_model::{self, ReportPart};
use crate::dispatch::Incoming;
use crate::session::Env;
use crate::HandlerError;
use csms_store::{KeyValue, Sql};
use serde_json::Value;

pub fn handle<S: Sql, K: KeyValue, C: crate::forward::Chain>(
    env: &Env<'_, S, K, C>,
    incoming: &Incoming<'_>,
) -> Result<Value, HandlerError> {
    let p = incoming.payload;
    let part = ReportPart {
        request_id: p["requestId"].as_i64().unwrap_or_default(),
        seq_no: p["seqNo"].as_i64().unwrap_or_default(),
        more_to_come: p["tbc"].as_bool().unwrap_or(false),
        generated_at: p["generatedAt"].as_str(),
        attributes: device_model::from_report_data(p.get("reportData")),
    };
    device_model::store_report(env, incoming, &part)
}
