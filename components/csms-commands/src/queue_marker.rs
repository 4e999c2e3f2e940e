//! Whether a charge point may have a command waiting, known from the key-value store alone.
//!
//! The connection component looks for a command to send after every message a station
//! sends. Looking in SQL means opening the database, which on Spin is a new connection and a
//! parse of the whole schema, for the one message in thousands that finds a command. So every
//! component that queues a command writes the command's id to the charge point's marker once
//! the command is committed ([`queued`]), and the connection component, after a look found
//! nothing queued and nothing outstanding, records which marker it saw ([`nothing_left`]).
//! A later message looks in SQL only when the marker moved since ([`look`]).
//!
//! Nothing needs a compare-and-swap: the marker is read before the SQL look, and written only
//! after a commit, so a command committed after the look moves the marker after it was read,
//! and the next message looks again. A record written late or out of order only costs a look.
//! A marker write that failed is caught up by the look every [`RECHECK_SECONDS`].

use chrono::{DateTime, Utc};
use csms_store::{KeyValue, StoreError};

/// However still the marker, a charge point's queue is looked at in SQL at least this often,
/// so a command whose marker write failed is sent all the same.
pub const RECHECK_SECONDS: i64 = 600;

/// What the marker holds before any command was queued since it was introduced.
const NO_MARKER: &str = "-";

fn marker_key(charge_point_id: &str) -> String {
    format!("cp:{charge_point_id}:commands-queued")
}

fn checked_key(charge_point_id: &str) -> String {
    format!("cp:{charge_point_id}:commands-checked")
}

/// Records that command `command_id` was queued for the charge point: call after the
/// transaction that inserted (or queued it again) committed.
pub fn queued(
    kv: &impl KeyValue,
    charge_point_id: &str,
    command_id: i64,
) -> Result<(), StoreError> {
    kv.set(
        &marker_key(charge_point_id),
        command_id.to_string().as_bytes(),
    )
}

/// A look at the queue in SQL is due; carries the marker it was decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Look {
    /// `None` when the marker could not be read: the look then records nothing.
    marker: Option<String>,
}

/// `Some` when the queue must be looked at in SQL: the marker moved since the last look that
/// found nothing, that look is older than [`RECHECK_SECONDS`], or the store cannot say.
pub fn look(kv: &impl KeyValue, charge_point_id: &str, now: DateTime<Utc>) -> Option<Look> {
    let marker = match kv.get(&marker_key(charge_point_id)) {
        Ok(Some(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
        Ok(None) => NO_MARKER.to_owned(),
        Err(_) => return Some(Look { marker: None }),
    };
    let checked = kv.get(&checked_key(charge_point_id)).ok().flatten();
    let still = checked
        .as_deref()
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .and_then(|text| text.split_once(' '))
        .is_some_and(|(seen, at)| {
            seen == marker
                && at
                    .parse::<i64>()
                    .is_ok_and(|at| (0..RECHECK_SECONDS).contains(&(now.timestamp() - at)))
        });
    (!still).then_some(Look {
        marker: Some(marker),
    })
}

/// The look found nothing queued and nothing outstanding: until the marker moves, the
/// charge point's messages need not look again.
pub fn nothing_left(
    kv: &impl KeyValue,
    charge_point_id: &str,
    look: &Look,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(marker) = &look.marker else {
        return Ok(());
    };
    kv.set(
        &checked_key(charge_point_id),
        format!("{marker} {}", now.timestamp()).as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::at;
    use std::cell::RefCell;
    use std::collections::HashMap;

    #[derive(Default)]
    struct Memory {
        values: RefCell<HashMap<String, Vec<u8>>>,
        broken: bool,
    }

    impl KeyValue for Memory {
        fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
            if self.broken {
                return Err(StoreError::KeyValue("unavailable".into()));
            }
            Ok(self.values.borrow().get(key).cloned())
        }
        fn set(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
            self.values
                .borrow_mut()
                .insert(key.to_owned(), value.to_vec());
            Ok(())
        }
        fn delete(&self, key: &str) -> Result<(), StoreError> {
            self.values.borrow_mut().remove(key);
            Ok(())
        }
        fn compare_and_swap(&self, _: &str, _: &[u8], _: &[u8]) -> Result<bool, StoreError> {
            Err(StoreError::KeyValue(
                "the marker needs no compare-and-swap".into(),
            ))
        }
    }

    #[test]
    fn a_charge_point_looks_until_a_look_found_nothing_and_again_once_a_command_is_queued() {
        let kv = Memory::default();
        let now = at("2026-12-07T08:00:00Z");
        let first = look(&kv, "CP1", now).expect("never looked: look");
        nothing_left(&kv, "CP1", &first, now).unwrap();
        assert_eq!(look(&kv, "CP1", now), None);
        assert!(look(&kv, "CP2", now).is_some(), "per charge point");
        queued(&kv, "CP1", 7).unwrap();
        let after_queue = look(&kv, "CP1", now).expect("a command was queued: look");
        assert!(look(&kv, "CP1", now).is_some(), "until a look records");
        nothing_left(&kv, "CP1", &after_queue, now).unwrap();
        assert_eq!(look(&kv, "CP1", now), None);
    }

    #[test]
    fn a_command_queued_during_a_look_is_looked_for_again() {
        let kv = Memory::default();
        let now = at("2026-12-07T08:00:00Z");
        queued(&kv, "CP1", 7).unwrap();
        let before = look(&kv, "CP1", now).unwrap();
        // Command 8 commits after the SQL look saw an empty queue...
        queued(&kv, "CP1", 8).unwrap();
        // ...and the look records the marker it read before looking.
        nothing_left(&kv, "CP1", &before, now).unwrap();
        assert!(look(&kv, "CP1", now).is_some());
    }

    #[test]
    fn a_quiet_queue_is_looked_at_again_after_the_recheck_interval() {
        let kv = Memory::default();
        let now = at("2026-12-07T08:00:00Z");
        let first = look(&kv, "CP1", now).unwrap();
        nothing_left(&kv, "CP1", &first, now).unwrap();
        let just_before = now + chrono::Duration::seconds(RECHECK_SECONDS - 1);
        assert_eq!(look(&kv, "CP1", just_before), None);
        let due = now + chrono::Duration::seconds(RECHECK_SECONDS);
        assert!(look(&kv, "CP1", due).is_some());
        let clock_went_back = now - chrono::Duration::seconds(1);
        assert!(look(&kv, "CP1", clock_went_back).is_some());
    }

    #[test]
    fn an_unreadable_store_means_looking_and_recording_nothing() {
        let kv = Memory {
            broken: true,
            ..Memory::default()
        };
        let now = at("2026-12-07T08:00:00Z");
        let blind = look(&kv, "CP1", now).expect("cannot tell: look");
        nothing_left(&kv, "CP1", &blind, now).unwrap();
        assert!(kv.values.borrow().is_empty());
    }
}
