//! The charge point id is the last segment of the WebSocket URL
//! (`/ocpp/{id}`), percent-decoded, as OCPP-J 1.6 section 3.1.1 defines it.

/// Reads the id from a request path; `None` when there is no usable id.
pub fn from_path(path: &str) -> Option<String> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let segment = path.rsplit('/').next().filter(|s| !s.is_empty())?;
    let decoded = percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()?
        .into_owned();
    // chargeBoxIdentity is CiString48 in 1.6 (identifierString of 48 in 2.0.1).
    (!decoded.is_empty() && decoded.chars().count() <= 48 && !decoded.contains('/'))
        .then_some(decoded)
}

#[cfg(test)]
mod tests {
    use super::from_path;

    #[test]
    fn last_segment_is_the_id_percent_decoded() {
        assert_eq!(from_path("/ocpp/CP001").as_deref(), Some("CP001"));
        assert_eq!(from_path("/ocpp/site/CP%20001").as_deref(), Some("CP 001"));
        assert_eq!(from_path("/ocpp/CP001?x=1").as_deref(), Some("CP001"));
    }

    #[test]
    fn missing_or_unusable_ids_are_refused() {
        assert_eq!(from_path("/ocpp/"), None);
        assert_eq!(from_path("/ocpp/a%2Fb"), None);
        assert_eq!(from_path("/ocpp/%FF"), None);
        assert_eq!(from_path(&format!("/ocpp/{}", "x".repeat(49))), None);
    }
}
