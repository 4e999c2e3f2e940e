//! Flagging a transaction for an operator's attention. A transaction can be flagged at start
//! (an idTag that was not Accepted), at stop and when the charge point's stop replaces an
//! operator's close; every reason is kept, in order.

/// The `SET` assignments that flag a transaction with the reason bound to SQL parameter
/// `?{param}`, appended to any reason it already has; a NULL reason leaves it as it was.
pub(crate) fn assignments(param: u8) -> String {
    format!(
        "flagged = CASE WHEN ?{param} IS NULL THEN flagged ELSE 1 END, \
         flag_reason = CASE WHEN ?{param} IS NULL THEN flag_reason \
         WHEN flag_reason IS NULL THEN ?{param} ELSE flag_reason || '; ' || ?{param} END"
    )
}
