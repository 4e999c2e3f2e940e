"""Schema-driven fuzzing of the operator API: schemathesis reads the OpenAPI
document the api component serves and sends generated requests (valid and
invalid) to every operation, checking that nothing answers 5xx and that every
answer (status, content type, body) is one the document allows.

One backend only: the API does not go through the gateway, so Pushpin would
add nothing here."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import harness

# Generated cases per operation and phase; FUZZ_EXAMPLES raises it for a longer run.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))

CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
])


@pytest.fixture(scope="module")
def api(devhost_bin, tmp_path_factory):
    state = tmp_path_factory.mktemp("api-fuzz")
    variables = {
        "api_token": harness.API_TOKEN,
        "unknown_charge_points": "accept",
        "command_timeout_seconds": "3",
    }
    publish_port = harness.free_port()
    variables["gateway_publish_url"] = f"http://127.0.0.1:{publish_port}/publish/"
    variables["gateway_publish_origin"] = f"http://127.0.0.1:{publish_port}"
    proc, port, log = harness.start_devhost(devhost_bin, state, gateway=True, variables=variables,
                                            publish_port=publish_port)
    backend = harness.Backend(ws_url=f"ws://127.0.0.1:{port}/ocpp", api_url=f"http://127.0.0.1:{port}",
                              state_dir=state, processes=[proc], log_files=[log])
    # Something to find: fuzzed reads then hit existing rows too, not only 404s.
    assert backend.api("PUT", "/api/v1/tariffs/T1", {
        "id": "T1", "currency": "SEK", "vat_percent": "25",
        "elements": [{"price_components": [{"type": "ENERGY", "price": "3.20"}]}]})[0] in (200, 201)
    assert backend.api("PUT", "/api/v1/charge-points/CP1", {"tariff_id": "T1"})[0] in (200, 201)
    assert backend.api("PUT", "/api/v1/id-tags/TAG1", {"status": "Accepted"})[0] in (200, 201)
    yield backend
    backend.stop()


def schemathesis() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    assert found, "schemathesis is not installed (tests/requirements.txt)"
    return found


def test_no_operation_answers_5xx_or_outside_the_document(api, tmp_path):
    result = subprocess.run(
        [schemathesis(), "run", f"{api.api_url}/api/v1/openapi.json",
         "--header", f"Authorization: Bearer {harness.API_TOKEN}",
         "--checks", CHECKS,
         "--phases", "examples,coverage,fuzzing",
         "--max-examples", str(EXAMPLES),
         "--seed", "20261123",
         "--workers", "1",
         "--generation-database", "none",
         "--request-timeout", "30",
         "--no-color"],
        capture_output=True, text=True, cwd=tmp_path, timeout=900)
    report = result.stdout[-12000:] + result.stderr[-4000:]
    assert result.returncode == 0, report + "\n--- devhost ---\n" + api.logs()
    # The run really exercised the API rather than skipping everything.
    assert "passed" in result.stdout, report
