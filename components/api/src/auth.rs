//! Bearer tokens (RFC 6750): reading the `Authorization` header and the 401s it can earn.
//! Which token is whose, and what it may do, is [`crate::access`].

use crate::problem::Problem;

const REALM: &str = "Bearer realm=\"ocpp-csms\"";

/// The token of `Authorization: Bearer <token>`; a missing header or another scheme is a 401.
pub(crate) fn bearer(header: Option<&str>) -> Result<&str, Problem> {
    let Some(header) = header.map(str::trim).filter(|h| !h.is_empty()) else {
        return Err(unauthorized(
            REALM.to_owned(),
            "an Authorization: Bearer <token> header is required",
        ));
    };
    match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(token.trim()),
        _ => Err(unauthorized(
            REALM.to_owned(),
            "the Authorization header must use the Bearer scheme",
        )),
    }
}

/// The answer to a token that is not (or no longer) valid.
pub(crate) fn invalid_token() -> Problem {
    unauthorized(
        format!("{REALM}, error=\"invalid_token\""),
        "the bearer token is not valid (unknown or revoked)",
    )
}

fn unauthorized(challenge: String, detail: &str) -> Problem {
    Problem::new(401, detail).with_header("www-authenticate", challenge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bearer_scheme_yields_a_token() {
        assert_eq!(bearer(Some("Bearer s3cret")), Ok("s3cret"));
        assert_eq!(bearer(Some("bearer   s3cret ")), Ok("s3cret"));
        for header in [None, Some(""), Some("Bearer"), Some("Basic s3cret")] {
            let response = bearer(header).unwrap_err().response();
            assert_eq!(response.status, 401, "{header:?}");
            assert!(response
                .header("www-authenticate")
                .unwrap()
                .starts_with("Bearer"));
        }
    }
}
