//! The charging-station CA: its certificate and key (PEM, from secret Spin variables) and the
//! certificates it signs for checked requests.

use std::time::{Duration, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use p256::ecdsa::signature::{Keypair, Signer};
use x509_cert::builder::{Builder as _, CertificateBuilder, Profile};
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::EncodePem as _;
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{
    DynSignatureAlgorithmIdentifier, EncodePublicKey, SignatureBitStringEncoding,
};
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;

use crate::csr::CheckedCsr;
use crate::facts::{self, CertificateFacts};
use crate::PkiError;

/// id-kp-clientAuth: the certificate authenticates the station to the CSMS (profile 3).
const CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
/// Signed certificates start this much before now, for stations whose clock runs behind.
const BACKDATE: Duration = Duration::from_secs(300);

enum Key {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

pub struct Authority {
    certificate: Certificate,
    /// As given, for the chain sent back with CertificateSigned.
    certificate_pem: String,
    key: Key,
}

/// A certificate this CA made.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The new certificate, then the CA's: the `certificateChain` of CertificateSigned.
    pub chain_pem: String,
    pub facts: CertificateFacts,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field(
                "subject",
                &self.certificate.tbs_certificate.subject.to_string(),
            )
            .finish_non_exhaustive()
    }
}

impl Authority {
    /// The CA from its PEM certificate and its PEM private key (PKCS#8 or SEC1, P-256 or
    /// P-384), which must belong together.
    pub fn from_pem(certificate_pem: &str, key_pem: &str) -> Result<Self, PkiError> {
        let certificate = facts::parse(certificate_pem)
            .map_err(|e| PkiError::new(format!("the CA certificate: {e}")))?;
        if !crate::verify::may_sign_certificates(&certificate) {
            return Err(PkiError::new(
                "the CA certificate may not sign certificates (it needs basicConstraints cA:TRUE and, when it states key usages, keyCertSign)",
            ));
        }
        let key = parse_key(key_pem)?;
        let public = match &key {
            Key::P256(k) => k
                .verifying_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
            Key::P384(k) => k
                .verifying_key()
                .to_encoded_point(false)
                .as_bytes()
                .to_vec(),
        };
        let stated = certificate
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes();
        if public != stated {
            return Err(PkiError::new(
                "the CA key does not belong to the CA certificate",
            ));
        }
        Ok(Self {
            certificate,
            certificate_pem: certificate_pem.trim().to_owned() + "\n",
            key,
        })
    }

    /// The CA certificate's facts (with its own hash data).
    pub fn facts(&self) -> Result<CertificateFacts, PkiError> {
        facts::of_certificate(&self.certificate, None)
    }

    /// The CA's public key bits: what an issued certificate's `issuerKeyHash` hashes.
    pub fn public_key(&self) -> &[u8] {
        self.certificate
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes()
    }

    /// Signs `csr` for `days` from `now`, but never beyond the CA's own expiry, with the 16
    /// random bytes `serial` (the caller draws them: this crate has no randomness of its own).
    pub fn sign(
        &self,
        csr: &CheckedCsr,
        now: DateTime<Utc>,
        days: u32,
        mut serial: [u8; 16],
    ) -> Result<Issued, PkiError> {
        // Positive and 16 bytes long, as RFC 5280 asks of a serial.
        serial[0] = (serial[0] & 0x7f) | 0x40;
        let serial = SerialNumber::new(&serial)
            .map_err(|e| PkiError::new(format!("the serial number: {e}")))?;
        let start = seconds(now).saturating_sub(BACKDATE.as_secs());
        let ca_end = self
            .certificate
            .tbs_certificate
            .validity
            .not_after
            .to_unix_duration()
            .as_secs();
        let end = seconds(now)
            .saturating_add(u64::from(days) * 86_400)
            .min(ca_end);
        if end <= seconds(now) {
            return Err(PkiError::new("the CA certificate has expired"));
        }
        let validity = Validity {
            not_before: time(start)?,
            not_after: time(end)?,
        };
        let profile = Profile::Leaf {
            issuer: self.certificate.tbs_certificate.subject.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        };
        let certificate = match &self.key {
            Key::P256(key) => {
                build::<_, p256::ecdsa::DerSignature>(profile, serial, validity, csr, key)?
            }
            Key::P384(key) => {
                build::<_, p384::ecdsa::DerSignature>(profile, serial, validity, csr, key)?
            }
        };
        let pem = certificate
            .to_pem(x509_cert::der::pem::LineEnding::LF)
            .map_err(|e| PkiError::new(format!("encoding the certificate: {e}")))?;
        let facts = facts::of_certificate(&certificate, Some(self.public_key()))?;
        Ok(Issued {
            chain_pem: pem + &self.certificate_pem,
            facts,
        })
    }
}

/// The certificate for `csr`, signed by `key` (of either curve).
fn build<S, Signature>(
    profile: Profile,
    serial: SerialNumber,
    validity: Validity,
    csr: &CheckedCsr,
    key: &S,
) -> Result<Certificate, PkiError>
where
    S: Keypair + DynSignatureAlgorithmIdentifier + Signer<Signature>,
    S::VerifyingKey: EncodePublicKey,
    Signature: SignatureBitStringEncoding,
{
    let failed = |e: x509_cert::builder::Error| PkiError::new(format!("signing: {e}"));
    let mut builder = CertificateBuilder::new(
        profile,
        serial,
        validity,
        csr.subject.clone(),
        csr.public_key.clone(),
        key,
    )
    .map_err(failed)?;
    builder
        .add_extension(&ExtendedKeyUsage(vec![CLIENT_AUTH]))
        .map_err(failed)?;
    builder.build::<Signature>().map_err(failed)
}

fn parse_key(pem: &str) -> Result<Key, PkiError> {
    use p256::pkcs8::DecodePrivateKey as _;
    let pem = pem.trim();
    if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_pem(pem) {
        return Ok(Key::P256(key));
    }
    if let Ok(key) = p384::ecdsa::SigningKey::from_pkcs8_pem(pem) {
        return Ok(Key::P384(key));
    }
    if let Ok(key) = p256::SecretKey::from_sec1_pem(pem) {
        return Ok(Key::P256(key.into()));
    }
    if let Ok(key) = p384::SecretKey::from_sec1_pem(pem) {
        return Ok(Key::P384(key.into()));
    }
    Err(PkiError::new(
        "the CA key is not a PEM P-256 or P-384 private key (PKCS#8 or SEC1)",
    ))
}

fn seconds(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp()).unwrap_or_default()
}

/// RFC 5280 time: UTCTime until 2049, GeneralizedTime after.
fn time(seconds: u64) -> Result<Time, PkiError> {
    Time::try_from(UNIX_EPOCH + Duration::from_secs(seconds))
        .map_err(|e| PkiError::new(format!("a validity time: {e}")))
}
