//! A 2.0.1 CostUpdated with the running cost: an operator's CostUpdated that names the
//! station's `transactionId` and no `totalCost` gets the cost of the session so far, priced by
//! the transactions component with the session's own tariff (as its final record will be) up
//! to the newest energy register sample. A `totalCost` the operator gives is sent as given.

use anyhow::Context as _;
use csms_contracts::transactions::RunningCost;
use csms_store::Sql;
use serde_json::Value;

use crate::problem::ApiError;
use crate::TransactionsService;

pub(crate) const ACTION: &str = "CostUpdated";

/// `payload` with `totalCost` filled in when it has none.
pub(crate) fn with_running_cost(
    sql: &impl Sql,
    service: &dyn TransactionsService,
    cp: &str,
    mut payload: Value,
) -> Result<Value, ApiError> {
    if payload.get("totalCost").is_some() {
        return Ok(payload);
    }
    let Some(station_id) = payload.get("transactionId").and_then(Value::as_str) else {
        return Err(ApiError::bad_request(
            "CostUpdated needs `transactionId` (the station's transaction id), and `totalCost` \
             unless the running cost is to be computed",
        ));
    };
    let rows = sql
        .execute(
            "SELECT id, stopped_at FROM transactions WHERE charge_point_id = ? AND station_transaction_id = ?",
            &[cp.into(), station_id.into()],
        )
        .with_context(|| format!("finding transaction {station_id:?} of charge point {cp:?}"))?;
    let Some(row) = rows.first() else {
        return Err(ApiError::bad_request(format!(
            "charge point {cp:?} has no transaction {station_id:?}"
        )));
    };
    let id = row
        .i64(0, "transactions.id")
        .context("reading a transaction")?;
    if row
        .opt_text(1, "transactions.stopped_at")
        .context("reading a transaction")?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "transaction {station_id:?} has ended: its cost is in its charge detail record"
        )));
    }
    let (status, body) = service.running_cost(id).map_err(|e| {
        anyhow::anyhow!("asking the transactions component for the running cost of {id}: {e}")
    })?;
    if status == 409 {
        return Err(ApiError::Conflict(
            body["error"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    if status != 200 {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "the transactions component answered {status} for the running cost of {id}: {body}"
        )));
    }
    let cost: RunningCost = serde_json::from_value(body)
        .context("reading the transactions component's running cost")?;
    let total = match (&cost.total_incl_vat, &cost.pricing_error) {
        (Some(total), _) => total,
        (None, error) => {
            return Err(ApiError::Conflict(format!(
                "transaction {station_id:?} cannot be priced: {}",
                error.as_deref().unwrap_or("no total")
            )))
        }
    };
    payload["totalCost"] = csms_contracts::transactions::total_cost(total).ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("running cost {total:?} is not a number"))
    })?;
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use crate::test_support::Bench;
    use serde_json::json;

    #[test]
    fn a_cost_update_without_total_gets_the_running_cost_of_the_open_session() {
        let bench = Bench::new();
        bench.exec(
            "INSERT INTO charge_points (id, ocpp_version, created_at, updated_at) \
             VALUES ('CP1', 'ocpp2.0.1', 'x', 'x');\n\
             INSERT INTO transactions (charge_point_id, connector_id, id_tag, start_auth_status, \
             meter_start_wh, started_at, created_at, ocpp_version, station_transaction_id) \
             VALUES ('CP1', 1, 'ALICE', 'Accepted', 0, '2026-05-04T10:00:00Z', 'x', 'ocpp2.0.1', 'tx-1');\n\
             INSERT INTO transactions (charge_point_id, connector_id, id_tag, start_auth_status, \
             meter_start_wh, started_at, stopped_at, created_at, ocpp_version, station_transaction_id) \
             VALUES ('CP1', 2, 'BOB', 'Accepted', 0, 'x', 'y', 'x', 'ocpp2.0.1', 'tx-2')",
        );
        let queued = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/CostUpdated",
            r#"{"transactionId":"tx-1"}"#,
        );
        assert_eq!(queued.status, 202, "{}", queued.body);
        let id = queued.body["command_id"].as_i64().unwrap();
        let view = bench.call("GET", &format!("/api/v1/commands/{id}"), "");
        assert_eq!(
            view.body["request"],
            json!({"transactionId": "tx-1", "totalCost": 3.75})
        );
        let given = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/CostUpdated",
            r#"{"transactionId":"tx-1","totalCost":1.5}"#,
        );
        assert_eq!(given.status, 202, "{}", given.body);
        let ended = bench
            .call(
                "POST",
                "/api/v1/charge-points/CP1/commands/CostUpdated",
                r#"{"transactionId":"tx-2"}"#,
            )
            .problem(409);
        assert!(ended.contains("ended"), "{ended}");
        bench
            .call(
                "POST",
                "/api/v1/charge-points/CP1/commands/CostUpdated",
                r#"{"transactionId":"tx-9"}"#,
            )
            .problem(400);
    }
}
