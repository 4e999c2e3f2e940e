//! Live connection state in the key-value store, under `cp:{id}:connection`.
//!
//! Only the newest connection of a charge point counts (last one wins): a
//! late CLOSE from a replaced socket must not mark the charge point offline.

use csms_store::{KeyValue, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionState {
    pub connection_id: String,
    pub ocpp_version: String,
    pub connected_at: String,
    pub last_seen_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_heartbeat_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disconnected_at: Option<String>,
    pub online: bool,
}

pub fn key(charge_point_id: &str) -> String {
    format!("cp:{charge_point_id}:connection")
}

pub fn load(
    kv: &impl KeyValue,
    charge_point_id: &str,
) -> Result<Option<ConnectionState>, StoreError> {
    Ok(kv
        .get(&key(charge_point_id))?
        .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
}

fn save(
    kv: &impl KeyValue,
    charge_point_id: &str,
    state: &ConnectionState,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(state).map_err(|e| StoreError::KeyValue(e.to_string()))?;
    kv.set(&key(charge_point_id), &bytes)
}

/// A new socket replaces whatever was there.
pub fn opened(
    kv: &impl KeyValue,
    charge_point_id: &str,
    connection_id: &str,
    ocpp_version: &str,
    now: &str,
) -> Result<(), StoreError> {
    save(
        kv,
        charge_point_id,
        &ConnectionState {
            connection_id: connection_id.to_owned(),
            ocpp_version: ocpp_version.to_owned(),
            connected_at: now.to_owned(),
            last_seen_at: now.to_owned(),
            last_heartbeat_at: None,
            disconnected_at: None,
            online: true,
        },
    )
}

/// Applies `change` when `connection_id` is still the current connection.
pub fn update_current(
    kv: &impl KeyValue,
    charge_point_id: &str,
    connection_id: &str,
    change: impl FnOnce(&mut ConnectionState),
) -> Result<(), StoreError> {
    if let Some(mut state) = load(kv, charge_point_id)? {
        if state.connection_id == connection_id {
            change(&mut state);
            save(kv, charge_point_id, &state)?;
        }
    }
    Ok(())
}

/// How stale `last_seen_at` may get. Writing it on every request was one of the two
/// key-value writes each OCPP message cost; liveness to within seconds is all an
/// operator reads from it.
pub const LAST_SEEN_RESOLUTION_SECONDS: i64 = 10;

/// Records that the current connection was seen at `now`, unless it was recorded
/// less than [`LAST_SEEN_RESOLUTION_SECONDS`] ago.
pub fn touch(
    kv: &impl KeyValue,
    charge_point_id: &str,
    connection_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), StoreError> {
    let Some(mut state) = load(kv, charge_point_id)? else {
        return Ok(());
    };
    let fresh = ocpp_protocol::timestamp::parse_utc(&state.last_seen_at)
        .is_some_and(|seen| (now - seen).num_seconds().abs() < LAST_SEEN_RESOLUTION_SECONDS);
    if state.connection_id != connection_id || fresh {
        return Ok(());
    }
    state.last_seen_at = ocpp_protocol::timestamp::format_utc(now);
    save(kv, charge_point_id, &state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use csms_store::native::NativeKeyValue;

    #[test]
    fn a_replaced_connection_cannot_mark_the_charge_point_offline() {
        let dir = tempfile::tempdir().unwrap();
        let kv = NativeKeyValue::open(&dir.path().join("kv.db")).unwrap();
        opened(&kv, "CP1", "old", "ocpp1.6", "2026-01-01T00:00:00Z").unwrap();
        opened(&kv, "CP1", "new", "ocpp1.6", "2026-01-01T00:01:00Z").unwrap();
        update_current(&kv, "CP1", "old", |s| s.online = false).unwrap();
        let state = load(&kv, "CP1").unwrap().unwrap();
        assert!(state.online);
        assert_eq!(state.connection_id, "new");
        update_current(&kv, "CP1", "new", |s| s.online = false).unwrap();
        assert!(!load(&kv, "CP1").unwrap().unwrap().online);
    }

    #[test]
    fn last_seen_is_written_at_most_once_per_resolution() {
        let dir = tempfile::tempdir().unwrap();
        let kv = NativeKeyValue::open(&dir.path().join("kv.db")).unwrap();
        opened(&kv, "CP1", "c1", "ocpp1.6", "2026-01-01T00:00:00Z").unwrap();
        let at = |t: &str| ocpp_protocol::timestamp::parse_utc(t).unwrap();
        let seen = |kv: &NativeKeyValue| load(kv, "CP1").unwrap().unwrap().last_seen_at;
        touch(&kv, "CP1", "c1", at("2026-01-01T00:00:09Z")).unwrap();
        assert_eq!(seen(&kv), "2026-01-01T00:00:00Z");
        touch(&kv, "CP1", "c1", at("2026-01-01T00:00:10Z")).unwrap();
        assert_eq!(seen(&kv), "2026-01-01T00:00:10Z");
        // Another socket's request does not count as this one being seen.
        touch(&kv, "CP1", "c0", at("2026-01-01T00:05:00Z")).unwrap();
        assert_eq!(seen(&kv), "2026-01-01T00:00:10Z");
    }
}
