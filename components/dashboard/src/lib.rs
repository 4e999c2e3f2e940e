//! The operator dashboard, served by its own component with least privilege: it holds no
//! store, no variable and no outbound host, only its files. The page signs in with an API
//! token and reads everything from `/api/v1` like any other client.
//!
//! Every path that is not an asset is a view URL (`/`, `/charge-points/CP1`, ...) and gets the
//! page, so deep links and reloads work; the script renders the view the path names.

pub mod assets;

use sha2::{Digest as _, Sha256};

/// No inline script or style, nothing from another origin, no framing: what an XSS or a
/// hostile embedder could use is off.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// An HTTP answer, before the host adapter turns it into its own type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: &'static [u8],
}

/// The answer to `method path` (no query string) with the request's `If-None-Match`.
pub fn respond(method: &str, path: &str, if_none_match: Option<&str>) -> Reply {
    let head = method.eq_ignore_ascii_case("HEAD");
    if !head && !method.eq_ignore_ascii_case("GET") {
        return Reply {
            status: 405,
            headers: vec![("allow", "GET, HEAD".to_owned())],
            body: b"",
        };
    }
    let asset = match path.strip_prefix("/assets/") {
        Some(name) => match assets::find(name) {
            Some(asset) => asset,
            None => {
                return Reply {
                    status: 404,
                    headers: vec![("content-type", "text/plain; charset=utf-8".to_owned())],
                    body: b"no such asset\n",
                }
            }
        },
        None => &assets::INDEX,
    };
    let etag = format!("\"{}\"", hex(&Sha256::digest(asset.body)[..16]));
    // File names carry no content hash, so a browser revalidates each time and gets 304
    // while nothing changed: one round trip, no body.
    let mut headers = vec![
        ("content-type", asset.content_type.to_owned()),
        ("cache-control", "no-cache".to_owned()),
        ("etag", etag.clone()),
        (
            "content-security-policy",
            CONTENT_SECURITY_POLICY.to_owned(),
        ),
        ("x-content-type-options", "nosniff".to_owned()),
        ("referrer-policy", "no-referrer".to_owned()),
    ];
    let unchanged = if_none_match.is_some_and(|tags| {
        tags.split(',')
            .any(|tag| tag.trim().trim_start_matches("W/") == etag)
    });
    if unchanged {
        return Reply {
            status: 304,
            headers,
            body: b"",
        };
    }
    headers.push(("content-length", asset.body.len().to_string()));
    Reply {
        status: 200,
        headers,
        body: if head { b"" } else { asset.body },
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// The Spin SDK's export macro expands to unsafe code.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod spin_component;

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
        reply
            .headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn every_view_url_gets_the_page_with_the_policy() {
        for path in [
            "/",
            "/charge-points",
            "/charge-points/CP%201",
            "/sessions/42",
        ] {
            let reply = respond("GET", path, None);
            assert_eq!(reply.status, 200, "{path}");
            assert_eq!(reply.body, assets::INDEX.body);
            assert_eq!(
                header(&reply, "content-security-policy"),
                Some(CONTENT_SECURITY_POLICY)
            );
        }
    }

    /// The modules `asset` imports, as asset names (`./dom.js` from `views/x.js` is `dom.js`
    /// once `..` is resolved).
    fn imports(asset: &assets::Asset) -> Vec<String> {
        let text = std::str::from_utf8(asset.body).unwrap_or_default();
        let dir: Vec<&str> = asset.name.split('/').rev().skip(1).collect::<Vec<_>>();
        let dir: Vec<&str> = dir.into_iter().rev().collect();
        text.split(" from \"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(|target| {
                let mut path = dir.clone();
                for part in target.split('/') {
                    match part {
                        "." => {}
                        ".." => {
                            path.pop();
                        }
                        name => path.push(name),
                    }
                }
                path.join("/")
            })
            .collect()
    }

    #[test]
    fn the_page_reaches_every_asset_and_only_its_own() {
        let page = std::str::from_utf8(assets::INDEX.body).unwrap_or_default();
        let mut reached = vec!["app.js".to_owned(), "app.css".to_owned()];
        for name in &reached {
            assert!(page.contains(&format!("/assets/{name}")), "{name}");
        }
        let mut next = 0;
        while next < reached.len() {
            let asset = assets::find(&reached[next])
                .unwrap_or_else(|| panic!("{} is no asset", reached[next]));
            for import in imports(asset) {
                assert!(
                    assets::find(&import).is_some(),
                    "{} imports {import}, which is not served",
                    asset.name
                );
                if !reached.contains(&import) {
                    reached.push(import);
                }
            }
            next += 1;
        }
        for asset in assets::ASSETS {
            assert!(
                reached.iter().any(|r| r == asset.name),
                "{} is served but never loaded",
                asset.name
            );
            let text = std::str::from_utf8(asset.body).unwrap_or_default();
            assert!(
                !text.contains("innerHTML") && !text.contains("eval("),
                "{}",
                asset.name
            );
        }
        assert!(!page.contains("<script>") && !page.contains("style="));
        assert!(!page.contains("http://") && !page.contains("https://"));
    }

    #[test]
    fn assets_revalidate_and_unknown_ones_are_404() {
        let reply = respond("GET", "/assets/app.js", None);
        assert_eq!(reply.status, 200);
        assert_eq!(
            header(&reply, "content-type"),
            Some("text/javascript; charset=utf-8")
        );
        let etag = header(&reply, "etag").unwrap_or_default().to_owned();
        let again = respond("GET", "/assets/app.js", Some(&format!("W/{etag}")));
        assert_eq!((again.status, again.body.len()), (304, 0));
        assert_eq!(respond("GET", "/assets/nope.js", None).status, 404);
        assert_eq!(respond("POST", "/", None).status, 405);
        let head = respond("HEAD", "/", None);
        assert_eq!((head.status, head.body.len()), (200, 0));
    }
}
