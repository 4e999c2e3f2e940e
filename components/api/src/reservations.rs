//! `GET /api/v1/charge-points/{id}/reservations`: the reservations a charge point accepted
//! (ReserveNow answered `Accepted`), newest first, with their state as of now: `active`,
//! `used` (by the transaction named), `cancelled`, `replaced` (the charge point accepted another
//! reservation on its connector, so it no longer held this one), or `expired` (past
//! expiry_date and never used; expiry is applied when read, as Spin has no timers).

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use csms_commands::reservations;
use csms_store::Sql;

use crate::pagination::PageRequest;
use crate::problem::ApiError;
use crate::query::Query;
use crate::Reply;

pub(crate) const PARAMS: [&str; 3] = ["limit", "cursor", "state"];
pub(crate) const STATES: [&str; 5] = ["active", "used", "cancelled", "replaced", "expired"];
const LIST: &str = "reservations";

pub(crate) fn list(
    sql: &impl Sql,
    cp: &str,
    query: &Query,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let request = PageRequest::<i64>::from_query(query, LIST)?;
    let state = query.one_of("state", &STATES)?;
    crate::charge_points::require(sql, cp)?;
    let items = reservations::list_for(sql, cp, state, request.after, request.fetch(), now)
        .with_context(|| format!("listing the reservations of charge point {cp:?}"))?;
    Reply::ok(&request.page(items, LIST, |r| r.id)?)
}

#[cfg(test)]
mod tests {
    use crate::test_support::Bench;

    fn bench() -> Bench {
        let bench = Bench::new();
        // Bench's clock: 2026-11-23T20:15:00Z.
        bench.exec(
            "INSERT INTO charge_points (id, created_at, updated_at) VALUES ('CP1', 't', 't');\n\
             INSERT INTO reservations (charge_point_id, reservation_id, connector_id, id_tag, expiry_date, state, created_at, updated_at) \
             VALUES ('CP1', 1, 1, 'A', '2026-11-23T21:00:00Z', 'active', 't1', 't1');\n\
             INSERT INTO reservations (charge_point_id, reservation_id, connector_id, id_tag, expiry_date, state, created_at, updated_at) \
             VALUES ('CP1', 2, 0, 'B', '2026-11-23T20:00:00Z', 'active', 't2', 't2');\n\
             INSERT INTO reservations (charge_point_id, reservation_id, connector_id, id_tag, expiry_date, state, transaction_id, created_at, updated_at) \
             VALUES ('CP1', 3, 2, 'C', '2026-11-23T22:00:00Z', 'used', 9, 't3', 't3');\n\
             INSERT INTO reservations (charge_point_id, reservation_id, connector_id, id_tag, expiry_date, state, created_at, updated_at) \
             VALUES ('CP2', 4, 1, 'D', '2026-11-23T22:00:00Z', 'active', 't4', 't4')",
        );
        bench
    }

    fn ids(body: &serde_json::Value) -> Vec<i64> {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["reservation_id"].as_i64().unwrap())
            .collect()
    }

    #[test]
    fn newest_first_with_expiry_applied_as_of_now() {
        let bench = bench();
        let all = bench.call("GET", "/api/v1/charge-points/CP1/reservations", "");
        assert_eq!(all.status, 200, "{}", all.body);
        assert_eq!(ids(&all.body), vec![3, 2, 1]);
        assert_eq!(all.body["items"][1]["state"], "expired");
        assert_eq!(all.body["items"][0]["transaction_id"], 9);
        let active = bench.call(
            "GET",
            "/api/v1/charge-points/CP1/reservations?state=active",
            "",
        );
        assert_eq!(ids(&active.body), vec![1]);
        let expired = bench.call(
            "GET",
            "/api/v1/charge-points/CP1/reservations?state=expired",
            "",
        );
        assert_eq!(ids(&expired.body), vec![2]);
    }

    #[test]
    fn pages_follow_the_cursor_and_bad_input_is_refused() {
        let bench = bench();
        let first = bench.call("GET", "/api/v1/charge-points/CP1/reservations?limit=2", "");
        assert_eq!(ids(&first.body), vec![3, 2]);
        let cursor = first.body["next_cursor"].as_str().unwrap();
        let second = bench.call(
            "GET",
            &format!("/api/v1/charge-points/CP1/reservations?limit=2&cursor={cursor}"),
            "",
        );
        assert_eq!(ids(&second.body), vec![1]);
        assert!(second.body["next_cursor"].is_null());
        bench
            .call(
                "GET",
                "/api/v1/charge-points/CP1/reservations?state=held",
                "",
            )
            .problem(400);
        bench
            .call("GET", "/api/v1/charge-points/NOPE/reservations", "")
            .problem(404);
    }
}
