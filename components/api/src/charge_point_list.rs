//! `GET /api/v1/charge-points` and `GET /api/v1/tariffs/{id}/charge-points`: charge points
//! ordered by id, each as `GET /api/v1/charge-points/{id}` shows it.
//!
//! Filters: `registration_status` (what the registry says), `status` (a connector status:
//! the charge point matches when any of its connectors, connector 0 included, is in it),
//! `tariff_id`, `id_prefix` (ids that start with it, case-sensitive, as ids are), `ocpp_version`
//! (the version of the last boot, as the registry holds it) and `online` (the live connection
//! state in the key-value store).
//!
//! `online` cannot be answered by SQL: each candidate's connection state is a key-value read.
//! So that one request stays cheap however few charge points match, at most
//! [`ONLINE_SCAN_BUDGET`] charge points are looked at per request; a page may then hold
//! fewer than `limit` items (even none) while `next_cursor` is not null. Without `online`,
//! only the charge points on the page are read from the key-value store.

use std::collections::HashMap;

use anyhow::Context as _;
use csms_store::{KeyValue, Row, Sql, SqlValue, StoreError};

use crate::charge_points::{self, ChargePointView, ConnectionView, ConnectorView};
use crate::pagination::{self, Page, PageRequest};
use crate::problem::ApiError;
use crate::query::Query;
use crate::{tariffs, Reply};

pub(crate) const PARAMS: [&str; 8] = [
    "limit",
    "cursor",
    "online",
    "status",
    "registration_status",
    "tariff_id",
    "id_prefix",
    "ocpp_version",
];
pub(crate) const TARIFF_PARAMS: [&str; 2] = pagination::PARAMS;

/// OCPP 1.6 ChargePointStatus, then what 2.0.1 ConnectorStatusEnumType adds.
pub(crate) const CONNECTOR_STATUSES: [&str; 10] = [
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEVSE",
    "SuspendedEV",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
    "Occupied",
];
/// OCPP 1.6 RegistrationStatus.
pub(crate) const REGISTRATION_STATUSES: [&str; 3] = ["Accepted", "Pending", "Rejected"];

/// Charge points looked at per request when filtering by `online`.
const ONLINE_SCAN_BUDGET: usize = 1000;
const LIST: &str = "charge-points";

#[derive(Debug, Default)]
struct Filter {
    online: Option<bool>,
    status: Option<&'static str>,
    registration_status: Option<&'static str>,
    tariff_id: Option<String>,
    id_prefix: Option<String>,
    ocpp_version: Option<&'static str>,
}

pub(crate) fn list(sql: &impl Sql, kv: &impl KeyValue, query: &Query) -> Result<Reply, ApiError> {
    let filter = Filter {
        online: query.bool("online")?,
        status: query.one_of("status", &CONNECTOR_STATUSES)?,
        registration_status: query.one_of("registration_status", &REGISTRATION_STATUSES)?,
        tariff_id: query.text("tariff_id", tariffs::MAX_ID_CHARS)?,
        id_prefix: query.text("id_prefix", charge_points::MAX_ID_CHARS)?,
        ocpp_version: query.one_of("ocpp_version", &charge_points::OCPP_VERSIONS)?,
    };
    let request = PageRequest::from_query(query, LIST)?;
    Reply::ok(&page(sql, kv, &filter, &request)?)
}

pub(crate) fn of_tariff(
    sql: &impl Sql,
    kv: &impl KeyValue,
    tariff_id: &str,
    query: &Query,
) -> Result<Reply, ApiError> {
    let request = PageRequest::from_query(query, LIST)?;
    if !tariffs::exists(sql, tariff_id)? {
        return Err(tariffs::not_found(tariff_id));
    }
    let filter = Filter {
        tariff_id: Some(tariff_id.to_owned()),
        ..Filter::default()
    };
    Reply::ok(&page(sql, kv, &filter, &request)?)
}

fn page(
    sql: &impl Sql,
    kv: &impl KeyValue,
    filter: &Filter,
    request: &PageRequest<String>,
) -> Result<Page<ChargePointView>, ApiError> {
    let mut conditions: Vec<String> = Vec::new();
    let mut params: Vec<SqlValue> = Vec::new();
    if let Some(status) = filter.registration_status {
        conditions.push("registration_status = ?".into());
        params.push(status.into());
    }
    if let Some(tariff_id) = &filter.tariff_id {
        conditions.push("tariff_id = ?".into());
        params.push(tariff_id.into());
    }
    if let Some(prefix) = &filter.id_prefix {
        // A range on the primary key, so the index finds the first match and the page ends
        // at the last one; ids compare as their UTF-8 bytes, which is code point order.
        conditions.push("id >= ?".into());
        params.push(prefix.into());
        if let Some(upper) = prefix_upper_bound(prefix) {
            conditions.push("id < ?".into());
            params.push(upper.into());
        }
    }
    if let Some(version) = filter.ocpp_version {
        conditions.push("ocpp_version = ?".into());
        params.push(version.into());
    }
    if let Some(status) = filter.status {
        conditions.push(
            "EXISTS (SELECT 1 FROM connectors c WHERE c.charge_point_id = charge_points.id \
             AND c.status = ?)"
                .into(),
        );
        params.push(status.into());
    }

    let wanted = usize::try_from(request.fetch()).unwrap_or(usize::MAX);
    let mut found: Vec<(Row, Option<ConnectionView>)> = Vec::new();
    let mut after = request.after.clone();
    let mut scanned = 0usize;
    let exhausted = loop {
        let mut batch_conditions = conditions.clone();
        let mut batch_params = params.clone();
        if let Some(after) = &after {
            batch_conditions.push("id > ?".into());
            batch_params.push(after.into());
        }
        batch_params.push(request.fetch().into());
        let rows = sql
            .execute(
                &format!(
                    "SELECT {} FROM charge_points{} ORDER BY id LIMIT ?",
                    charge_points::COLUMNS,
                    where_clause(&batch_conditions)
                ),
                &batch_params,
            )
            .context("listing charge points")?;
        let batch_len = rows.len();
        for row in rows {
            let id = row.text(0, "charge_points.id")?;
            scanned += 1;
            match filter.online {
                None => found.push((row, None)),
                Some(wanted_online) => {
                    let connection = charge_points::connection(kv, &id)?;
                    if connection.as_ref().is_some_and(|c| c.online) == wanted_online {
                        found.push((row, Some(connection).flatten()));
                    }
                }
            }
            after = Some(id);
            if found.len() >= wanted {
                break;
            }
        }
        if found.len() >= wanted || i64::try_from(batch_len).unwrap_or(i64::MAX) < request.fetch() {
            break found.len() < wanted;
        }
        if scanned >= ONLINE_SCAN_BUDGET {
            break false;
        }
    };

    let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
    let next_key = if found.len() > limit {
        found.truncate(limit);
        found
            .last()
            .map(|(row, _)| row.text(0, "charge_points.id"))
            .transpose()?
    } else if exhausted {
        None
    } else {
        // The scan budget ran out: continue after the last charge point looked at.
        after
    };
    let next_cursor = next_key
        .map(|key| pagination::encode(LIST, &key))
        .transpose()?;

    let ids = found
        .iter()
        .map(|(row, _)| row.text(0, "charge_points.id"))
        .collect::<Result<Vec<_>, StoreError>>()?;
    let mut connectors = connectors_of(sql, &ids)?;
    let items = found
        .into_iter()
        .zip(ids)
        .map(|((row, connection), id)| {
            let connection = match (filter.online, connection) {
                (None, _) => charge_points::connection(kv, &id)?,
                (Some(_), connection) => connection,
            };
            let connectors = connectors.remove(&id).unwrap_or_default();
            charge_points::read_view(&row, connection, connectors)
                .with_context(|| format!("reading charge point {id:?}"))
                .map_err(ApiError::from)
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Page { items, next_cursor })
}

/// The connectors of all `ids` in one query, by charge point.
fn connectors_of(
    sql: &impl Sql,
    ids: &[String],
) -> Result<HashMap<String, Vec<ConnectorView>>, ApiError> {
    let mut by_charge_point: HashMap<String, Vec<ConnectorView>> = HashMap::new();
    if ids.is_empty() {
        return Ok(by_charge_point);
    }
    let placeholders = vec!["?"; ids.len()].join(", ");
    let params: Vec<SqlValue> = ids.iter().map(SqlValue::from).collect();
    let rows = sql
        .execute(
            &format!(
                "SELECT {}, charge_point_id FROM connectors WHERE charge_point_id IN ({placeholders}) \
                 ORDER BY charge_point_id, connector_id",
                charge_points::CONNECTOR_COLUMNS
            ),
            &params,
        )
        .context("loading the connectors of the listed charge points")?;
    for row in &rows {
        let connector = charge_points::read_connector(row)
            .context("reading the connectors of the listed charge points")?;
        let id = row.text(8, "connectors.charge_point_id")?;
        by_charge_point.entry(id).or_default().push(connector);
    }
    Ok(by_charge_point)
}

/// The least string above every string that starts with `prefix`: its last character
/// replaced by the next one (dropped when it is the last code point), `None` when no string
/// is above them all.
fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match u32::from(last) + 1 {
            0xD800 => Some('\u{E000}'),
            code => char::from_u32(code),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

pub(crate) fn where_clause(conditions: &[String]) -> String {
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::test_support::Bench;

    fn ids(answer: &Value) -> Vec<String> {
        answer["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Every page of `path` (which has a query string), following `next_cursor`.
    fn all_pages(bench: &Bench, path: &str) -> Vec<Vec<String>> {
        let mut pages = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(c) => format!("{path}&cursor={c}"),
                None => path.to_owned(),
            };
            let answer = bench.call("GET", &url, "");
            assert_eq!(answer.status, 200, "{}", answer.body);
            pages.push(ids(&answer.body));
            match answer.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return pages,
            }
        }
    }

    fn register(bench: &Bench, ids: &[&str]) {
        for id in ids {
            let path = format!("/api/v1/charge-points/{}", id.replace(' ', "%20"));
            assert_eq!(bench.call("PUT", &path, "{}").status, 201);
        }
    }

    fn online(bench: &Bench, id: &str, online: bool) {
        bench.set_kv(
            &format!("cp:{id}:connection"),
            &serde_json::json!({"connection_id":"c","ocpp_version":"ocpp1.6",
                "connected_at":"2026-11-23T20:00:00Z","last_seen_at":"2026-11-23T20:00:00Z",
                "online":online})
            .to_string(),
        );
    }

    #[test]
    fn id_prefix_finds_exactly_the_ids_that_start_with_it_over_pages() {
        let bench = Bench::new();
        register(
            &bench,
            &["AB", "AB-1", "AB-2", "AB-3", "ABC", "AC", "A", "B"],
        );
        let pages = all_pages(&bench, "/api/v1/charge-points?id_prefix=AB-&limit=2");
        assert_eq!(pages, [vec!["AB-1", "AB-2"], vec!["AB-3"]]);
        let one = bench.call("GET", "/api/v1/charge-points?id_prefix=AB", "");
        assert_eq!(ids(&one.body), ["AB", "AB-1", "AB-2", "AB-3", "ABC"]);
        let none = bench.call("GET", "/api/v1/charge-points?id_prefix=ab", "");
        assert!(ids(&none.body).is_empty(), "ids are case-sensitive");
    }

    #[test]
    fn the_upper_bound_of_a_prefix_is_its_successor() {
        assert_eq!(super::prefix_upper_bound("AB").as_deref(), Some("AC"));
        assert_eq!(
            super::prefix_upper_bound("A\u{D7FF}").as_deref(),
            Some("A\u{E000}")
        );
        assert_eq!(
            super::prefix_upper_bound("A\u{10FFFF}").as_deref(),
            Some("B")
        );
        assert_eq!(super::prefix_upper_bound("\u{10FFFF}"), None);
    }

    #[test]
    fn ocpp_version_filters_by_the_last_boot() {
        let bench = Bench::new();
        register(&bench, &["CP1", "CP2", "CP3"]);
        bench.exec(
            "UPDATE charge_points SET ocpp_version = 'ocpp2.0.1' WHERE id = 'CP2';\n\
             UPDATE charge_points SET ocpp_version = 'ocpp1.6' WHERE id = 'CP3'",
        );
        let v201 = bench.call("GET", "/api/v1/charge-points?ocpp_version=ocpp2.0.1", "");
        assert_eq!(ids(&v201.body), ["CP2"]);
        let bad = bench.call("GET", "/api/v1/charge-points?ocpp_version=ocpp2.1", "");
        assert_eq!(bad.status, 400);
    }

    #[test]
    fn pages_cover_every_charge_point_once_in_id_order() {
        let bench = Bench::new();
        register(
            &bench,
            &["CP05", "CP01", "CP03", "CP02", "CP04", "CP 6", "CP07"],
        );
        let pages = all_pages(&bench, "/api/v1/charge-points?limit=3");
        assert_eq!(pages.len(), 3);
        assert_eq!(
            pages.concat(),
            vec!["CP 6", "CP01", "CP02", "CP03", "CP04", "CP05", "CP07"]
        );
        assert_eq!(pages[2].len(), 1);
        let one_page = bench.call("GET", "/api/v1/charge-points", "").body;
        assert_eq!(ids(&one_page).len(), 7);
        assert_eq!(one_page["next_cursor"], Value::Null);
        // Items are the detail view.
        assert_eq!(one_page["items"][0]["registration_status"], "Accepted");
        assert_eq!(one_page["items"][0]["online"], false);
    }

    #[test]
    fn inserts_between_pages_neither_repeat_nor_skip_earlier_rows() {
        let bench = Bench::new();
        register(&bench, &["B", "D", "F"]);
        let first = bench.call("GET", "/api/v1/charge-points?limit=2", "").body;
        assert_eq!(ids(&first), vec!["B", "D"]);
        // A is before the cursor (it will not show), E after it (it will).
        register(&bench, &["A", "E"]);
        let cursor = first["next_cursor"].as_str().unwrap();
        let second = bench
            .call(
                "GET",
                &format!("/api/v1/charge-points?limit=2&cursor={cursor}"),
                "",
            )
            .body;
        assert_eq!(ids(&second), vec!["E", "F"]);
    }

    #[test]
    fn filters_by_online_status_registration_and_tariff() {
        let bench = Bench::new();
        register(&bench, &["CP1", "CP2", "CP3", "CP4"]);
        online(&bench, "CP2", true);
        online(&bench, "CP3", false);
        bench.exec(
            "INSERT INTO connectors (charge_point_id, connector_id, status, error_code, status_at) \
             VALUES ('CP3', 1, 'Faulted', 'GroundFailure', '2026-11-23T19:00:00Z');\n\
             INSERT INTO connectors (charge_point_id, connector_id, status, error_code, status_at) \
             VALUES ('CP3', 2, 'Available', 'NoError', '2026-11-23T19:00:00Z');\n\
             INSERT INTO connectors (charge_point_id, connector_id, status, error_code, status_at) \
             VALUES ('CP4', 1, 'Available', 'NoError', '2026-11-23T19:00:00Z');\n\
             UPDATE charge_points SET registration_status = 'Pending' WHERE id = 'CP4'",
        );
        let get = |query: &str| {
            let answer = bench.call("GET", &format!("/api/v1/charge-points?{query}"), "");
            assert_eq!(answer.status, 200, "{query}: {}", answer.body);
            answer.body
        };
        assert_eq!(ids(&get("online=true")), vec!["CP2"]);
        assert_eq!(get("online=true")["items"][0]["online"], true);
        assert_eq!(ids(&get("online=false")), vec!["CP1", "CP3", "CP4"]);
        assert_eq!(ids(&get("status=Faulted")), vec!["CP3"]);
        assert_eq!(ids(&get("status=Available")), vec!["CP3", "CP4"]);
        let faulted = get("status=Faulted");
        assert_eq!(
            faulted["items"][0]["connectors"].as_array().unwrap().len(),
            2
        );
        assert_eq!(ids(&get("registration_status=Pending")), vec!["CP4"]);
        assert_eq!(
            ids(&get(
                "status=Available&online=false&registration_status=Accepted"
            )),
            vec!["CP3"]
        );
        assert!(ids(&get("tariff_id=t1")).is_empty());
        for bad in [
            "online=yes",
            "online=",
            "status=faulted",
            "registration_status=Blocked",
            "tariff_id=",
            "limit=0",
            "limit=501",
            "limit=ten",
            "cursor=!!",
            "sort=id",
        ] {
            let detail = bench
                .call("GET", &format!("/api/v1/charge-points?{bad}"), "")
                .problem(400);
            let name = bad.split('=').next().unwrap();
            assert!(detail.contains(&format!("`{name}`")), "{bad}: {detail}");
        }
    }

    #[test]
    fn online_filter_pages_within_its_scan_budget() {
        let bench = Bench::new();
        let rows: Vec<String> = (0..=1204)
            .map(|i| format!("('CP{i:04}', 'x', 'x')"))
            .collect();
        bench.exec(&format!(
            "INSERT INTO charge_points (id, created_at, updated_at) VALUES {}",
            rows.join(", ")
        ));
        online(&bench, "CP1100", true);
        online(&bench, "CP1204", true);
        let pages = all_pages(&bench, "/api/v1/charge-points?online=true&limit=500");
        // The first request looks at 1000 charge points, finds none, and says where to go on.
        assert_eq!(pages[0], Vec::<String>::new());
        assert_eq!(pages.concat(), vec!["CP1100", "CP1204"]);
    }

    #[test]
    fn a_cursor_from_another_list_or_tampered_is_400() {
        let bench = Bench::new();
        register(&bench, &["CP1", "CP2"]);
        bench.call("PUT", "/api/v1/id-tags/T1", r#"{"status":"Accepted"}"#);
        bench.call("PUT", "/api/v1/id-tags/T2", r#"{"status":"Accepted"}"#);
        let tags = bench.call("GET", "/api/v1/id-tags?limit=1", "").body;
        let foreign = tags["next_cursor"].as_str().unwrap();
        bench
            .call(
                "GET",
                &format!("/api/v1/charge-points?cursor={foreign}"),
                "",
            )
            .problem(400);
        let own = bench.call("GET", "/api/v1/charge-points?limit=1", "").body;
        let own = own["next_cursor"].as_str().unwrap();
        let tampered = format!("{}A", &own[..own.len() - 1]);
        let detail = bench
            .call(
                "GET",
                &format!("/api/v1/charge-points?cursor={tampered}"),
                "",
            )
            .problem(400);
        assert!(detail.contains("`cursor`"), "{detail}");
    }

    #[test]
    fn tariff_charge_points_lists_the_assigned_ones() {
        let bench = Bench::new();
        let tariff = r#"{"currency":"EUR","vat_percent":"25","elements":[{"price_components":[{"type":"ENERGY","price":"0.30"}]}]}"#;
        bench.call("PUT", "/api/v1/tariffs/t1", tariff);
        bench.call("PUT", "/api/v1/tariffs/t2", tariff);
        register(&bench, &["CP1", "CP2", "CP3"]);
        for (cp, t) in [("CP1", "t1"), ("CP3", "t1"), ("CP2", "t2")] {
            bench.call(
                "PUT",
                &format!("/api/v1/charge-points/{cp}/tariff"),
                &format!(r#"{{"tariff_id":"{t}"}}"#),
            );
        }
        let pages = all_pages(&bench, "/api/v1/tariffs/t1/charge-points?limit=1");
        assert_eq!(pages.concat(), vec!["CP1", "CP3"]);
        assert_eq!(
            ids(&bench
                .call("GET", "/api/v1/charge-points?tariff_id=t2", "")
                .body),
            vec!["CP2"]
        );
        bench
            .call("GET", "/api/v1/tariffs/t9/charge-points", "")
            .problem(404);
        bench
            .call("GET", "/api/v1/tariffs/t1/charge-points?online=true", "")
            .problem(400);
    }
}
