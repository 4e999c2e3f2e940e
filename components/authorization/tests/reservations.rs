//! Reservations honoured by the idTag decisions, against a real SQLite file.

// Test helpers outside #[test] functions state expectations the same way.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use authorization::{decide_at, Asked, AuthorizationStatus, Decision, Place, Purpose};
use chrono::{DateTime, Utc};
use csms_store::native::NativeSql;
use csms_store::Sql;
use serde_json::json;

fn now() -> DateTime<Utc> {
    "2026-05-04T12:00:00Z".parse().unwrap()
}

struct Site {
    _dir: tempfile::TempDir,
    db: NativeSql,
}

fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let db = NativeSql::open(&dir.path().join("db.sqlite")).unwrap();
    csms_store::migrate(&db).unwrap();
    db.execute(
        "INSERT INTO id_tags (id_tag, status, parent_id_tag, updated_at) VALUES \
         ('ALICE', 'Accepted', 'FAMILY', 'x'), ('BOB', 'Accepted', 'FAMILY', 'x'), \
         ('CAROL', 'Accepted', NULL, 'x'), ('DAN', 'Blocked', NULL, 'x')",
        &[],
    )
    .unwrap();
    Site { _dir: dir, db }
}

impl Site {
    fn reserve(
        &self,
        id: i64,
        connector: i64,
        tag: &str,
        parent: Option<&str>,
        expiry: &str,
        state: &str,
    ) {
        self.db
            .execute(
                "INSERT INTO reservations (charge_point_id, reservation_id, connector_id, id_tag, parent_id_tag, \
                 expiry_date, state, created_at, updated_at) VALUES ('CP1', ?, ?, ?, ?, ?, ?, 'x', 'x')",
                &[id.into(), connector.into(), tag.into(), parent.into(), expiry.into(), state.into()],
            )
            .unwrap();
    }

    fn connectors(&self, ids: &[i64]) {
        for id in ids {
            self.db
                .execute(
                    "INSERT INTO connectors (charge_point_id, connector_id, status, error_code, status_at) \
                     VALUES ('CP1', ?, 'Available', 'NoError', 'x')",
                    &[(*id).into()],
                )
                .unwrap();
        }
    }

    fn charging(&self, connector: i64, tag: &str) {
        self.db
            .execute(
                "INSERT INTO transactions (charge_point_id, connector_id, id_tag, start_auth_status, meter_start_wh, \
                 started_at, created_at) VALUES ('CP1', ?, ?, 'Accepted', 0, 'x', 'x')",
                &[connector.into(), tag.into()],
            )
            .unwrap();
    }

    fn start(&self, tag: &str, connector: i64, reservation_id: Option<i64>) -> Decision {
        self.ask(tag, Purpose::Start, Some(connector), reservation_id)
    }

    fn authorize(&self, tag: &str) -> Decision {
        self.ask(tag, Purpose::Authorize, None, None)
    }

    fn ask(
        &self,
        tag: &str,
        purpose: Purpose,
        connector_id: Option<i64>,
        reservation_id: Option<i64>,
    ) -> Decision {
        let asked = Asked {
            charge_point_id: "CP1",
            id_tag: tag,
            token_type: None,
            purpose,
            place: Place {
                connector_id,
                reservation_id,
            },
        };
        decide_at(&self.db, &asked, now()).unwrap()
    }
}

fn status(d: &Decision) -> AuthorizationStatus {
    d.decision.status
}

const LATER: &str = "2026-05-04T13:00:00Z";

#[test]
fn a_reserved_connector_refuses_other_tags_as_invalid_and_takes_the_reserving_one() {
    let s = site();
    s.reserve(7, 1, "ALICE", None, LATER, "active");
    let bob = s.start("BOB", 1, None);
    assert_eq!(status(&bob), AuthorizationStatus::Invalid);
    assert!(
        bob.refusal.as_deref().unwrap().contains("reservation 7"),
        "{bob:?}"
    );
    // The rest of the idTagInfo stays the registry's.
    assert_eq!(bob.decision.group_id.as_deref(), Some("FAMILY"));
    let alice = s.start("alice", 1, Some(7));
    assert_eq!(
        (status(&alice), alice.refusal),
        (AuthorizationStatus::Accepted, None)
    );
    // Another connector is not held.
    assert_eq!(
        status(&s.start("CAROL", 2, None)),
        AuthorizationStatus::Accepted
    );
    // Naming someone else's reservation is refused wherever the start is.
    assert_eq!(
        status(&s.start("CAROL", 2, Some(7))),
        AuthorizationStatus::Invalid
    );
}

#[test]
fn a_reservation_with_a_parent_id_tag_holds_for_every_tag_of_that_parent() {
    let s = site();
    s.reserve(7, 1, "ALICE", Some("FAMILY"), LATER, "active");
    assert_eq!(
        status(&s.start("BOB", 1, Some(7))),
        AuthorizationStatus::Accepted
    );
    assert_eq!(
        status(&s.start("CAROL", 1, None)),
        AuthorizationStatus::Invalid
    );
}

#[test]
fn expired_cancelled_and_used_reservations_hold_nothing() {
    let s = site();
    s.reserve(1, 1, "ALICE", None, "2026-05-04T11:59:59.999Z", "active");
    s.reserve(2, 2, "ALICE", None, LATER, "cancelled");
    s.reserve(3, 3, "ALICE", None, LATER, "used");
    // Held until the expiry date itself, not past it.
    s.reserve(4, 4, "ALICE", None, "2026-05-04T12:00:00Z", "active");
    for connector in 1..=3 {
        assert_eq!(
            status(&s.start("CAROL", connector, None)),
            AuthorizationStatus::Accepted
        );
    }
    assert_eq!(
        status(&s.start("CAROL", 4, None)),
        AuthorizationStatus::Invalid
    );
}

#[test]
fn a_registry_refusal_is_kept_as_it_is() {
    let s = site();
    s.reserve(7, 1, "ALICE", None, LATER, "active");
    let dan = s.start("DAN", 1, None);
    assert_eq!(
        (status(&dan), dan.refusal),
        (AuthorizationStatus::Blocked, None)
    );
    assert_eq!(
        status(&s.start("NOBODY", 1, None)),
        AuthorizationStatus::Unknown
    );
}

#[test]
fn a_transaction_left_open_on_the_same_connector_does_not_make_a_new_start_concurrent() {
    let s = site();
    // The charge point lost power mid-session and never sent StopTransaction.
    s.charging(1, "ALICE");
    assert_eq!(
        status(&s.start("ALICE", 1, None)),
        AuthorizationStatus::Accepted
    );
    // Elsewhere that open transaction still counts.
    assert_eq!(
        status(&s.start("ALICE", 2, None)),
        AuthorizationStatus::ConcurrentTx
    );
}

#[test]
fn the_holder_of_a_connector_starts_there_even_when_another_tag_holds_connector_0() {
    let s = site();
    s.reserve(1, 1, "CAROL", None, LATER, "active");
    s.reserve(2, 0, "ALICE", None, LATER, "active");
    // Nothing is known about the other connectors, which would otherwise keep connector 1
    // for ALICE's charge-point-wide reservation; but connector 1 was never free for her.
    assert_eq!(
        status(&s.start("CAROL", 1, None)),
        AuthorizationStatus::Accepted
    );
    assert_eq!(
        status(&s.start("CAROL", 1, Some(1))),
        AuthorizationStatus::Accepted
    );
    // Elsewhere CAROL is just another tag to ALICE's reservation.
    assert_eq!(
        status(&s.start("CAROL", 2, None)),
        AuthorizationStatus::Invalid
    );
}

#[test]
fn a_charge_point_wide_reservation_keeps_one_free_connector_for_its_tag() {
    let s = site();
    s.reserve(7, 0, "ALICE", None, LATER, "active");
    // No connector known: the reservation holds the whole charge point.
    assert_eq!(
        status(&s.start("CAROL", 1, None)),
        AuthorizationStatus::Invalid
    );
    assert_eq!(
        status(&s.start("ALICE", 1, None)),
        AuthorizationStatus::Accepted
    );
    s.connectors(&[1, 2]);
    // Connector 2 stays free for ALICE.
    assert_eq!(
        status(&s.start("CAROL", 1, None)),
        AuthorizationStatus::Accepted
    );
    s.charging(2, "BOB");
    // Connector 1 is now the last one free.
    assert_eq!(
        status(&s.start("CAROL", 1, None)),
        AuthorizationStatus::Invalid
    );
}

#[test]
fn authorize_is_never_refused_for_reservations() {
    // The charge point keeps its reservations itself, and it would cache an Invalid answer
    // (Authorization Cache) as if the tag were invalid, refusing it later while offline.
    let s = site();
    s.connectors(&[1, 2]);
    s.reserve(7, 1, "ALICE", None, LATER, "active");
    s.reserve(8, 2, "BOB", None, LATER, "active");
    s.reserve(9, 0, "DAVE", None, LATER, "active");
    let carol = s.authorize("CAROL");
    assert_eq!(status(&carol), AuthorizationStatus::Accepted);
    assert!(carol.refusal.is_none());
    // The start, which names its connector, is where a reservation refuses another tag.
    assert_eq!(
        status(&s.start("CAROL", 1, None)),
        AuthorizationStatus::Invalid
    );
}

#[test]
fn the_http_contract_takes_the_connector_and_reservation_and_says_why() {
    let s = site();
    s.reserve(7, 1, "ALICE", None, LATER, "active");
    let body = json!({"charge_point_id": "CP1", "id_tag": "CAROL", "purpose": "start", "connector_id": 1, "reservation_id": null});
    let answer = authorization::http::handle(
        &s.db,
        "POST",
        "/authorize",
        body.to_string().as_bytes(),
        now(),
    );
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["decision"], json!({"status": "Invalid"}));
    assert!(answer.body["refusal"]
        .as_str()
        .unwrap()
        .contains("connector 1"));
    let body =
        json!({"charge_point_id": "CP1", "id_tag": "CAROL", "purpose": "start", "connector_id": 2});
    let answer = authorization::http::handle(
        &s.db,
        "POST",
        "/authorize",
        body.to_string().as_bytes(),
        now(),
    );
    assert_eq!(answer.body, json!({"decision": {"status": "Accepted"}}));
}
