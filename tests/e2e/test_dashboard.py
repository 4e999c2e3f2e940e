"""The dashboard component through the real app: every view URL gets the page with its
Content-Security-Policy, the page loads only its own assets, which revalidate, and the API and
station routes are still the other components'."""

import re
import urllib.error
import urllib.request


def get(backend, path, headers=None):
    request = urllib.request.Request(f"{backend.api_url}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_view_urls_get_the_page_with_a_strict_policy(backend):
    pages = [get(backend, path) for path in ("/", "/charge-points", "/charge-points/CP%201")]
    for status, headers, body in pages:
        assert status == 200
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "default-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy
        assert body == pages[0][2]
    loaded = [url for url in re.findall(rb'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', pages[0][2])
              if not url.startswith(b"data:")]
    assert loaded == [b"/assets/app.css", b"/assets/app.js"], loaded


def test_assets_are_served_with_validators_and_unknown_ones_are_404(backend):
    status, headers, body = get(backend, "/assets/app.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert b"sessionStorage" in body and b"innerHTML" not in body
    status, _, body = get(backend, "/assets/app.js", {"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")
    assert get(backend, "/assets/missing.js")[0] == 404


def test_the_api_stays_behind_its_token(backend):
    status, headers, _ = get(backend, "/api/v1/charge-points")
    assert status == 401 and headers["Content-Type"].startswith("application/problem+json")
