//! Bearer-token authentication (RFC 6750) against the `api_token` Spin variable.

use subtle::ConstantTimeEq;

use crate::problem::Problem;

const REALM: &str = "Bearer realm=\"ocpp-csms\"";

/// Accepts `Authorization: Bearer <token>` when the token equals `expected`.
///
/// The comparison takes the same time whatever the bytes (only the length may show), and an
/// empty configured token matches nothing, so a misconfigured deployment is closed, not open.
pub(crate) fn check(header: Option<&str>, expected: &str) -> Result<(), Problem> {
    let Some(header) = header.map(str::trim).filter(|h| !h.is_empty()) else {
        return Err(unauthorized(
            REALM.to_owned(),
            "an Authorization: Bearer <api_token> header is required",
        ));
    };
    let token = match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => {
            return Err(unauthorized(
                REALM.to_owned(),
                "the Authorization header must use the Bearer scheme",
            ))
        }
    };
    let matches: bool = token.as_bytes().ct_eq(expected.as_bytes()).into();
    if matches && !expected.is_empty() {
        Ok(())
    } else {
        Err(unauthorized(
            format!("{REALM}, error=\"invalid_token\""),
            "the bearer token is not valid",
        ))
    }
}

fn unauthorized(challenge: String, detail: &str) -> Problem {
    Problem::new(401, detail).with_header("www-authenticate", challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_token_is_accepted() {
        assert!(check(Some("Bearer s3cret"), "s3cret").is_ok());
        assert!(check(Some("bearer   s3cret "), "s3cret").is_ok());
        for header in [
            None,
            Some(""),
            Some("Bearer"),
            Some("Bearer s3cre"),
            Some("Bearer s3cret2"),
            Some("Basic s3cret"),
        ] {
            let response = check(header, "s3cret").unwrap_err().response();
            assert_eq!(response.status, 401, "{header:?}");
            assert!(response
                .header("www-authenticate")
                .unwrap()
                .starts_with("Bearer"));
        }
    }

    #[test]
    fn an_empty_configured_token_accepts_nobody() {
        assert!(check(Some("Bearer "), "").is_err());
        assert!(check(Some("Bearer x"), "").is_err());
    }
}
