//! What a valid answer changes besides the command itself, one module per action that has an
//! effect. Runs inside the transaction that stores the answer.

mod cancel_reservation;
mod change_configuration;
mod get_configuration;
mod get_local_list_version;
mod remote_start_transaction;
mod reserve_now;
mod send_local_list;

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
        "ReserveNow" => reserve_now::apply(sql, command, response, now),
        "CancelReservation" => cancel_reservation::apply(sql, command, response, now),
        "SendLocalList" => send_local_list::apply(sql, command, response, now),
        "GetLocalListVersion" => get_local_list_version::apply(sql, command, response, now),
        "RemoteStartTransaction" => remote_start_transaction::apply(sql, command, response),
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

/// Queues `request`, sends it and answers it with `response` as the charge point `CP1` would;
/// returns the command id. For tests.
#[cfg(test)]
pub(crate) fn answered(
    db: &crate::test_support::Db,
    action: &str,
    request: Value,
    response: Value,
    now: chrono::DateTime<chrono::Utc>,
) -> i64 {
    let id = crate::store::insert(&db.sql, "CP1", action, &request, now).unwrap();
    let call = crate::delivery::claim_next(&db.sql, "CP1", now)
        .unwrap()
        .unwrap();
    assert_eq!(call.command_id, id);
    let result = ocpp_protocol::CallResult {
        message_id: call.message_id,
        payload: response,
    };
    let outcome = crate::answer::on_result(&db.sql, "CP1", &result, now).unwrap();
    assert_eq!(outcome, crate::answer::Outcome::Answered(id));
    id
}
