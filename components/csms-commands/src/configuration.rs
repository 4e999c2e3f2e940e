//! The configuration keys a charge point reported (GetConfiguration) or accepted
//! (ChangeConfiguration), in the `charge_point_configuration` table.

use csms_store::Sql;
use serde::Serialize;

use crate::CommandError;

/// One configuration key as last known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigurationKey {
    pub key: String,
    /// Absent when the charge point reported the key without a value.
    pub value: Option<String>,
    /// Unknown until a GetConfiguration answer said.
    pub readonly: Option<bool>,
    pub updated_at: String,
}

/// Records one key; a `None` readonly keeps what was known.
pub(crate) fn store(
    sql: &impl Sql,
    charge_point_id: &str,
    key: &str,
    value: Option<&str>,
    readonly: Option<bool>,
    now: &str,
) -> Result<(), CommandError> {
    sql.execute(
        "INSERT INTO charge_point_configuration (charge_point_id, key, value, readonly, updated_at) \
         VALUES (?, ?, ?, ?, ?) ON CONFLICT (charge_point_id, key) DO UPDATE SET \
         value = excluded.value, readonly = COALESCE(excluded.readonly, charge_point_configuration.readonly), \
         updated_at = excluded.updated_at",
        &[
            charge_point_id.into(),
            key.into(),
            value.into(),
            readonly.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

/// A charge point's known keys, by name.
pub fn list(sql: &impl Sql, charge_point_id: &str) -> Result<Vec<ConfigurationKey>, CommandError> {
    const CTX: &str = "charge_point_configuration";
    let rows = sql.execute(
        "SELECT key, value, readonly, updated_at FROM charge_point_configuration \
         WHERE charge_point_id = ? ORDER BY key",
        &[charge_point_id.into()],
    )?;
    rows.iter()
        .map(|r| {
            Ok(ConfigurationKey {
                key: r.text(0, CTX)?,
                value: r.opt_text(1, CTX)?,
                readonly: r.opt_i64(2, CTX)?.map(|v| v != 0),
                updated_at: r.text(3, CTX)?,
            })
        })
        .collect()
}

/// The 2.0.1 (component, variable) of a 1.6 configuration key, for the standard keys whose
/// meaning carries over (OCPP 2.0.1 Part 2, appendix 3 and the 1.6 -> 2.0.1 migration
/// guide), so that ChangeConfiguration / GetConfiguration may be written for a 2.0.1 station
/// and SetVariables / GetVariables for a 1.6 one.
pub const KEYS_IN_201: &[(&str, &str, &str)] = &[
    (
        "AllowOfflineTxForUnknownId",
        "AuthCtrlr",
        "OfflineTxForUnknownIdEnabled",
    ),
    ("AuthorizationCacheEnabled", "AuthCacheCtrlr", "Enabled"),
    ("AuthorizationKey", "SecurityCtrlr", "BasicAuthPassword"),
    (
        "AuthorizeRemoteTxRequests",
        "AuthCtrlr",
        "AuthorizeRemoteStart",
    ),
    ("ClockAlignedDataInterval", "AlignedDataCtrlr", "Interval"),
    ("ConnectionTimeOut", "TxCtrlr", "EVConnectionTimeOut"),
    ("HeartbeatInterval", "OCPPCommCtrlr", "HeartbeatInterval"),
    ("LocalAuthListEnabled", "LocalAuthListCtrlr", "Enabled"),
    (
        "LocalAuthorizeOffline",
        "AuthCtrlr",
        "LocalAuthorizeOffline",
    ),
    ("LocalPreAuthorize", "AuthCtrlr", "LocalPreAuthorize"),
    (
        "MeterValueSampleInterval",
        "SampledDataCtrlr",
        "TxUpdatedInterval",
    ),
    ("MeterValuesAlignedData", "AlignedDataCtrlr", "Measurands"),
    (
        "MeterValuesSampledData",
        "SampledDataCtrlr",
        "TxUpdatedMeasurands",
    ),
    ("ResetRetries", "OCPPCommCtrlr", "ResetRetries"),
    ("StopTransactionOnInvalidId", "TxCtrlr", "StopTxOnInvalidId"),
    (
        "StopTxnAlignedData",
        "AlignedDataCtrlr",
        "TxEndedMeasurands",
    ),
    (
        "StopTxnSampledData",
        "SampledDataCtrlr",
        "TxEndedMeasurands",
    ),
    (
        "WebSocketPingInterval",
        "OCPPCommCtrlr",
        "WebSocketPingInterval",
    ),
];

/// The 2.0.1 (component, variable) of a 1.6 key (case-insensitive, as 1.6 keys are).
pub fn key_in_201(key: &str) -> Option<(&'static str, &'static str)> {
    KEYS_IN_201
        .iter()
        .find(|(k, _, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, component, variable)| (*component, *variable))
}

/// The 1.6 key of a 2.0.1 (component, variable).
pub fn key_in_16(component: &str, variable: &str) -> Option<&'static str> {
    KEYS_IN_201
        .iter()
        .find(|(_, c, v)| c.eq_ignore_ascii_case(component) && v.eq_ignore_ascii_case(variable))
        .map(|(k, _, _)| *k)
}

/// The 1.6 key of a 2.0.1 `{component, variable}` entry; `Err` tells the operator to send
/// `instead` (the 1.6 action) for a variable 1.6 has no key for.
pub(crate) fn key_of_entry(
    entry: &serde_json::Value,
    instead: &str,
) -> Result<&'static str, String> {
    let name = |v: &str| entry[v]["name"].as_str().unwrap_or_default();
    key_in_16(name("component"), name("variable")).ok_or_else(|| {
        format!(
            "{}.{} has no OCPP 1.6 configuration key; send {instead}",
            name("component"),
            name("variable")
        )
    })
}
