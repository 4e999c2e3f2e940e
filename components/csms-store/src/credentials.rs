//! Charge point passwords (OCPP security profile 1, HTTP Basic auth), stored
//! only as salted PBKDF2-HMAC-SHA256 hashes.
//!
//! Format: `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`. The iteration
//! count is lower than for human passwords: OCPP AuthorizationKeys are 16 to
//! 40 random characters, so brute force is not the threat a slow hash guards
//! against, and the hash runs inside a per-request Wasm instance on every
//! connection opened.

use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine as _;
use sha2::Sha256;
use subtle::ConstantTimeEq;

const SCHEME: &str = "pbkdf2-sha256";
const ITERATIONS: u32 = 10_000;

/// Hashes `password` with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, getrandom::Error> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)?;
    Ok(hash_with(password, &salt, ITERATIONS))
}

/// A fresh random password: 20 bytes as 40 hexadecimal characters, the longest an OCPP
/// AuthorizationKey / BasicAuthPassword may be, and in the hexadecimal form the 1.6 security
/// whitepaper writes AuthorizationKey in.
pub fn generate_password() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes)?;
    Ok(hex(&bytes))
}

/// A fresh operator API token: 32 random bytes as 64 hexadecimal characters.
pub fn generate_api_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(hex(&bytes))
}

/// What is stored of an operator API token: its SHA-256 in hexadecimal. A token is 256 random
/// bits, so unlike a password it needs neither salt nor a slow hash: the digest cannot be
/// inverted, and being a lookup key it finds the token in one indexed read.
pub fn api_token_digest(token: &str) -> String {
    use sha2::Digest as _;
    hex(&Sha256::digest(token.as_bytes()))
}

/// `N` random bytes from the host (a certificate serial number, say).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash_with(password: &str, salt: &[u8], iterations: u32) -> String {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt, iterations, &mut out);
    format!(
        "{SCHEME}${iterations}${}${}",
        B64.encode(salt),
        B64.encode(out)
    )
}

/// Whether `password` matches `stored`; a malformed `stored` never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some(SCHEME), Some(iterations), Some(salt), Some(_), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let (Ok(iterations), Ok(salt)) = (iterations.parse::<u32>(), B64.decode(salt)) else {
        return false;
    };
    if iterations == 0 || iterations > 1_000_000 {
        return false;
    }
    hash_with(password, &salt, iterations)
        .as_bytes()
        .ct_eq(stored.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_right_password_verifies_and_others_do_not() {
        let stored = hash_password("s3cret-AuthorizationKey").unwrap();
        assert!(stored.starts_with("pbkdf2-sha256$10000$"));
        assert!(!stored.contains("s3cret"));
        assert!(verify_password("s3cret-AuthorizationKey", &stored));
        assert!(!verify_password("s3cret-AuthorizationKeY", &stored));
        assert!(!verify_password("", &stored));
    }

    #[test]
    fn generated_passwords_are_40_hex_characters_and_differ() {
        let a = generate_password().unwrap();
        assert_eq!(a.len(), 40);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()), "{a}");
        assert_ne!(a, generate_password().unwrap());
    }

    #[test]
    fn api_tokens_are_64_hex_characters_stored_as_their_sha256() {
        let token = generate_api_token().unwrap();
        assert_eq!(token.len(), 64);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()), "{token}");
        assert_ne!(token, generate_api_token().unwrap());
        // SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            api_token_digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_salt() {
        assert_ne!(hash_password("x").unwrap(), hash_password("x").unwrap());
    }

    #[test]
    fn malformed_stored_hashes_never_match() {
        for stored in [
            "",
            "plain",
            "pbkdf2-sha256$0$AA$AA",
            "md5$1$AA$AA",
            "pbkdf2-sha256$x$AA$AA",
        ] {
            assert!(!verify_password("plain", stored), "{stored}");
        }
    }
}
