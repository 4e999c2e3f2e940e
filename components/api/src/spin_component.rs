//! The Spin adapter: the request and the variables from the host, the stores opened only for
//! requests that bring a bearer token (the token is checked against them), the gateway's
//! publish endpoint for commands, the answer back as HTTP.

use anyhow::Context as _;
use csms_store::spin::{SpinKeyValue, SpinSql};
use spin_sdk::http::{IncomingRequest, IntoResponse, Method, Request, Response, ResponseOutparam};
use spin_sdk::http_component;
use spin_sdk::variables;

use crate::{Outbound, Prepared, Publish, PublishError};

/// POSTs GRIP publish requests to the gateway (`gateway_publish_url`).
struct GatewayPublisher {
    url: String,
}

impl Publish for GatewayPublisher {
    fn publish(&self, channel: &str, content: &str) -> Result<(), PublishError> {
        let body = csms_commands::publish::body(channel, content).to_string();
        let request = Request::builder()
            .method(Method::Post)
            .uri(&self.url)
            .header("content-type", "application/json")
            // Pushpin answers a chunked publish request with 411.
            .header("content-length", body.len().to_string())
            .body(body)
            .build();
        let response: Response =
            spin_sdk::http::run(spin_sdk::http::send(request)).map_err(|e| {
                let reason = format!("POST {}: {e}", self.url);
                if never_sent(&e) {
                    PublishError::refused(reason)
                } else {
                    PublishError::unclear(reason)
                }
            })?;
        let status = *response.status();
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(PublishError::refused(format!(
                "POST {} answered {status}: {}",
                self.url,
                String::from_utf8_lossy(response.body())
            )))
        }
    }
}

/// Whether the publish request certainly did not reach the gateway: it could not be built,
/// the host refused it, or no connection was made. Anything after that (a broken or timed-out
/// connection, an unreadable answer) may have come after the gateway took the message.
fn never_sent(e: &spin_sdk::http::SendError) -> bool {
    use spin_sdk::http::{ErrorCode, SendError};
    match e {
        SendError::RequestConversion(_) => true,
        SendError::Http(code) => matches!(
            code,
            ErrorCode::DnsTimeout
                | ErrorCode::DnsError(_)
                | ErrorCode::DestinationNotFound
                | ErrorCode::DestinationUnavailable
                | ErrorCode::DestinationIpProhibited
                | ErrorCode::DestinationIpUnroutable
                | ErrorCode::ConnectionRefused
                | ErrorCode::ConnectionTimeout
                | ErrorCode::ConnectionLimitReached
                | ErrorCode::HttpRequestDenied
                | ErrorCode::HttpRequestUriInvalid
        ),
        _ => false,
    }
}

/// The transactions component, by Spin service chaining.
struct TransactionsComponent;

impl crate::TransactionsService for TransactionsComponent {
    fn close(
        &self,
        transaction_id: i64,
        closed_by: &str,
    ) -> Result<(u16, serde_json::Value), String> {
        use csms_contracts::transactions::{CloseRequest, BASE_URL, OPERATOR_CLOSE};
        csms_store::spin::post_json(
            &format!("{BASE_URL}{OPERATOR_CLOSE}"),
            &serde_json::json!(CloseRequest {
                transaction_id,
                closed_by: closed_by.to_owned(),
            }),
        )
    }

    fn running_cost(&self, transaction_id: i64) -> Result<(u16, serde_json::Value), String> {
        use csms_contracts::transactions::{RunningCostRequest, BASE_URL, OPERATOR_RUNNING_COST};
        csms_store::spin::post_json(
            &format!("{BASE_URL}{OPERATOR_RUNNING_COST}"),
            &serde_json::json!(RunningCostRequest { transaction_id }),
        )
    }
}

#[http_component]
async fn handle_request(req: IncomingRequest, outparam: ResponseOutparam) {
    spin_response::serve(req, outparam, answer).await;
}

fn answer(req: Request) -> anyhow::Result<impl IntoResponse> {
    let answer = serve(&req).unwrap_or_else(|e| crate::internal_error(&e));
    let mut response = Response::builder();
    response.status(answer.status);
    for (name, value) in &answer.headers {
        response.header(name, value);
    }
    Ok(response.body(answer.body).build())
}

fn serve(req: &Request) -> anyhow::Result<crate::Response> {
    let api_token = variables::get("api_token").context("reading the variable api_token")?;
    let method = req.method().to_string();
    // The SDK splits the URL; the API validates the query string itself (filters, cursors).
    let path = match req.query() {
        "" => req.path().to_owned(),
        query => format!("{}?{query}", req.path()),
    };
    let request = crate::Request {
        method: &method,
        path: &path,
        authorization: req.header("authorization").and_then(|v| v.as_str()),
        body: req.body(),
    };
    let call = match crate::prepare(&request, &api_token) {
        Prepared::Respond(response) => return Ok(response),
        Prepared::Execute(call) => call,
    };
    let sql = SpinSql::open_default().context("opening the default database")?;
    csms_store::migrate(&sql).context("migrating the database")?;
    let kv = SpinKeyValue::open_default().context("opening the default key-value store")?;
    let publisher = GatewayPublisher {
        url: variables::get("gateway_publish_url")
            .context("reading the variable gateway_publish_url")?,
    };
    let timeout = variables::get("command_timeout_seconds")
        .context("reading the variable command_timeout_seconds")?;
    let outbound = Outbound {
        publisher: &publisher,
        command_timeout_seconds: csms_commands::timeout_seconds(Some(&timeout))
            .map_err(anyhow::Error::msg)?,
        transactions: &TransactionsComponent,
    };
    Ok(crate::execute(
        &call,
        &sql,
        &kv,
        &outbound,
        chrono::Utc::now(),
    ))
}
