"""Fixtures for the mail tests: the fixture folder, its profile and a compiled context."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from koban.mail import MailContext
from koban.profile import Profile, load_profile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"

# The Dovecot harness (tests/mail/dovecot.py) is imported by name from the tests here; with
# pytest's importlib import mode the folder has to be on sys.path explicitly.
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile(FIXTURES / "koban.toml")


@pytest.fixture(scope="session")
def ctx(profile: Profile) -> MailContext:
    return MailContext.build(profile, None)
