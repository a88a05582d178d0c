"""Fixtures shared by every test module."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO_ESTATE = REPO / "examples" / "aws-demo"
# Public reference data (Azure role definitions, GCP roles ...) kept next to the checkout, never copied into it.
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The reference-data folder ../shared/data; tests that need it skip, saying why, when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data folder {SHARED_DATA} is absent (a clone outside the ciem workspace)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_estate() -> Path:
    """The bundled Northwind Analytics AWS export (examples/aws-demo)."""
    return DEMO_ESTATE
