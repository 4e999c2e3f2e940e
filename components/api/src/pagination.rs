//! Keyset pagination shared by every list: `limit`, an opaque `cursor`, and answers of the
//! form `{"items": [...], "next_cursor": "..." | null}`.
//!
//! A cursor is the sort key of the last item of a page, with the name of its list, as JSON
//! in unpadded base64url. Keysets (not offsets) keep paging stable while rows are inserted:
//! each page starts strictly after the previous page's last key, so nothing is listed twice
//! and nothing that existed before the first page is skipped. A cursor carries no authority
//! (any key is one a client could reach by paging), so it is validated, not signed.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::problem::ApiError;
use crate::query::Query;

/// Items per page when `limit` is not given.
pub(crate) const DEFAULT_LIMIT: i64 = 50;
/// The largest `limit` a JSON list accepts.
pub(crate) const MAX_LIMIT: i64 = 500;
/// The query parameters of every paginated list.
pub(crate) const PARAMS: [&str; 2] = ["limit", "cursor"];

/// One page of a list.
#[derive(Debug, Serialize)]
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next_cursor: Option<String>,
}

/// What a request asks of a list: how many items, and after which key.
#[derive(Debug)]
pub(crate) struct PageRequest<K> {
    pub(crate) limit: i64,
    pub(crate) after: Option<K>,
}

impl<K: DeserializeOwned> PageRequest<K> {
    /// `limit` (default [`DEFAULT_LIMIT`], at most `max`) and the key in `cursor`, which must
    /// be one that the list called `list` returned.
    pub(crate) fn parse(
        query: &Query,
        list: &str,
        default: i64,
        max: i64,
    ) -> Result<Self, ApiError> {
        let limit = query.integer("limit", 1..=max)?.unwrap_or(default);
        let after = query
            .get("cursor")
            .map(|cursor| decode(list, cursor))
            .transpose()?;
        Ok(Self { limit, after })
    }

    /// As [`PageRequest::parse`] with the JSON lists' default and maximum.
    pub(crate) fn from_query(query: &Query, list: &str) -> Result<Self, ApiError> {
        Self::parse(query, list, DEFAULT_LIMIT, MAX_LIMIT)
    }

    /// What to put in SQL's `LIMIT`: one more than asked, to learn whether a next page exists.
    pub(crate) fn fetch(&self) -> i64 {
        self.limit.saturating_add(1)
    }

    /// The page of `items` (fetched with [`PageRequest::fetch`]), with a cursor after its
    /// last item when more were found.
    pub(crate) fn page<T>(
        &self,
        mut items: Vec<T>,
        list: &str,
        key: impl Fn(&T) -> K,
    ) -> Result<Page<T>, ApiError>
    where
        K: Serialize,
    {
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items
                .last()
                .map(|last| encode(list, &key(last)))
                .transpose()?
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
}

/// The cursor that continues `list` after `key`.
pub(crate) fn encode<K: Serialize>(list: &str, key: &K) -> Result<String, ApiError> {
    let json = serde_json::to_vec(&(list, key)).map_err(|e| {
        ApiError::Internal(anyhow::Error::new(e).context(format!("encoding a {list} cursor")))
    })?;
    Ok(base64url::encode(&json))
}

/// Checks the time in a cursor's key: keys are compared with `julianday()`, which would
/// quietly match nothing for text that is not a time, or for RFC 3339 forms SQLite does not
/// read (a lowercase `t` or `z`); the times we store and hand out are uppercase.
pub(crate) fn require_instant(text: &str) -> Result<(), ApiError> {
    let uppercase = !text.contains(['t', 'z']);
    match ocpp_protocol::timestamp::parse_utc(text) {
        Some(_) if uppercase => Ok(()),
        _ => Err(ApiError::bad_request(
            "invalid query parameter `cursor`: it is not a cursor of this list; \
             pass `next_cursor` from the previous page unchanged",
        )),
    }
}

fn decode<K: DeserializeOwned>(list: &str, cursor: &str) -> Result<K, ApiError> {
    let invalid = || {
        ApiError::bad_request(format!(
            "invalid query parameter `cursor`: {cursor:?} is not a cursor of this list; \
             pass `next_cursor` from the previous page unchanged"
        ))
    };
    let json = base64url::decode(cursor).ok_or_else(invalid)?;
    let (named, key): (String, K) = serde_json::from_slice(&json).map_err(|_| invalid())?;
    if named == list {
        Ok(key)
    } else {
        Err(invalid())
    }
}

/// Unpadded base64url (RFC 4648 §5), small enough not to need a crate.
mod base64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub(super) fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [
                chunk.first().copied().unwrap_or(0),
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                let index = (n >> (18 - 6 * i)) & 0x3f;
                out.push(char::from(ALPHABET[index as usize]));
            }
        }
        out
    }

    /// `None` for anything that is not the canonical encoding of some bytes, so that one
    /// cursor has exactly one spelling.
    pub(super) fn decode(text: &str) -> Option<Vec<u8>> {
        if text.len() % 4 == 1 {
            return None;
        }
        let values = text
            .bytes()
            .map(|c| ALPHABET.iter().position(|&a| a == c).map(|p| p as u32))
            .collect::<Option<Vec<u32>>>()?;
        let mut out = Vec::with_capacity(values.len() * 3 / 4);
        for chunk in values.chunks(4) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, v)| n | (v << (18 - 6 * i)));
            let bytes = n.to_be_bytes();
            out.extend_from_slice(&bytes[1..chunk.len()]);
        }
        (encode(&out) == text).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_round_trips_and_refuses_non_canonical_text() {
        for bytes in [
            &b""[..],
            b"f",
            b"fo",
            b"foo",
            b"foob",
            b"fooba",
            b"foobar",
            &[0xff, 0xfe],
        ] {
            let text = base64url::encode(bytes);
            assert!(!text.contains('='), "{text}");
            assert_eq!(base64url::decode(&text).as_deref(), Some(bytes), "{text}");
        }
        assert_eq!(base64url::encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64url::encode(&[0xfb, 0xff]), "-_8");
        for text in ["Zm9vYmF", "Zm9=", "Zm9v+A", "Zg=", "Zh", "A"] {
            assert_eq!(base64url::decode(text), None, "{text}");
        }
    }

    #[test]
    fn a_cursor_time_sqlite_cannot_read_is_refused_not_an_empty_page() {
        assert!(require_instant("2026-11-23T10:00:00.250Z").is_ok());
        assert!(require_instant("2026-11-23t10:00:00Z").is_err());
        assert!(require_instant("2026-11-23T10:00:00z").is_err());
        assert!(require_instant("yesterday").is_err());
    }

    #[test]
    fn cursors_belong_to_their_list() {
        let cursor = encode("transactions", &("2026-11-23T20:00:00Z", 7)).unwrap();
        let decoded: (String, i64) = decode("transactions", &cursor).unwrap();
        assert_eq!(decoded, ("2026-11-23T20:00:00Z".to_owned(), 7));
        assert!(decode::<(String, i64)>("cdrs", &cursor).is_err());
        assert!(decode::<String>("transactions", &cursor).is_err());
        let mut tampered = cursor.clone();
        tampered.insert(3, 'x');
        assert!(decode::<(String, i64)>("transactions", &tampered).is_err());
        assert!(decode::<(String, i64)>("transactions", "").is_err());
    }

    #[test]
    fn a_page_has_a_cursor_only_when_more_were_found() {
        let request = PageRequest::<i64> {
            limit: 2,
            after: None,
        };
        assert_eq!(request.fetch(), 3);
        let page = request.page(vec![1, 2, 3], "n", |n| *n).unwrap();
        assert_eq!(page.items, vec![1, 2]);
        let next: i64 = decode("n", page.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(next, 2);
        let last = request.page(vec![3, 4], "n", |n| *n).unwrap();
        assert_eq!((last.items.len(), last.next_cursor), (2, None));
    }
}
