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
    """The protocol crate's payload decoder (debug, native)."""
    subprocess.run(
        # Same selection as `cargo test --workspace` (which builds examples), so
        # that after it nothing is rebuilt.
        ["cargo", "test", "--workspace", "--no-run", "--quiet"],
        cwd=ROOT,
        check=True,
    )
    return target_dir() / "debug" / "examples" / "ocpp_validate"
