"""Shared set-up for the conformance tests: where the built binaries are."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


@pytest.fixture(scope="session")
def ocpp_validate() -> Path:
    """The protocol crate's payload decoder, built once (debug, native)."""
    subprocess.run(
        ["cargo", "build", "--quiet", "-p", "ocpp-protocol", "--example", "ocpp_validate"],
        cwd=ROOT,
        check=True,
    )
    return target_dir() / "debug" / "examples" / "ocpp_validate"
