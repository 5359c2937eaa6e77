"""Fixtures shared by every tier."""

from __future__ import annotations

import os

import pytest

from core.settings import Settings, load_settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings(os.environ)
