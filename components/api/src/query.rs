//! Query strings, validated strictly: every route names the parameters it reads (see
//! [`crate::query_params`]), and anything else is a 400 naming it. A typo such as `?stauts=`
//! then fails loudly instead of silently listing everything.
//!
//! Decoding follows `application/x-www-form-urlencoded`, as HTTP clients encode query
//! strings: `+` is a space, so an RFC 3339 offset must be sent as `%2B01:00`.

use chrono::{DateTime, Utc};
use percent_encoding::percent_decode_str;

use crate::problem::ApiError;

/// A query string's parameters, each given at most once and each among those allowed.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub(crate) fn parse(raw: &str, allowed: &[&str]) -> Result<Self, ApiError> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(name)?;
            let value = decode(value)?;
            if !allowed.contains(&name.as_str()) {
                return Err(ApiError::bad_request(if allowed.is_empty() {
                    format!("unknown query parameter `{name}`: this operation takes none")
                } else {
                    format!(
                        "unknown query parameter `{name}`; this operation takes: {}",
                        allowed.join(", ")
                    )
                }));
            }
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(ApiError::bad_request(format!(
                    "query parameter `{name}` is given more than once"
                )));
            }
            pairs.push((name, value));
        }
        Ok(Self { pairs })
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `true` or `false`, exactly.
    pub(crate) fn bool(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.get(name)
            .map(|value| match value {
                "true" => Ok(true),
                "false" => Ok(false),
                other => Err(invalid(name, other, "is not true or false")),
            })
            .transpose()
    }

    /// One of `allowed`, spelled exactly.
    pub(crate) fn one_of(
        &self,
        name: &str,
        allowed: &'static [&'static str],
    ) -> Result<Option<&'static str>, ApiError> {
        self.get(name)
            .map(|value| {
                allowed
                    .iter()
                    .copied()
                    .find(|a| *a == value)
                    .ok_or_else(|| {
                        invalid(
                            name,
                            value,
                            &format!("is not one of: {}", allowed.join(", ")),
                        )
                    })
            })
            .transpose()
    }

    /// A non-empty text of at most `max_chars` characters (an id to filter by).
    pub(crate) fn text(&self, name: &str, max_chars: usize) -> Result<Option<String>, ApiError> {
        self.get(name)
            .map(|value| {
                if value.is_empty() || value.chars().count() > max_chars {
                    Err(invalid(
                        name,
                        value,
                        &format!("must be 1 to {max_chars} characters"),
                    ))
                } else {
                    Ok(value.to_owned())
                }
            })
            .transpose()
    }

    /// An RFC 3339 date-time.
    pub(crate) fn instant(&self, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
        self.get(name)
            .map(|value| {
                ocpp_protocol::timestamp::parse_utc(value).ok_or_else(|| {
                    let hint = if value.contains(' ') {
                        " (a `+` in a query string means a space: send an offset as %2B01:00)"
                    } else {
                        ""
                    };
                    invalid(
                        name,
                        value,
                        &format!(
                            "is not an RFC 3339 date-time such as \"2026-11-01T00:00:00Z\"{hint}"
                        ),
                    )
                })
            })
            .transpose()
    }

    /// A decimal integer within `range`.
    pub(crate) fn integer(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Result<Option<i64>, ApiError> {
        self.get(name)
            .map(|value| {
                // Only plain digits: `+5`, ` 5` and `5.0` are not what the document allows.
                let parsed = (!value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| value.parse::<i64>().ok())
                    .flatten()
                    .filter(|n| range.contains(n));
                parsed.ok_or_else(|| {
                    invalid(
                        name,
                        value,
                        &format!(
                            "must be an integer from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    )
                })
            })
            .transpose()
    }
}

/// `from` and `to` of a time filter: `from` inclusive, `to` exclusive.
#[derive(Debug, Default, Clone)]
pub(crate) struct TimeRange {
    /// Formatted as the store writes times, for `julianday(?)`.
    pub(crate) from: Option<String>,
    pub(crate) to: Option<String>,
}

impl TimeRange {
    pub(crate) fn parse(query: &Query) -> Result<Self, ApiError> {
        let from = query.instant("from")?;
        let to = query.instant("to")?;
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                return Err(ApiError::bad_request(
                    "invalid query parameters: `from` is after `to`",
                ));
            }
        }
        let format = ocpp_protocol::timestamp::format_utc;
        Ok(Self {
            from: from.map(format),
            to: to.map(format),
        })
    }

    /// Appends `column` within the range to `conditions`. Times are compared as instants, not
    /// as text: the store writes fractional seconds only when they are non-zero.
    pub(crate) fn restrict(
        &self,
        column: &str,
        conditions: &mut Vec<String>,
        params: &mut Vec<csms_store::SqlValue>,
    ) {
        if let Some(from) = &self.from {
            conditions.push(format!("julianday({column}) >= julianday(?)"));
            params.push(from.into());
        }
        if let Some(to) = &self.to {
            conditions.push(format!("julianday({column}) < julianday(?)"));
            params.push(to.into());
        }
    }
}

fn decode(text: &str) -> Result<String, ApiError> {
    let spaced = text.replace('+', " ");
    percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            ApiError::bad_request(format!(
                "query string part {text:?} is not UTF-8 once percent-decoded"
            ))
        })
}

fn invalid(name: &str, value: &str, problem: &str) -> ApiError {
    ApiError::bad_request(format!(
        "invalid query parameter `{name}`: {value:?} {problem}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detail(result: Result<impl std::fmt::Debug, ApiError>) -> String {
        match result {
            Err(ApiError::BadRequest(detail)) => detail,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn values_are_form_decoded() {
        let query = Query::parse("a=x%20y&b=1+2&c", &["a", "b", "c"]).unwrap();
        assert_eq!(query.get("a"), Some("x y"));
        assert_eq!(query.get("b"), Some("1 2"));
        assert_eq!(query.get("c"), Some(""));
        assert_eq!(query.get("d"), None);
    }

    #[test]
    fn unknown_repeated_and_undecodable_parameters_are_400() {
        assert!(detail(Query::parse("stauts=x", &["status"])).contains("`stauts`"));
        assert!(detail(Query::parse("x=1", &[])).contains("takes none"));
        assert!(detail(Query::parse("a=1&a=2", &["a"])).contains("more than once"));
        assert!(detail(Query::parse("a=%FF", &["a"])).contains("UTF-8"));
    }

    #[test]
    fn typed_values_are_exact() {
        let query = Query::parse(
            "t=true&n=50&e=open&bad=True&big=501&neg=-1&plus=%2B5&dec=5.0",
            &["t", "n", "e", "bad", "big", "neg", "plus", "dec"],
        )
        .unwrap();
        assert_eq!(query.bool("t").unwrap(), Some(true));
        assert_eq!(query.bool("missing").unwrap(), None);
        detail(query.bool("bad"));
        assert_eq!(query.integer("n", 1..=500).unwrap(), Some(50));
        for name in ["big", "neg", "plus", "dec"] {
            detail(query.integer(name, 1..=500));
        }
        assert_eq!(
            query.one_of("e", &["open", "closed"]).unwrap(),
            Some("open")
        );
        detail(query.one_of("bad", &["true"]));
    }

    #[test]
    fn time_ranges_are_instants_in_order() {
        let range = TimeRange::parse(
            &Query::parse(
                "from=2026-11-01T01:00:00%2B01:00&to=2026-12-01T00:00:00Z",
                &["from", "to"],
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(range.from.as_deref(), Some("2026-11-01T00:00:00Z"));
        let reversed = Query::parse(
            "from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z",
            &["from", "to"],
        )
        .unwrap();
        assert!(detail(TimeRange::parse(&reversed)).contains("after"));
        let unencoded = Query::parse("from=2026-11-01T01:00:00+01:00", &["from", "to"]).unwrap();
        assert!(detail(TimeRange::parse(&unencoded)).contains("%2B"));
    }
}
