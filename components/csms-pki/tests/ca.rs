#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The CA against requests made with openssl (tests/fixtures): what it signs, what it refuses.

use chrono::{DateTime, Utc};
use csms_pki::{csr, facts, verify, Authority};
use p256::ecdsa::signature::Verifier as _;
use x509_cert::der::{DecodePem as _, Encode as _};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn authority() -> Authority {
    Authority::from_pem(&fixture("ca.pem"), &fixture("ca.key")).unwrap()
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-02T20:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn a_good_request_is_signed_for_the_station_by_the_ca() {
    let ca = authority();
    let checked = csr::check(&fixture("p256.csr"), "CP-1", Some("Example Charging")).unwrap();
    let issued = ca.sign(&checked, now(), 365, [7; 16]).unwrap();
    let chain = facts::chain(&issued.chain_pem);
    assert_eq!(chain.len(), 2, "the new certificate, then the CA's");
    assert_eq!(issued.facts.common_name.as_deref(), Some("CP-1"));
    assert_eq!(
        issued.facts.organization.as_deref(),
        Some("Example Charging")
    );
    assert_eq!(
        issued.facts.not_after.to_rfc3339(),
        "2027-12-02T20:00:00+00:00"
    );
    assert_eq!(
        issued.facts.not_before.to_rfc3339(),
        "2026-12-02T19:55:00+00:00"
    );
    // The CA's signature verifies with the CA's key.
    let cert = x509_cert::Certificate::from_pem(chain[0].as_bytes()).unwrap();
    let ca_cert = x509_cert::Certificate::from_pem(fixture("ca.pem").as_bytes()).unwrap();
    assert_eq!(cert.tbs_certificate.issuer, ca_cert.tbs_certificate.subject);
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(ca.public_key()).unwrap();
    let signature = p256::ecdsa::DerSignature::try_from(cert.signature.raw_bytes()).unwrap();
    key.verify(&cert.tbs_certificate.to_der().unwrap(), &signature)
        .unwrap();
    // Its hash data names the CA as issuer, as the station will report it.
    let hash = issued.facts.hash.unwrap();
    let ca_hash = ca.facts().unwrap().hash.unwrap();
    assert_eq!(hash.issuer_name_hash, ca_hash.issuer_name_hash);
    assert_eq!(hash.issuer_key_hash, ca_hash.issuer_key_hash);
    assert_eq!(hash.serial_number, "47070707070707070707070707070707");
}

#[test]
fn a_p384_request_is_signed_too() {
    let checked = csr::check(&fixture("p384.csr"), "CP-1", None).unwrap();
    assert!(authority().sign(&checked, now(), 30, [1; 16]).is_ok());
}

#[test]
fn bad_requests_are_refused_with_the_reason() {
    for (file, expected) in [
        ("tampered.csr", "signature is not valid"),
        ("rsa.csr", "ECDSA"),
        ("other-id.csr", "must be the charge point id \"CP-1\""),
        ("other-org.csr", "must be \"Example Charging\""),
    ] {
        let reason = csr::check(&fixture(file), "CP-1", Some("Example Charging"))
            .unwrap_err()
            .to_string();
        assert!(reason.contains(expected), "{file}: {reason}");
    }
    assert!(csr::check("not a request", "CP-1", None).is_err());
}

#[test]
fn a_key_of_another_certificate_is_refused() {
    let other = fixture("p256.csr");
    assert!(Authority::from_pem(&fixture("ca.pem"), &other).is_err());
    let reason = Authority::from_pem(&fixture("ca.pem"), "garbage").unwrap_err();
    assert!(reason.to_string().contains("private key"), "{reason}");
}

#[test]
fn a_certificate_it_issued_verifies_against_it_and_a_forged_one_does_not() {
    let ca = authority();
    let checked = csr::check(&fixture("p256.csr"), "CP-1", None).unwrap();
    let issued = ca.sign(&checked, now(), 365, [3; 16]).unwrap();
    let facts = verify::issued_by(&issued.chain_pem, &fixture("ca.pem"), now()).unwrap();
    assert_eq!(facts.common_name.as_deref(), Some("CP-1"));
    assert_eq!(facts.hash, issued.facts.hash);
    // Issued by a CA of the same name but another key (made with openssl).
    let forged = verify::issued_by(&fixture("forged-leaf.pem"), &fixture("ca.pem"), now())
        .unwrap_err()
        .to_string();
    assert!(forged.contains("signature is not valid"), "{forged}");
    // A self-signed certificate names no trusted issuer.
    let ca_pem = fixture("ca.pem");
    let stranger = verify::issued_by(&fixture("forged-leaf.pem"), "", now()).unwrap_err();
    assert!(
        stranger.to_string().contains("not a trusted CA"),
        "{stranger}"
    );
    let later = now() + chrono::Duration::days(400);
    let expired = verify::issued_by(&issued.chain_pem, &ca_pem, later).unwrap_err();
    assert!(expired.to_string().contains("expired"), "{expired}");
}

#[test]
fn certificates_end_with_the_ca_and_only_a_ca_certificate_signs() {
    let ca = authority();
    let checked = csr::check(&fixture("p256.csr"), "CP-1", None).unwrap();
    let issued = ca.sign(&checked, now(), 3660, [5; 16]).unwrap();
    assert_eq!(issued.facts.not_after, ca.facts().unwrap().not_after);
    let after_ca = ca.facts().unwrap().not_after + chrono::Duration::days(1);
    assert!(ca.sign(&checked, after_ca, 30, [5; 16]).is_err());
    let leaf = facts::chain(&issued.chain_pem)[0].to_owned();
    let refused = Authority::from_pem(&leaf, &fixture("ca.key")).unwrap_err();
    assert!(refused.to_string().contains("may not sign"), "{refused}");
}
