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
    mut change: impl FnMut(&mut ConnectionState),
) -> Result<(), StoreError> {
    change_current(kv, charge_point_id, connection_id, |state| {
        change(state);
        true
    })
}

/// Writes what `change` made of the state when `connection_id` is still the current
/// connection and `change` says it changed something. Compare-and-swap: another host may
/// have opened a newer connection between the read and the write, and that one must win.
fn change_current(
    kv: &impl KeyValue,
    charge_point_id: &str,
    connection_id: &str,
    mut change: impl FnMut(&mut ConnectionState) -> bool,
) -> Result<(), StoreError> {
    csms_store::update(kv, &key(charge_point_id), |bytes| {
        let mut state: ConnectionState = serde_json::from_slice(bytes).ok()?;
        if state.connection_id != connection_id || !change(&mut state) {
            return None;
        }
        serde_json::to_vec(&state).ok()
    })
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
    change_current(kv, charge_point_id, connection_id, |state| {
        let fresh = ocpp_protocol::timestamp::parse_utc(&state.last_seen_at)
            .is_some_and(|seen| (now - seen).num_seconds().abs() < LAST_SEEN_RESOLUTION_SECONDS);
        if !fresh {
            state.last_seen_at = ocpp_protocol::timestamp::format_utc(now);
        }
        !fresh
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use csms_store::native::NativeKeyValue;

    /// A store on which another host opens a new connection for CP1 just before this
    /// host's first write.
    struct Overtaken {
        kv: NativeKeyValue,
        overtaken: std::cell::Cell<bool>,
    }

    impl KeyValue for Overtaken {
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
            self.kv.get(key)
        }
        fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
            self.kv.set(key, value)
        }
        fn delete(&self, key: &str) -> Result<(), StoreError> {
            self.kv.delete(key)
        }
        fn compare_and_swap(
            &self,
            key: &str,
            current: &[u8],
            new: &[u8],
        ) -> Result<bool, StoreError> {
            if !self.overtaken.replace(true) {
                opened(&self.kv, "CP1", "new", "ocpp2.0.1", "2026-01-01T00:01:00Z")?;
            }
            self.kv.compare_and_swap(key, current, new)
        }
    }

    #[test]
    fn a_close_read_before_another_host_opened_a_new_connection_does_not_overwrite_it() {
        let dir = tempfile::tempdir().unwrap();
        let kv = Overtaken {
            kv: NativeKeyValue::open(&dir.path().join("kv.db")).unwrap(),
            overtaken: Default::default(),
        };
        opened(&kv, "CP1", "old", "ocpp1.6", "2026-01-01T00:00:00Z").unwrap();
        update_current(&kv, "CP1", "old", |s| s.online = false).unwrap();
        let state = load(&kv, "CP1").unwrap().unwrap();
        assert_eq!(state.connection_id, "new");
        assert_eq!(state.ocpp_version, "ocpp2.0.1");
        assert!(state.online);
    }

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
