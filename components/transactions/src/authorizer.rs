//! The idTag decisions come from the authorization component, the one owner of the registry.

use ocpp_protocol::ocpp_types::v16::common::IdTagInfo;
use serde::Deserialize;
use serde_json::{json, Value};

/// Asks for idTag decisions. On Spin: [`ServiceAuthorizer`] over service chaining; in tests, a
/// fake or the authorization crate called in-process.
pub trait Authorizer {
    /// The decision for starting a transaction (counts the tag's open transactions and honours
    /// the charge point's reservations).
    fn authorize_start(&self, start: &StartAsked<'_>) -> Result<StartDecision, String>;

    /// The decision for `id_tag` stopping `transaction_id`, and whether it may.
    fn authorize_stop(
        &self,
        charge_point_id: &str,
        id_tag: &str,
        transaction_id: i64,
    ) -> Result<StopAuthorization, String>;
}

/// What a start is authorized for: the tag, and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartAsked<'a> {
    pub charge_point_id: &'a str,
    pub id_tag: &'a str,
    pub connector_id: i64,
    /// The reservation the start says it ends.
    pub reservation_id: Option<i64>,
}

/// The answer of `POST /authorize` for a start.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StartDecision {
    #[serde(rename = "idTagInfo")]
    pub id_tag_info: IdTagInfo,
    /// Why a tag the registry accepts was refused here (a reservation of another tag).
    #[serde(default)]
    pub refusal: Option<String>,
}

/// The answer of `POST /authorize-stop`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StopAuthorization {
    #[serde(rename = "idTagInfo")]
    pub id_tag_info: IdTagInfo,
    /// The tag started the transaction or shares its parent idTag. Informative: the stop is
    /// recorded either way, and the transaction flagged when false.
    pub may_stop: bool,
}

/// An HTTP POST of JSON; returns the status and the JSON body of the answer.
pub trait PostJson {
    fn post_json(&self, url: &str, body: &Value) -> Result<(u16, Value), String>;
}

/// Where the authorization component answers on Spin (service chaining).
pub const AUTHORIZATION_URL: &str = "http://authorization.spin.internal";

/// The authorization component's HTTP contract: `POST /authorize` with purpose `start`, and
/// `POST /authorize-stop`.
pub struct ServiceAuthorizer<P> {
    pub post: P,
    pub base_url: String,
}

impl<P: PostJson> ServiceAuthorizer<P> {
    pub fn new(post: P) -> Self {
        Self {
            post,
            base_url: AUTHORIZATION_URL.to_owned(),
        }
    }

    fn call(&self, endpoint: &str, body: &Value) -> Result<Value, String> {
        let url = format!("{}/{endpoint}", self.base_url.trim_end_matches('/'));
        let (status, answer) = self.post.post_json(&url, body)?;
        if status == 200 {
            Ok(answer)
        } else {
            Err(format!("{url} answered {status}: {answer}"))
        }
    }
}

impl<P: PostJson> Authorizer for ServiceAuthorizer<P> {
    fn authorize_start(&self, start: &StartAsked<'_>) -> Result<StartDecision, String> {
        let answer = self.call(
            "authorize",
            &json!({
                "charge_point_id": start.charge_point_id,
                "id_tag": start.id_tag,
                "purpose": "start",
                "connector_id": start.connector_id,
                "reservation_id": start.reservation_id,
            }),
        )?;
        serde_json::from_value(answer.clone())
            .map_err(|e| format!("/authorize answered no valid idTagInfo ({e}): {answer}"))
    }

    fn authorize_stop(
        &self,
        charge_point_id: &str,
        id_tag: &str,
        transaction_id: i64,
    ) -> Result<StopAuthorization, String> {
        let answer = self.call(
            "authorize-stop",
            &json!({"charge_point_id": charge_point_id, "id_tag": id_tag, "transaction_id": transaction_id}),
        )?;
        serde_json::from_value(answer.clone()).map_err(|e| {
            format!("/authorize-stop answered no valid idTagInfo and may_stop ({e}): {answer}")
        })
    }
}
