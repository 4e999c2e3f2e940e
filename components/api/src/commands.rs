//! CSMS-initiated OCPP commands (1.6 and 2.0.1): `POST /api/v1/charge-points/{id}/commands/{Action}`
//! queues one, `GET /api/v1/commands/{id}` and `GET /api/v1/charge-points/{id}/commands`
//! read them back (the list newest first, paginated, optionally only those in one `state`).
//!
//! The payload is the action's request in the version the charge point speaks, validated as
//! the charge point would validate it; an operation both versions have under two names
//! (RemoteStartTransaction / RequestStartTransaction, ...) may be sent under either, and is
//! translated ([`csms_commands::operations`]).
//! OCPP-J allows one outstanding call per charge point, so commands queue in order
//! ([`csms_commands::delivery`]). When nothing is outstanding and the charge point is online,
//! the API publishes the CALL to the charge point's GRIP channel right away; otherwise the
//! connection component sends it after the answer to the previous one, or on reconnect.
//! Spin has no timers: whenever these routes look at a charge point, an overdue call is marked
//! `timed_out` and the next one goes out.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use csms_commands::delivery::{self, Published};
use csms_commands::operations::{self, follow_up, report, Resolved, WhilePending};
use csms_commands::password;
use csms_commands::publish::Publish;
use csms_commands::queue_marker;
use csms_commands::store::{self, Command, ErrorInfo, State};
use csms_store::{KeyValue, Sql};
use ocpp_protocol::timestamp::format_utc;
use ocpp_protocol::OcppVersion;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::pagination::PageRequest;
use crate::problem::ApiError;
use crate::query::Query;
use crate::{Outbound, Reply};

pub(crate) const POST_PARAMS: [&str; 1] = ["queue"];
pub(crate) const LIST_PARAMS: [&str; 3] = ["limit", "cursor", "state"];
/// Every [`State`], as the API spells it (a test checks them against the store's).
pub(crate) const STATES: [&str; 6] = [
    "queued",
    "sent",
    "answered",
    "error",
    "timed_out",
    "offline",
];
const LIST: &str = "commands";

#[derive(Debug, Serialize)]
pub(crate) struct Queued {
    command_id: i64,
    state: State,
    /// Every command queued: more than one when a request had to be split (2.0.1
    /// GetVariables / SetVariables beyond the station's ItemsPerMessage).
    command_ids: Vec<i64>,
    /// The action sent: the operation's name in the station's version.
    action: &'static str,
    ocpp_version: &'static str,
}

#[derive(Debug, Serialize)]
struct CommandView {
    id: i64,
    charge_point_id: String,
    action: String,
    request: Value,
    state: State,
    /// The OCPP message id of the CALL, once sent.
    message_id: Option<String>,
    response: Option<Value>,
    error: Option<ErrorInfo>,
    created_at: String,
    sent_at: Option<String>,
    answered_at: Option<String>,
    /// The transaction an accepted remote start led to, once it started.
    transaction_id: Option<i64>,
    /// The version the request is written in and the answer was read in.
    ocpp_version: String,
    /// GetBaseReport / GetReport: the report's NotifyReport parts received so far.
    report: Option<report::Progress>,
    /// The notifications the station sent after answering (firmware and log status, customer
    /// information, charging profile and monitoring reports, display messages).
    follow_up: Option<follow_up::Progress>,
}

impl CommandView {
    fn of(sql: &impl Sql, c: Command) -> Result<Self, ApiError> {
        let report = report::progress(sql, &c)
            .with_context(|| format!("reading the report of command {}", c.id))?;
        let follow_up = follow_up::progress(sql, &c)
            .with_context(|| format!("reading what followed command {}", c.id))?;
        let request = password::redacted(c.version(), &c.action, &c.request);
        Ok(Self {
            id: c.id,
            charge_point_id: c.charge_point_id,
            action: c.action,
            request,
            state: c.state,
            message_id: c.message_id,
            response: c.response,
            error: c.error,
            created_at: c.created_at,
            sent_at: c.sent_at,
            answered_at: c.answered_at,
            transaction_id: c.transaction_id,
            ocpp_version: c.ocpp_version,
            report,
            follow_up,
        })
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn post(
    sql: &impl Sql,
    kv: &impl KeyValue,
    outbound: &Outbound<'_, impl Publish>,
    cp: &str,
    action: &str,
    body: &[u8],
    query: &Query,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    // Whether the action exists at all decides between 404 and the rest.
    let known = [OcppVersion::V16, OcppVersion::V201]
        .into_iter()
        .any(|v| operations::resolve(v, action).is_ok());
    if !known {
        return Err(ApiError::NotFound(format!(
            "{action:?} is not an OCPP command the central system sends; OCPP 1.6: {}; OCPP 2.0.1: {}",
            operations::catalogue(OcppVersion::V16).join(", "),
            operations::catalogue(OcppVersion::V201).join(", ")
        )));
    }
    // `?queue=false` refuses to store a command for an offline charge point.
    let queue = query.bool("queue")?.unwrap_or(true);
    let payload = payload(action, body)?;
    let queued = enqueue(sql, kv, outbound, cp, action, payload, queue, None, now)?;
    Reply::accepted(&queued)
}

/// Checks, prepares and queues one operation for `cp`, and sends it when the station is
/// reachable. `new_password` is the hash of the password a rotation sends
/// ([`crate::password`]); any other command that would set the password is refused, since
/// the station would then be locked out.
#[allow(clippy::too_many_arguments)]
pub(crate) fn enqueue(
    sql: &impl Sql,
    kv: &impl KeyValue,
    outbound: &Outbound<'_, impl Publish>,
    cp: &str,
    action: &str,
    payload: Value,
    queue: bool,
    new_password: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Queued, ApiError> {
    crate::charge_points::require(sql, cp)?;
    let version = station_version(sql, kv, cp)?;
    let resolved = operations::resolve(version, action).map_err(|_| {
        ApiError::bad_request(format!(
            "charge point {cp:?} speaks {}, which has no {action}; it takes: {}",
            version.subprotocol(),
            operations::catalogue(version).join(", ")
        ))
    })?;
    allowed_by_registration(sql, cp, &resolved)?;
    let payload = if resolved.action == crate::cost_updated::ACTION {
        crate::cost_updated::with_running_cost(sql, outbound.transactions, cp, payload)?
    } else {
        payload
    };
    let live = liveness(kv, cp, now)?;
    if !queue && !live.online {
        return Err(ApiError::Conflict(format!(
            "charge point {cp:?} is offline and queue=false: the command was not stored"
        )));
    }
    let prepared = operations::prepare(sql, cp, &resolved, payload)
        .with_context(|| format!("preparing a {action} command for charge point {cp:?}"))?
        .map_err(ApiError::bad_request)?;
    let sets_password = prepared
        .requests
        .iter()
        .any(|r| password::sets_password(version, r));
    match new_password {
        None if sets_password => {
            return Err(ApiError::bad_request(format!(
                "{action} would change the station's password without the central system \
                 knowing it; use POST /api/v1/charge-points/{{id}}/password"
            )))
        }
        None => {}
        Some(hash) => password::begin(sql, cp, hash, &format_utc(now))
            .with_context(|| format!("recording the new password of charge point {cp:?}"))?,
    }
    settle(sql, outbound, cp, false, now)?;
    let mut ids = Vec::new();
    for request in &prepared.requests {
        let id = store::insert(sql, cp, version, resolved.action, request, now)
            .with_context(|| format!("storing a {action} command for charge point {cp:?}"))?;
        ids.push(id);
    }
    if let Some(&last) = ids.last() {
        // The connection component looks for queued commands only when this moved.
        if let Err(e) = queue_marker::queued(kv, cp, last) {
            eprintln!("charge point {cp:?}: marking command {last} queued: {e}");
        }
    }
    if live.reachable {
        send_next(sql, outbound, cp, now);
    }
    let Some(&first) = ids.first() else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "a {action} command prepared no request"
        )));
    };
    let command = load(sql, first)?;
    Ok(Queued {
        command_id: first,
        state: command.state,
        command_ids: ids,
        action: resolved.action,
        ocpp_version: version.subprotocol(),
    })
}

/// The version a command is written in: the live connection's, else the last boot's, else
/// the operator's pin, else 1.6.
fn station_version(sql: &impl Sql, kv: &impl KeyValue, cp: &str) -> Result<OcppVersion, ApiError> {
    let live = crate::charge_points::connection(kv, cp)?
        .filter(|c| c.online)
        .and_then(|c| c.ocpp_version);
    let rows = sql
        .execute(
            "SELECT ocpp_version, ocpp_version_pin FROM charge_points WHERE id = ?",
            &[cp.into()],
        )
        .with_context(|| format!("reading the OCPP version of charge point {cp:?}"))?;
    let mut known = vec![live];
    if let Some(row) = rows.first() {
        known.push(row.opt_text(0, "charge_points.ocpp_version")?);
        known.push(row.opt_text(1, "charge_points.ocpp_version_pin")?);
    }
    Ok(known
        .into_iter()
        .flatten()
        .find_map(|v| v.parse::<OcppVersion>().ok())
        .unwrap_or(OcppVersion::V16))
}

/// OCPP 1.6 4.2.1 and 2.0.1 B02: a Rejected charge point answers no central-system call
/// (every command would only time out), and a Pending one may not be sent a remote start or
/// stop.
fn allowed_by_registration(sql: &impl Sql, cp: &str, resolved: &Resolved) -> Result<(), ApiError> {
    let rows = sql
        .execute(
            "SELECT registration_status FROM charge_points WHERE id = ?",
            &[cp.into()],
        )
        .with_context(|| format!("reading the registration of charge point {cp:?}"))?;
    let status = match rows.first() {
        Some(row) => row.text(0, "charge_points.registration_status")?,
        None => return Err(crate::charge_points::not_found(cp)),
    };
    let version = resolved.version.subprotocol();
    let action = resolved.action;
    match status.as_str() {
        "Rejected" => Err(ApiError::Conflict(format!(
            "charge point {cp:?} is Rejected: OCPP {version} has it answer no central-system call"
        ))),
        "Pending" if resolved.operation.while_pending == WhilePending::Refused => {
            Err(ApiError::Conflict(format!(
                "charge point {cp:?} is Pending: OCPP {version} allows no {action} until it is Accepted"
            )))
        }
        _ => Ok(()),
    }
}

pub(crate) fn get(
    sql: &impl Sql,
    kv: &impl KeyValue,
    outbound: &Outbound<'_, impl Publish>,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let not_found = || ApiError::NotFound(format!("command {id:?} does not exist"));
    let number = id.parse::<i64>().map_err(|_| not_found())?;
    let command = store::get(sql, number)
        .with_context(|| format!("loading command {number}"))?
        .ok_or_else(not_found)?;
    let command = if matches!(command.state, State::Queued | State::Sent) {
        let live = liveness(kv, &command.charge_point_id, now)?;
        settle(sql, outbound, &command.charge_point_id, live.reachable, now)?;
        load(sql, number)?
    } else {
        command
    };
    Reply::ok(&CommandView::of(sql, command)?)
}

pub(crate) fn list(
    sql: &impl Sql,
    kv: &impl KeyValue,
    outbound: &Outbound<'_, impl Publish>,
    cp: &str,
    query: &Query,
    now: DateTime<Utc>,
) -> Result<Reply, ApiError> {
    let state = query.one_of("state", &STATES)?;
    let request = PageRequest::<i64>::from_query(query, LIST)?;
    crate::charge_points::require(sql, cp)?;
    let live = liveness(kv, cp, now)?;
    settle(sql, outbound, cp, live.reachable, now)?;
    let mut params: Vec<csms_store::SqlValue> = vec![cp.into()];
    let mut conditions = String::new();
    if let Some(state) = state {
        conditions.push_str(" AND state = ?");
        params.push(state.into());
    }
    if let Some(after) = request.after {
        conditions.push_str(" AND id < ?");
        params.push(after.into());
    }
    params.push(request.fetch().into());
    let ids = sql
        .execute(
            &format!(
                "SELECT id FROM commands WHERE charge_point_id = ?{conditions} ORDER BY id DESC LIMIT ?"
            ),
            &params,
        )
        .with_context(|| format!("listing the commands of charge point {cp:?}"))?
        .iter()
        .map(|row| row.i64(0, "commands.id"))
        .collect::<Result<Vec<_>, _>>()?;
    // The command store owns the row format; reading each by id keeps it the only reader.
    let commands = ids
        .into_iter()
        .map(|id| load(sql, id).and_then(|c| CommandView::of(sql, c)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    Reply::ok(&request.page(commands, LIST, |c| c.id)?)
}

#[derive(Debug, Serialize)]
struct ConfigurationView {
    charge_point_id: String,
    keys: Vec<csms_commands::configuration::ConfigurationKey>,
}

/// What GetConfiguration answers reported and accepted ChangeConfiguration commands set.
pub(crate) fn configuration(sql: &impl Sql, cp: &str) -> Result<Reply, ApiError> {
    crate::charge_points::require(sql, cp)?;
    let keys = csms_commands::configuration::list(sql, cp)
        .with_context(|| format!("loading the configuration of charge point {cp:?}"))?;
    Reply::ok(&ConfigurationView {
        charge_point_id: cp.to_owned(),
        keys,
    })
}

/// The request payload as the operator wrote it (an empty body is `{}`); it is validated
/// against the schema of the station's version once the operation is prepared.
fn payload(action: &str, body: &[u8]) -> Result<Value, ApiError> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!("the request body is not valid JSON: {e}"))
        })?
    };
    if !value.is_object() {
        return Err(ApiError::bad_request(format!(
            "invalid request body: it must be the {action} request payload, a JSON object"
        )));
    }
    Ok(value)
}

/// How long after its socket opened a charge point is left to the connection component.
/// Pushpin subscribes a socket to its channel asynchronously, some milliseconds after the
/// OPEN answer (18 ms seen, more under load): a CALL published before that reaches nobody
/// and would sit `sent` until it timed out. Until then a command stays queued; the charge
/// point's next message or ping, the next look at the command through this API, or the
/// gateway's keep-alive 20 s after the socket went quiet (the connection component asks
/// for one when it opens) sends it.
const SUBSCRIPTION_SETTLE_SECONDS: i64 = 2;

/// The connection component's live state (`cp:{id}:connection`), as far as commands care.
#[derive(Debug, Clone, Copy, Default)]
struct Liveness {
    online: bool,
    /// Online long enough that a publish reaches the socket.
    reachable: bool,
}

/// Unreadable state means offline; an unreadable `connected_at`, long connected.
fn liveness(kv: &impl KeyValue, cp: &str, now: DateTime<Utc>) -> Result<Liveness, ApiError> {
    #[derive(Deserialize)]
    struct Live {
        #[serde(default)]
        online: bool,
        #[serde(default)]
        connected_at: String,
    }
    let bytes = kv
        .get(&format!("cp:{cp}:connection"))
        .with_context(|| format!("reading the connection state of charge point {cp:?}"))?;
    let Some(live) = bytes.and_then(|b| serde_json::from_slice::<Live>(&b).ok()) else {
        return Ok(Liveness::default());
    };
    let settled = ocpp_protocol::timestamp::parse_utc(&live.connected_at)
        .is_none_or(|at| (now - at).num_seconds() >= SUBSCRIPTION_SETTLE_SECONDS);
    Ok(Liveness {
        online: live.online,
        reachable: live.online && settled,
    })
}

/// Times out an overdue call and, when `send` (the charge point is online), sends the next.
fn settle(
    sql: &impl Sql,
    outbound: &Outbound<'_, impl Publish>,
    cp: &str,
    send: bool,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    delivery::expire(sql, cp, now, outbound.command_timeout_seconds)
        .with_context(|| format!("timing out the commands of charge point {cp:?}"))?;
    if send {
        send_next(sql, outbound, cp, now);
    }
    Ok(())
}

/// Best effort: whatever fails here leaves the command queued, and the connection component
/// (next message, reconnect) or the next look through the API sends it; the operator's
/// request itself succeeded.
fn send_next(sql: &impl Sql, outbound: &Outbound<'_, impl Publish>, cp: &str, now: DateTime<Utc>) {
    match delivery::publish_next(sql, outbound.publisher, cp, now) {
        Ok(Published::Sent(_) | Published::Nothing) => {}
        Ok(Published::Failed(e)) if e.maybe_delivered => {
            eprintln!("charge point {cp:?}: {e}; it may have got through, so it is not sent again");
        }
        Ok(Published::Failed(e)) => {
            eprintln!("charge point {cp:?}: {e}; the command stays queued");
        }
        Err(e) => {
            eprintln!("charge point {cp:?}: sending the next command: {e}; it stays queued");
        }
    }
}

fn load(sql: &impl Sql, id: i64) -> Result<Command, ApiError> {
    store::get(sql, id)
        .with_context(|| format!("loading command {id}"))?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("command {id} vanished")))
}

#[cfg(test)]
mod tests {
    use crate::test_support::{at, Bench};
    use serde_json::json;

    fn bench() -> Bench {
        let bench = Bench::new();
        bench.exec(
            "INSERT INTO charge_points (id, created_at, updated_at) VALUES ('CP1', 'x', 'x');\n\
             INSERT INTO charge_points (id, created_at, updated_at) VALUES ('CP2', 'x', 'x')",
        );
        bench
    }

    fn connect(bench: &Bench, cp: &str, online: bool) {
        bench.set_kv(
            &format!("cp:{cp}:connection"),
            &json!({"connection_id":"c","ocpp_version":"ocpp1.6","connected_at":"x",
                    "last_seen_at":"x","online": online})
            .to_string(),
        );
    }

    /// Answers the outstanding call as the connection component would.
    fn answer(bench: &Bench, message_id: &str, payload: serde_json::Value) {
        let result = ocpp_protocol::CallResult {
            message_id: message_id.to_owned(),
            payload,
        };
        csms_commands::answer::on_result(&bench.sql, "CP1", &result, bench.now).unwrap();
    }

    #[test]
    fn a_command_to_an_online_charge_point_is_published_and_sent() {
        let bench = bench();
        connect(&bench, "CP1", true);
        let answer = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/Reset",
            r#"{"type":"Hard"}"#,
        );
        assert_eq!(answer.status, 202, "{}", answer.body);
        let id = answer.body["command_id"].as_i64().unwrap();
        assert_eq!(answer.body["state"], "sent");
        assert_eq!(
            bench.gateway.published.borrow().as_slice(),
            &[(
                "ocpp:CP1".to_owned(),
                format!(r#"[2,"csms-{id}","Reset",{{"type":"Hard"}}]"#)
            )]
        );
        let got = bench.call("GET", &format!("/api/v1/commands/{id}"), "");
        assert_eq!(got.status, 200);
        assert_eq!(got.body["charge_point_id"], "CP1");
        assert_eq!(got.body["action"], "Reset");
        assert_eq!(got.body["request"], json!({"type":"Hard"}));
        assert_eq!(got.body["state"], "sent");
        assert_eq!(got.body["message_id"], format!("csms-{id}"));
        assert_eq!(got.body["created_at"], "2026-11-23T20:15:00Z");
        assert_eq!(got.body["sent_at"], "2026-11-23T20:15:00Z");
        assert_eq!(got.body["answered_at"], json!(null));
    }

    #[test]
    fn back_to_back_commands_queue_and_go_one_at_a_time_in_order() {
        let bench = bench();
        connect(&bench, "CP1", true);
        let post = |body: &str, action: &str| {
            let a = bench.call(
                "POST",
                &format!("/api/v1/charge-points/CP1/commands/{action}"),
                body,
            );
            assert_eq!(a.status, 202, "{}", a.body);
            (
                a.body["command_id"].as_i64().unwrap(),
                a.body["state"].clone(),
            )
        };
        let (first, s1) = post(r#"{"type":"Soft"}"#, "Reset");
        let (second, s2) = post("", "ClearCache");
        assert_eq!((s1, s2), (json!("sent"), json!("queued")));
        assert_eq!(bench.gateway.published.borrow().len(), 1);
        answer(
            &bench,
            &format!("csms-{first}"),
            json!({"status":"Accepted"}),
        );
        // Looking at the queue sends the next one (the connection component also would).
        let listed = bench.call("GET", "/api/v1/charge-points/CP1/commands", "");
        assert_eq!(listed.status, 200);
        let ids: Vec<i64> = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![second, first]);
        assert_eq!(listed.body["items"][0]["state"], "sent");
        assert_eq!(listed.body["items"][1]["state"], "answered");
        assert_eq!(
            listed.body["items"][1]["response"],
            json!({"status":"Accepted"})
        );
        assert_eq!(bench.gateway.published.borrow().len(), 2);
    }

    #[test]
    fn a_station_gets_commands_in_the_version_it_speaks_under_either_name() {
        let bench = bench();
        // Offline: the version of its last boot decides.
        connect(&bench, "CP1", false);
        bench.exec("UPDATE charge_points SET ocpp_version = 'ocpp2.0.1' WHERE id = 'CP1'");
        let refused = bench
            .call(
                "POST",
                "/api/v1/charge-points/CP1/commands/GetDiagnostics",
                "{}",
            )
            .problem(400);
        assert!(refused.contains("ocpp2.0.1"), "{refused}");
        let queued = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/RemoteStartTransaction",
            r#"{"idTag":"ALICE","connectorId":2}"#,
        );
        assert_eq!(queued.status, 202, "{}", queued.body);
        assert_eq!(queued.body["action"], "RequestStartTransaction");
        assert_eq!(queued.body["ocpp_version"], "ocpp2.0.1");
        let id = queued.body["command_id"].as_i64().unwrap();
        let got = bench.call("GET", &format!("/api/v1/commands/{id}"), "");
        assert_eq!(
            got.body["request"],
            json!({"idToken": {"idToken": "ALICE", "type": "Central"}, "evseId": 2})
        );
        // Written for 2.0.1 but invalid there: the 2.0.1 schema answers.
        let invalid = bench
            .call(
                "POST",
                "/api/v1/charge-points/CP1/commands/Reset",
                r#"{"type":"Soft"}"#,
            )
            .problem(400);
        assert!(invalid.contains("type"), "{invalid}");
        let certificates = bench
            .call(
                "POST",
                "/api/v1/charge-points/CP1/commands/InstallCertificate",
                r#"{"certificateType":"V2GRootCertificate","certificate":"x"}"#,
            )
            .problem(400);
        assert!(certificates.contains("PEM"), "{certificates}");
        // Online: the live connection's version decides (it booted as 2.0.1, now speaks 1.6).
        connect(&bench, "CP1", true);
        let sent = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/RequestStartTransaction",
            r#"{"idToken":{"idToken":"BOB","type":"ISO14443"},"evseId":1,"remoteStartId":5}"#,
        );
        assert_eq!(sent.status, 202, "{}", sent.body);
        assert_eq!(sent.body["action"], "RemoteStartTransaction");
        let id = sent.body["command_id"].as_i64().unwrap();
        let got = bench.call("GET", &format!("/api/v1/commands/{id}"), "");
        assert_eq!(
            got.body["request"],
            json!({"idTag": "BOB", "connectorId": 1})
        );
        assert_eq!(got.body["ocpp_version"], "ocpp1.6");
        bench
            .call(
                "POST",
                "/api/v1/charge-points/CP1/commands/GetBaseReport",
                r#"{"requestId":1,"reportBase":"FullInventory"}"#,
            )
            .problem(400);
    }

    #[test]
    fn a_rejected_charge_point_gets_no_command_and_a_pending_one_no_remote_start_or_stop() {
        let bench = bench();
        connect(&bench, "CP1", true);
        bench.exec("UPDATE charge_points SET registration_status = 'Rejected' WHERE id = 'CP1'");
        let refused = bench
            .call(
                "POST",
                "/api/v1/charge-points/CP1/commands/ClearCache",
                "{}",
            )
            .problem(409);
        assert!(refused.contains("Rejected"), "{refused}");
        bench.exec("UPDATE charge_points SET registration_status = 'Pending' WHERE id = 'CP1'");
        let refused = bench
            .call(
                "POST",
                "/api/v1/charge-points/CP1/commands/RemoteStartTransaction",
                r#"{"idTag":"ALICE"}"#,
            )
            .problem(409);
        assert!(refused.contains("Pending"), "{refused}");
        // Configuring a Pending charge point is what Pending is for.
        let accepted = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/ChangeConfiguration",
            r#"{"key":"HeartbeatInterval","value":"60"}"#,
        );
        assert_eq!(accepted.status, 202, "{}", accepted.body);
        assert_eq!(bench.gateway.published.borrow().len(), 1);
    }

    #[test]
    fn an_offline_charge_point_gets_it_queued_or_409_with_queue_false() {
        let bench = bench();
        connect(&bench, "CP1", false);
        let answer = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/ClearCache?queue=false",
            "{}",
        );
        assert!(answer.problem(409).contains("offline"));
        // Never connected at all: offline too.
        bench
            .call(
                "POST",
                "/api/v1/charge-points/CP2/commands/ClearCache?queue=false",
                "{}",
            )
            .problem(409);
        let queued = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/ClearCache",
            "{}",
        );
        assert_eq!(queued.status, 202);
        assert_eq!(queued.body["state"], "queued");
        assert!(bench.gateway.published.borrow().is_empty());
        let listed = bench.call("GET", "/api/v1/charge-points/CP1/commands", "");
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
        bench
            .call(
                "POST",
                "/api/v1/charge-points/CP1/commands/ClearCache?queue=maybe",
                "{}",
            )
            .problem(400);
    }

    #[test]
    fn an_unanswered_call_times_out_when_the_api_looks_and_the_next_goes() {
        let mut bench = bench();
        connect(&bench, "CP1", true);
        let first = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/ClearCache",
            "{}",
        );
        let first = first.body["command_id"].as_i64().unwrap();
        let second = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/ClearCache",
            "{}",
        );
        let second = second.body["command_id"].as_i64().unwrap();
        bench.now = at("2026-11-23T20:15:59Z");
        let got = bench.call("GET", &format!("/api/v1/commands/{first}"), "");
        assert_eq!(got.body["state"], "sent");
        bench.now = at("2026-11-23T20:16:00Z");
        let got = bench.call("GET", &format!("/api/v1/commands/{first}"), "");
        assert_eq!(got.body["state"], "timed_out");
        let got = bench.call("GET", &format!("/api/v1/commands/{second}"), "");
        assert_eq!(got.body["state"], "sent");
        assert_eq!(got.body["sent_at"], "2026-11-23T20:16:00Z");
    }

    #[test]
    fn a_call_error_is_shown_with_code_description_and_details() {
        let bench = bench();
        connect(&bench, "CP1", true);
        let posted = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/UnlockConnector",
            r#"{"connectorId":1}"#,
        );
        let id = posted.body["command_id"].as_i64().unwrap();
        let error = ocpp_protocol::CallError {
            message_id: format!("csms-{id}"),
            error_code: "NotSupported".into(),
            error_description: "no lock".into(),
            error_details: json!({"a":1}),
        };
        csms_commands::answer::on_error(&bench.sql, "CP1", &error, bench.now).unwrap();
        let got = bench.call("GET", &format!("/api/v1/commands/{id}"), "");
        assert_eq!(got.body["state"], "error");
        assert_eq!(
            got.body["error"],
            json!({"code":"NotSupported","description":"no lock","details":{"a":1}})
        );
        assert_eq!(got.body["answered_at"], "2026-11-23T20:15:00Z");
    }

    #[test]
    fn invalid_payloads_are_400_naming_the_field() {
        let bench = bench();
        for (action, body, field) in [
            ("Reset", "{}", "type"),
            ("Reset", r#"{"type":"Warm"}"#, "type"),
            ("ChangeConfiguration", r#"{"key":"K","value":1}"#, "value"),
            (
                "UnlockConnector",
                r#"{"connectorId":1,"extra":true}"#,
                "extra",
            ),
        ] {
            let detail = bench
                .call(
                    "POST",
                    &format!("/api/v1/charge-points/CP1/commands/{action}"),
                    body,
                )
                .problem(400);
            assert!(detail.contains(field), "{action} {body}: {detail}");
        }
        bench
            .call("POST", "/api/v1/charge-points/CP1/commands/Reset", "[1]")
            .problem(400);
        bench
            .call("POST", "/api/v1/charge-points/CP1/commands/Reset", "{")
            .problem(400);
    }

    #[test]
    fn unknown_actions_charge_points_and_commands_are_404() {
        let bench = bench();
        for path in [
            "/api/v1/charge-points/CP1/commands/BootNotification",
            "/api/v1/charge-points/CP1/commands/reset",
            "/api/v1/charge-points/CP1/commands/Nope",
            "/api/v1/charge-points/CP9/commands/ClearCache",
        ] {
            bench.call("POST", path, "{}").problem(404);
        }
        bench
            .call("GET", "/api/v1/charge-points/CP9/commands", "")
            .problem(404);
        bench.call("GET", "/api/v1/commands/12", "").problem(404);
        bench.call("GET", "/api/v1/commands/abc", "").problem(404);
        let answer = bench.call("GET", "/api/v1/charge-points/CP1/commands/Reset", "");
        answer.problem(405);
        assert_eq!(answer.response.header("allow"), Some("POST"));
    }

    #[test]
    fn a_refused_publish_leaves_the_command_queued() {
        let bench = bench();
        connect(&bench, "CP1", true);
        bench.gateway.down.set(true);
        let posted = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/ClearCache",
            "{}",
        );
        assert_eq!(posted.status, 202);
        assert_eq!(posted.body["state"], "queued");
        bench.gateway.down.set(false);
        let id = posted.body["command_id"].as_i64().unwrap();
        let got = bench.call("GET", &format!("/api/v1/commands/{id}"), "");
        assert_eq!(got.body["state"], "sent");
    }

    #[test]
    fn configuration_shows_what_get_and_change_configuration_answers_set() {
        let bench = bench();
        connect(&bench, "CP1", true);
        let get = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/GetConfiguration",
            "{}",
        );
        let get = get.body["command_id"].as_i64().unwrap();
        answer(
            &bench,
            &format!("csms-{get}"),
            json!({"configurationKey":[{"key":"HeartbeatInterval","readonly":false,"value":"300"}]}),
        );
        let change = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/ChangeConfiguration",
            r#"{"key":"HeartbeatInterval","value":"120"}"#,
        );
        assert_eq!(change.body["state"], "sent");
        let change = change.body["command_id"].as_i64().unwrap();
        answer(
            &bench,
            &format!("csms-{change}"),
            json!({"status":"Accepted"}),
        );
        let shown = bench.call("GET", "/api/v1/charge-points/CP1/configuration", "");
        assert_eq!(shown.status, 200);
        assert_eq!(
            shown.body,
            json!({"charge_point_id":"CP1","keys":[{"key":"HeartbeatInterval","value":"120",
                   "readonly":false,"updated_at":"2026-11-23T20:15:00Z"}]})
        );
        bench
            .call("GET", "/api/v1/charge-points/CP9/configuration", "")
            .problem(404);
    }

    #[test]
    fn the_list_is_paginated_newest_first_and_filtered_by_state() {
        let bench = bench();
        connect(&bench, "CP1", false);
        let mut posted = Vec::new();
        for _ in 0..5 {
            let a = bench.call(
                "POST",
                "/api/v1/charge-points/CP1/commands/ClearCache",
                "{}",
            );
            posted.push(a.body["command_id"].as_i64().unwrap());
        }
        bench.exec(&format!(
            "UPDATE commands SET state = 'timed_out' WHERE id IN ({}, {})",
            posted[1], posted[3]
        ));
        let seen: Vec<i64> = bench
            .every_item("/api/v1/charge-points/CP1/commands", "limit=2")
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        posted.reverse();
        assert_eq!(seen, posted);
        let timed_out = bench
            .call(
                "GET",
                "/api/v1/charge-points/CP1/commands?state=timed_out",
                "",
            )
            .body;
        let ids: Vec<i64> = timed_out["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![posted[1], posted[3]]);
        assert_eq!(timed_out["items"][0]["state"], "timed_out");
        for bad in ["state=done", "state=TimedOut", "limit=0", "cursor=e30"] {
            bench
                .call(
                    "GET",
                    &format!("/api/v1/charge-points/CP1/commands?{bad}"),
                    "",
                )
                .problem(400);
        }
    }

    #[test]
    fn the_state_filter_spells_states_as_the_store_serialises_them() {
        use csms_commands::store::State;
        let all = [
            State::Queued,
            State::Sent,
            State::Answered,
            State::Error,
            State::TimedOut,
            State::Offline,
        ];
        let spelled: Vec<&str> = all.iter().map(|s| s.as_str()).collect();
        assert_eq!(spelled, super::STATES);
        for state in all {
            assert_eq!(json!(state), json!(state.as_str()));
        }
    }

    #[test]
    fn send_local_list_with_only_an_update_type_is_built_from_the_id_tag_registry() {
        let bench = bench();
        connect(&bench, "CP1", true);
        bench.exec(
            "INSERT INTO id_tags (id_tag, status, updated_at) VALUES ('ALICE', 'Accepted', 'x')",
        );
        let posted = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/SendLocalList",
            r#"{"updateType":"Full"}"#,
        );
        assert_eq!(posted.status, 202, "{}", posted.body);
        let id = posted.body["command_id"].as_i64().unwrap();
        let got = bench.call("GET", &format!("/api/v1/commands/{id}"), "");
        assert_eq!(
            got.body["request"],
            json!({"listVersion": 1, "updateType": "Full", "localAuthorizationList": [
                {"idTag": "ALICE", "idTagInfo": {"status": "Accepted"}}]})
        );
        bench
            .call(
                "POST",
                "/api/v1/charge-points/CP1/commands/SendLocalList",
                r#"{"updateType":"Partial"}"#,
            )
            .problem(400);
    }

    #[test]
    fn a_socket_opened_under_two_seconds_ago_gets_its_command_once_pushpin_has_subscribed() {
        let mut bench = bench();
        // Opened one second before the operator's POST.
        bench.set_kv(
            "cp:CP1:connection",
            &json!({"connection_id":"c","ocpp_version":"ocpp1.6","connected_at":"2026-11-23T20:14:59Z",
                    "last_seen_at":"2026-11-23T20:14:59Z","online": true})
            .to_string(),
        );
        let posted = bench.call(
            "POST",
            "/api/v1/charge-points/CP1/commands/Reset",
            r#"{"type":"Soft"}"#,
        );
        assert_eq!(posted.status, 202, "{}", posted.body);
        assert_eq!(posted.body["state"], "queued");
        assert!(bench.gateway.published.borrow().is_empty());
        let id = posted.body["command_id"].as_i64().unwrap();
        // Still inside the window: a look changes nothing.
        assert_eq!(
            bench
                .call("GET", &format!("/api/v1/commands/{id}"), "")
                .body["state"],
            "queued"
        );
        bench.now += chrono::Duration::seconds(1);
        let later = bench.call("GET", &format!("/api/v1/commands/{id}"), "");
        assert_eq!(later.body["state"], "sent", "{}", later.body);
        assert_eq!(bench.gateway.published.borrow().len(), 1);
    }
}
