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
         value = excluded.value, readonly = COALESCE(excluded.readonly, readonly), \
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
