//! The local authorization list of a charge point: `GET /api/v1/charge-points/{id}/local-list`
//! (the version it last accepted from a SendLocalList and the version it last reported to
//! GetLocalListVersion; when they differ, only a Full update puts it back in a known state)
//! and `GET .../local-list/entries` (the entries it holds as of that acceptance, by idTag).

use anyhow::Context as _;
use csms_store::{Row, Sql, SqlValue, StoreError};
use serde::Serialize;

use crate::pagination::{self, PageRequest};
use crate::problem::ApiError;
use crate::query::Query;
use crate::Reply;

pub(crate) const ENTRY_PARAMS: [&str; 2] = pagination::PARAMS;
const ENTRIES: &str = "local-list-entries";

#[derive(Debug, Serialize)]
struct LocalListEntry {
    id_tag: String,
    status: String,
    expiry_date: Option<String>,
    parent_id_tag: Option<String>,
}

pub(crate) fn get(sql: &impl Sql, cp: &str) -> Result<Reply, ApiError> {
    crate::charge_points::require(sql, cp)?;
    let version = csms_commands::local_list::version(sql, cp)
        .with_context(|| format!("reading the local list version of charge point {cp:?}"))?;
    Reply::ok(&version)
}

pub(crate) fn entries(sql: &impl Sql, cp: &str, query: &Query) -> Result<Reply, ApiError> {
    let request = PageRequest::<String>::from_query(query, ENTRIES)?;
    crate::charge_points::require(sql, cp)?;
    let mut params: Vec<SqlValue> = vec![cp.into()];
    let after = match &request.after {
        Some(after) => {
            params.push(after.as_str().into());
            " AND id_tag > ?"
        }
        None => "",
    };
    params.push(request.fetch().into());
    let rows = sql
        .execute(
            &format!(
                "SELECT id_tag, status, expiry_date, parent_id_tag FROM local_list_entries \
                 WHERE charge_point_id = ?{after} ORDER BY id_tag LIMIT ?"
            ),
            &params,
        )
        .with_context(|| format!("listing the local list of charge point {cp:?}"))?;
    let items = rows
        .iter()
        .map(read)
        .collect::<Result<Vec<_>, StoreError>>()
        .with_context(|| format!("reading the local list of charge point {cp:?}"))?;
    Reply::ok(&request.page(items, ENTRIES, |e| e.id_tag.clone())?)
}

fn read(row: &Row) -> Result<LocalListEntry, StoreError> {
    const CTX: &str = "local_list_entries";
    Ok(LocalListEntry {
        id_tag: row.text(0, CTX)?,
        status: row.text(1, CTX)?,
        expiry_date: row.opt_text(2, CTX)?,
        parent_id_tag: row.opt_text(3, CTX)?,
    })
}

#[cfg(test)]
mod tests {
    use crate::test_support::Bench;

    #[test]
    fn versions_and_entries_as_the_charge_point_holds_them() {
        let bench = Bench::new();
        bench.exec(
            "INSERT INTO charge_points (id, created_at, updated_at) VALUES ('CP1', 't', 't');\n\
             INSERT INTO local_list_versions (charge_point_id, accepted_version, accepted_at, accepted_command_id, reported_version, reported_at) \
             VALUES ('CP1', 3, '2026-11-23T10:00:00Z', 12, 2, '2026-11-23T11:00:00Z');\n\
             INSERT INTO local_list_entries (charge_point_id, id_tag, status) VALUES ('CP1', 'B', 'Blocked');\n\
             INSERT INTO local_list_entries (charge_point_id, id_tag, status, parent_id_tag) VALUES ('CP1', 'A', 'Accepted', 'P');\n\
             INSERT INTO local_list_entries (charge_point_id, id_tag, status) VALUES ('CP1', 'C', 'Accepted')",
        );
        let version = bench.call("GET", "/api/v1/charge-points/CP1/local-list", "");
        assert_eq!(version.status, 200, "{}", version.body);
        assert_eq!(version.body["accepted_version"], 3);
        assert_eq!(version.body["reported_version"], 2);
        let first = bench.call(
            "GET",
            "/api/v1/charge-points/CP1/local-list/entries?limit=2",
            "",
        );
        let tags: Vec<_> = first.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id_tag"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(tags, ["A", "B"]);
        assert_eq!(first.body["items"][0]["parent_id_tag"], "P");
        let cursor = first.body["next_cursor"].as_str().unwrap();
        let rest = bench.call(
            "GET",
            &format!("/api/v1/charge-points/CP1/local-list/entries?limit=2&cursor={cursor}"),
            "",
        );
        assert_eq!(rest.body["items"][0]["id_tag"], "C");
        assert!(rest.body["next_cursor"].is_null());
        bench
            .call("GET", "/api/v1/charge-points/CP9/local-list", "")
            .problem(404);
    }

    #[test]
    fn a_charge_point_never_sent_a_list_has_no_versions() {
        let bench = Bench::new();
        bench.exec(
            "INSERT INTO charge_points (id, created_at, updated_at) VALUES ('CP1', 't', 't')",
        );
        let version = bench.call("GET", "/api/v1/charge-points/CP1/local-list", "");
        assert_eq!(version.status, 200, "{}", version.body);
        assert!(version.body["accepted_version"].is_null());
        assert!(version.body["reported_version"].is_null());
    }
}
