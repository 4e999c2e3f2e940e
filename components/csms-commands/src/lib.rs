//! CSMS-initiated OCPP commands (1.6 and 2.0.1), shared by the operator API (which queues them and
//! publishes the first one) and the connection component (which correlates answers and sends
//! the next one in its GRIP response).
//!
//! - [`operations`]: every operation the central system sends, one unit per operation, and
//!   the registry the per-version catalogues are derived from.
//! - [`store`]: command rows (`commands` table) and their [`State`].
//! - [`delivery`]: OCPP-J allows one outstanding CSMS call per charge point; commands queue in
//!   order, [`delivery::claim_next`] marks the oldest queued one `sent` inside a SQL transaction
//!   (a partial unique index keeps it to one), [`delivery::expire`] times out a call lazily
//!   (Spin has no timers), [`delivery::publish_next`] sends through a [`publish::Publish`].
//! - [`queue_marker`]: whether a charge point may have a command waiting, from the key-value
//!   store, so that most messages never open the database to look.
//! - [`registration_gate`]: whether a station's registration admits a message it sent.
//! - [`configuration`]: the keys charge points reported or accepted.
//! - [`answer`]: a CALLRESULT or CALLERROR matched by message id, validated, stored, and its
//!   effect applied (by the operation's unit) in the same transaction.
//! - [`reservations`]: what accepted ReserveNow / CancelReservation answers hold.
//! - [`charging_profiles`]: the profiles each station holds (SetChargingProfile,
//!   ClearChargingProfile, 2.0.1 ReportChargingProfiles).
//! - [`password`]: password rotation, the old password valid until the station uses the new.
//! - [`local_list`]: SendLocalList built from the idTag registry when sent, and the version
//!   and entries each charge point accepted (or reported through GetLocalListVersion).
//!
//! Everything takes its stores and the time as arguments and is tested natively on SQLite
//! files.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod answer;
pub mod certificates;
pub mod charging_profiles;
pub mod configuration;
pub mod delivery;
pub mod device_model;
pub mod local_list;
pub mod operations;
pub mod password;
pub mod publish;
pub mod queue_marker;
pub mod registration_gate;
pub mod reservations;
pub mod store;

pub use store::{Command, State};

/// Seconds a call may stay unanswered (Spin variable `command_timeout_seconds`).
pub const DEFAULT_TIMEOUT_SECONDS: i64 = 60;

/// Parses the `command_timeout_seconds` variable (`None` or empty = the default).
pub fn timeout_seconds(value: Option<&str>) -> Result<i64, String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(DEFAULT_TIMEOUT_SECONDS),
        Some(text) => match text.parse::<i64>() {
            Ok(v) if v > 0 => Ok(v),
            _ => Err(format!(
                "variable command_timeout_seconds = {text:?}: a positive number of seconds"
            )),
        },
    }
}

/// What can fail while handling commands.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{0}")]
    Store(#[from] csms_store::StoreError),
    #[error("command {id}: stored {what} is not valid JSON: {error}")]
    Corrupt {
        id: i64,
        what: &'static str,
        error: serde_json::Error,
    },
}

/// For callers whose errors are store errors: a corrupt command row is reported as one.
impl From<CommandError> for csms_store::StoreError {
    fn from(error: CommandError) -> Self {
        match error {
            CommandError::Store(e) => e,
            other => csms_store::StoreError::Sql(other.to_string()),
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use chrono::{DateTime, Utc};
    use csms_store::native::NativeSql;

    pub(crate) struct Db {
        _dir: tempfile::TempDir,
        pub(crate) sql: NativeSql,
    }

    pub(crate) fn db() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let sql = NativeSql::open(&dir.path().join("sqlite_db.db")).unwrap();
        csms_store::migrate(&sql).unwrap();
        Db { _dir: dir, sql }
    }

    pub(crate) fn at(text: &str) -> DateTime<Utc> {
        ocpp_protocol::timestamp::parse_utc(text).unwrap()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn timeout_defaults_to_sixty_seconds_and_must_be_positive() {
        assert_eq!(super::timeout_seconds(None), Ok(60));
        assert_eq!(super::timeout_seconds(Some("")), Ok(60));
        assert_eq!(super::timeout_seconds(Some("3")), Ok(3));
        assert!(super::timeout_seconds(Some("0")).is_err());
        assert!(super::timeout_seconds(Some("x")).is_err());
    }
}
