//! What a certificate says, and how OCPP names it (`CertificateHashData`: SHA-256 of the
//! issuer's DER name and of the issuer's public key, and the serial number in hexadecimal).

use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Any, DecodePem as _, Encode as _, Tag, Tagged as _};
use x509_cert::name::Name;
use x509_cert::Certificate;

use crate::PkiError;

const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");

/// OCPP's `CertificateHashDataType`, with SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashData {
    pub hash_algorithm: &'static str,
    pub issuer_name_hash: String,
    pub issuer_key_hash: String,
    /// Lower-case hexadecimal without leading zeroes.
    pub serial_number: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    pub subject: String,
    pub common_name: Option<String>,
    pub organization: Option<String>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// `None` when the issuer's key is not known (a certificate that is neither self-signed
    /// nor issued by a key the caller has).
    pub hash: Option<HashData>,
}

/// Reads the first certificate of `pem`. `issuer_public_key` is the issuer's public key bits
/// (for the hash data); a self-signed certificate is its own issuer.
pub fn of_pem(pem: &str, issuer_public_key: Option<&[u8]>) -> Result<CertificateFacts, PkiError> {
    let cert = parse(pem)?;
    of_certificate(&cert, issuer_public_key)
}

/// The facts of the first certificate of a chain, its issuer being the next one (or itself
/// when self-signed).
pub fn of_chain(pem: &str) -> Result<CertificateFacts, PkiError> {
    let blocks = chain(pem);
    let first = blocks
        .first()
        .ok_or_else(|| PkiError::new("no PEM CERTIFICATE block found"))?;
    let issuer = blocks.get(1).map(|next| parse(next)).transpose()?;
    let issuer_key = issuer.as_ref().map(|issuer| {
        issuer
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes()
    });
    of_certificate(&parse(first)?, issuer_key)
}

pub(crate) fn parse(pem: &str) -> Result<Certificate, PkiError> {
    let first = first_block(pem, "CERTIFICATE")
        .ok_or_else(|| PkiError::new("no PEM CERTIFICATE block found"))?;
    Certificate::from_pem(first.as_bytes())
        .map_err(|e| PkiError::new(format!("not a PEM X.509 certificate: {e}")))
}

/// The certificates of a PEM chain, in order.
pub fn chain(pem: &str) -> Vec<&str> {
    let mut blocks = Vec::new();
    let mut rest = pem;
    while let Some(block) = first_block(rest, "CERTIFICATE") {
        blocks.push(block);
        let consumed = rest.find(block).map_or(rest.len(), |at| at + block.len());
        rest = &rest[consumed..];
    }
    blocks
}

fn first_block<'a>(pem: &'a str, label: &str) -> Option<&'a str> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)?;
    let stop = pem[start..].find(&end)? + start + end.len();
    Some(&pem[start..stop])
}

pub(crate) fn of_certificate(
    cert: &Certificate,
    issuer_public_key: Option<&[u8]>,
) -> Result<CertificateFacts, PkiError> {
    let tbs = &cert.tbs_certificate;
    let self_signed = tbs.issuer == tbs.subject;
    let own_key = tbs.subject_public_key_info.subject_public_key.raw_bytes();
    let issuer_key = issuer_public_key.or(self_signed.then_some(own_key));
    let hash = issuer_key
        .map(|key| hash_data(&tbs.issuer, key, tbs.serial_number.as_bytes()))
        .transpose()?;
    Ok(CertificateFacts {
        subject: tbs.subject.to_string(),
        common_name: attribute(&tbs.subject, COMMON_NAME)?,
        organization: attribute(&tbs.subject, ORGANIZATION)?,
        not_before: instant(tbs.validity.not_before.to_unix_duration())?,
        not_after: instant(tbs.validity.not_after.to_unix_duration())?,
        hash,
    })
}

pub(crate) fn hash_data(
    issuer: &Name,
    issuer_public_key: &[u8],
    serial: &[u8],
) -> Result<HashData, PkiError> {
    let name = issuer
        .to_der()
        .map_err(|e| PkiError::new(format!("encoding the issuer name: {e}")))?;
    Ok(HashData {
        hash_algorithm: "SHA256",
        issuer_name_hash: hex(&Sha256::digest(&name)),
        issuer_key_hash: hex(&Sha256::digest(issuer_public_key)),
        serial_number: serial_hex(serial),
    })
}

/// The value of the one `oid` attribute of `name`; two of them are refused as ambiguous.
pub(crate) fn attribute(name: &Name, oid: ObjectIdentifier) -> Result<Option<String>, PkiError> {
    let found: Vec<&Any> = name
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|atv| atv.oid == oid)
        .map(|atv| &atv.value)
        .collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => text(one)
            .map(Some)
            .ok_or_else(|| PkiError::new(format!("the subject's {oid} is not a readable string"))),
        _ => Err(PkiError::new(format!(
            "the subject names {oid} more than once"
        ))),
    }
}

pub(crate) fn common_name(name: &Name) -> Result<Option<String>, PkiError> {
    attribute(name, COMMON_NAME)
}

pub(crate) fn organization(name: &Name) -> Result<Option<String>, PkiError> {
    attribute(name, ORGANIZATION)
}

fn text(value: &Any) -> Option<String> {
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String => {
            std::str::from_utf8(value.value()).ok().map(str::to_owned)
        }
        _ => None,
    }
}

fn instant(since_epoch: std::time::Duration) -> Result<DateTime<Utc>, PkiError> {
    i64::try_from(since_epoch.as_secs())
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .ok_or_else(|| PkiError::new("a validity time is out of range"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// OCPP's serial number: hexadecimal without leading zeroes.
fn serial_hex(serial: &[u8]) -> String {
    let text = hex(serial);
    let trimmed = text.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_lose_their_leading_zeroes() {
        assert_eq!(serial_hex(&[0x00, 0x0a, 0xbc]), "abc");
        assert_eq!(serial_hex(&[0x00]), "0");
    }

    #[test]
    fn a_chain_is_split_into_its_certificates() {
        let pem = "x\n-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n\
                   -----BEGIN CERTIFICATE-----\nBB\n-----END CERTIFICATE-----\n";
        let blocks = chain(pem);
        assert_eq!(blocks.len(), 2);
        assert!(blocks[1].contains("BB"));
        assert!(parse("no pem here").is_err());
    }
}
