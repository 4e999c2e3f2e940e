//! The decision for one token: Unknown, Blocked, Expired, ConcurrentTx or Accepted.

use chrono::{DateTime, Utc};
use csms_store::{Sql, StoreError};
use ocpp_protocol::timestamp::{format_utc, parse_utc};

use crate::reservation::{self, Place};
use crate::{AuthorizationStatus, Purpose, TokenDecision};

/// The registry could not be read, or holds something that is not a valid value.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error("reading the idTag registry: {0}")]
    Store(#[from] StoreError),
    #[error("id_tags row {id_tag:?}: expiry_date {value:?} is not an RFC 3339 date-time")]
    BadExpiryDate { id_tag: String, value: String },
}

/// One row of `id_tags`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegisteredTag {
    pub status: String,
    pub expiry_date: Option<DateTime<Utc>>,
    pub parent_id_tag: Option<String>,
    pub max_active_transactions: Option<i64>,
}

/// Looks `id_tag` up in the registry. Tokens are case-insensitive in both versions
/// (`CiString20Type`, `IdTokenType.idToken`); a row spelled exactly like the request wins over
/// one differing in case. A row with a token type matches only a request of that type (a 2.0.1
/// ISO14443 card is not the KeyCode with the same digits); a row without one, and a request
/// without one (1.6), match any.
pub(crate) fn lookup(
    sql: &impl Sql,
    id_tag: &str,
    token_type: Option<&str>,
) -> Result<Option<RegisteredTag>, DecideError> {
    let rows = sql.execute(
        "SELECT id_tag, status, expiry_date, parent_id_tag, max_active_transactions FROM id_tags \
         WHERE id_tag = ?1 COLLATE NOCASE AND (?2 IS NULL OR token_type IS NULL OR token_type = ?2 COLLATE NOCASE) \
         ORDER BY id_tag = ?1 DESC LIMIT 1",
        &[id_tag.into(), token_type.into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let stored_tag = row.text(0, "id_tags.id_tag")?;
    let expiry_date = match row.opt_text(2, "id_tags.expiry_date")? {
        None => None,
        Some(text) if text.trim().is_empty() => None,
        Some(text) => Some(parse_utc(&text).ok_or(DecideError::BadExpiryDate {
            id_tag: stored_tag,
            value: text,
        })?),
    };
    Ok(Some(RegisteredTag {
        status: row.text(1, "id_tags.status")?,
        expiry_date,
        parent_id_tag: row
            .opt_text(3, "id_tags.parent_id_tag")?
            .filter(|p| !p.is_empty()),
        max_active_transactions: row.opt_i64(4, "id_tags.max_active_transactions")?,
    }))
}

/// How many transactions of `id_tag` are open (started, not stopped), on any charge point
/// but the connector `starting_on` (charge point, connector) where a new one starts: a
/// connector charges one session at a time, so a transaction still open there is one the
/// charge point lost (power cut, no StopTransaction), and counting it would refuse the tag
/// everywhere as ConcurrentTx until an operator closed it.
pub(crate) fn open_transactions(
    sql: &impl Sql,
    id_tag: &str,
    starting_on: Option<(&str, i64)>,
) -> Result<i64, StoreError> {
    let (charge_point_id, connector_id) = match starting_on {
        Some((cp, connector)) => (Some(cp), Some(connector)),
        None => (None, None),
    };
    let rows = sql.execute(
        "SELECT count(*) FROM transactions WHERE id_tag = ?1 COLLATE NOCASE AND stopped_at IS NULL \
         AND NOT (charge_point_id IS NOT DISTINCT FROM ?2 AND connector_id IS NOT DISTINCT FROM ?3)",
        &[id_tag.into(), charge_point_id.into(), connector_id.into()],
    )?;
    match rows.first() {
        Some(row) => row.i64(0, "count of open transactions"),
        None => Ok(0),
    }
}

/// A tag may have this many open transactions when its row says nothing.
pub const DEFAULT_MAX_ACTIVE_TRANSACTIONS: i64 = 1;

/// Decides for `id_tag` at `now`, in the order OCPP implies: unknown tags are `Unknown` (1.6
/// writes `Invalid`); a known tag is `Blocked` (or whatever non-Accepted status the registry
/// holds), else `Expired` once `expiry_date <= now`, else, when starting, `ConcurrentTx` if it
/// already has `max_active_transactions` (default 1) open transactions, else `Accepted`.
/// The expiry date and parent idTag of a known tag are always included.
pub fn decide(
    sql: &impl Sql,
    id_tag: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<TokenDecision, DecideError> {
    decide_on(sql, id_tag, None, purpose, now, None)
}

/// [`decide`] for a start on `starting_on` (charge point, connector); see [`open_transactions`].
pub(crate) fn decide_on(
    sql: &impl Sql,
    id_tag: &str,
    token_type: Option<&str>,
    purpose: Purpose,
    now: DateTime<Utc>,
    starting_on: Option<(&str, i64)>,
) -> Result<TokenDecision, DecideError> {
    let Some(tag) = lookup(sql, id_tag, token_type)? else {
        return Ok(TokenDecision::status(AuthorizationStatus::Unknown));
    };
    let status = match registry_status(&tag.status) {
        AuthorizationStatus::Accepted => {
            if tag.expiry_date.is_some_and(|expiry| expiry <= now) {
                AuthorizationStatus::Expired
            } else if purpose == Purpose::Start
                && open_transactions(sql, id_tag, starting_on)?
                    >= tag
                        .max_active_transactions
                        .unwrap_or(DEFAULT_MAX_ACTIVE_TRANSACTIONS)
            {
                AuthorizationStatus::ConcurrentTx
            } else {
                AuthorizationStatus::Accepted
            }
        }
        other => other,
    };
    Ok(TokenDecision {
        status,
        expiry_date: tag.expiry_date.map(format_utc),
        group_id: tag.parent_id_tag,
    })
}

/// One authorization as the charge point asks it: which tag, why, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asked<'a> {
    pub charge_point_id: &'a str,
    pub id_tag: &'a str,
    /// 2.0.1 IdTokenType; none for 1.6.
    pub token_type: Option<&'a str>,
    pub purpose: Purpose,
    pub place: Place,
}

/// A decision, with why a tag the registry accepts is refused here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub decision: TokenDecision,
    /// Set when the status is not the registry's own (a reservation of another tag).
    pub refusal: Option<String>,
}

/// [`decide`], then the charge point's reservations ([`crate::reservation`]).
///
/// A tag refused for a reservation of another tag is answered `Invalid`. OCPP 1.6 has no
/// "reserved" status: `Blocked` and `Expired` state a property of the tag, wrong here and
/// alarming on a charge point's display; `ConcurrentTx` claims another transaction of the tag.
/// `Invalid` is the generic "not allowed to charge" of 1.6 (2.0.1 splits it into
/// NotAtThisLocation / NotAtThisTime, which is what this is). Any non-Accepted status is cached
/// alike by the charge point and makes it stop the transaction when StopTransactionOnInvalidId
/// is set, so nothing else is traded away. The expiry date and parent idTag stay in the answer.
pub fn decide_at(
    sql: &impl Sql,
    asked: &Asked<'_>,
    now: DateTime<Utc>,
) -> Result<Decision, DecideError> {
    let starting_on = asked
        .place
        .connector_id
        .map(|connector| (asked.charge_point_id, connector));
    let mut decision = decide_on(
        sql,
        asked.id_tag,
        asked.token_type,
        asked.purpose,
        now,
        starting_on,
    )?;
    if decision.status != AuthorizationStatus::Accepted {
        return Ok(Decision {
            decision,
            refusal: None,
        });
    }
    let refusal = reservation::refusal(
        sql,
        asked.charge_point_id,
        asked.id_tag,
        decision.group_id.as_deref(),
        asked.place,
        now,
    )?;
    if refusal.is_some() {
        decision.status = AuthorizationStatus::Invalid;
    }
    Ok(Decision { decision, refusal })
}

/// The registry's `status` column: `Accepted` or `Blocked` normally. `Expired` and `Invalid`
/// are honoured as written; anything else is not a reason to let a car charge, so `Invalid`.
fn registry_status(stored: &str) -> AuthorizationStatus {
    let stored = stored.trim();
    [
        AuthorizationStatus::Accepted,
        AuthorizationStatus::Blocked,
        AuthorizationStatus::Expired,
        AuthorizationStatus::Invalid,
    ]
    .into_iter()
    .find(|s| s.as_str().eq_ignore_ascii_case(stored))
    .unwrap_or(AuthorizationStatus::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_statuses_are_read_case_insensitively_and_unknown_ones_are_invalid() {
        assert_eq!(registry_status("Accepted"), AuthorizationStatus::Accepted);
        assert_eq!(registry_status("blocked"), AuthorizationStatus::Blocked);
        assert_eq!(registry_status(" Expired "), AuthorizationStatus::Expired);
        assert_eq!(
            registry_status("ConcurrentTx"),
            AuthorizationStatus::Invalid
        );
        assert_eq!(registry_status("maybe"), AuthorizationStatus::Invalid);
    }
}
