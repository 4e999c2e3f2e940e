//! Creates the load generator's idTags through the operator API
//! (`PUT /api/v1/id-tags/{tag}`), so that Authorize and StartTransaction take
//! the Accepted path instead of the unknown-tag (Invalid) one.
//!
//! A hand-written HTTP/1.1 request over a TCP stream: one PUT per tag is all
//! that is needed, and it keeps an HTTP client stack out of the tool.

use anyhow::{bail, Context};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub async fn put_id_tag(api_url: &str, token: &str, tag: &str) -> anyhow::Result<()> {
    let rest = api_url
        .strip_prefix("http://")
        .context("--api-url must start with http://")?;
    let (host, base) = match rest.split_once('/') {
        Some((h, p)) => (h, format!("/{}", p.trim_end_matches('/'))),
        None => (rest, String::new()),
    };
    let body = r#"{"status":"Accepted"}"#;
    let request = format!(
        "PUT {base}/api/v1/id-tags/{tag} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(host)
        .await
        .with_context(|| format!("connecting to the operator API at {host}"))?;
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or(0);
    if !(200..300).contains(&status) {
        bail!(
            "PUT /api/v1/id-tags/{tag} answered {status}: {}",
            text.lines().last().unwrap_or("")
        );
    }
    Ok(())
}
