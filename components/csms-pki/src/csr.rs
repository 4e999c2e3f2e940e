//! A station's certificate signing request (SignCertificate), checked before anything is
//! signed: PEM PKCS#10, signed with the key it carries, an ECDSA key on P-256 or P-384, and a
//! subject naming the station (CN = charge point id, O = the operator's organisation when
//! configured).

use p256::ecdsa::signature::Verifier as _;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{DecodePem as _, Encode as _};
use x509_cert::name::Name;
use x509_cert::request::CertReq;
use x509_cert::spki::SubjectPublicKeyInfoOwned;

use crate::facts::{common_name, organization};
use crate::PkiError;

const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");

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
    let key = &request.info.public_key;
    if key.algorithm.oid != EC_PUBLIC_KEY {
        return Err(PkiError::new(format!(
            "the key is of type {}; this CA signs ECDSA keys on P-256 or P-384",
            key.algorithm.oid
        )));
    }
    let curve = key
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
        .ok_or_else(|| PkiError::new("the EC key does not name its curve"))?;
    let info = request
        .info
        .to_der()
        .map_err(|e| PkiError::new(format!("encoding the request: {e}")))?;
    let point = key.subject_public_key.raw_bytes();
    let signature = request.signature.raw_bytes();
    let algorithm = request.algorithm.oid;
    let invalid =
        |e: p256::ecdsa::Error| PkiError::new(format!("the request's signature is not valid: {e}"));
    match (curve, algorithm) {
        (P256, ECDSA_SHA256) => {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(invalid)?;
            let signature = p256::ecdsa::DerSignature::try_from(signature).map_err(invalid)?;
            key.verify(&info, &signature).map_err(invalid)
        }
        (P384, ECDSA_SHA384) => {
            let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(invalid)?;
            let signature = p384::ecdsa::DerSignature::try_from(signature).map_err(invalid)?;
            key.verify(&info, &signature).map_err(invalid)
        }
        (P256 | P384, other) => Err(PkiError::new(format!(
            "the request is signed with {other}; a P-256 key signs with ECDSA-SHA256, a P-384 key with ECDSA-SHA384"
        ))),
        (other, _) => Err(PkiError::new(format!(
            "the EC key is on curve {other}; this CA signs P-256 or P-384 keys"
        ))),
    }
}
