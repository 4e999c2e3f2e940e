//! TLS on the application listener (`--tls-cert`, `--tls-key`, as `spin up` has them), and
//! client certificates for OCPP security profile 3 (`--tls-client-ca`, devhost only).
//!
//! What was negotiated reaches the components as the headers nginx would forward with
//! `$ssl_protocol`, `$ssl_client_verify` and `$ssl_client_escaped_cert`, so that a component
//! reads the same thing whichever terminator is in front of it. As with nginx's
//! `ssl_verify_client optional_no_ca`, a certificate from another CA does not fail the TLS
//! handshake: the station gets an HTTP answer (401) and the operator a security event, instead
//! of a connection reset nobody can explain. The handshake signature is still checked, so a
//! client holds the key of the certificate it shows.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use base64::Engine as _;
use http::{HeaderMap, HeaderValue};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tokio_rustls::rustls::client::danger::HandshakeSignatureValid;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use tokio_rustls::rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use tokio_rustls::rustls::server::{ServerConnection, WebPkiClientVerifier};
use tokio_rustls::rustls::{
    self, DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, SignatureScheme,
};
use tokio_rustls::TlsAcceptor;

/// The headers a terminator sets; a client's own values for them are always dropped.
pub const TLS_PROTOCOL: &str = "x-ssl-protocol";
pub const CLIENT_VERIFY: &str = "x-ssl-client-verify";
pub const CLIENT_CERT: &str = "x-ssl-client-cert";

/// The files of `--tls-cert`, `--tls-key` and `--tls-client-ca`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
}

/// The listener's TLS set-up.
#[derive(Clone)]
pub struct Tls {
    pub acceptor: TlsAcceptor,
    /// Verifies a client's chain after the handshake; `None` without `--tls-client-ca`.
    clients: Option<Arc<dyn ClientCertVerifier>>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("client_certificates", &self.clients.is_some())
            .finish_non_exhaustive()
    }
}

/// What one connection negotiated.
#[derive(Debug, Clone)]
pub struct PeerTls {
    protocol: &'static str,
    verify: String,
    escaped_cert: Option<String>,
}

impl Tls {
    pub fn load(files: &TlsFiles) -> anyhow::Result<Self> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs = CertificateDer::pem_file_iter(&files.cert)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .with_context(|| format!("reading --tls-cert {}", files.cert.display()))?;
        let key = PrivateKeyDer::from_pem_file(&files.key)
            .with_context(|| format!("reading --tls-key {}", files.key.display()))?;
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("choosing TLS versions")?;
        let clients = files
            .client_ca
            .as_deref()
            .map(|ca| client_verifier(ca, provider))
            .transpose()?;
        let builder = match &clients {
            Some(inner) => builder.with_client_cert_verifier(Arc::new(Deferred {
                inner: inner.clone(),
            })),
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(certs, key)
            .context("the --tls-cert and --tls-key do not make a certificate and its key")?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            clients,
        })
    }

    /// What `connection` negotiated, its client chain verified now.
    pub fn peer(&self, connection: &ServerConnection) -> PeerTls {
        let protocol = match connection.protocol_version() {
            Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
            Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
            _ => "unknown",
        };
        let chain = connection.peer_certificates().unwrap_or_default();
        let (verify, escaped_cert) = match (chain.split_first(), &self.clients) {
            (Some((end_entity, intermediates)), Some(verifier)) => {
                let verify =
                    match verifier.verify_client_cert(end_entity, intermediates, UnixTime::now()) {
                        Ok(_) => "SUCCESS".to_owned(),
                        Err(e) => format!("FAILED:{e}"),
                    };
                (verify, Some(escaped_pem(end_entity)))
            }
            _ => ("NONE".to_owned(), None),
        };
        PeerTls {
            protocol,
            verify,
            escaped_cert,
        }
    }
}

impl PeerTls {
    /// Sets the terminator's headers on a request from this connection.
    pub fn apply(&self, headers: &mut HeaderMap) {
        let mut set = |name: &'static str, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        };
        set(TLS_PROTOCOL, self.protocol);
        set(CLIENT_VERIFY, &self.verify);
        if let Some(cert) = &self.escaped_cert {
            set(CLIENT_CERT, cert);
        }
    }
}

/// Drops what a client sent under the terminator's header names.
pub fn strip(headers: &mut HeaderMap) {
    for name in [TLS_PROTOCOL, CLIENT_VERIFY, CLIENT_CERT] {
        headers.remove(name);
    }
}

fn client_verifier(
    ca: &Path,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> anyhow::Result<Arc<dyn ClientCertVerifier>> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca)
        .with_context(|| format!("reading --tls-client-ca {}", ca.display()))?
    {
        let cert = cert.with_context(|| format!("reading --tls-client-ca {}", ca.display()))?;
        roots
            .add(cert)
            .with_context(|| format!("a certificate of --tls-client-ca {}", ca.display()))?;
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .allow_unauthenticated()
        .build()
        .with_context(|| format!("using --tls-client-ca {}", ca.display()))
}

/// Asks for a client certificate and checks the handshake's proof of its key, but leaves the
/// chain to [`Tls::peer`], after the handshake, so that a bad chain becomes an HTTP answer.
#[derive(Debug)]
struct Deferred {
    inner: Arc<dyn ClientCertVerifier>,
}

impl ClientCertVerifier for Deferred {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// nginx's `$ssl_client_escaped_cert`: the PEM, with everything but letters, digits and
/// `-_.~` percent-escaped.
fn escaped_pem(cert: &CertificateDer<'_>) -> String {
    const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let body = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    utf8_percent_encode(&pem, ESCAPED).to_string()
}
