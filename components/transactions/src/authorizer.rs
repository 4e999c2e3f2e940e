//! The token decisions come from the authorization component, the one owner of the registry,
//! through the contract both ends share ([`csms_contracts::authorization`]).

use csms_contracts::authorization::{
    AuthorizeRequest, AuthorizeStopRequest, Purpose, AUTHORIZE, AUTHORIZE_STOP,
};
pub use csms_contracts::authorization::{
    AuthorizeResponse as StartDecision, StopAuthorization, TokenDecision,
};
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
        token_type: Option<&str>,
        transaction_id: i64,
    ) -> Result<StopAuthorization, String>;
}

/// What a start is authorized for: the tag, and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartAsked<'a> {
    pub charge_point_id: &'a str,
    pub id_tag: &'a str,
    /// 2.0.1 IdTokenType; none for 1.6.
    pub token_type: Option<&'a str>,
    pub connector_id: i64,
    /// The reservation the start says it ends.
    pub reservation_id: Option<i64>,
}

/// An HTTP POST of JSON; returns the status and the JSON body of the answer.
pub trait PostJson {
    fn post_json(&self, url: &str, body: &Value) -> Result<(u16, Value), String>;
}

/// Where the authorization component answers on Spin (service chaining).
pub const AUTHORIZATION_URL: &str = csms_contracts::authorization::BASE_URL;

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
            AUTHORIZE,
            &json!(AuthorizeRequest {
                charge_point_id: start.charge_point_id.to_owned(),
                id_tag: start.id_tag.to_owned(),
                token_type: start.token_type.map(str::to_owned),
                purpose: Purpose::Start,
                connector_id: Some(start.connector_id),
                reservation_id: start.reservation_id,
            }),
        )?;
        serde_json::from_value(answer.clone())
            .map_err(|e| format!("/authorize answered no valid decision ({e}): {answer}"))
    }

    fn authorize_stop(
        &self,
        charge_point_id: &str,
        id_tag: &str,
        token_type: Option<&str>,
        transaction_id: i64,
    ) -> Result<StopAuthorization, String> {
        let answer = self.call(
            AUTHORIZE_STOP,
            &json!(AuthorizeStopRequest {
                charge_point_id: charge_point_id.to_owned(),
                id_tag: id_tag.to_owned(),
                token_type: token_type.map(str::to_owned),
                transaction_id,
            }),
        )?;
        serde_json::from_value(answer.clone()).map_err(|e| {
            format!("/authorize-stop answered no valid decision and may_stop ({e}): {answer}")
        })
    }
}
