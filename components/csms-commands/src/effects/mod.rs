//! What a valid answer changes besides the command itself, one module per action that has an
//! effect. Runs inside the transaction that stores the answer.

mod change_configuration;
mod get_configuration;

use csms_store::Sql;
use serde_json::Value;

use crate::store::Command;
use crate::CommandError;

pub(crate) fn apply(
    sql: &impl Sql,
    command: &Command,
    response: &Value,
    now: &str,
) -> Result<(), CommandError> {
    match command.action.as_str() {
        "ChangeConfiguration" => change_configuration::apply(sql, command, response, now),
        "GetConfiguration" => get_configuration::apply(sql, command, response, now),
        _ => Ok(()),
    }
}

/// A charge point's stored keys as (key, value, readonly), for tests.
#[cfg(test)]
pub(crate) fn stored(sql: &impl Sql, charge_point_id: &str) -> Vec<StoredKey> {
    crate::configuration::list(sql, charge_point_id)
        .unwrap()
        .into_iter()
        .map(|k| StoredKey {
            key: k.key,
            value: k.value,
            readonly: k.readonly,
        })
        .collect()
}

#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredKey {
    pub key: String,
    pub value: Option<String>,
    pub readonly: Option<bool>,
}
