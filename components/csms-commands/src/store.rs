//! Command rows in the `commands` table.

use chrono::{DateTime, Utc};
use csms_store::{Row, Sql};
use ocpp_protocol::timestamp::format_utc;
use ocpp_protocol::OcppVersion;
use serde::Serialize;
use serde_json::Value;

use crate::CommandError;

/// Where a command is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Waiting: another call is outstanding, or the charge point is offline.
    Queued,
    /// The CALL went out; no answer yet (the one outstanding call).
    Sent,
    /// A valid CALLRESULT came back.
    Answered,
    /// A CALLERROR came back, or a CALLRESULT that is not a valid answer.
    Error,
    /// No answer within `command_timeout_seconds`.
    TimedOut,
    /// The connection closed while the call was outstanding; no answer will come.
    Offline,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Sent => "sent",
            State::Answered => "answered",
            State::Error => "error",
            State::TimedOut => "timed_out",
            State::Offline => "offline",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [
            State::Queued,
            State::Sent,
            State::Answered,
            State::Error,
            State::TimedOut,
            State::Offline,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// The CALLERROR a charge point answered with (or, for an invalid CALLRESULT, why it is invalid).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ErrorInfo {
    pub code: String,
    pub description: String,
    pub details: Value,
}

/// One command as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Command {
    pub id: i64,
    pub charge_point_id: String,
    pub action: String,
    pub request: Value,
    pub state: State,
    pub message_id: Option<String>,
    pub response: Option<Value>,
    pub error: Option<ErrorInfo>,
    pub created_at: String,
    pub sent_at: Option<String>,
    pub answered_at: Option<String>,
    /// For a RemoteStartTransaction: the transaction it became, once the charge point started
    /// it (`transactions.remote_start_command_id`).
    pub transaction_id: Option<i64>,
    /// The OCPP version the request is written in and the answer is read in (the subprotocol).
    pub ocpp_version: String,
}

impl Command {
    /// [`Command::ocpp_version`] as a version (rows from before 2.0.1 are 1.6).
    pub fn version(&self) -> OcppVersion {
        self.ocpp_version.parse().unwrap_or(OcppVersion::V16)
    }
}

const COLUMNS: &str = "id, charge_point_id, action, request, state, message_id, response, \
     error_code, error_description, error_details, created_at, sent_at, answered_at, \
     (SELECT t.id FROM transactions t WHERE t.remote_start_command_id = commands.id) AS started_transaction_id, \
     ocpp_version";

/// Queues a command; returns its id.
pub fn insert(
    sql: &impl Sql,
    charge_point_id: &str,
    version: OcppVersion,
    action: &str,
    request: &Value,
    now: DateTime<Utc>,
) -> Result<i64, CommandError> {
    let rows = sql.execute(
        "INSERT INTO commands (charge_point_id, ocpp_version, action, request, state, created_at) \
         VALUES (?, ?, ?, ?, 'queued', ?) RETURNING id",
        &[
            charge_point_id.into(),
            version.subprotocol().into(),
            action.into(),
            request.to_string().into(),
            format_utc(now).into(),
        ],
    )?;
    match rows.first() {
        Some(row) => Ok(row.i64(0, "commands")?),
        None => Err(csms_store::StoreError::Sql("INSERT returned no id".into()).into()),
    }
}

pub fn get(sql: &impl Sql, id: i64) -> Result<Option<Command>, CommandError> {
    let rows = sql.execute(
        &format!("SELECT {COLUMNS} FROM commands WHERE id = ?"),
        &[id.into()],
    )?;
    rows.first().map(read).transpose()
}

/// A charge point's commands, newest first, at most `limit`.
pub fn list_for(
    sql: &impl Sql,
    charge_point_id: &str,
    limit: i64,
) -> Result<Vec<Command>, CommandError> {
    let rows = sql.execute(
        &format!(
            "SELECT {COLUMNS} FROM commands WHERE charge_point_id = ? ORDER BY id DESC LIMIT ?"
        ),
        &[charge_point_id.into(), limit.into()],
    )?;
    rows.iter().map(read).collect()
}

/// The outstanding (`sent`) command of a charge point, if any.
pub fn outstanding(sql: &impl Sql, charge_point_id: &str) -> Result<Option<Command>, CommandError> {
    let rows = sql.execute(
        &format!("SELECT {COLUMNS} FROM commands WHERE charge_point_id = ? AND state = 'sent'"),
        &[charge_point_id.into()],
    )?;
    rows.first().map(read).transpose()
}

/// The command of `charge_point_id` whose CALL had `message_id` and that still takes an
/// answer: the outstanding one, or one that timed out (the charge point may answer late, and
/// what it then did, a reservation or a configuration change, is true all the same).
pub fn awaiting_answer(
    sql: &impl Sql,
    charge_point_id: &str,
    message_id: &str,
) -> Result<Option<Command>, CommandError> {
    let rows = sql.execute(
        &format!(
            "SELECT {COLUMNS} FROM commands WHERE charge_point_id = ? AND message_id = ? \
             AND state IN ('sent', 'timed_out')"
        ),
        &[charge_point_id.into(), message_id.into()],
    )?;
    rows.first().map(read).transpose()
}

fn read(row: &Row) -> Result<Command, CommandError> {
    const CTX: &str = "commands";
    let id = row.i64(0, CTX)?;
    let json = |index: usize, what: &'static str| -> Result<Option<Value>, CommandError> {
        row.opt_text(index, CTX)?
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|error| CommandError::Corrupt { id, what, error })
    };
    let state_text = row.text(4, CTX)?;
    let state = State::parse(&state_text).ok_or(csms_store::StoreError::Column {
        context: CTX,
        column: 4,
        problem: "is not a command state",
    })?;
    let error = match row.opt_text(7, CTX)? {
        Some(code) => Some(ErrorInfo {
            code,
            description: row.opt_text(8, CTX)?.unwrap_or_default(),
            details: json(9, "error details")?.unwrap_or(Value::Object(Default::default())),
        }),
        None => None,
    };
    Ok(Command {
        id,
        charge_point_id: row.text(1, CTX)?,
        action: row.text(2, CTX)?,
        request: json(3, "request")?.unwrap_or(Value::Null),
        state,
        message_id: row.opt_text(5, CTX)?,
        response: json(6, "response")?,
        error,
        created_at: row.text(10, CTX)?,
        sent_at: row.opt_text(11, CTX)?,
        answered_at: row.opt_text(12, CTX)?,
        transaction_id: row.opt_i64(13, CTX)?,
        ocpp_version: row.text(14, CTX)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{at, db};
    use serde_json::json;

    #[test]
    fn inserted_commands_are_queued_and_listed_newest_first() {
        let db = db();
        let now = at("2026-11-23T20:00:00Z");
        let a = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "Reset",
            &json!({"type":"Soft"}),
            now,
        )
        .unwrap();
        let b = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "ClearCache",
            &json!({}),
            now,
        )
        .unwrap();
        insert(
            &db.sql,
            "CP2",
            ocpp_protocol::OcppVersion::V16,
            "ClearCache",
            &json!({}),
            now,
        )
        .unwrap();
        let command = get(&db.sql, a).unwrap().unwrap();
        assert_eq!(command.state, State::Queued);
        assert_eq!(command.request, json!({"type":"Soft"}));
        assert_eq!(command.created_at, "2026-11-23T20:00:00Z");
        let listed: Vec<i64> = list_for(&db.sql, "CP1", 10)
            .unwrap()
            .iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(listed, vec![b, a]);
        assert!(get(&db.sql, 999).unwrap().is_none());
    }
}
