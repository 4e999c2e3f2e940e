//! A start ends the reservation it uses: the reservation becomes `used`, linked to the
//! transaction, and no longer holds its connector.
//!
//! The reservation used is the one the start names (`reservationId`, which OCPP 1.6 requires
//! when a start ends a reservation), whatever the idTag decision: the charge point has ended
//! it on its side, so holding it here would only refuse others for nothing. A start that names
//! none still uses an accepted tag's own reservation on that connector, or of connector 0, as
//! a charge point that leaves the id out has used it all the same.

use csms_store::Sql;
use ocpp_protocol::timestamp::format_utc;

use crate::TxError;

/// The start being recorded.
pub(crate) struct Start<'a> {
    pub charge_point_id: &'a str,
    pub connector_id: i64,
    pub id_tag: &'a str,
    /// The tag's parent idTag, from the decision.
    pub parent_id_tag: Option<&'a str>,
    pub reservation_id: Option<i64>,
    pub accepted: bool,
    pub transaction_id: i64,
}

/// Marks the reservation `start` uses as used; returns its reservation id, if any.
pub(crate) fn end(
    sql: &impl Sql,
    start: &Start<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Option<i64>, TxError> {
    let now = format_utc(now);
    let row_id = match start.reservation_id {
        Some(named) => {
            let rows = sql.execute(
                "SELECT id FROM reservations WHERE charge_point_id = ? AND reservation_id = ? \
                 AND state = 'active'",
                &[start.charge_point_id.into(), named.into()],
            )?;
            rows.first()
                .map(|r| r.i64(0, "reservations.id"))
                .transpose()?
        }
        None if start.accepted => {
            // The tag's own reservation that still holds; a connector-specific one first.
            let rows = sql.execute(
                "SELECT id FROM reservations WHERE charge_point_id = ?1 AND state = 'active' \
                 AND connector_id IN (?2, 0) AND julianday(expiry_date) >= julianday(?3) \
                 AND (id_tag = ?4 COLLATE NOCASE \
                      OR (parent_id_tag IS NOT NULL AND parent_id_tag = ?5 COLLATE NOCASE)) \
                 ORDER BY connector_id = 0, id LIMIT 1",
                &[
                    start.charge_point_id.into(),
                    start.connector_id.into(),
                    now.as_str().into(),
                    start.id_tag.into(),
                    start.parent_id_tag.into(),
                ],
            )?;
            rows.first()
                .map(|r| r.i64(0, "reservations.id"))
                .transpose()?
        }
        None => None,
    };
    let Some(row_id) = row_id else {
        return Ok(None);
    };
    let rows = sql.execute(
        "UPDATE reservations SET state = 'used', transaction_id = ?, updated_at = ? \
         WHERE id = ? RETURNING reservation_id",
        &[start.transaction_id.into(), now.into(), row_id.into()],
    )?;
    Ok(rows
        .first()
        .map(|r| r.i64(0, "reservations.reservation_id"))
        .transpose()?)
}
