//! The private HTTP contract, reached by Spin service chaining
//! (`http://authorization.spin.internal/...`). Bodies are the JSON of
//! [`csms_contracts::authorization`], the one definition both ends use:
//!
//! - `POST /authorize` [`AuthorizeRequest`] -> 200 [`AuthorizeResponse`]
//! - `POST /authorize-stop` [`AuthorizeStopRequest`] -> 200 [`StopAuthorization`]
//!
//! A body that is not such JSON gets 400, an unknown path 404, another method 405, a store
//! failure 500; every error body is `{"error": "..."}`.

use chrono::{DateTime, Utc};
use csms_contracts::authorization::{
    AuthorizeRequest, AuthorizeResponse, AuthorizeStopRequest, AUTHORIZE, AUTHORIZE_STOP,
};
use csms_store::Sql;
use serde_json::{json, Value};

use crate::{authorize_stop, decide_at, Asked, DecideError, Place};

/// An HTTP answer: status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    fn ok(body: Value) -> Self {
        Self { status: 200, body }
    }

    fn error(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            body: json!({ "error": message.into() }),
        }
    }
}

/// Routes one request. `path` is the request path (`/authorize`); a prefix in front of the
/// last segment is ignored, so the component may be mounted under any route.
pub fn handle(sql: &impl Sql, method: &str, path: &str, body: &[u8], now: DateTime<Utc>) -> Answer {
    let endpoint = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    if endpoint != AUTHORIZE && endpoint != AUTHORIZE_STOP {
        return Answer::error(
            404,
            format!("no endpoint {path}; use POST /{AUTHORIZE} or /{AUTHORIZE_STOP}"),
        );
    }
    if !method.eq_ignore_ascii_case("POST") {
        return Answer::error(405, format!("{method} {path}: only POST is allowed"));
    }
    let answer = if endpoint == AUTHORIZE {
        serde_json::from_slice::<AuthorizeRequest>(body)
            .map_err(|e| bad_body(endpoint, &e))
            .and_then(|req| {
                let asked = Asked {
                    charge_point_id: &req.charge_point_id,
                    id_tag: &req.id_tag,
                    token_type: req.token_type.as_deref(),
                    purpose: req.purpose,
                    place: Place {
                        connector_id: req.connector_id,
                        reservation_id: req.reservation_id,
                    },
                };
                decide_at(sql, &asked, now)
                    .map(|d| {
                        json!(AuthorizeResponse {
                            decision: d.decision,
                            refusal: d.refusal,
                        })
                    })
                    .map_err(|e| {
                        failed(
                            &format!(
                                "authorizing idTag {:?} of {}",
                                req.id_tag, req.charge_point_id
                            ),
                            &e,
                        )
                    })
            })
    } else {
        serde_json::from_slice::<AuthorizeStopRequest>(body)
            .map_err(|e| bad_body(endpoint, &e))
            .and_then(|req| {
                authorize_stop(
                    sql,
                    &req.charge_point_id,
                    &req.id_tag,
                    req.token_type.as_deref(),
                    req.transaction_id,
                    now,
                )
                .map(|stop| json!(stop))
                .map_err(|e| {
                    failed(
                        &format!(
                            "authorizing idTag {:?} to stop transaction {} of {}",
                            req.id_tag, req.transaction_id, req.charge_point_id
                        ),
                        &e,
                    )
                })
            })
    };
    answer.map(Answer::ok).unwrap_or_else(|e| e)
}

fn bad_body(endpoint: &str, e: &serde_json::Error) -> Answer {
    Answer::error(400, format!("invalid JSON body for /{endpoint}: {e}"))
}

fn failed(what: &str, e: &DecideError) -> Answer {
    Answer::error(500, format!("{what}: {e}"))
}
