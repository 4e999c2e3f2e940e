//! Which RemoteStartTransaction became which transaction: a start is linked
//! (`transactions.remote_start_command_id`) to the oldest command of its charge point that
//!
//! - is a RemoteStartTransaction the charge point answered `Accepted`,
//! - for the same idTag (case-insensitive, as 1.6 idTokens are) and, when the command named a
//!   connector, the same connector,
//! - answered at most [`WINDOW_SECONDS`] before the start arrives (longer when the charge
//!   point's `ConnectionTimeOut`, the time a driver has to plug in, says so),
//! - and is not linked yet (a unique index keeps one transaction per command).
//!
//! A command naming the connector wins over one that did not. The commands component links
//! the other way round when the answer arrives after the start (the two race on the wire).

use chrono::{DateTime, Duration, Utc};
use csms_store::Sql;
use ocpp_protocol::timestamp::format_utc;

use crate::TxError;

/// How long after an accepted remote start the charge point's StartTransaction is expected.
pub const WINDOW_SECONDS: i64 = 300;

/// Links a 2.0.1 transaction to the RequestStartTransaction whose `remoteStartId` its event
/// carries (the station's word, so no time window or token rule is needed), unless linked.
pub(crate) fn link_remote_start_id(
    sql: &impl Sql,
    transaction_id: i64,
    remote_start_id: i64,
) -> Result<(), TxError> {
    sql.execute(
        "UPDATE transactions SET remote_start_command_id = (SELECT c.id FROM commands c \
         WHERE c.charge_point_id = transactions.charge_point_id AND c.action = 'RequestStartTransaction' \
         AND CAST(json_extract(c.request, '$.remoteStartId') AS INTEGER) = ?1 \
         AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.remote_start_command_id = c.id) \
         ORDER BY c.id DESC LIMIT 1) WHERE id = ?2 AND remote_start_command_id IS NULL",
        &[remote_start_id.into(), transaction_id.into()],
    )?;
    Ok(())
}

/// Links transaction `transaction_id` to its remote start; returns the command id, if any.
pub(crate) fn link(
    sql: &impl Sql,
    charge_point_id: &str,
    connector_id: i64,
    id_tag: &str,
    transaction_id: i64,
    now: DateTime<Utc>,
) -> Result<Option<i64>, TxError> {
    let window = window_seconds(sql, charge_point_id)?;
    let since = format_utc(now - Duration::seconds(window));
    let rows = sql.execute(
        "SELECT c.id FROM commands c WHERE c.charge_point_id = ?1 \
         AND c.action = 'RemoteStartTransaction' AND c.state = 'answered' \
         AND json_extract(c.response, '$.status') = 'Accepted' \
         AND json_extract(c.request, '$.idTag') = ?2 COLLATE NOCASE \
         AND (json_extract(c.request, '$.connectorId') IS NULL \
              OR CAST(json_extract(c.request, '$.connectorId') AS INTEGER) = ?3) \
         AND julianday(c.answered_at) >= julianday(?4) \
         AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.remote_start_command_id = c.id) \
         ORDER BY json_extract(c.request, '$.connectorId') IS NULL, c.id LIMIT 1",
        &[
            charge_point_id.into(),
            id_tag.into(),
            connector_id.into(),
            since.into(),
        ],
    )?;
    let Some(command_id) = rows.first().map(|r| r.i64(0, "commands.id")).transpose()? else {
        return Ok(None);
    };
    sql.execute(
        "UPDATE transactions SET remote_start_command_id = ? WHERE id = ?",
        &[command_id.into(), transaction_id.into()],
    )?;
    Ok(Some(command_id))
}

/// [`WINDOW_SECONDS`], or the charge point's `ConnectionTimeOut` and a minute of slack when
/// that is longer.
fn window_seconds(sql: &impl Sql, charge_point_id: &str) -> Result<i64, TxError> {
    let rows = sql.execute(
        "SELECT value FROM charge_point_configuration WHERE charge_point_id = ? \
         AND key = 'ConnectionTimeOut' COLLATE NOCASE",
        &[charge_point_id.into()],
    )?;
    let configured = match rows.first() {
        Some(row) => row
            .opt_text(0, "charge_point_configuration.value")?
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|v| (0..=86_400).contains(v)),
        None => None,
    };
    Ok(configured.map_or(WINDOW_SECONDS, |t| (t + 60).max(WINDOW_SECONDS)))
}
