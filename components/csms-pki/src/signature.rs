//! ECDSA signatures over P-256 and P-384, the only keys this crate accepts: what a CSR's
//! proof of possession and a certificate's issuer signature are checked with.

use p256::ecdsa::signature::Verifier as _;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::spki::SubjectPublicKeyInfoOwned;

use crate::PkiError;

const EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");

/// Checks that `signature` (DER, made with `algorithm`) over `message` is `key`'s. `what`
/// names the signed thing in the error ("the request", "the certificate").
pub(crate) fn verify(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: ObjectIdentifier,
    message: &[u8],
    signature: &[u8],
    what: &str,
) -> Result<(), PkiError> {
    if key.algorithm.oid != EC_PUBLIC_KEY {
        return Err(PkiError::new(format!(
            "the key is of type {}; only ECDSA keys on P-256 or P-384 are accepted",
            key.algorithm.oid
        )));
    }
    let curve = key
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
        .ok_or_else(|| PkiError::new("the EC key does not name its curve"))?;
    let point = key.subject_public_key.raw_bytes();
    let invalid =
        |e: p256::ecdsa::Error| PkiError::new(format!("{what}'s signature is not valid: {e}"));
    match (curve, algorithm) {
        (P256, ECDSA_SHA256) => {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(invalid)?;
            let signature = p256::ecdsa::DerSignature::try_from(signature).map_err(invalid)?;
            key.verify(message, &signature).map_err(invalid)
        }
        (P384, ECDSA_SHA384) => {
            let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(invalid)?;
            let signature = p384::ecdsa::DerSignature::try_from(signature).map_err(invalid)?;
            key.verify(message, &signature).map_err(invalid)
        }
        (P256 | P384, other) => Err(PkiError::new(format!(
            "{what} is signed with {other}; a P-256 key signs with ECDSA-SHA256, a P-384 key with ECDSA-SHA384"
        ))),
        (other, _) => Err(PkiError::new(format!(
            "the EC key is on curve {other}; only P-256 and P-384 are accepted"
        ))),
    }
}
