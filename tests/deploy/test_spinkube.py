"""The SpinKube manifests in deploy/spinkube/ agree with spin.toml: every variable they set
exists, what a deployment must set is set, secrets come from the Secret and the example
Secret has them, the runtime config (the SpinApp's and runtime-config.toml) backs every
key-value store a component uses with Redis, and database_origin lets the SQL components
reach the database_url server.

Static: reads the files only, needs no cluster and no build."""

import base64
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "spinkube"

# Besides the required ones, what a (multi-replica, Fanout-fronted) deployment has to set:
# the defaults point at 127.0.0.1 or leave the app without a shared database / signature check.
MUST_SET = {
    "database_url",
    "database_origin",
    "gateway_publish_url",
    "gateway_publish_origin",
    "grip_sig_key",
}


@pytest.fixture(scope="module")
def manifest():
    with (ROOT / "spin.toml").open("rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def spinapp():
    docs = [d for d in yaml.safe_load_all((DEPLOY / "spinapp.yaml").read_text()) if d]
    assert len(docs) == 1, f"spinapp.yaml should hold one document, found {len(docs)}"
    return docs[0]


@pytest.fixture(scope="module")
def secret():
    docs = [d for d in yaml.safe_load_all((DEPLOY / "secret.example.yaml").read_text()) if d]
    assert len(docs) == 1, f"secret.example.yaml should hold one document, found {len(docs)}"
    return docs[0]


@pytest.fixture(scope="module")
def runtime_config_toml():
    with (DEPLOY / "runtime-config.toml").open("rb") as f:
        return tomllib.load(f)


def spin_variables(manifest):
    return manifest.get("variables", {})


def app_variables(spinapp):
    """name -> entry of spec.variables."""
    entries = spinapp["spec"].get("variables", [])
    names = [e["name"] for e in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"spinapp.yaml sets these variables more than once: {duplicates}"
    return {e["name"]: e for e in entries}


def secret_values(secret):
    """key -> value of the example Secret (stringData, or data as base64)."""
    values = dict(secret.get("stringData") or {})
    for key, encoded in (secret.get("data") or {}).items():
        values[key] = base64.b64decode(encoded).decode()
    return values


def resolve(source, secret, where):
    """The value an entry (variable or runtime-config option) gets: its literal value, or the
    example Secret's value for its secretKeyRef."""
    if "value" in source:
        return source["value"]
    ref = source.get("valueFrom", {}).get("secretKeyRef")
    assert ref is not None, f"{where}: neither value nor valueFrom.secretKeyRef"
    assert ref["name"] == secret["metadata"]["name"], (
        f"{where}: secretKeyRef names the Secret {ref['name']!r}, "
        f"secret.example.yaml is {secret['metadata']['name']!r}"
    )
    values = secret_values(secret)
    assert ref["key"] in values, (
        f"{where}: secretKeyRef key {ref['key']!r} is not in secret.example.yaml "
        f"(has {sorted(values)})"
    )
    return values[ref["key"]]


def key_value_labels(manifest):
    """Every key-value store label a component of spin.toml is granted."""
    return {
        label
        for component in manifest.get("component", {}).values()
        for label in component.get("key_value_stores", [])
    }


def origin(url):
    parts = urlsplit(url)
    assert parts.hostname and parts.port, f"{url!r} has no host:port"
    return f"{parts.scheme}://{parts.hostname}:{parts.port}"


def test_spinapp_is_a_spinkube_spinapp(spinapp):
    assert spinapp["apiVersion"] == "core.spinkube.dev/v1alpha1", spinapp["apiVersion"]
    assert spinapp["kind"] == "SpinApp", spinapp["kind"]
    assert spinapp["spec"].get("executor") == "containerd-shim-spin", spinapp["spec"].get("executor")
    assert spinapp["spec"].get("image"), "spec.image is missing"


def test_spinapp_runs_several_replicas(spinapp):
    replicas = spinapp["spec"].get("replicas", 1)
    assert replicas > 1, f"spec.replicas is {replicas}: the deployment is meant to scale out"


def test_every_variable_set_exists_in_spin_toml(manifest, spinapp):
    unknown = sorted(set(app_variables(spinapp)) - set(spin_variables(manifest)))
    assert not unknown, f"spinapp.yaml sets variables spin.toml does not declare: {unknown}"


def test_required_variables_without_default_are_set(manifest, spinapp):
    required = {
        name
        for name, decl in spin_variables(manifest).items()
        if decl.get("required") and "default" not in decl
    }
    assert "api_token" in required, "spin.toml no longer requires api_token: update this test"
    missing = sorted(required - set(app_variables(spinapp)))
    assert not missing, f"spinapp.yaml leaves required variables unset: {missing}"


def test_deployment_critical_variables_are_set(manifest, spinapp):
    undeclared = sorted(MUST_SET - set(spin_variables(manifest)))
    assert not undeclared, f"spin.toml no longer declares {undeclared}: update this test"
    missing = sorted(MUST_SET - set(app_variables(spinapp)))
    assert not missing, f"spinapp.yaml leaves unset: {missing}"


def test_secret_variables_come_from_the_secret(manifest, spinapp, secret):
    assert secret["apiVersion"] == "v1" and secret["kind"] == "Secret", (
        f"secret.example.yaml is {secret['apiVersion']}/{secret['kind']}, not v1/Secret"
    )
    declared_secret = {n for n, d in spin_variables(manifest).items() if d.get("secret")}
    for name in {"api_token", "grip_sig_key", "database_url"}:
        assert name in declared_secret, f"spin.toml no longer marks {name} secret: update this test"
    for name, entry in app_variables(spinapp).items():
        if name not in declared_secret:
            continue
        assert "value" not in entry, f"secret variable {name} has a literal value in spinapp.yaml"
        assert "secretKeyRef" in entry.get("valueFrom", {}), (
            f"secret variable {name} is not taken from valueFrom.secretKeyRef"
        )
        resolve(entry, secret, f"variable {name}")


def test_variable_values_resolve(spinapp, secret):
    for name, entry in app_variables(spinapp).items():
        resolve(entry, secret, f"variable {name}")


def test_database_origin_matches_database_url(spinapp, secret):
    variables = app_variables(spinapp)
    url = resolve(variables["database_url"], secret, "variable database_url")
    database_origin = resolve(variables["database_origin"], secret, "variable database_origin")
    assert urlsplit(url).scheme == "postgres", (
        f"database_url {url!r} is not postgres://: several replicas need a shared database"
    )
    assert urlsplit(database_origin).scheme == "postgres", (
        f"database_origin {database_origin!r} is not postgres://host:port"
    )
    assert database_origin == origin(url), (
        f"database_origin {database_origin!r} does not let the SQL components reach "
        f"database_url's server {origin(url)!r}"
    )


def test_gateway_publish_origin_matches_url(spinapp, secret):
    variables = app_variables(spinapp)
    url = resolve(variables["gateway_publish_url"], secret, "variable gateway_publish_url")
    publish_origin = resolve(
        variables["gateway_publish_origin"], secret, "variable gateway_publish_origin"
    )
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == publish_origin, (
        f"gateway_publish_origin {publish_origin!r} is not the origin of "
        f"gateway_publish_url {url!r}: the api component could not reach it"
    )
    assert url.endswith("/publish/"), f"gateway_publish_url {url!r} is not a GRIP .../publish/ URL"


def test_spinapp_runtime_config_backs_every_key_value_store_with_redis(manifest, spinapp, secret):
    labels = key_value_labels(manifest)
    assert labels, "no component of spin.toml uses a key-value store: update this test"
    runtime = spinapp["spec"].get("runtimeConfig", {})
    assert "loadFromSecret" not in runtime, (
        "runtimeConfig.loadFromSecret makes the operator ignore keyValueStores"
    )
    stores = {s["name"]: s for s in runtime.get("keyValueStores", [])}
    missing = sorted(labels - set(stores))
    assert not missing, f"spinapp.yaml runtimeConfig.keyValueStores lacks {missing}"
    for label in sorted(labels):
        store = stores[label]
        assert store.get("type") == "redis", f"key-value store {label} is {store.get('type')!r}"
        options = {o["name"]: o for o in store.get("options", [])}
        assert "url" in options, f"key-value store {label} has no url option"
        url = resolve(options["url"], secret, f"key-value store {label} url")
        assert url.startswith("redis://"), f"key-value store {label} url {url!r} is not redis://"


def test_runtime_config_toml_backs_every_key_value_store_with_redis(manifest, runtime_config_toml):
    stores = runtime_config_toml.get("key_value_store", {})
    missing = sorted(key_value_labels(manifest) - set(stores))
    assert not missing, f"runtime-config.toml lacks [key_value_store.X] for {missing}"
    for label in sorted(key_value_labels(manifest)):
        store = stores[label]
        assert store.get("type") == "redis", f"[key_value_store.{label}] type is {store.get('type')!r}"
        url = store.get("url", "")
        assert url.startswith("redis://"), f"[key_value_store.{label}] url {url!r} is not redis://"
