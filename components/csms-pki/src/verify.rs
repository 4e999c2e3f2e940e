//! Whether a certificate was issued by a CA the CSMS trusts: the second check of a security
//! profile 3 client certificate, after the TLS terminator's. It matters when a client can
//! reach the gateway without passing the terminator, which would otherwise let it name any
//! certificate in the headers.

use chrono::{DateTime, Utc};
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage};
use x509_cert::Certificate;

use crate::facts::{self, CertificateFacts};
use crate::PkiError;

const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");

/// The facts of the first certificate of `pem` when one of the CA certificates in
/// `trusted_pem` issued it directly and it is valid at `now`; otherwise why not.
pub fn issued_by(
    pem: &str,
    trusted_pem: &str,
    now: DateTime<Utc>,
) -> Result<CertificateFacts, PkiError> {
    let cert = facts::parse(pem)?;
    let tbs = cert
        .tbs_certificate
        .to_der()
        .map_err(|e| PkiError::new(format!("encoding the certificate: {e}")))?;
    let issuer = &cert.tbs_certificate.issuer;
    let mut last_error = None;
    for ca_pem in facts::chain(trusted_pem) {
        let ca = facts::parse(ca_pem)?;
        if ca.tbs_certificate.subject != *issuer || !may_sign_certificates(&ca) {
            continue;
        }
        match crate::signature::verify(
            &ca.tbs_certificate.subject_public_key_info,
            cert.signature_algorithm.oid,
            &tbs,
            cert.signature.raw_bytes(),
            "the certificate",
        ) {
            Ok(()) => {
                let key = ca
                    .tbs_certificate
                    .subject_public_key_info
                    .subject_public_key
                    .raw_bytes();
                let found = facts::of_certificate(&cert, Some(key))?;
                return valid_at(found, now);
            }
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        PkiError::new(format!(
            "the certificate's issuer {issuer} is not a trusted CA"
        ))
    }))
}

fn valid_at(found: CertificateFacts, now: DateTime<Utc>) -> Result<CertificateFacts, PkiError> {
    if now < found.not_before {
        Err(PkiError::new(format!(
            "the certificate is valid only from {}",
            found.not_before.to_rfc3339()
        )))
    } else if now > found.not_after {
        Err(PkiError::new(format!(
            "the certificate expired at {}",
            found.not_after.to_rfc3339()
        )))
    } else {
        Ok(found)
    }
}

/// RFC 5280: a certificate signs certificates only with `cA` set in its basic constraints
/// and, when it states key usages, `keyCertSign` among them.
pub(crate) fn may_sign_certificates(cert: &Certificate) -> bool {
    let extensions = cert
        .tbs_certificate
        .extensions
        .as_deref()
        .unwrap_or_default();
    let find = |oid: ObjectIdentifier| {
        extensions
            .iter()
            .find(|e| e.extn_id == oid)
            .map(|e| e.extn_value.as_bytes())
    };
    let is_ca = find(BASIC_CONSTRAINTS)
        .and_then(|der| BasicConstraints::from_der(der).ok())
        .is_some_and(|constraints| constraints.ca);
    let signs = find(KEY_USAGE)
        .is_none_or(|der| KeyUsage::from_der(der).is_ok_and(|usage| usage.key_cert_sign()));
    is_ca && signs
}
