#![cfg(target_arch = "wasm32")]
//! Handing a component's response to the Spin host in one piece: what every component's
//! `#[http_component]` calls instead of returning an SDK `Response`.
//!
//! The Spin SDK sets the response first and writes its body after, so the host's HTTP
//! server (hyper, in Spin and in devhost alike) can send the head before the body exists,
//! in a segment of its own. Spin's listener does not set `TCP_NODELAY`: the body then waits
//! until the client acknowledges the head, which Pushpin's side delays by up to 40 ms.
//! Written before the response is set, head and body reach the host together.

use spin_sdk::http::{IntoResponse, OutgoingBody, OutgoingResponse, Response, ResponseOutparam};

/// Sends `response` with its `content-length`, writing as much of the body as the host
/// buffers before the response is set (1 MiB on Spin and devhost), the rest after.
pub fn send(outparam: ResponseOutparam, mut response: Response) -> Result<(), String> {
    let body = std::mem::take(response.body_mut());
    if response.header("content-length").is_none() {
        response.set_header("content-length", body.len().to_string());
    }
    let outgoing = OutgoingResponse::try_from(response).map_err(|e| e.to_string())?;
    let outgoing_body = outgoing
        .body()
        .map_err(|()| "the response body was taken already".to_string())?;
    let stream = outgoing_body
        .write()
        .map_err(|()| "the response body stream was taken already".to_string())?;
    // Without blocking: before the response is set nobody reads, so a write that waits for
    // room would wait for ever.
    let room = stream
        .check_write()
        .map_or(0, |room| usize::try_from(room).unwrap_or(usize::MAX))
        .min(body.len());
    let ahead = if room > 0 && stream.write(&body[..room]).is_ok() {
        stream
            .flush()
            .map_err(|e| format!("flushing the response body: {e}"))?;
        room
    } else {
        0
    };
    let rest = &body[ahead..];
    if rest.is_empty() {
        finish(stream, outgoing_body)?;
        outparam.set(outgoing);
        return Ok(());
    }
    outparam.set(outgoing);
    for chunk in rest.chunks(4096) {
        stream
            .blocking_write_and_flush(chunk)
            .map_err(|e| format!("writing the response body: {e}"))?;
    }
    finish(stream, outgoing_body)
}

/// Ends the body: its stream must be dropped first.
fn finish(stream: impl Sized, body: OutgoingBody) -> Result<(), String> {
    drop(stream);
    OutgoingBody::finish(body, None).map_err(|e| format!("finishing the response body: {e}"))
}

/// Runs `handler` on the request and sends what it answers with [`send`]: what a component's
/// `#[http_component]` does with the SDK's `Request` and `Response` types. A handler's error
/// becomes a 500 with its message, as the SDK makes of one, and goes to stderr with its causes.
pub async fn serve<R: IntoResponse, E: std::fmt::Display>(
    request: spin_sdk::http::IncomingRequest,
    outparam: ResponseOutparam,
    handler: impl FnOnce(spin_sdk::http::Request) -> Result<R, E>,
) {
    use spin_sdk::http::conversions::TryFromIncomingRequest;
    let response = match spin_sdk::http::Request::try_from_incoming_request(request).await {
        Ok(request) => handler(request).map(R::into_response).unwrap_or_else(|e| {
            eprintln!("Handler returned an error: {e:#}");
            Response::new(500, e.to_string())
        }),
        Err(e) => Response::new(400, format!("reading the request: {e:?}")),
    };
    if let Err(e) = send(outparam, response) {
        eprintln!("sending the response: {e}");
    }
}
