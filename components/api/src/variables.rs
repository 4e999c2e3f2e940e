//! `GET /api/v1/charge-points/{id}/variables`: the device model a station reported
//! (2.0.1 NotifyReport, GetVariables, accepted SetVariables), one item per (component,
//! variable, attribute type), and the reports it came in (complete once the part with
//! `tbc = false` arrived). A 1.6 station's configuration keys (GetConfiguration, accepted
//! ChangeConfiguration) are items too, without a component, so one view serves both versions.

use anyhow::Context as _;
use csms_store::{Row, Sql, StoreError};
use serde::Serialize;

use crate::problem::ApiError;
use crate::Reply;

#[derive(Debug, Serialize)]
struct VariablesView {
    charge_point_id: String,
    items: Vec<VariableView>,
    reports: Vec<ReportView>,
}

#[derive(Debug, Serialize)]
struct VariableView {
    /// `None` for a 1.6 configuration key.
    component: Option<String>,
    component_instance: Option<String>,
    evse_id: Option<i64>,
    connector_id: Option<i64>,
    variable: String,
    variable_instance: Option<String>,
    attribute_type: String,
    value: Option<String>,
    mutability: Option<String>,
    updated_at: String,
}

#[derive(Debug, Serialize)]
struct ReportView {
    request_id: i64,
    parts: i64,
    entries: i64,
    complete: bool,
    generated_at: Option<String>,
    updated_at: String,
}

pub(crate) fn list(sql: &impl Sql, cp: &str) -> Result<Reply, ApiError> {
    crate::charge_points::require(sql, cp)?;
    let rows = sql
        .execute(
            "SELECT component, component_instance, evse_id, connector_id, variable, variable_instance, \
             attribute_type, value, mutability, updated_at FROM device_model WHERE charge_point_id = ? \
             ORDER BY component, component_instance, evse_id, connector_id, variable, variable_instance, attribute_type",
            &[cp.into()],
        )
        .with_context(|| format!("loading the device model of charge point {cp:?}"))?;
    let mut items = rows
        .iter()
        .map(read_variable)
        .collect::<Result<Vec<_>, StoreError>>()
        .with_context(|| format!("reading the device model of charge point {cp:?}"))?;
    let keys = csms_commands::configuration::list(sql, cp)
        .with_context(|| format!("loading the configuration keys of charge point {cp:?}"))?;
    items.extend(keys.into_iter().map(|k| {
        VariableView {
            component: None,
            component_instance: None,
            evse_id: None,
            connector_id: None,
            variable: k.key,
            variable_instance: None,
            attribute_type: "Actual".to_owned(),
            value: k.value,
            mutability: k
                .readonly
                .map(|r| if r { "ReadOnly" } else { "ReadWrite" }.to_owned()),
            updated_at: k.updated_at,
        }
    }));
    let rows = sql
        .execute(
            "SELECT request_id, parts, entries, complete, generated_at, updated_at FROM device_model_reports \
             WHERE charge_point_id = ? ORDER BY request_id",
            &[cp.into()],
        )
        .with_context(|| format!("loading the device model reports of charge point {cp:?}"))?;
    let reports = rows
        .iter()
        .map(|row| {
            const CTX: &str = "device_model_reports";
            Ok(ReportView {
                request_id: row.i64(0, CTX)?,
                parts: row.i64(1, CTX)?,
                entries: row.i64(2, CTX)?,
                complete: row.i64(3, CTX)? != 0,
                generated_at: row.opt_text(4, CTX)?,
                updated_at: row.text(5, CTX)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()
        .with_context(|| format!("reading the device model reports of charge point {cp:?}"))?;
    Reply::ok(&VariablesView {
        charge_point_id: cp.to_owned(),
        items,
        reports,
    })
}

fn read_variable(row: &Row) -> Result<VariableView, StoreError> {
    const CTX: &str = "device_model";
    let instance = |i| -> Result<Option<String>, StoreError> {
        Ok(row.opt_text(i, CTX)?.filter(|s| !s.is_empty()))
    };
    let place =
        |i| -> Result<Option<i64>, StoreError> { Ok(row.opt_i64(i, CTX)?.filter(|n| *n >= 0)) };
    Ok(VariableView {
        component: Some(row.text(0, CTX)?),
        component_instance: instance(1)?,
        evse_id: place(2)?,
        connector_id: place(3)?,
        variable: row.text(4, CTX)?,
        variable_instance: instance(5)?,
        attribute_type: row.text(6, CTX)?,
        value: row.opt_text(7, CTX)?,
        mutability: row.opt_text(8, CTX)?,
        updated_at: row.text(9, CTX)?,
    })
}
