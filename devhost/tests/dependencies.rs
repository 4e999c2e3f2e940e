//! `[component.X.dependencies]`: an import of the probe satisfied by the
//! greeter library component.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{get, start, try_start};

fn manifest(dependency: &str, inherit: bool) -> String {
    format!(
        r#"
spin_manifest_version = 2
[application]
name = "deps"
[[trigger.http]]
route = "/..."
component = "app"
[component.app]
source = "{{greet_client}}"
key_value_stores = ["default"]
dependencies_inherit_configuration = {inherit}
[component.app.dependencies]
"devhost-test:greet/greeter" = {dependency}
[component.greeter]
source = "{{greeter}}"
"#
    )
}

#[test]
fn dependency_component_satisfies_the_import_with_no_capabilities() {
    let h = start(&manifest(r#"{ component = "greeter" }"#, false), |_| {});
    let r = get(h.http, "/world");
    assert_eq!(r.status, 200, "{}", r.body);
    // The importer may use `default`, the dependency may not.
    assert_eq!(r.body, "hello world; kv=Error::AccessDenied");
}

#[test]
fn inherit_configuration_passes_the_importers_grants() {
    let h = start(&manifest(r#"{ component = "greeter" }"#, true), |_| {});
    let r = get(h.http, "/world");
    assert_eq!(r.body, "hello world; kv=granted");
}

#[test]
fn dependency_by_path() {
    let h = start(&manifest(r#"{ path = "{greeter}" }"#, false), |_| {});
    assert_eq!(get(h.http, "/p").body, "hello p; kv=Error::AccessDenied");
}

#[test]
fn unsatisfied_import_is_a_start_up_error() {
    let text = r#"
spin_manifest_version = 2
[application]
name = "nodeps"
[[trigger.http]]
route = "/..."
component = "app"
[component.app]
source = "{greet_client}"
"#;
    let err = try_start(text, |_| {})
        .err()
        .expect("must fail like spin up");
    assert!(err.contains("devhost-test:greet/greeter"), "{err}");
}

#[test]
fn dependency_key_without_matching_import_is_a_start_up_error() {
    let text = manifest(r#"{ component = "greeter" }"#, false)
        .replace("devhost-test:greet/greeter", "devhost-test:other/thing");
    let err = try_start(&text, |_| {}).err().expect("must fail");
    assert!(err.contains("devhost-test:other/thing"), "{err}");
}
