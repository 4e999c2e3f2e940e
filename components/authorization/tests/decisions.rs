//! The OCPP 1.6 idTag decisions, against a real SQLite file.

// Test helpers outside #[test] functions state expectations the same way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use authorization::{authorize_stop, decide, AuthorizationStatus, Purpose, TokenDecision};
use chrono::{DateTime, Duration, Utc};
use csms_store::native::NativeSql;
use csms_store::{Sql, SqlValue};

struct Registry {
    _dir: tempfile::TempDir,
    db: NativeSql,
}

fn now() -> DateTime<Utc> {
    "2026-05-04T12:00:00Z".parse().unwrap()
}

fn registry() -> Registry {
    let dir = tempfile::tempdir().unwrap();
    let db = NativeSql::open(&dir.path().join("db.sqlite")).unwrap();
    csms_store::migrate(&db).unwrap();
    Registry { _dir: dir, db }
}

impl Registry {
    fn tag(
        &self,
        id_tag: &str,
        status: &str,
        expiry: Option<&str>,
        parent: Option<&str>,
        max: Option<i64>,
    ) {
        self.db
            .execute(
                "INSERT INTO id_tags (id_tag, status, expiry_date, parent_id_tag, max_active_transactions, updated_at) \
                 VALUES (?, ?, ?, ?, ?, '2026-01-01T00:00:00Z')",
                &[id_tag.into(), status.into(), expiry.into(), parent.into(), max.into()],
            )
            .unwrap();
    }

    fn transaction(
        &self,
        charge_point_id: &str,
        connector: i64,
        id_tag: &str,
        stopped: bool,
    ) -> i64 {
        let stopped_at: SqlValue = if stopped {
            "2026-05-04T11:00:00Z".into()
        } else {
            SqlValue::Null
        };
        self.db
            .execute(
                "INSERT INTO transactions (charge_point_id, connector_id, id_tag, start_auth_status, meter_start_wh, \
                 started_at, stopped_at, created_at) VALUES (?, ?, ?, 'Accepted', 0, ?, ?, ?) RETURNING id",
                &[
                    charge_point_id.into(),
                    connector.into(),
                    id_tag.into(),
                    format!("2026-05-04T10:00:0{connector}Z").into(),
                    stopped_at,
                    "2026-05-04T10:00:00Z".into(),
                ],
            )
            .unwrap()[0]
            .i64(0, "id")
            .unwrap()
    }

    fn decide(&self, id_tag: &str, purpose: Purpose) -> TokenDecision {
        decide(&self.db, id_tag, purpose, now()).unwrap()
    }
}

#[test]
fn unknown_tag_is_unknown_which_16_writes_invalid() {
    let r = registry();
    assert_eq!(
        r.decide("NOBODY", Purpose::Authorize),
        TokenDecision::status(AuthorizationStatus::Unknown)
    );
    assert_eq!(
        r.decide("NOBODY", Purpose::Start).status.as_ocpp16(),
        "Invalid"
    );
}

#[test]
fn accepted_tag_reports_its_expiry_date_and_parent() {
    let r = registry();
    r.tag(
        "ALICE",
        "Accepted",
        Some("2026-12-31T23:00:00+01:00"),
        Some("FAMILY"),
        None,
    );
    assert_eq!(
        r.decide("ALICE", Purpose::Authorize),
        TokenDecision {
            status: AuthorizationStatus::Accepted,
            expiry_date: Some("2026-12-31T22:00:00Z".into()),
            group_id: Some("FAMILY".into()),
        }
    );
    r.tag("BOB", "Accepted", None, None, None);
    assert_eq!(
        r.decide("BOB", Purpose::Start),
        TokenDecision::status(AuthorizationStatus::Accepted)
    );
}

#[test]
fn blocked_tag_is_reported_blocked_even_when_also_expired() {
    let r = registry();
    r.tag(
        "MALLORY",
        "Blocked",
        Some("2026-01-01T00:00:00Z"),
        Some("GANG"),
        None,
    );
    let info = r.decide("MALLORY", Purpose::Authorize);
    assert_eq!(info.status, AuthorizationStatus::Blocked);
    assert_eq!(info.group_id.as_deref(), Some("GANG"));
    assert_eq!(info.expiry_date.as_deref(), Some("2026-01-01T00:00:00Z"));
}

#[test]
fn expired_tag_is_reported_expired() {
    let r = registry();
    r.tag("OLD", "Accepted", Some("2026-05-04T11:59:59Z"), None, None);
    r.tag("JUST", "Accepted", Some("2026-05-04T12:00:00Z"), None, None);
    r.tag(
        "STILL",
        "Accepted",
        Some("2026-05-04T12:00:01Z"),
        None,
        None,
    );
    assert_eq!(
        r.decide("OLD", Purpose::Start).status,
        AuthorizationStatus::Expired
    );
    // expiry_date <= now is expired: the instant itself no longer counts.
    assert_eq!(
        r.decide("JUST", Purpose::Authorize).status,
        AuthorizationStatus::Expired
    );
    assert_eq!(
        r.decide("STILL", Purpose::Authorize).status,
        AuthorizationStatus::Accepted
    );
    assert_eq!(
        r.decide("OLD", Purpose::Authorize).expiry_date.as_deref(),
        Some("2026-05-04T11:59:59Z")
    );
}

#[test]
fn second_concurrent_start_gets_concurrent_tx() {
    let r = registry();
    r.tag("ALICE", "Accepted", None, None, None);
    assert_eq!(
        r.decide("ALICE", Purpose::Start).status,
        AuthorizationStatus::Accepted
    );
    r.transaction("CP1", 1, "ALICE", false);
    assert_eq!(
        r.decide("ALICE", Purpose::Start).status,
        AuthorizationStatus::ConcurrentTx
    );
    // Authorize does not count transactions: only a start would exceed the limit.
    assert_eq!(
        r.decide("ALICE", Purpose::Authorize).status,
        AuthorizationStatus::Accepted
    );
}

#[test]
fn stopped_transactions_do_not_count_towards_the_limit() {
    let r = registry();
    r.tag("ALICE", "Accepted", None, None, None);
    r.transaction("CP1", 1, "ALICE", true);
    r.transaction("CP1", 2, "ALICE", true);
    assert_eq!(
        r.decide("ALICE", Purpose::Start).status,
        AuthorizationStatus::Accepted
    );
}

#[test]
fn max_active_transactions_allows_that_many_open_transactions() {
    let r = registry();
    r.tag("FLEET", "Accepted", None, None, Some(2));
    r.transaction("CP1", 1, "FLEET", false);
    assert_eq!(
        r.decide("FLEET", Purpose::Start).status,
        AuthorizationStatus::Accepted
    );
    r.transaction("CP2", 1, "FLEET", false);
    assert_eq!(
        r.decide("FLEET", Purpose::Start).status,
        AuthorizationStatus::ConcurrentTx
    );
}

#[test]
fn expired_wins_over_concurrent_tx() {
    let r = registry();
    r.tag("OLD", "Accepted", Some("2026-01-01T00:00:00Z"), None, None);
    r.transaction("CP1", 1, "OLD", false);
    assert_eq!(
        r.decide("OLD", Purpose::Start).status,
        AuthorizationStatus::Expired
    );
}

#[test]
fn id_tags_are_matched_case_insensitively_preferring_the_exact_spelling() {
    let r = registry();
    r.tag("abc123", "Blocked", None, None, None);
    r.tag("ABC123", "Accepted", None, None, None);
    r.tag("dEf", "Accepted", None, None, None);
    assert_eq!(
        r.decide("ABC123", Purpose::Authorize).status,
        AuthorizationStatus::Accepted
    );
    assert_eq!(
        r.decide("abc123", Purpose::Authorize).status,
        AuthorizationStatus::Blocked
    );
    assert_eq!(
        r.decide("DEF", Purpose::Authorize).status,
        AuthorizationStatus::Accepted
    );
    r.transaction("CP1", 1, "def", false);
    assert_eq!(
        r.decide("DEF", Purpose::Start).status,
        AuthorizationStatus::ConcurrentTx
    );
}

#[test]
fn a_malformed_expiry_date_is_an_error_not_a_decision() {
    let r = registry();
    r.tag("ODD", "Accepted", Some("next tuesday"), None, None);
    let error = decide(&r.db, "ODD", Purpose::Authorize, now()).unwrap_err();
    assert!(error.to_string().contains("next tuesday"), "{error}");
}

#[test]
fn stop_by_the_starting_tag_may_stop() {
    let r = registry();
    r.tag("ALICE", "Accepted", None, None, None);
    let tx = r.transaction("CP1", 1, "ALICE", false);
    let stop = authorize_stop(&r.db, "CP1", "alice", None, tx, now()).unwrap();
    assert!(stop.may_stop);
    assert_eq!(stop.decision.status, AuthorizationStatus::Accepted);
}

#[test]
fn stop_by_tag_sharing_parent_may_stop() {
    let r = registry();
    r.tag("ALICE", "Accepted", None, Some("FAMILY"), None);
    r.tag("BOB", "Accepted", None, Some("FAMILY"), None);
    let tx = r.transaction("CP1", 1, "ALICE", false);
    let stop = authorize_stop(&r.db, "CP1", "BOB", None, tx, now()).unwrap();
    assert!(stop.may_stop);
    assert_eq!(stop.decision.group_id.as_deref(), Some("FAMILY"));
}

#[test]
fn stop_by_an_unrelated_or_unknown_tag_may_not_stop_but_is_still_answered() {
    let r = registry();
    r.tag("ALICE", "Accepted", None, Some("FAMILY"), None);
    r.tag("EVE", "Accepted", None, Some("OTHERS"), None);
    r.tag("NOPARENT", "Accepted", None, None, None);
    let tx = r.transaction("CP1", 1, "ALICE", false);
    let eve = authorize_stop(&r.db, "CP1", "EVE", None, tx, now()).unwrap();
    assert!(!eve.may_stop);
    assert_eq!(eve.decision.status, AuthorizationStatus::Accepted);
    assert!(
        !authorize_stop(&r.db, "CP1", "NOPARENT", None, tx, now())
            .unwrap()
            .may_stop
    );
    let stranger = authorize_stop(&r.db, "CP1", "STRANGER", None, tx, now()).unwrap();
    assert!(!stranger.may_stop);
    assert_eq!(stranger.decision.status, AuthorizationStatus::Unknown);
}

#[test]
fn stop_of_a_transaction_unknown_on_that_charge_point_may_not_stop() {
    let r = registry();
    r.tag("ALICE", "Accepted", None, None, None);
    let tx = r.transaction("CP1", 1, "ALICE", false);
    assert!(
        !authorize_stop(&r.db, "CP2", "ALICE", None, tx, now())
            .unwrap()
            .may_stop
    );
    assert!(
        !authorize_stop(&r.db, "CP1", "ALICE", None, tx + 100, now())
            .unwrap()
            .may_stop
    );
}

#[test]
fn the_decision_is_the_same_at_any_time_before_expiry() {
    let r = registry();
    r.tag(
        "ALICE",
        "Accepted",
        Some("2026-05-05T00:00:00Z"),
        None,
        None,
    );
    let later = now() + Duration::hours(11);
    assert_eq!(
        decide(&r.db, "ALICE", Purpose::Authorize, later)
            .unwrap()
            .status,
        AuthorizationStatus::Accepted
    );
    let after = now() + Duration::hours(12);
    assert_eq!(
        decide(&r.db, "ALICE", Purpose::Authorize, after)
            .unwrap()
            .status,
        AuthorizationStatus::Expired
    );
}

#[test]
fn decisions_are_answered_while_another_connection_is_writing() {
    // The transactions component may hold a write transaction while the authorization
    // component, on its own connection, migrates (a no-op) and reads.
    let r = registry();
    r.tag("ALICE", "Accepted", None, None, None);
    let path = r._dir.path().join("db.sqlite");
    let writer = NativeSql::open(&path).unwrap();
    writer.execute(writer.dialect().begin(), &[]).unwrap();
    writer
        .execute(
            "UPDATE id_tags SET status = 'Blocked' WHERE id_tag = 'ALICE'",
            &[],
        )
        .unwrap();
    let reader = NativeSql::open(&path).unwrap();
    let started = std::time::Instant::now();
    csms_store::migrate(&reader).unwrap();
    assert_eq!(
        decide(&reader, "ALICE", Purpose::Start, now())
            .unwrap()
            .status,
        AuthorizationStatus::Accepted,
        "uncommitted changes are not seen"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    writer.execute("ROLLBACK", &[]).unwrap();
}
