//! The device model a station reports, one row per (component, instance, EVSE, connector,
//! variable, instance, attribute type), the newest value winning. Fed by 2.0.1 NotifyReport
//! (the connection component), and by GetVariables and accepted SetVariables answers.

use csms_store::Sql;
use serde_json::Value;

use crate::CommandError;

/// One attribute of one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    pub component: String,
    pub component_instance: String,
    /// -1 when the component is not on an EVSE.
    pub evse_id: i64,
    /// -1 when the component is not on a connector.
    pub connector_id: i64,
    pub variable: String,
    pub variable_instance: String,
    pub attribute_type: String,
    pub value: Option<String>,
    pub mutability: Option<String>,
    pub characteristics: Option<String>,
}

impl Attribute {
    /// The attribute a 2.0.1 `component` and `variable` object (schema-validated JSON) name.
    pub fn named(component: &Value, variable: &Value, attribute_type: Option<&str>) -> Self {
        let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
        let evse = component.get("evse");
        Self {
            component: text(component, "name").unwrap_or_default(),
            component_instance: text(component, "instance").unwrap_or_default(),
            evse_id: evse.and_then(|e| e["id"].as_i64()).unwrap_or(-1),
            connector_id: evse.and_then(|e| e["connectorId"].as_i64()).unwrap_or(-1),
            variable: text(variable, "name").unwrap_or_default(),
            variable_instance: text(variable, "instance").unwrap_or_default(),
            attribute_type: attribute_type.unwrap_or("Actual").to_owned(),
            value: None,
            mutability: None,
            characteristics: None,
        }
    }
}

/// Stores an attribute; `source` is the message it came in. A `None` mutability or
/// characteristics keeps what was known.
pub fn store(
    sql: &impl Sql,
    charge_point_id: &str,
    a: &Attribute,
    source: &str,
    now: &str,
) -> Result<(), CommandError> {
    sql.execute(
        "INSERT INTO device_model (charge_point_id, component, component_instance, evse_id, connector_id, \
         variable, variable_instance, attribute_type, value, mutability, characteristics, source, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (charge_point_id, component, component_instance, evse_id, connector_id, variable, \
         variable_instance, attribute_type) DO UPDATE SET value = excluded.value, \
         mutability = COALESCE(excluded.mutability, device_model.mutability), \
         characteristics = COALESCE(excluded.characteristics, device_model.characteristics), \
         source = excluded.source, updated_at = excluded.updated_at",
        &[
            charge_point_id.into(),
            a.component.as_str().into(),
            a.component_instance.as_str().into(),
            a.evse_id.into(),
            a.connector_id.into(),
            a.variable.as_str().into(),
            a.variable_instance.as_str().into(),
            a.attribute_type.as_str().into(),
            a.value.clone().into(),
            a.mutability.clone().into(),
            a.characteristics.clone().into(),
            source.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

/// How many entries the station takes in one `action` message (GetVariables, SetVariables,
/// ...), as it reported `DeviceDataCtrlr.ItemsPerMessage[action]`; `None` when unknown.
pub fn items_per_message(
    sql: &impl Sql,
    charge_point_id: &str,
    action: &str,
) -> Result<Option<usize>, CommandError> {
    Ok(limit(
        sql,
        charge_point_id,
        "DeviceDataCtrlr",
        "ItemsPerMessage",
        action,
        Limit::Value,
    )?
    .and_then(|v| usize::try_from(v).ok()))
}

/// Which reported figure of a variable is a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The Actual value is the limit (`ItemsPerMessage`).
    Value,
    /// The `maxLimit` characteristic is (`LocalAuthListCtrlr.Entries`, whose value is the
    /// current count).
    MaxLimit,
}

/// A positive whole number the station reported for `component.variable` (instance
/// `instance`, empty for none), as `which` says; `None` when it reported none.
pub fn limit(
    sql: &impl Sql,
    charge_point_id: &str,
    component: &str,
    variable: &str,
    instance: &str,
    which: Limit,
) -> Result<Option<i64>, CommandError> {
    let rows = sql.execute(
        "SELECT value, characteristics FROM device_model WHERE charge_point_id = ? AND component = ? \
         AND variable = ? AND variable_instance = ? AND attribute_type = 'Actual'",
        &[
            charge_point_id.into(),
            component.into(),
            variable.into(),
            instance.into(),
        ],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let found = match which {
        Limit::Value => row
            .opt_text(0, "device_model.value")?
            .and_then(|v| v.trim().parse::<i64>().ok()),
        Limit::MaxLimit => row
            .opt_text(1, "device_model.characteristics")?
            .and_then(|c| serde_json::from_str::<Value>(&c).ok())
            .and_then(|c| c.get("maxLimit")?.as_f64())
            .map(|m| m as i64),
    };
    Ok(found.filter(|v| *v > 0))
}
