//! Storing sampled values, whatever the version that reported them: a group per instant,
//! each value normalised ([`crate::sampled_value`]) and linked to its transaction when known.
//! Readings are evidence and are never dropped: values of a transaction we do not know are
//! kept with `transaction_id` NULL.

use csms_store::{Sql, SqlValue};
use ocpp_protocol::ocpp_types::v16::common::SampledValueItem;
use ocpp_protocol::ocpp_types::OcppTimestamp;
use ocpp_protocol::timestamp::{format_utc, to_utc};
use serde_json::Value;

use crate::sampled_value::Sample;
use crate::TxError;

/// Where sampled values go: the charge point's connector and, when known, the transaction.
pub(crate) struct Destination<'a> {
    pub charge_point_id: &'a str,
    pub connector_id: i64,
    pub transaction_id: Option<i64>,
    /// The transactionId the charge point sent when it is not one of ours.
    pub reported_transaction_id: Option<i64>,
    /// `MeterValues`, `StopTransaction` or `TransactionEvent`.
    pub source: &'static str,
    pub received_at: &'a str,
}

/// Sampled values taken at one instant (a 1.6 `MeterValue`, a 2.0.1 `MeterValueType`).
pub(crate) struct SampleGroup {
    /// RFC 3339 UTC.
    pub sampled_at: String,
    pub samples: Vec<Sample>,
}

impl SampleGroup {
    /// The groups of a 1.6 `meterValue` / `transactionData` array.
    pub(crate) fn from_ocpp16<'s>(
        groups: impl IntoIterator<Item = (&'s OcppTimestamp, &'s [SampledValueItem])>,
    ) -> Vec<Self> {
        groups
            .into_iter()
            .map(|(timestamp, items)| SampleGroup {
                sampled_at: format_utc(to_utc(*timestamp)),
                samples: items.iter().map(Sample::from_ocpp).collect(),
            })
            .collect()
    }

    /// The groups of a 2.0.1 `meterValue` array (schema-validated JSON); a timestamp that is
    /// not RFC 3339 (the schema only says string) falls back to `fallback`.
    pub(crate) fn from_ocpp201(meter_values: Option<&Value>, fallback: &str) -> Vec<Self> {
        let Some(Value::Array(items)) = meter_values else {
            return Vec::new();
        };
        items
            .iter()
            .map(|mv| SampleGroup {
                sampled_at: mv
                    .get("timestamp")
                    .and_then(Value::as_str)
                    .and_then(ocpp_protocol::timestamp::parse_utc)
                    .map(format_utc)
                    .unwrap_or_else(|| fallback.to_owned()),
                samples: match mv.get("sampledValue") {
                    Some(Value::Array(values)) => values.iter().map(Sample::from_ocpp201).collect(),
                    _ => Vec::new(),
                },
            })
            .collect()
    }
}

/// Rows per INSERT: 15 parameters each stays far below SQLite's limit of 32,766.
const ROWS_PER_INSERT: usize = 500;
const COLUMNS: usize = 15;

/// Stores every sampled value of `groups`, in one statement (a MeterValues of 9 samples is
/// one INSERT, not 9: on Spin each statement is a host call on a blocking thread).
pub(crate) fn store_samples(
    sql: &impl Sql,
    to: &Destination<'_>,
    groups: &[SampleGroup],
) -> Result<usize, TxError> {
    let rows: Vec<(&SampleGroup, &Sample)> = groups
        .iter()
        .flat_map(|group| group.samples.iter().map(move |s| (group, s)))
        .collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut params: Vec<SqlValue> = Vec::with_capacity(chunk.len() * COLUMNS);
        for (group, s) in chunk {
            params.extend([
                to.charge_point_id.into(),
                to.connector_id.into(),
                to.transaction_id.into(),
                to.reported_transaction_id.into(),
                to.source.into(),
                group.sampled_at.as_str().into(),
                s.value.as_str().into(),
                s.value_wh.into(),
                s.measurand.as_str().into(),
                s.phase.clone().into(),
                s.unit.clone().into(),
                s.context.as_str().into(),
                s.location.clone().into(),
                s.format.clone().into(),
                to.received_at.into(),
            ]);
        }
        let row = format!("({})", ["?"; COLUMNS].join(", "));
        sql.execute(
            &format!(
                "INSERT INTO meter_values (charge_point_id, connector_id, transaction_id, reported_transaction_id, \
                 source, sampled_at, value, value_wh, measurand, phase, unit, context, location, format, received_at) \
                 VALUES {}",
                vec![row; chunk.len()].join(", ")
            ),
            &params,
        )?;
    }
    Ok(rows.len())
}

/// Whether `transaction_id` is a transaction of `charge_point_id`.
pub(crate) fn is_known_transaction(
    sql: &impl Sql,
    charge_point_id: &str,
    transaction_id: i64,
) -> Result<bool, TxError> {
    let rows = sql.execute(
        "SELECT 1 FROM transactions WHERE id = ? AND charge_point_id = ?",
        &[SqlValue::Integer(transaction_id), charge_point_id.into()],
    )?;
    Ok(!rows.is_empty())
}

/// The one open transaction on the connector that started at or before `earliest`, if
/// exactly one is open there.
pub(crate) fn implied_transaction(
    sql: &impl Sql,
    charge_point_id: &str,
    connector_id: i64,
    earliest: Option<String>,
) -> Result<Option<i64>, TxError> {
    let Some(earliest) = earliest else {
        return Ok(None);
    };
    if connector_id <= 0 {
        return Ok(None);
    }
    let rows = sql.execute(
        "SELECT id, julianday(started_at) <= julianday(?) FROM transactions \
         WHERE charge_point_id = ? AND connector_id = ? AND stopped_at IS NULL LIMIT 2",
        &[earliest.into(), charge_point_id.into(), connector_id.into()],
    )?;
    match rows.as_slice() {
        [only] if only.i64(1, "started before the samples")? == 1 => {
            Ok(Some(only.i64(0, "transactions.id")?))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use csms_store::native::NativeSql;

    #[test]
    fn a_thousand_samples_are_all_stored_in_a_few_statements() {
        let dir = tempfile::tempdir().unwrap();
        let sql = NativeSql::open(&dir.path().join("db.sqlite")).unwrap();
        csms_store::migrate(&sql).unwrap();
        let sample = |i: usize| Sample {
            measurand: "Energy.Active.Import.Register".into(),
            phase: None,
            unit: Some("Wh".into()),
            context: "Sample.Periodic".into(),
            location: None,
            format: None,
            value: i.to_string(),
            value_wh: Some(i as i64),
        };
        let groups: Vec<SampleGroup> = (0..10)
            .map(|g| SampleGroup {
                sampled_at: format!("2026-12-01T10:{g:02}:00Z"),
                samples: (0..110).map(|i| sample(g * 110 + i)).collect(),
            })
            .collect();
        let to = Destination {
            charge_point_id: "CP1",
            connector_id: 1,
            transaction_id: None,
            reported_transaction_id: Some(7),
            source: "MeterValues",
            received_at: "2026-12-01T10:10:00Z",
        };
        assert_eq!(store_samples(&sql, &to, &groups).unwrap(), 1100);
        let rows = sql
            .execute(
                "SELECT COUNT(*), SUM(value_wh), COUNT(DISTINCT sampled_at) FROM meter_values \
                 WHERE reported_transaction_id = 7",
                &[],
            )
            .unwrap();
        assert_eq!(rows[0].i64(0, "count").unwrap(), 1100);
        assert_eq!(rows[0].i64(1, "sum").unwrap(), (0..1100).sum::<i64>());
        assert_eq!(rows[0].i64(2, "instants").unwrap(), 10);
        assert_eq!(store_samples(&sql, &to, &[]).unwrap(), 0);
    }
}
