"""The protocol crate agrees with the official OCA JSON schemas on every
OCPP 1.6J and 2.0.1 message, in both directions:

- every full and minimal sample decodes, and what the crate writes back is the
  same payload (timestamps in UTC with Z) and validates against the schema;
- every sample broken in one way is refused with the error code the version
  prescribes, in its own spelling.
"""

import json
import subprocess

import jsonschema
import pytest

from schema_samples import cases

CASES = cases()


@pytest.fixture(scope="module")
def answers(ocpp_validate):
    lines = "\n".join(case.to_line() for case in CASES) + "\n"
    run = subprocess.run([str(ocpp_validate)], input=lines, capture_output=True, text=True, check=True)
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(out) == len(CASES)
    return {case.id: answer for case, answer in zip(CASES, out)}


def test_every_message_of_both_versions_is_covered():
    messages = {(c.version, c.action, c.kind) for c in CASES}
    assert len([m for m in messages if m[0] == "ocpp1.6"]) == 78
    assert len([m for m in messages if m[0] == "ocpp2.0.1"]) == 128


@pytest.mark.parametrize("case", [c for c in CASES if c.expected is not None], ids=lambda c: c.id)
def test_valid_payload_round_trips_and_emitted_json_matches_the_schema(case, answers):
    answer = answers[case.id]
    assert answer["ok"], answer
    emitted = answer["payload"]
    assert emitted == case.expected
    validator = jsonschema.validators.validator_for(case.schema)
    validator(case.schema, format_checker=validator.FORMAT_CHECKER).validate(emitted)


@pytest.mark.parametrize("case", [c for c in CASES if c.expected is None], ids=lambda c: c.id)
def test_broken_payload_gets_the_versions_error_code(case, answers):
    # The schema itself must refuse the mutation, or the case proves nothing.
    validator = jsonschema.validators.validator_for(case.schema)
    assert not validator(case.schema).is_valid(case.payload)
    answer = answers[case.id]
    assert not answer["ok"], answer
    assert answer["code"] == case.expected_code, answer
