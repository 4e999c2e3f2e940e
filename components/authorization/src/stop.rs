//! Whether a token may stop a transaction, with its own decision.

use chrono::{DateTime, Utc};
use csms_store::Sql;

use crate::decide::{decide_on, lookup, DecideError};
use crate::{Purpose, StopAuthorization};

/// Decides for `id_tag` stopping transaction `transaction_id` of `charge_point_id`. It may when
/// it is the tag that started the transaction, or when both tags have the same parent idTag
/// (OCPP 1.6, 3.5.2). An unknown transaction has no starting tag, so `may_stop` is false.
pub fn authorize_stop(
    sql: &impl Sql,
    charge_point_id: &str,
    id_tag: &str,
    token_type: Option<&str>,
    transaction_id: i64,
    now: DateTime<Utc>,
) -> Result<StopAuthorization, DecideError> {
    let decision = decide_on(sql, id_tag, token_type, Purpose::Authorize, now, None)?;
    let rows = sql.execute(
        "SELECT id_tag FROM transactions WHERE id = ? AND charge_point_id = ?",
        &[transaction_id.into(), charge_point_id.into()],
    )?;
    let may_stop = match rows.first() {
        None => false,
        Some(row) => {
            let start_tag = row.text(0, "transactions.id_tag")?;
            start_tag.eq_ignore_ascii_case(id_tag) || {
                let parent_of = |tag: &str| -> Result<Option<String>, DecideError> {
                    Ok(lookup(sql, tag, None)?.and_then(|t| t.parent_id_tag))
                };
                match (parent_of(id_tag)?, parent_of(&start_tag)?) {
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(&b),
                    _ => false,
                }
            }
        }
    };
    Ok(StopAuthorization { decision, may_stop })
}
