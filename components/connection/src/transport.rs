//! What the TLS terminator in front of the gateway verified, as it tells it in headers.
//!
//! TLS never reaches a component: devhost's embedded gateway, or nginx in front of Pushpin,
//! ends it and forwards three headers, named after the nginx variables they carry:
//! [`TLS_PROTOCOL`] (`$ssl_protocol`, empty without TLS), [`CLIENT_VERIFY`]
//! (`$ssl_client_verify`: `SUCCESS`, `FAILED:<reason>` or `NONE`) and [`CLIENT_CERT`]
//! (`$ssl_client_escaped_cert`, the client certificate as URL-escaped PEM). Anyone could send
//! such headers, so they count only on requests whose Grip-Sig proved they came through the
//! gateway; the terminator must set them on every request, overwriting what a client sent.
//! Even then a client that reaches the gateway without passing the terminator could name any
//! certificate, so a forwarded certificate counts only when a CA the CSMS trusts issued it
//! (variable `client_ca_certificates`, else the station CA's certificate).

use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;

use crate::session::GripRequest;

pub const TLS_PROTOCOL: &str = "x-ssl-protocol";
pub const CLIENT_VERIFY: &str = "x-ssl-client-verify";
pub const CLIENT_CERT: &str = "x-ssl-client-cert";

/// The TLS versions OCPP allows (1.2 and later; both versions' security chapters).
const ALLOWED_TLS: [&str; 2] = ["TLSv1.2", "TLSv1.3"];

/// How a charge point reached the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// Plain `ws://`.
    Plain,
    /// TLS of this version (`TLSv1.3`), with or without a client certificate.
    Tls {
        protocol: String,
        client: ClientCertificate,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCertificate {
    None,
    /// The terminator verified it against the charging-station CA; its subject's names.
    Verified {
        common_name: Option<String>,
        organization: Option<String>,
    },
    /// Presented but not verified, or not readable: why.
    Invalid(String),
}

impl Transport {
    /// Whether the TLS version is one OCPP allows.
    pub fn allowed_tls(&self) -> bool {
        matches!(self, Transport::Tls { protocol, .. } if ALLOWED_TLS.contains(&protocol.as_str()))
    }
}

/// Whether `req` carries any of the terminator's headers (so it must be signed to count).
pub fn claimed(req: &GripRequest) -> bool {
    [TLS_PROTOCOL, CLIENT_VERIFY, CLIENT_CERT]
        .iter()
        .any(|name| req.header(name).is_some_and(|v| !v.trim().is_empty()))
}

/// Whether `req` forwards a client certificate, so the trusted CAs must be read to judge it.
pub fn forwards_certificate(req: &GripRequest) -> bool {
    req.header(CLIENT_CERT)
        .is_some_and(|v| !v.trim().is_empty())
}

/// Reads the terminator's headers; only for requests whose Grip-Sig was verified. A client
/// certificate is checked against `trusted` (PEM CA certificates) at `now`.
pub fn read(req: &GripRequest, trusted: Option<&str>, now: DateTime<Utc>) -> Transport {
    let protocol = req.header(TLS_PROTOCOL).unwrap_or_default().trim();
    if protocol.is_empty() {
        return Transport::Plain;
    }
    let verify = req.header(CLIENT_VERIFY).unwrap_or_default().trim();
    let cert = req.header(CLIENT_CERT).unwrap_or_default().trim();
    let client = match verify {
        "" | "NONE" if cert.is_empty() => ClientCertificate::None,
        "SUCCESS" => names(cert, trusted, now).unwrap_or_else(ClientCertificate::Invalid),
        "" | "NONE" => ClientCertificate::Invalid(
            "a certificate was forwarded that the terminator did not verify".to_owned(),
        ),
        failed => ClientCertificate::Invalid(format!("the TLS terminator said {failed}")),
    };
    Transport::Tls {
        protocol: protocol.to_owned(),
        client,
    }
}

fn names(
    escaped_pem: &str,
    trusted: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ClientCertificate, String> {
    let pem = percent_decode_str(escaped_pem)
        .decode_utf8()
        .map_err(|e| format!("the forwarded certificate is not URL-escaped UTF-8: {e}"))?;
    let trusted = trusted.ok_or(
        "no CA is configured to check client certificates against (variable \
         client_ca_certificates, or station_ca_certificate)",
    )?;
    let facts = csms_pki::verify::issued_by(&pem, trusted, now)
        .map_err(|e| format!("the forwarded certificate: {e}"))?;
    Ok(ClientCertificate::Verified {
        common_name: facts.common_name,
        organization: facts.organization,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed CA certificate with subject `CN=CP-TLS-1, O=Example Charging` (made once
    /// with openssl): trusted, it vouches for itself.
    const PEM: &str = include_str!("../tests/fixtures/self-signed-cp-tls-1.pem");

    fn request(headers: &[(&str, &str)]) -> GripRequest {
        GripRequest {
            path: "/ocpp/CP-TLS-1".into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: Vec::new(),
        }
    }

    fn escaped(pem: &str) -> String {
        percent_encoding::utf8_percent_encode(pem, percent_encoding::NON_ALPHANUMERIC).to_string()
    }

    #[test]
    fn a_verified_certificate_gives_its_subject_names() {
        let cert = escaped(PEM);
        let req = request(&[
            ("X-SSL-Protocol", "TLSv1.3"),
            ("X-SSL-Client-Verify", "SUCCESS"),
            ("X-SSL-Client-Cert", &cert),
        ]);
        assert!(claimed(&req));
        let transport = read(&req, Some(PEM), now());
        assert!(transport.allowed_tls());
        assert_eq!(
            transport,
            Transport::Tls {
                protocol: "TLSv1.3".into(),
                client: ClientCertificate::Verified {
                    common_name: Some("CP-TLS-1".into()),
                    organization: Some("Example Charging".into()),
                }
            }
        );
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default()
    }

    fn invalid(transport: Transport) -> String {
        match transport {
            Transport::Tls {
                client: ClientCertificate::Invalid(reason),
                ..
            } => reason,
            other => panic!("read as {other:?}"),
        }
    }

    #[test]
    fn a_certificate_no_trusted_ca_issued_does_not_count() {
        let cert = escaped(PEM);
        let req = request(&[
            ("x-ssl-protocol", "TLSv1.3"),
            ("x-ssl-client-verify", "SUCCESS"),
            ("x-ssl-client-cert", &cert),
        ]);
        assert!(forwards_certificate(&req));
        assert!(invalid(read(&req, None, now())).contains("client_ca_certificates"));
        assert!(invalid(read(&req, Some(""), now())).contains("not a trusted CA"));
    }

    #[test]
    fn without_headers_it_is_plain_and_failures_say_why() {
        let read = |req: &GripRequest| read(req, Some(PEM), now());
        assert_eq!(read(&request(&[])), Transport::Plain);
        assert!(!claimed(&request(&[("x-ssl-protocol", " ")])));
        let plain_tls = read(&request(&[
            ("x-ssl-protocol", "TLSv1.2"),
            ("x-ssl-client-verify", "NONE"),
        ]));
        assert!(matches!(
            plain_tls,
            Transport::Tls {
                client: ClientCertificate::None,
                ..
            }
        ));
        assert!(!read(&request(&[("x-ssl-protocol", "TLSv1.1")])).allowed_tls());
        for headers in [
            vec![
                ("x-ssl-protocol", "TLSv1.3"),
                (
                    "x-ssl-client-verify",
                    "FAILED:unable to verify the first certificate",
                ),
            ],
            vec![
                ("x-ssl-protocol", "TLSv1.3"),
                ("x-ssl-client-verify", "SUCCESS"),
                ("x-ssl-client-cert", "not%20a%20certificate"),
            ],
            vec![("x-ssl-protocol", "TLSv1.3"), ("x-ssl-client-cert", "x")],
        ] {
            assert!(!invalid(read(&request(&headers))).is_empty(), "{headers:?}");
        }
    }
}
