//! Stop a session remotely: RemoteStopTransaction (1.6) and RequestStopTransaction (2.0.1),
//! one operation. Either name may be used for either version, and the transaction may be
//! named by the API's transaction id (a JSON number, as a 1.6 `transactionId` is) or by the
//! station's own id (a JSON string, as a 2.0.1 `transactionId` is). A 1.6 station's own id is
//! the API's, so a number to a 1.6 station goes as it is.

use csms_store::Sql;
use ocpp_protocol::OcppVersion;
use serde_json::{json, Value};

use super::Resolved;
use crate::CommandError;

pub(super) fn prepare(
    sql: &impl Sql,
    charge_point_id: &str,
    resolved: &Resolved,
    payload: Value,
) -> Result<Result<Vec<Value>, String>, CommandError> {
    let named = &payload["transactionId"];
    let request = match (resolved.version, named) {
        (OcppVersion::V16, Value::String(own)) => match own.parse::<i64>() {
            Ok(id) => json!({ "transactionId": id }),
            Err(_) => {
                return Ok(Err(format!(
                    "transactionId {own:?}: a 1.6 station's transaction ids are integers"
                )))
            }
        },
        (OcppVersion::V201, Value::Number(number)) => {
            let Some(id) = number.as_i64() else {
                return Ok(Err(format!(
                    "transactionId {number} is not a transaction id"
                )));
            };
            let rows = sql.execute(
                "SELECT station_transaction_id FROM transactions WHERE id = ? AND charge_point_id = ?",
                &[id.into(), charge_point_id.into()],
            )?;
            let own = match rows.first() {
                Some(row) => row.opt_text(0, "transactions.station_transaction_id")?,
                None => None,
            };
            match own {
                Some(own) => json!({ "transactionId": own }),
                None => {
                    return Ok(Err(format!(
                        "charge point {charge_point_id:?} has no transaction {id}"
                    )))
                }
            }
        }
        _ => payload,
    };
    Ok(Ok(vec![request]))
}

#[cfg(test)]
mod tests {
    use crate::operations::{prepare, resolve};
    use crate::test_support::db;
    use csms_store::Sql;
    use ocpp_protocol::OcppVersion;
    use serde_json::json;

    #[test]
    fn the_apis_transaction_id_becomes_the_stations_own_for_a_201_station() {
        let db = db();
        let rows = db
            .sql
            .execute(
                "INSERT INTO transactions (charge_point_id, connector_id, id_tag, start_auth_status, \
                 meter_start_wh, started_at, created_at, ocpp_version, station_transaction_id) \
                 VALUES ('CP1', 1, 'A', 'Accepted', 0, 'x', 'x', 'ocpp2.0.1', 'tx-abc') RETURNING id",
                &[],
            )
            .unwrap();
        let id = rows[0].i64(0, "id").unwrap();
        for name in ["RequestStopTransaction", "RemoteStopTransaction"] {
            let resolved = resolve(OcppVersion::V201, name).unwrap();
            let prepared = prepare(&db.sql, "CP1", &resolved, json!({ "transactionId": id }))
                .unwrap()
                .unwrap();
            assert_eq!(
                prepared.requests,
                vec![json!({"transactionId": "tx-abc"})],
                "{name}"
            );
        }
        let resolved = resolve(OcppVersion::V201, "RequestStopTransaction").unwrap();
        let own = prepare(
            &db.sql,
            "CP1",
            &resolved,
            json!({"transactionId": "tx-abc"}),
        )
        .unwrap()
        .unwrap();
        assert_eq!(own.requests, vec![json!({"transactionId": "tx-abc"})]);
        let other = prepare(&db.sql, "CP2", &resolved, json!({ "transactionId": id }))
            .unwrap()
            .unwrap_err();
        assert!(other.contains("no transaction"), "{other}");
        let to_16 = resolve(OcppVersion::V16, "RequestStopTransaction").unwrap();
        let prepared = prepare(&db.sql, "CP1", &to_16, json!({"transactionId": "42"}))
            .unwrap()
            .unwrap();
        assert_eq!(prepared.requests, vec![json!({"transactionId": 42})]);
    }
}
