//! The Local Authorization List of each charge point, built from the idTag registry
//! (`id_tags`) and tracked as the charge point accepted it.
//!
//! The operator may queue SendLocalList with only `{"updateType": "Full" | "Differential"}`
//! ([`to_build`]); the list is then built when the command is sent ([`build`], called by
//! [`crate::delivery::claim_next`]), not when it is queued, so that it reflects the registry
//! and the charge point's accepted version at that moment, and two queued updates each build
//! on the one before:
//!
//! - Full: every registered tag with its idTagInfo (status, expiryDate, parentIdTag); the
//!   version is one above any version known for the charge point.
//! - Differential: the tags added or changed since the list the charge point last accepted,
//!   and an entry without idTagInfo for each tag no longer registered (1.6's removal); the
//!   version is the accepted one + 1. What the charge point holds must be known for that, so
//!   the command is not sent (a Full update is needed) when a GetLocalListVersion answer since
//!   the last acceptance reported another version, when no list was ever accepted (a charge
//!   point that came from another central system may hold anything, revoked tags included)
//!   unless it reported version 0 (no list), or when it answered a Differential with
//!   VersionMismatch, which clears what was recorded ([`mismatched`]).
//!
//! When the charge point reported `SendLocalListMaxLength` (entries per message) or
//! `LocalAuthListMaxLength` (entries in its list) through GetConfiguration, or, in 2.0.1,
//! `LocalAuthListCtrlr.ItemsPerMessage` or the `maxLimit` of `LocalAuthListCtrlr.Entries` in
//! its device model, a list beyond them is not sent either; the command ends in state `error` with code [`NOT_BUILT`] and why.
//! The built list replaces the queued request, so the command shows what was sent; should the
//! publish then fail ([`crate::delivery::release`]) the same list goes out on the next try.
//! An operator's explicit payload is sent as given. Either way an `Accepted` answer records
//! the version and entries ([`accepted`]), and GetLocalListVersion the version reported.

use std::collections::BTreeMap;

use csms_store::Sql;
use ocpp_protocol::timestamp::{format_utc, parse_utc};
use ocpp_protocol::OcppVersion;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::device_model::{limit, Limit};
use crate::CommandError;

/// The error code of a SendLocalList the central system could not build.
pub const NOT_BUILT: &str = "LocalListNotBuilt";

/// What is known of a charge point's list version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct LocalListVersion {
    pub charge_point_id: String,
    /// The version of the last SendLocalList the charge point accepted.
    pub accepted_version: Option<i64>,
    pub accepted_at: Option<String>,
    pub accepted_command_id: Option<i64>,
    /// The version the last GetLocalListVersion answer reported (-1: no list support).
    pub reported_version: Option<i64>,
    pub reported_at: Option<String>,
    /// How many entries the charge point holds as of its last accepted SendLocalList.
    pub entries: i64,
}

/// One entry of a charge point's list as last accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id_tag: String,
    pub status: String,
    pub expiry_date: Option<String>,
    pub parent_id_tag: Option<String>,
}

impl Entry {
    /// The list entry in `ocpp`'s form; `types` gives a 2.0.1 token its type.
    fn item(&self, ocpp: OcppVersion, types: &BTreeMap<String, String>) -> Value {
        let mut info = Map::new();
        info.insert("status".into(), self.status.as_str().into());
        match ocpp {
            OcppVersion::V16 => {
                if let Some(expiry) = &self.expiry_date {
                    info.insert("expiryDate".into(), expiry.as_str().into());
                }
                if let Some(parent) = &self.parent_id_tag {
                    info.insert("parentIdTag".into(), parent.as_str().into());
                }
                json!({"idTag": self.id_tag, "idTagInfo": info})
            }
            OcppVersion::V201 => {
                if let Some(expiry) = &self.expiry_date {
                    info.insert("cacheExpiryDateTime".into(), expiry.as_str().into());
                }
                if let Some(parent) = &self.parent_id_tag {
                    info.insert(
                        "groupIdToken".into(),
                        json!({"idToken": parent, "type": "Central"}),
                    );
                }
                json!({"idToken": self.id_token(types), "idTokenInfo": info})
            }
        }
    }

    /// The entry that removes this tag from a Differential list (no idTagInfo / idTokenInfo).
    fn removal(&self, ocpp: OcppVersion, types: &BTreeMap<String, String>) -> Value {
        match ocpp {
            OcppVersion::V16 => json!({"idTag": self.id_tag}),
            OcppVersion::V201 => json!({"idToken": self.id_token(types)}),
        }
    }

    /// A 2.0.1 idToken: the registry's type, else ISO14443. A token registered without a
    /// type matches any type when the CSMS decides, but a list entry must name one, and a
    /// local list is for the cards a station checks offline.
    fn id_token(&self, types: &BTreeMap<String, String>) -> Value {
        let kind = types
            .get(&self.id_tag.to_ascii_uppercase())
            .map_or(UNTYPED_LIST_TOKEN, String::as_str);
        json!({"idToken": self.id_tag, "type": kind})
    }
}

/// The type a 2.0.1 list gives a token registered without one.
pub const UNTYPED_LIST_TOKEN: &str = "ISO14443";

/// The version state of a charge point (all `None` before any answer).
pub fn version(sql: &impl Sql, charge_point_id: &str) -> Result<LocalListVersion, CommandError> {
    const CTX: &str = "local_list_versions";
    let rows = sql.execute(
        "SELECT accepted_version, accepted_at, accepted_command_id, reported_version, reported_at, \
         (SELECT count(*) FROM local_list_entries WHERE charge_point_id = ?1) \
         FROM (SELECT 1) AS one LEFT JOIN local_list_versions ON charge_point_id = ?1",
        &[charge_point_id.into()],
    )?;
    let Some(row) = rows.first() else {
        return Ok(LocalListVersion {
            charge_point_id: charge_point_id.to_owned(),
            ..Default::default()
        });
    };
    Ok(LocalListVersion {
        charge_point_id: charge_point_id.to_owned(),
        accepted_version: row.opt_i64(0, CTX)?,
        accepted_at: row.opt_text(1, CTX)?,
        accepted_command_id: row.opt_i64(2, CTX)?,
        reported_version: row.opt_i64(3, CTX)?,
        reported_at: row.opt_text(4, CTX)?,
        entries: row.i64(5, CTX)?,
    })
}

/// The entries a charge point holds as of its last accepted SendLocalList, by idTag.
pub fn entries(sql: &impl Sql, charge_point_id: &str) -> Result<Vec<Entry>, CommandError> {
    const CTX: &str = "local_list_entries";
    let rows = sql.execute(
        "SELECT id_tag, status, expiry_date, parent_id_tag FROM local_list_entries \
         WHERE charge_point_id = ? ORDER BY id_tag",
        &[charge_point_id.into()],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Entry {
                id_tag: r.text(0, CTX)?,
                status: r.text(1, CTX)?,
                expiry_date: r.opt_text(2, CTX)?,
                parent_id_tag: r.opt_text(3, CTX)?,
            })
        })
        .collect()
}

/// Whether a SendLocalList request is the operator's "build it for me" form: an object with
/// only `updateType`. `Err` says why such a request is not valid.
pub fn to_build(request: &Value) -> Result<bool, String> {
    let Some(object) = request.as_object() else {
        return Ok(false);
    };
    if object.len() != 1 {
        return Ok(false);
    }
    match object.get("updateType") {
        None => Ok(false),
        Some(Value::String(t)) if t == "Full" || t == "Differential" => Ok(true),
        Some(other) => Err(format!(
            "updateType: {other} is not \"Full\" or \"Differential\""
        )),
    }
}

/// Builds the SendLocalList request for a [`to_build`] request: `Ok(Err(reason))` when it
/// must not be sent.
pub(crate) fn build(
    sql: &impl Sql,
    charge_point_id: &str,
    ocpp: OcppVersion,
    request: &Value,
) -> Result<Result<Value, String>, CommandError> {
    let full = request.get("updateType").and_then(Value::as_str) == Some("Full");
    let state = version(sql, charge_point_id)?;
    let registry = match registry(sql, ocpp)? {
        Ok(registry) => registry,
        Err(reason) => return Ok(Err(reason)),
    };
    let types = token_types(sql)?;
    let accepted = state.accepted_version.unwrap_or(0);
    let (update_type, list_version, items, resulting) = if full {
        let known = accepted.max(state.reported_version.unwrap_or(0));
        let items: Vec<Value> = registry.values().map(|e| e.item(ocpp, &types)).collect();
        let size = items.len();
        ("Full", known + 1, items, size)
    } else {
        if let Some(reason) = unknown_base(&state) {
            return Ok(Err(reason));
        }
        let base: BTreeMap<String, Entry> = entries(sql, charge_point_id)?
            .into_iter()
            .map(|e| (e.id_tag.to_ascii_uppercase(), e))
            .collect();
        let mut items: Vec<Value> = registry
            .iter()
            .filter(|(key, entry)| base.get(*key) != Some(*entry))
            .map(|(_, entry)| entry.item(ocpp, &types))
            .collect();
        items.extend(
            base.iter()
                .filter(|(key, _)| !registry.contains_key(*key))
                .map(|(_, gone)| gone.removal(ocpp, &types)),
        );
        ("Differential", accepted + 1, items, registry.len())
    };
    let (per_message, in_list) = match ocpp {
        OcppVersion::V16 => (
            (
                "SendLocalListMaxLength",
                configured(sql, charge_point_id, "SendLocalListMaxLength")?,
            ),
            (
                "LocalAuthListMaxLength",
                configured(sql, charge_point_id, "LocalAuthListMaxLength")?,
            ),
        ),
        OcppVersion::V201 => (
            (
                "LocalAuthListCtrlr.ItemsPerMessage",
                limit(
                    sql,
                    charge_point_id,
                    "LocalAuthListCtrlr",
                    "ItemsPerMessage",
                    "",
                    Limit::Value,
                )?,
            ),
            (
                "LocalAuthListCtrlr.Entries maxLimit",
                limit(
                    sql,
                    charge_point_id,
                    "LocalAuthListCtrlr",
                    "Entries",
                    "",
                    Limit::MaxLimit,
                )?,
            ),
        ),
    };
    let limits = [
        (per_message, items.len(), "entries in one SendLocalList"),
        (in_list, resulting, "entries in its list"),
    ];
    for ((key, max), count, what) in limits {
        if let Some(max) = max {
            if count as i64 > max {
                return Ok(Err(format!(
                    "the {update_type} update would need {count} {what}; the charge point takes at most {max} ({key})"
                )));
            }
        }
    }
    let version_field = match ocpp {
        OcppVersion::V16 => "listVersion",
        OcppVersion::V201 => "versionNumber",
    };
    let built = json!({
        version_field: list_version,
        "updateType": update_type,
        "localAuthorizationList": items,
    });
    Ok(
        match crate::operations::validate_request(ocpp, "SendLocalList", &built) {
            Ok(()) => Ok(built),
            Err(e) => Err(format!(
                "the list built from the idTag registry is not a valid SendLocalList: {}",
                e.description
            )),
        },
    )
}

/// The token type each registered token has, by upper-cased token (typed tokens only).
fn token_types(sql: &impl Sql) -> Result<BTreeMap<String, String>, CommandError> {
    let rows = sql.execute(
        "SELECT id_tag, token_type FROM id_tags WHERE token_type IS NOT NULL",
        &[],
    )?;
    rows.iter()
        .map(|r| {
            Ok((
                r.text(0, "id_tags")?.to_ascii_uppercase(),
                r.text(1, "id_tags")?,
            ))
        })
        .collect()
}

/// Why a Differential update cannot be built on what the charge point last accepted: a
/// GetLocalListVersion answer since then reported another version.
fn unknown_base(state: &LocalListVersion) -> Option<String> {
    if state.accepted_version.is_none() && state.reported_version != Some(0) {
        return Some(
            "no list the charge point accepted is on record, so what it holds is unknown: \
             send a Full update (or GetLocalListVersion first: a charge point that reports 0 holds none)"
                .to_owned(),
        );
    }
    let reported = state.reported_version.filter(|v| *v >= 0)?;
    let accepted = state.accepted_version.unwrap_or(0);
    let reported_since = match (&state.reported_at, &state.accepted_at) {
        (Some(reported_at), Some(accepted_at)) => {
            match (parse_utc(reported_at), parse_utc(accepted_at)) {
                (Some(r), Some(a)) => r >= a,
                _ => true,
            }
        }
        _ => true,
    };
    (reported_since && reported != accepted).then(|| {
        format!(
            "the charge point reported list version {reported}, not the {accepted} it last accepted: \
             what it holds is unknown, send a Full update"
        )
    })
}

/// Every registered tag as a list entry, by upper-cased idTag (idTokens are case-insensitive).
fn registry(
    sql: &impl Sql,
    ocpp: OcppVersion,
) -> Result<Result<BTreeMap<String, Entry>, String>, CommandError> {
    const CTX: &str = "id_tags";
    // A 1.6 list holds CiString20 idTags: longer 2.0.1 tokens cannot be on it. A 2.0.1 list
    // takes the registry's 36 characters.
    let max = match ocpp {
        OcppVersion::V16 => 20,
        OcppVersion::V201 => 36,
    };
    let rows = sql.execute(
        "SELECT id_tag, status, expiry_date, CASE WHEN length(parent_id_tag) <= ?1 THEN parent_id_tag END \
         FROM id_tags WHERE length(id_tag) <= ?1 ORDER BY id_tag",
        &[max.into()],
    )?;
    let mut registry = BTreeMap::new();
    for row in &rows {
        let id_tag = row.text(0, CTX)?;
        let expiry_date = match row.opt_text(2, CTX)?.filter(|e| !e.trim().is_empty()) {
            None => None,
            Some(text) => match parse_utc(&text) {
                Some(instant) => Some(format_utc(instant)),
                None => {
                    return Ok(Err(format!(
                        "idTag {id_tag:?} has expiry date {text:?}, not an RFC 3339 date-time"
                    )))
                }
            },
        };
        let entry = Entry {
            status: list_status(&row.text(1, CTX)?).to_owned(),
            expiry_date,
            parent_id_tag: row.opt_text(3, CTX)?.filter(|p| !p.is_empty()),
            id_tag,
        };
        registry.insert(entry.id_tag.to_ascii_uppercase(), entry);
    }
    Ok(Ok(registry))
}

/// The registry status as a list entry carries it; anything unknown is not a reason to charge
/// (the authorization component reads the registry the same way).
fn list_status(stored: &str) -> &'static str {
    ["Accepted", "Blocked", "Expired", "Invalid"]
        .into_iter()
        .find(|s| s.eq_ignore_ascii_case(stored.trim()))
        .unwrap_or("Invalid")
}

/// A positive integer configuration key the charge point reported.
fn configured(
    sql: &impl Sql,
    charge_point_id: &str,
    key: &str,
) -> Result<Option<i64>, CommandError> {
    let rows = sql.execute(
        "SELECT value FROM charge_point_configuration WHERE charge_point_id = ? AND key = ? COLLATE NOCASE",
        &[charge_point_id.into(), key.into()],
    )?;
    Ok(match rows.first() {
        Some(row) => row
            .opt_text(0, "charge_point_configuration.value")?
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|v| *v > 0),
        None => None,
    })
}

/// Records an accepted SendLocalList: its version, and the entries the charge point now holds.
pub(crate) fn accepted(
    sql: &impl Sql,
    charge_point_id: &str,
    command_id: i64,
    request: &Value,
    now: &str,
) -> Result<(), CommandError> {
    let Some(list_version) = request.get("listVersion").and_then(Value::as_i64) else {
        return Ok(());
    };
    let full = request.get("updateType").and_then(Value::as_str) == Some("Full");
    if full {
        sql.execute(
            "DELETE FROM local_list_entries WHERE charge_point_id = ?",
            &[charge_point_id.into()],
        )?;
    }
    let items = request
        .get("localAuthorizationList")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for item in items {
        let Some(id_tag) = item.get("idTag").and_then(Value::as_str) else {
            continue;
        };
        sql.execute(
            "DELETE FROM local_list_entries WHERE charge_point_id = ? AND id_tag = ? COLLATE NOCASE",
            &[charge_point_id.into(), id_tag.into()],
        )?;
        let Some(info) = item.get("idTagInfo") else {
            continue;
        };
        let text = |field: &str| info.get(field).and_then(Value::as_str).map(str::to_owned);
        let expiry_date = text("expiryDate").map(|e| parse_utc(&e).map(format_utc).unwrap_or(e));
        sql.execute(
            "INSERT INTO local_list_entries (charge_point_id, id_tag, status, expiry_date, parent_id_tag) \
             VALUES (?, ?, ?, ?, ?)",
            &[
                charge_point_id.into(),
                id_tag.into(),
                text("status").unwrap_or_else(|| "Invalid".to_owned()).into(),
                expiry_date.into(),
                text("parentIdTag").into(),
            ],
        )?;
    }
    sql.execute(
        "INSERT INTO local_list_versions (charge_point_id, accepted_version, accepted_at, accepted_command_id) \
         VALUES (?, ?, ?, ?) ON CONFLICT (charge_point_id) DO UPDATE SET \
         accepted_version = excluded.accepted_version, accepted_at = excluded.accepted_at, \
         accepted_command_id = excluded.accepted_command_id",
        &[
            charge_point_id.into(),
            list_version.into(),
            now.into(),
            command_id.into(),
        ],
    )?;
    Ok(())
}

/// A Differential was refused with VersionMismatch: the charge point's list is not the one on
/// record, so the record is cleared and the next Differential waits for a Full update.
pub(crate) fn mismatched(sql: &impl Sql, charge_point_id: &str) -> Result<(), CommandError> {
    sql.execute(
        "UPDATE local_list_versions SET accepted_version = NULL, accepted_at = NULL, \
         accepted_command_id = NULL, reported_version = NULL, reported_at = NULL \
         WHERE charge_point_id = ?",
        &[charge_point_id.into()],
    )?;
    sql.execute(
        "DELETE FROM local_list_entries WHERE charge_point_id = ?",
        &[charge_point_id.into()],
    )?;
    Ok(())
}

/// Records the version a GetLocalListVersion answer reported.
pub(crate) fn reported(
    sql: &impl Sql,
    charge_point_id: &str,
    list_version: i64,
    now: &str,
) -> Result<(), CommandError> {
    sql.execute(
        "INSERT INTO local_list_versions (charge_point_id, reported_version, reported_at) \
         VALUES (?, ?, ?) ON CONFLICT (charge_point_id) DO UPDATE SET \
         reported_version = excluded.reported_version, reported_at = excluded.reported_at",
        &[charge_point_id.into(), list_version.into(), now.into()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::claim_next;
    use crate::operations::answered;
    use crate::store::{get, insert, State};
    use crate::test_support::{at, db, Db};

    fn tag(db: &Db, id_tag: &str, status: &str, expiry: Option<&str>, parent: Option<&str>) {
        db.sql
            .execute(
                "INSERT INTO id_tags (id_tag, status, expiry_date, parent_id_tag, updated_at) VALUES (?, ?, ?, ?, 'x') \
                 ON CONFLICT (id_tag) DO UPDATE SET status = excluded.status, expiry_date = excluded.expiry_date, \
                 parent_id_tag = excluded.parent_id_tag",
                &[id_tag.into(), status.into(), expiry.into(), parent.into()],
            )
            .unwrap();
    }

    /// Queues a SendLocalList to build, sends it and answers `status`; returns the request sent.
    fn send(db: &Db, update_type: &str, status: &str) -> Value {
        let id = answered(
            db,
            "SendLocalList",
            json!({ "updateType": update_type }),
            json!({ "status": status }),
            at("2026-11-23T20:00:00Z"),
        );
        get(&db.sql, id).unwrap().unwrap().request
    }

    /// Queues a Differential that must not go out; returns why it was not built.
    fn not_built(db: &Db) -> String {
        let now = at("2026-11-23T20:00:00Z");
        let id = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "SendLocalList",
            &json!({"updateType": "Differential"}),
            now,
        )
        .unwrap();
        assert_eq!(claim_next(&db.sql, "CP1", now).unwrap(), None);
        let command = get(&db.sql, id).unwrap().unwrap();
        assert_eq!(command.state, State::Error);
        command.error.unwrap().description
    }

    #[test]
    fn a_16_list_leaves_out_tokens_longer_than_a_16_id_tag() {
        let db = db();
        let long = "EMAID-DE-ABC-C12345678-9-012345678";
        tag(&db, "ALICE", "Accepted", None, Some(long));
        tag(&db, long, "Accepted", None, None);
        let sent = send(&db, "Full", "Accepted");
        assert_eq!(
            sent["localAuthorizationList"],
            json!([{"idTag": "ALICE", "idTagInfo": {"status": "Accepted"}}])
        );
    }

    #[test]
    fn a_full_list_carries_every_registered_tag_and_is_recorded_when_accepted() {
        let db = db();
        tag(
            &db,
            "ALICE",
            "Accepted",
            Some("2027-01-01T01:00:00+01:00"),
            Some("FAMILY"),
        );
        tag(&db, "BOB", "Blocked", None, None);
        let sent = send(&db, "Full", "Accepted");
        assert_eq!(
            sent,
            json!({"listVersion": 1, "updateType": "Full", "localAuthorizationList": [
                {"idTag": "ALICE", "idTagInfo": {"status": "Accepted", "expiryDate": "2027-01-01T00:00:00Z", "parentIdTag": "FAMILY"}},
                {"idTag": "BOB", "idTagInfo": {"status": "Blocked"}}
            ]})
        );
        let state = version(&db.sql, "CP1").unwrap();
        assert_eq!((state.accepted_version, state.entries), (Some(1), 2));
        assert_eq!(
            entries(&db.sql, "CP1").unwrap()[0].expiry_date.as_deref(),
            Some("2027-01-01T00:00:00Z")
        );
        assert_eq!(version(&db.sql, "CP2").unwrap().accepted_version, None);
    }

    #[test]
    fn a_differential_list_carries_what_changed_since_the_accepted_one() {
        let db = db();
        tag(&db, "ALICE", "Accepted", None, None);
        tag(&db, "BOB", "Accepted", None, None);
        tag(&db, "CAROL", "Accepted", None, None);
        send(&db, "Full", "Accepted");
        tag(&db, "BOB", "Blocked", None, None);
        tag(&db, "DAVE", "Accepted", None, Some("FLEET"));
        db.sql
            .execute("DELETE FROM id_tags WHERE id_tag = 'CAROL'", &[])
            .unwrap();
        let sent = send(&db, "Differential", "Accepted");
        assert_eq!(
            sent,
            json!({"listVersion": 2, "updateType": "Differential", "localAuthorizationList": [
                {"idTag": "BOB", "idTagInfo": {"status": "Blocked"}},
                {"idTag": "DAVE", "idTagInfo": {"status": "Accepted", "parentIdTag": "FLEET"}},
                {"idTag": "CAROL"}
            ]})
        );
        let held: Vec<(String, String)> = entries(&db.sql, "CP1")
            .unwrap()
            .into_iter()
            .map(|e| (e.id_tag, e.status))
            .collect();
        assert_eq!(
            held,
            vec![
                ("ALICE".into(), "Accepted".into()),
                ("BOB".into(), "Blocked".into()),
                ("DAVE".into(), "Accepted".into())
            ]
        );
        assert_eq!(version(&db.sql, "CP1").unwrap().accepted_version, Some(2));
        // Nothing changed since: an empty differential that only moves the version.
        let again = send(&db, "Differential", "Accepted");
        assert_eq!(again["localAuthorizationList"], json!([]));
        assert_eq!(again["listVersion"], json!(3));
    }

    #[test]
    fn a_list_not_accepted_changes_nothing_and_the_next_builds_on_the_accepted_one() {
        let db = db();
        tag(&db, "ALICE", "Accepted", None, None);
        send(&db, "Full", "Accepted");
        tag(&db, "BOB", "Accepted", None, None);
        for status in ["Failed", "NotSupported"] {
            assert_eq!(send(&db, "Differential", status)["listVersion"], json!(2));
        }
        assert_eq!(version(&db.sql, "CP1").unwrap().accepted_version, Some(1));
        assert_eq!(entries(&db.sql, "CP1").unwrap().len(), 1);
    }

    #[test]
    fn a_version_mismatch_makes_the_list_unknown_until_a_full_update() {
        let db = db();
        tag(&db, "ALICE", "Accepted", None, None);
        send(&db, "Full", "Accepted");
        assert_eq!(
            send(&db, "Differential", "VersionMismatch")["listVersion"],
            json!(2)
        );
        let state = version(&db.sql, "CP1").unwrap();
        assert_eq!((state.accepted_version, state.entries), (None, 0));
        assert!(not_built(&db).contains("Full"));
        assert_eq!(send(&db, "Full", "Accepted")["listVersion"], json!(1));
        assert_eq!(
            send(&db, "Differential", "Accepted")["listVersion"],
            json!(2)
        );
    }

    #[test]
    fn a_differential_needs_a_known_list_first() {
        let db = db();
        tag(&db, "ALICE", "Accepted", None, None);
        // Never sent a list, never asked: the charge point may hold anything.
        let why = not_built(&db);
        assert!(why.contains("what it holds is unknown"), "{why}");
        // It reports holding no list: a Differential adds to nothing.
        answered(
            &db,
            "GetLocalListVersion",
            json!({}),
            json!({"listVersion": 0}),
            at("2026-11-23T20:00:00Z"),
        );
        let sent = send(&db, "Differential", "Accepted");
        assert_eq!(sent["listVersion"], json!(1));
        assert_eq!(
            sent["localAuthorizationList"],
            json!([{"idTag": "ALICE", "idTagInfo": {"status": "Accepted"}}])
        );
    }

    #[test]
    fn a_reported_version_other_than_the_accepted_one_stops_a_differential() {
        let db = db();
        tag(&db, "ALICE", "Accepted", None, None);
        send(&db, "Full", "Accepted");
        answered(
            &db,
            "GetLocalListVersion",
            json!({}),
            json!({"listVersion": 1}),
            at("2026-11-23T20:00:01Z"),
        );
        assert_eq!(
            send(&db, "Differential", "Accepted")["listVersion"],
            json!(2)
        );
        answered(
            &db,
            "GetLocalListVersion",
            json!({}),
            json!({"listVersion": 0}),
            at("2026-11-23T20:00:02Z"),
        );
        let state = version(&db.sql, "CP1").unwrap();
        assert_eq!(
            (state.reported_version, state.accepted_version),
            (Some(0), Some(2))
        );
        let now = at("2026-11-23T20:00:03Z");
        let id = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "SendLocalList",
            &json!({"updateType": "Differential"}),
            now,
        )
        .unwrap();
        let next = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "ClearCache",
            &json!({}),
            now,
        )
        .unwrap();
        // The differential is not sent; the next command goes instead.
        assert_eq!(
            claim_next(&db.sql, "CP1", now).unwrap().unwrap().command_id,
            next
        );
        let refused = get(&db.sql, id).unwrap().unwrap();
        assert_eq!(refused.state, State::Error);
        let error = refused.error.unwrap();
        assert_eq!(error.code, NOT_BUILT);
        assert!(error.description.contains("Full"), "{}", error.description);
    }

    #[test]
    fn a_full_list_after_a_reported_version_goes_above_it() {
        let db = db();
        answered(
            &db,
            "GetLocalListVersion",
            json!({}),
            json!({"listVersion": 41}),
            at("2026-11-23T20:00:00Z"),
        );
        assert_eq!(send(&db, "Full", "Accepted")["listVersion"], json!(42));
    }

    #[test]
    fn a_list_longer_than_the_charge_point_takes_is_not_sent() {
        let db = db();
        for t in ["A", "B", "C"] {
            tag(&db, t, "Accepted", None, None);
        }
        answered(
            &db,
            "GetConfiguration",
            json!({}),
            json!({"configurationKey": [{"key": "SendLocalListMaxLength", "readonly": true, "value": "2"}]}),
            at("2026-11-23T20:00:00Z"),
        );
        let now = at("2026-11-23T20:00:01Z");
        let id = insert(
            &db.sql,
            "CP1",
            ocpp_protocol::OcppVersion::V16,
            "SendLocalList",
            &json!({"updateType": "Full"}),
            now,
        )
        .unwrap();
        assert!(claim_next(&db.sql, "CP1", now).unwrap().is_none());
        let error = get(&db.sql, id).unwrap().unwrap().error.unwrap();
        assert!(
            error.description.contains("SendLocalListMaxLength"),
            "{}",
            error.description
        );
    }

    #[test]
    fn a_2_0_1_list_beyond_the_reported_local_auth_list_limits_is_not_sent() {
        let db = db();
        for t in ["A", "B", "C"] {
            tag(&db, t, "Accepted", None, None);
        }
        let now = at("2026-11-23T20:00:01Z");
        let refused = |db: &crate::test_support::Db| {
            let id = insert(
                &db.sql,
                "CP1",
                OcppVersion::V201,
                "SendLocalList",
                &json!({"updateType": "Full"}),
                now,
            )
            .unwrap();
            let sent = claim_next(&db.sql, "CP1", now).unwrap();
            let command = get(&db.sql, id).unwrap().unwrap();
            (sent.is_some(), command.error.map(|e| e.description))
        };
        let report = |db: &crate::test_support::Db,
                      variable: &str,
                      value: Option<&str>,
                      max: Option<i64>| {
            let mut a = crate::device_model::Attribute::named(
                &json!({"name": "LocalAuthListCtrlr"}),
                &json!({"name": variable}),
                None,
            );
            a.value = value.map(str::to_owned);
            a.characteristics =
                max.map(|m| json!({"dataType": "integer", "maxLimit": m}).to_string());
            crate::device_model::store(&db.sql, "CP1", &a, "NotifyReport", "t").unwrap();
        };
        // The list holds 2 now (Entries' value) and may hold 2 (its maxLimit): 3 is too many.
        report(&db, "Entries", Some("2"), Some(2));
        let (sent, why) = refused(&db);
        assert!(!sent);
        assert!(
            why.as_deref().unwrap().contains("Entries maxLimit"),
            "{why:?}"
        );
        report(&db, "Entries", Some("0"), Some(10));
        report(&db, "ItemsPerMessage", Some("2"), None);
        let (sent, why) = refused(&db);
        assert!(!sent);
        assert!(
            why.as_deref().unwrap().contains("ItemsPerMessage"),
            "{why:?}"
        );
        report(&db, "ItemsPerMessage", Some("5"), None);
        assert_eq!(refused(&db), (true, None));
    }

    #[test]
    fn an_operators_explicit_list_is_sent_as_given_and_recorded() {
        let db = db();
        let request = json!({"listVersion": 9, "updateType": "Full", "localAuthorizationList": [
            {"idTag": "X", "idTagInfo": {"status": "Accepted"}}
        ]});
        let id = answered(
            &db,
            "SendLocalList",
            request.clone(),
            json!({"status": "Accepted"}),
            at("2026-11-23T20:00:00Z"),
        );
        assert_eq!(get(&db.sql, id).unwrap().unwrap().request, request);
        let state = version(&db.sql, "CP1").unwrap();
        assert_eq!(
            (
                state.accepted_version,
                state.accepted_command_id,
                state.entries
            ),
            (Some(9), Some(id), 1)
        );
    }

    #[test]
    fn only_an_update_type_alone_asks_for_a_built_list() {
        assert_eq!(to_build(&json!({"updateType": "Full"})), Ok(true));
        assert_eq!(to_build(&json!({"updateType": "Differential"})), Ok(true));
        assert!(to_build(&json!({"updateType": "Partial"})).is_err());
        assert_eq!(
            to_build(&json!({"updateType": "Full", "listVersion": 1})),
            Ok(false)
        );
        assert_eq!(to_build(&json!({})), Ok(false));
    }

    #[test]
    fn a_201_list_carries_id_tokens_with_their_type_and_builds_differentials_on_it() {
        let db = db();
        tag(
            &db,
            "ALICE",
            "Accepted",
            Some("2027-01-01T00:00:00Z"),
            Some("FAMILY"),
        );
        tag(&db, "TOKEN-LONGER-THAN-TWENTY-CHARS", "Blocked", None, None);
        db.sql
            .execute(
                "UPDATE id_tags SET token_type = 'KeyCode' WHERE id_tag = 'ALICE'",
                &[],
            )
            .unwrap();
        let send_201 = |update_type: &str| {
            let id = crate::operations::answered_as(
                &db,
                OcppVersion::V201,
                "SendLocalList",
                json!({ "updateType": update_type }),
                json!({ "status": "Accepted" }),
                at("2026-11-23T20:00:00Z"),
            );
            get(&db.sql, id).unwrap().unwrap().request
        };
        assert_eq!(
            send_201("Full"),
            json!({"versionNumber": 1, "updateType": "Full", "localAuthorizationList": [
                {"idToken": {"idToken": "ALICE", "type": "KeyCode"},
                 "idTokenInfo": {"status": "Accepted", "cacheExpiryDateTime": "2027-01-01T00:00:00Z",
                                 "groupIdToken": {"idToken": "FAMILY", "type": "Central"}}},
                {"idToken": {"idToken": "TOKEN-LONGER-THAN-TWENTY-CHARS", "type": "ISO14443"},
                 "idTokenInfo": {"status": "Blocked"}}]})
        );
        assert_eq!(version(&db.sql, "CP1").unwrap().accepted_version, Some(1));
        db.sql
            .execute("DELETE FROM id_tags WHERE id_tag = 'ALICE'", &[])
            .unwrap();
        assert_eq!(
            send_201("Differential"),
            json!({"versionNumber": 2, "updateType": "Differential", "localAuthorizationList": [
                {"idToken": {"idToken": "ALICE", "type": "ISO14443"}}]})
        );
    }
}
