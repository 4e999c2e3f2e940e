//! Reservations the charge points accepted (ReserveNow), in the `reservations` table.
//!
//! A reservation is created `active` when the charge point answers ReserveNow `Accepted`
//! (an accepted ReserveNow with the reservation id of an active one replaces it, as OCPP 1.6
//! says the charge point does), becomes `cancelled` on an accepted CancelReservation, `used`
//! when a StartTransaction ends it (the transactions component links the transaction), and
//! `expired` once its expiry date has passed. Expiry is lazy: a row still `active` past its
//! expiry date is shown `expired` by [`list_for`] and written so when the charge point's next
//! reservation is accepted.

use chrono::{DateTime, Utc};
use csms_store::{Row, Sql};
use ocpp_protocol::timestamp::format_utc;
use serde::Serialize;

use crate::CommandError;

/// One reservation as the operator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reservation {
    /// The central system's row id: the order of acceptance, and a cursor for paging.
    pub id: i64,
    /// The OCPP reservationId the operator chose.
    pub reservation_id: i64,
    pub charge_point_id: String,
    /// 0: any connector of the charge point.
    pub connector_id: i64,
    pub id_tag: String,
    pub parent_id_tag: Option<String>,
    pub expiry_date: String,
    /// `active`, `used`, `cancelled` or `expired`, expiry applied as of the time asked.
    pub state: String,
    /// The transaction that used it.
    pub transaction_id: Option<i64>,
    /// The ReserveNow command whose acceptance made (or last replaced) it.
    pub command_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// The SQL of a reservation's state at `?` (the instant, RFC 3339).
const STATE_AT: &str = "CASE WHEN state = 'active' AND julianday(expiry_date) < julianday(?) \
     THEN 'expired' ELSE state END";

/// A charge point's reservations, newest first: those in `state` as of `now` (any when
/// `None`), with a row id below `before_id` (paging), at most `limit`.
pub fn list_for(
    sql: &impl Sql,
    charge_point_id: &str,
    state: Option<&str>,
    before_id: Option<i64>,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Reservation>, CommandError> {
    let now = format_utc(now);
    let rows = sql.execute(
        &format!(
            "SELECT * FROM (SELECT id, reservation_id, charge_point_id, connector_id, id_tag, parent_id_tag, \
             expiry_date, {STATE_AT} AS state_now, transaction_id, command_id, created_at, updated_at \
             FROM reservations WHERE charge_point_id = ?) AS r \
             WHERE (? IS NULL OR state_now = ?) AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?"
        ),
        &[
            now.as_str().into(),
            charge_point_id.into(),
            state.into(),
            state.into(),
            before_id.into(),
            before_id.into(),
            limit.into(),
        ],
    )?;
    rows.iter().map(read).collect()
}

fn read(row: &Row) -> Result<Reservation, CommandError> {
    const CTX: &str = "reservations";
    Ok(Reservation {
        id: row.i64(0, CTX)?,
        reservation_id: row.i64(1, CTX)?,
        charge_point_id: row.text(2, CTX)?,
        connector_id: row.i64(3, CTX)?,
        id_tag: row.text(4, CTX)?,
        parent_id_tag: row.opt_text(5, CTX)?,
        expiry_date: row.text(6, CTX)?,
        state: row.text(7, CTX)?,
        transaction_id: row.opt_i64(8, CTX)?,
        command_id: row.opt_i64(9, CTX)?,
        created_at: row.text(10, CTX)?,
        updated_at: row.text(11, CTX)?,
    })
}

/// What an accepted ReserveNow asked for.
pub(crate) struct Accepted<'a> {
    pub charge_point_id: &'a str,
    pub reservation_id: i64,
    pub connector_id: i64,
    pub id_tag: &'a str,
    pub parent_id_tag: Option<&'a str>,
    pub expiry_date: String,
    pub command_id: i64,
}

/// Stores an accepted reservation, replacing the active one with the same reservation id.
pub(crate) fn accept(sql: &impl Sql, r: &Accepted<'_>, now: &str) -> Result<(), CommandError> {
    // Lazily expired rows are written `expired` first, so that a reused reservation id starts
    // a new row instead of rewriting a finished reservation.
    sql.execute(
        "UPDATE reservations SET state = 'expired', updated_at = ?1 WHERE charge_point_id = ?2 \
         AND state = 'active' AND julianday(expiry_date) < julianday(?1)",
        &[now.into(), r.charge_point_id.into()],
    )?;
    // OCPP 1.6 (5.13): a charge point answers Occupied when the connector is reserved. So its
    // Accepted proves that any other reservation we think it holds on that connector is gone
    // (lost in a reboot, or used by a start that did not name it); left active, it would keep
    // refusing other drivers until its expiry.
    if r.connector_id > 0 {
        sql.execute(
            "UPDATE reservations SET state = 'replaced', updated_at = ? WHERE charge_point_id = ? \
             AND connector_id = ? AND reservation_id <> ? AND state = 'active'",
            &[
                now.into(),
                r.charge_point_id.into(),
                r.connector_id.into(),
                r.reservation_id.into(),
            ],
        )?;
    }
    sql.execute(
        "INSERT INTO reservations (charge_point_id, reservation_id, connector_id, id_tag, parent_id_tag, \
         expiry_date, state, command_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?, ?) \
         ON CONFLICT (charge_point_id, reservation_id) WHERE state = 'active' DO UPDATE SET \
         connector_id = excluded.connector_id, id_tag = excluded.id_tag, parent_id_tag = excluded.parent_id_tag, \
         expiry_date = excluded.expiry_date, command_id = excluded.command_id, updated_at = excluded.updated_at",
        &[
            r.charge_point_id.into(),
            r.reservation_id.into(),
            r.connector_id.into(),
            r.id_tag.into(),
            r.parent_id_tag.into(),
            r.expiry_date.as_str().into(),
            r.command_id.into(),
            now.into(),
            now.into(),
        ],
    )?;
    Ok(())
}

/// Ends the active reservation `reservation_id` of a charge point as cancelled.
pub(crate) fn cancel(
    sql: &impl Sql,
    charge_point_id: &str,
    reservation_id: i64,
    now: &str,
) -> Result<(), CommandError> {
    sql.execute(
        "UPDATE reservations SET state = 'cancelled', updated_at = ? WHERE charge_point_id = ? \
         AND reservation_id = ? AND state = 'active'",
        &[now.into(), charge_point_id.into(), reservation_id.into()],
    )?;
    Ok(())
}
