//! `wasi:keyvalue` 0.2.0-draft2 through a real guest (the probe's `wkv` command) on a
//! `spin` (SQLite) store; the Redis store runs the same script in `redis_kv.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{get, start, wkv_transcript};

#[test]
fn store_batch_and_atomics_on_a_sqlite_store() {
    let host = start(
        r#"
spin_manifest_version = 2
[application]
name = "wkv-app"

[[trigger.http]]
route = "/probe/..."
component = "probe"

[[trigger.http]]
route = "/nokv/..."
component = "nokv"

[component.probe]
source = "{probe}"
key_value_stores = ["default"]

[component.nokv]
source = "{probe}"
"#,
        |_| {},
    );
    let r = get(host.http, "/probe/wkv/default");
    assert_eq!(r.status, 200, "{}", r.body);
    // As Spin's SQLite store, get-many leaves missing keys out.
    assert_eq!(
        r.body,
        wkv_transcript("get_many Ok([(\"w-a\", Some(\"1\"))])")
    );
    let r = get(host.http, "/nokv/wkv/default");
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("Error::AccessDenied"), "{}", r.body);
    let r = get(host.http, "/probe/wkv/missing");
    assert!(r.body.contains("Error::AccessDenied"), "{}", r.body);
}
