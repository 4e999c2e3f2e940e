//! What the transaction and charge detail record lists share: their filters and their order.
//!
//! Both are newest first by the start of the session as the charge point reported it, ties
//! by transaction id; `from` (inclusive) and `to` (exclusive) bound that start too, so a CDR
//! export for November is the sessions started in November. `id_tag` matches whatever the
//! case, as idTags are case-insensitive in OCPP 1.6.

use csms_store::SqlValue;

use crate::pagination::{self, PageRequest};
use crate::problem::ApiError;
use crate::query::{Query, TimeRange};
use crate::{charge_points, id_tags};

/// The sort key of a session: its `started_at` as stored, and its id.
pub(crate) type SessionKey = (String, i64);

/// The order both lists use; `t` is the `transactions` table.
pub(crate) const NEWEST_FIRST: &str = "ORDER BY julianday(t.started_at) DESC, t.id DESC";

#[derive(Debug, Default)]
pub(crate) struct TransactionFilter {
    charge_point_id: Option<String>,
    id_tag: Option<String>,
    range: TimeRange,
}

impl TransactionFilter {
    pub(crate) fn parse(query: &Query) -> Result<Self, ApiError> {
        Ok(Self {
            charge_point_id: query.text("charge_point_id", charge_points::MAX_ID_CHARS)?,
            id_tag: query.text("id_tag", id_tags::MAX_ID_TAG_CHARS)?,
            range: TimeRange::parse(query)?,
        })
    }

    /// Appends the filter, and the keyset condition for the page after `request.after`.
    pub(crate) fn restrict(
        &self,
        request: &PageRequest<SessionKey>,
        conditions: &mut Vec<String>,
        params: &mut Vec<SqlValue>,
    ) -> Result<(), ApiError> {
        if let Some(cp) = &self.charge_point_id {
            conditions.push("t.charge_point_id = ?".into());
            params.push(cp.into());
        }
        if let Some(tag) = &self.id_tag {
            conditions.push("t.id_tag = ? COLLATE NOCASE".into());
            params.push(tag.into());
        }
        self.range.restrict("t.started_at", conditions, params);
        if let Some((started_at, id)) = &request.after {
            pagination::require_instant(started_at)?;
            conditions.push(
                "(julianday(t.started_at) < julianday(?) \
                 OR (julianday(t.started_at) = julianday(?) AND t.id < ?))"
                    .into(),
            );
            params.extend([started_at.into(), started_at.into(), (*id).into()]);
        }
        Ok(())
    }
}
