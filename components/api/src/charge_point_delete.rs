//! `DELETE /api/v1/charge-points/{id}`: removes a charge point's registration, never its
//! billing history.
//!
//! Removed: the registry row (with its password hash and tariff assignment), the current
//! connector statuses, the configuration it reported, the commands still queued for it (they
//! would otherwise go out to whatever next connects under this id), the local authorization
//! list we believe it holds (a replacement unit under the same id would otherwise get
//! differential updates built on the old unit's list) and its connection state. Active
//! reservations end `cancelled` and a call still awaiting its answer ends `offline`: neither
//! can be honoured by a charge point that is gone.
//! Kept: transactions, charge detail records and meter values (billing data and its
//! evidence), connector status history, station events and commands already sent (the
//! audit trail), and the idempotency records of its messages. Re-registering the id later
//! shows that history again.
//!
//! Refused with 409 while the charge point is online or has an open transaction: deleting
//! it then would orphan a session that is still being billed. The online check reads the
//! key-value store, which no SQL transaction covers; a charge point connecting in the same
//! instant is not registered any more and is handled as an unknown one by the connection
//! component.

use anyhow::Context as _;
use csms_store::{KeyValue, Sql};

use crate::charge_points;
use crate::problem::ApiError;
use crate::Reply;

pub(crate) fn delete(sql: &impl Sql, kv: &impl KeyValue, id: &str) -> Result<Reply, ApiError> {
    if !charge_points::exists(sql, id)? {
        return Err(charge_points::not_found(id));
    }
    if charge_points::connection(kv, id)?.is_some_and(|c| c.online) {
        return Err(ApiError::Conflict(format!(
            "charge point {id:?} is online; it can be deleted once it has disconnected"
        )));
    }
    sql.transaction(|db| {
        let open = db
            .execute(
                "SELECT id FROM transactions WHERE charge_point_id = ? AND stopped_at IS NULL ORDER BY id",
                &[id.into()],
            )
            .with_context(|| format!("looking up the open transactions of charge point {id:?}"))?
            .iter()
            .map(|row| row.i64(0, "transactions.id"))
            .collect::<Result<Vec<_>, _>>()?;
        if !open.is_empty() {
            let ids = open.iter().map(i64::to_string).collect::<Vec<_>>();
            return Err(ApiError::Conflict(format!(
                "charge point {id:?} has open transaction(s) {}; it can be deleted once they are stopped",
                ids.join(", ")
            )));
        }
        let now = db.dialect().now();
        let finish_sent = format!(
            "UPDATE commands SET state = 'offline', finished_at = {now} \
             WHERE charge_point_id = ? AND state = 'sent'"
        );
        let cancel_active = format!(
            "UPDATE reservations SET state = 'cancelled', updated_at = {now} \
             WHERE charge_point_id = ? AND state = 'active'"
        );
        for (statement, what) in [
            ("DELETE FROM connectors WHERE charge_point_id = ?", "connectors"),
            (
                "DELETE FROM charge_point_configuration WHERE charge_point_id = ?",
                "configuration",
            ),
            (
                "DELETE FROM commands WHERE charge_point_id = ? AND state = 'queued'",
                "queued commands",
            ),
            (finish_sent.as_str(), "outstanding command"),
            (cancel_active.as_str(), "active reservations"),
            (
                "DELETE FROM local_list_entries WHERE charge_point_id = ?",
                "local list",
            ),
            (
                "DELETE FROM local_list_versions WHERE charge_point_id = ?",
                "local list version",
            ),
            ("DELETE FROM charge_points WHERE id = ?", "registration"),
        ] {
            db.execute(statement, &[id.into()])
                .with_context(|| format!("deleting the {what} of charge point {id:?}"))?;
        }
        Ok::<(), ApiError>(())
    })?;
    // After the registry row is gone: were this to fail, the stale state says "offline",
    // which is true, and a retried DELETE is a 404, not a half-deleted charge point.
    kv.delete(&format!("cp:{id}:connection"))
        .with_context(|| format!("deleting the connection state of charge point {id:?}"))?;
    Ok(Reply::no_content())
}

#[cfg(test)]
mod tests {
    use csms_store::{KeyValue, Sql};
    use serde_json::json;

    use crate::test_support::Bench;

    fn count(bench: &Bench, table: &str) -> i64 {
        bench
            .sql
            .execute(
                &format!("SELECT count(*) FROM {table} WHERE charge_point_id = 'CP1'"),
                &[],
            )
            .unwrap()[0]
            .i64(0, "count")
            .unwrap()
    }

    fn seeded() -> Bench {
        let bench = Bench::new();
        bench.call(
            "PUT",
            "/api/v1/charge-points/CP1",
            r#"{"password":"0123456789abcdef"}"#,
        );
        bench.exec(
            "INSERT INTO connectors (charge_point_id, connector_id, status, error_code, status_at) \
             VALUES ('CP1', 1, 'Available', 'NoError', '2026-11-23T19:00:00Z');\n\
             INSERT INTO connector_status_history (charge_point_id, connector_id, status, error_code, status_at, received_at) \
             VALUES ('CP1', 1, 'Available', 'NoError', '2026-11-23T19:00:00Z', '2026-11-23T19:00:00Z');\n\
             INSERT INTO charge_point_configuration (charge_point_id, key, value, updated_at) \
             VALUES ('CP1', 'HeartbeatInterval', '300', 'x');\n\
             INSERT INTO commands (charge_point_id, action, request, state, created_at) \
             VALUES ('CP1', 'Reset', '{}', 'queued', 'x');\n\
             INSERT INTO commands (charge_point_id, action, request, state, created_at) \
             VALUES ('CP1', 'ClearCache', '{}', 'answered', 'x');\n\
             INSERT INTO commands (charge_point_id, action, request, state, message_id, created_at) \
             VALUES ('CP1', 'GetConfiguration', '{}', 'sent', 'csms-9', 'x');\n\
             INSERT INTO reservations (charge_point_id, reservation_id, connector_id, id_tag, expiry_date, state, \
             created_at, updated_at) VALUES ('CP1', 3, 1, 'T', '2030-01-01T00:00:00Z', 'active', 'x', 'x');\n\
             INSERT INTO local_list_versions (charge_point_id, accepted_version) VALUES ('CP1', 4);\n\
             INSERT INTO local_list_entries (charge_point_id, id_tag, status) VALUES ('CP1', 'T', 'Accepted');\n\
             INSERT INTO transactions (id, charge_point_id, connector_id, id_tag, start_auth_status, meter_start_wh, \
             started_at, meter_stop_wh, stopped_at, energy_wh, created_at) VALUES (1, 'CP1', 1, 'T', 'Accepted', 0, \
             '2026-11-20T10:00:00Z', 5000, '2026-11-20T11:00:00Z', 5000, 'x');\n\
             INSERT INTO charge_detail_records (transaction_id, energy_wh, duration_s, charging_s, idle_s, \
             total_incl_vat, created_at) VALUES (1, 5000, 3600, 3600, 0, '1.50', 'x');\n\
             INSERT INTO meter_values (charge_point_id, connector_id, transaction_id, source, sampled_at, value, \
             measurand, received_at) VALUES ('CP1', 1, 1, 'MeterValues', '2026-11-20T10:30:00Z', '2500', \
             'Energy.Active.Import.Register', 'x')",
        );
        bench
    }

    #[test]
    fn delete_removes_the_registration_and_keeps_billing_history() {
        let bench = seeded();
        bench.set_kv(
            "cp:CP1:connection",
            &json!({"connection_id":"c","online":false}).to_string(),
        );
        let answer = bench.call("DELETE", "/api/v1/charge-points/CP1", "");
        assert_eq!(answer.status, 204, "{}", answer.body);
        assert!(answer.response.body.is_empty());
        bench
            .call("GET", "/api/v1/charge-points/CP1", "")
            .problem(404);
        assert_eq!(count(&bench, "connectors"), 0);
        assert_eq!(count(&bench, "charge_point_configuration"), 0);
        assert_eq!(
            count(&bench, "commands"),
            2,
            "the answered and sent commands stay"
        );
        let states = bench
            .sql
            .execute(
                "SELECT group_concat(state, ',') FROM (SELECT state FROM commands ORDER BY id) AS ordered",
                &[],
            )
            .unwrap()[0]
            .text(0, "states")
            .unwrap();
        assert_eq!(states, "answered,offline");
        let reservation = bench
            .sql
            .execute("SELECT state FROM reservations", &[])
            .unwrap()[0]
            .text(0, "state")
            .unwrap();
        assert_eq!(
            reservation, "cancelled",
            "kept as history, no longer active"
        );
        assert_eq!(count(&bench, "local_list_entries"), 0);
        assert_eq!(count(&bench, "local_list_versions"), 0);
        assert_eq!(count(&bench, "transactions"), 1);
        assert_eq!(count(&bench, "meter_values"), 1);
        assert_eq!(count(&bench, "connector_status_history"), 1);
        let cdr = bench.call("GET", "/api/v1/transactions/1", "").body;
        assert_eq!(cdr["charge_detail_record"]["total_incl_vat"], "1.50");
        assert_eq!(bench.kv.get("cp:CP1:connection").unwrap(), None);
        bench
            .call("DELETE", "/api/v1/charge-points/CP1", "")
            .problem(404);
    }

    #[test]
    fn delete_is_refused_while_online_or_charging() {
        let bench = seeded();
        bench.set_kv(
            "cp:CP1:connection",
            &json!({"connection_id":"c","online":true}).to_string(),
        );
        let detail = bench
            .call("DELETE", "/api/v1/charge-points/CP1", "")
            .problem(409);
        assert!(detail.contains("online"), "{detail}");
        bench.set_kv(
            "cp:CP1:connection",
            &json!({"connection_id":"c","online":false}).to_string(),
        );
        bench.exec(
            "INSERT INTO transactions (id, charge_point_id, connector_id, id_tag, start_auth_status, meter_start_wh, \
             started_at, created_at) VALUES (2, 'CP1', 1, 'T', 'Accepted', 5000, '2026-11-23T20:00:00Z', 'x')",
        );
        let detail = bench
            .call("DELETE", "/api/v1/charge-points/CP1", "")
            .problem(409);
        assert!(detail.contains("open transaction(s) 2"), "{detail}");
        assert_eq!(
            bench.call("GET", "/api/v1/charge-points/CP1", "").status,
            200
        );
        assert_eq!(count(&bench, "connectors"), 1);
    }
}
