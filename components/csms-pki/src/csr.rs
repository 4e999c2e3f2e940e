//! A station's certificate signing request (SignCertificate), checked before anything is
//! signed: PEM PKCS#10, signed with the key it carries, an ECDSA key on P-256 or P-384, and a
//! subject naming the station (CN = charge point id, O = the operator's organisation when
//! configured).

use x509_cert::der::{DecodePem as _, Encode as _};
use x509_cert::name::Name;
use x509_cert::request::CertReq;
use x509_cert::spki::SubjectPublicKeyInfoOwned;

use crate::facts::{common_name, organization};
use crate::PkiError;

/// A request that passed every check: what goes into the certificate.
#[derive(Debug, Clone)]
pub struct CheckedCsr {
    pub subject: Name,
    pub public_key: SubjectPublicKeyInfoOwned,
}

/// Checks `pem` for charge point `charge_point_id`; `Err` says what is wrong, for the
/// station's security event and the operator.
pub fn check(
    pem: &str,
    charge_point_id: &str,
    organization_required: Option<&str>,
) -> Result<CheckedCsr, PkiError> {
    let request = CertReq::from_pem(pem.trim().as_bytes())
        .map_err(|e| PkiError::new(format!("not a PEM PKCS#10 certificate request: {e}")))?;
    verify_signature(&request)?;
    let subject = &request.info.subject;
    let cn = common_name(subject)?;
    if cn.as_deref() != Some(charge_point_id) {
        return Err(PkiError::new(format!(
            "the request's subject CN is {cn:?}; it must be the charge point id {charge_point_id:?}"
        )));
    }
    if let Some(expected) = organization_required {
        let found = organization(subject)?;
        if found.as_deref() != Some(expected) {
            return Err(PkiError::new(format!(
                "the request's subject O is {found:?}; it must be {expected:?}"
            )));
        }
    }
    Ok(CheckedCsr {
        subject: subject.clone(),
        public_key: request.info.public_key.clone(),
    })
}

/// The request is signed with the private key of the public key it carries (proof of
/// possession), with a key type and size this CA accepts.
fn verify_signature(request: &CertReq) -> Result<(), PkiError> {
    let info = request
        .info
        .to_der()
        .map_err(|e| PkiError::new(format!("encoding the request: {e}")))?;
    crate::signature::verify(
        &request.info.public_key,
        request.algorithm.oid,
        &info,
        request.signature.raw_bytes(),
        "the request",
    )
}
