"""Third-party mail corpora read from ``../shared/corpus`` beside the checkout (never copied into the repo).

Outside CI a missing folder skips these tests with a clear message; under CI it fails them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CORPUS_DIR = Path(
    os.environ.get("TANGGAP_CORPUS_DIR", Path(__file__).resolve().parents[3] / "shared" / "corpus")
)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS_DIR.is_dir():
        message = f"the mail corpus is not at {CORPUS_DIR} (set TANGGAP_CORPUS_DIR to its folder)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; under CI it is required")
        pytest.skip(message)
    return CORPUS_DIR
