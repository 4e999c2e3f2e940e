//! Reservations the charge point accepted (ReserveNow, stored by the commands component) hold
//! a connector, or with connector 0 one connector of the charge point, for an idTag until they
//! are used, cancelled or expire. The charge point enforces them too; this is the central
//! system's own check, so that a start it did not expect is answered honestly.
//!
//! A reservation holds for its idTag and, when it names a parentIdTag, for every tag with that
//! parent idTag (OCPP 1.6, 5.13). It refuses another tag:
//! - starting on the reserved connector, or naming the reservation in its start;
//! - (connector 0) starting on a connector when no other known connector would stay free for
//!   it, unless the tag starts on a connector it reserved itself (or names its own
//!   reservation), which was never free for the others. Free means: no open transaction and
//!   no connector-specific reservation. Without StatusNotifications the central system knows
//!   no other connector, so such a reservation then holds the whole charge point, the
//!   conservative reading of "one connector remains available".
//!
//! `Authorize`, which names no connector, is never refused for reservations: the charge point
//! keeps its reservations itself, and it stores every Authorize answer in its Authorization
//! Cache (OCPP 1.6, 3.5), so an Invalid given for a reservation would later refuse the tag
//! as if it were invalid, offline. The start that follows is checked with its connector.

use chrono::{DateTime, Utc};
use csms_store::{Sql, StoreError};
use ocpp_protocol::timestamp::format_utc;

/// Where a tag wants to charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Place {
    /// The connector of a start; `None` for `Authorize`.
    pub connector_id: Option<i64>,
    /// The reservation a start says it ends.
    pub reservation_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Held {
    reservation_id: i64,
    connector_id: i64,
    id_tag: String,
    parent_id_tag: Option<String>,
}

impl Held {
    fn is_for(&self, id_tag: &str, parent_id_tag: Option<&str>) -> bool {
        self.id_tag.eq_ignore_ascii_case(id_tag)
            || matches!((&self.parent_id_tag, parent_id_tag),
                (Some(reserved), Some(parent)) if reserved.eq_ignore_ascii_case(parent))
    }
}

/// Why the charge point's reservations refuse `id_tag` at `place`, or `None`.
pub(crate) fn refusal(
    sql: &impl Sql,
    charge_point_id: &str,
    id_tag: &str,
    parent_id_tag: Option<&str>,
    place: Place,
    now: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    let Some(connector) = place.connector_id else {
        return Ok(None);
    };
    let active = active(sql, charge_point_id, now)?;
    if active.is_empty() {
        return Ok(None);
    }
    let (mine, others): (Vec<&Held>, Vec<&Held>) =
        active.iter().partition(|r| r.is_for(id_tag, parent_id_tag));
    if let Some(named) = place.reservation_id {
        if let Some(r) = others.iter().find(|r| r.reservation_id == named) {
            return Ok(Some(format!(
                "reservation {} is for another idTag",
                r.reservation_id
            )));
        }
    }
    let anywhere = others.iter().filter(|r| r.connector_id == 0).count();
    let specific: Vec<i64> = active
        .iter()
        .map(|r| r.connector_id)
        .filter(|c| *c > 0)
        .collect();
    let busy = busy_connectors(sql, charge_point_id)?;
    let known = known_connectors(sql, charge_point_id)?;
    if let Some(r) = others.iter().find(|r| r.connector_id == connector) {
        return Ok(Some(format!(
            "connector {connector} is reserved (reservation {}) for another idTag",
            r.reservation_id
        )));
    }
    // The tag's own reservation of this connector (or the one its start names) holds it: the
    // connector was never free for anyone else's connector-0 reservation.
    let own_here = mine
        .iter()
        .any(|r| r.connector_id == connector || Some(r.reservation_id) == place.reservation_id);
    if anywhere == 0 || own_here {
        return Ok(None);
    }
    let free_elsewhere = known
        .iter()
        .filter(|c| **c != connector && !busy.contains(c) && !specific.contains(c))
        .count();
    Ok((free_elsewhere < anywhere).then(|| {
        format!(
            "the charge point is reserved for another idTag and no other connector is free \
             ({anywhere} reservation(s) of connector 0)"
        )
    }))
}

/// The charge point's reservations that hold now: `active` and not past their expiry date.
fn active(
    sql: &impl Sql,
    charge_point_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<Held>, StoreError> {
    const CTX: &str = "reservations";
    let rows = sql.execute(
        "SELECT reservation_id, connector_id, id_tag, parent_id_tag FROM reservations \
         WHERE charge_point_id = ? AND state = 'active' AND julianday(expiry_date) >= julianday(?)",
        &[charge_point_id.into(), format_utc(now).into()],
    )?;
    rows.iter()
        .map(|row| {
            Ok(Held {
                reservation_id: row.i64(0, CTX)?,
                connector_id: row.i64(1, CTX)?,
                id_tag: row.text(2, CTX)?,
                parent_id_tag: row.opt_text(3, CTX)?.filter(|p| !p.is_empty()),
            })
        })
        .collect()
}

/// Connectors with an open transaction.
fn busy_connectors(sql: &impl Sql, charge_point_id: &str) -> Result<Vec<i64>, StoreError> {
    let rows = sql.execute(
        "SELECT DISTINCT connector_id FROM transactions WHERE charge_point_id = ? AND stopped_at IS NULL",
        &[charge_point_id.into()],
    )?;
    rows.iter()
        .map(|row| row.i64(0, "transactions.connector_id"))
        .collect()
}

/// The connectors the charge point reported (StatusNotification), connector 0 excepted.
fn known_connectors(sql: &impl Sql, charge_point_id: &str) -> Result<Vec<i64>, StoreError> {
    let rows = sql.execute(
        "SELECT connector_id FROM connectors WHERE charge_point_id = ? AND connector_id > 0",
        &[charge_point_id.into()],
    )?;
    rows.iter()
        .map(|row| row.i64(0, "connectors.connector_id"))
        .collect()
}
