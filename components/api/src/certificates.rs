//! The certificates stations hold ([`csms_commands::certificates`]):
//! `GET /api/v1/charge-points/{id}/certificates` for one station, and
//! `GET /api/v1/certificates/expiring` for the ones of every station that expire soon (or have
//! expired), soonest first, so that an operator renews them in time.

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use csms_commands::certificates::{self, Held};
use csms_store::Sql;
use ocpp_protocol::timestamp::format_utc;
use serde::Serialize;

use crate::problem::ApiError;
use crate::query::Query;
use crate::Reply;

pub(crate) const EXPIRING_PARAMS: [&str; 1] = ["within_days"];
const DEFAULT_WITHIN_DAYS: i64 = 30;
/// The most an answer lists; an operator with more renews the soonest first.
const MAX_ITEMS: i64 = 1000;

#[derive(Debug, Serialize)]
struct View {
    charge_point_id: String,
    certificates: Vec<Held>,
}

#[derive(Debug, Serialize)]
struct Expiring {
    /// Certificates whose `not_after` is before this instant.
    before: String,
    items: Vec<Held>,
}

pub(crate) fn list(sql: &impl Sql, cp: &str) -> Result<Reply, ApiError> {
    crate::charge_points::require(sql, cp)?;
    let held = certificates::list(sql, cp)
        .with_context(|| format!("loading the certificates of charge point {cp:?}"))?;
    Reply::ok(&View {
        charge_point_id: cp.to_owned(),
        certificates: held,
    })
}

pub(crate) fn expiring(
    sql: &impl Sql,
    query: &Query,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let days = query
        .integer("within_days", 0..=3650)?
        .unwrap_or(DEFAULT_WITHIN_DAYS);
    let before = format_utc(now + Duration::days(days));
    let items = certificates::expiring(sql, &before, MAX_ITEMS)
        .context("listing the certificates that expire soon")?;
    Reply::ok(&Expiring { before, items })
}

#[cfg(test)]
mod tests {
    use crate::test_support::Bench;

    #[test]
    fn certificates_expiring_within_the_window_are_listed_soonest_first() {
        let bench = Bench::new();
        // Bench's clock: 2026-11-23T20:15:00Z.
        bench.exec(
            "INSERT INTO charge_points (id, created_at, updated_at) VALUES ('CP1', 't', 't');\n\
             INSERT INTO station_certificates VALUES ('CP1', 'ChargingStationCertificate', 'SHA256', 'a', 'b', '1', 'CN=CP1', '2026-12-01T00:00:00Z', 'signed', 't');\n\
             INSERT INTO station_certificates VALUES ('CP1', 'CSMSRootCertificate', 'SHA256', 'c', 'd', '2', 'CN=Root', '2036-01-01T00:00:00Z', 'installed', 't');\n\
             INSERT INTO station_certificates VALUES ('CP2', 'ChargingStationCertificate', 'SHA256', 'e', 'f', '3', 'CN=CP2', '2026-11-20T00:00:00Z', 'signed', 't');\n\
             INSERT INTO station_certificates VALUES ('CP2', 'ManufacturerRootCertificate', 'SHA256', 'g', 'h', '4', NULL, NULL, 'reported', 't')",
        );
        let soon = bench.call("GET", "/api/v1/certificates/expiring", "");
        assert_eq!(soon.status, 200, "{}", soon.body);
        assert_eq!(soon.body["before"], "2026-12-23T20:15:00Z");
        let serials: Vec<_> = soon.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["serial_number"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(serials, ["3", "1"], "the expired one first");
        let none = bench.call("GET", "/api/v1/certificates/expiring?within_days=0", "");
        assert_eq!(none.body["items"].as_array().unwrap().len(), 1);
        bench
            .call("GET", "/api/v1/certificates/expiring?within_days=-1", "")
            .problem(400);
        let one = bench.call("GET", "/api/v1/charge-points/CP1/certificates", "");
        assert_eq!(one.body["certificates"].as_array().unwrap().len(), 2);
        assert_eq!(
            bench
                .call("GET", "/api/v1/charge-points/CP9/certificates", "")
                .status,
            404
        );
    }
}
