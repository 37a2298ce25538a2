"""Fixtures of the page tests."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.web.helpers import Cafe, make_cafe


@pytest.fixture
def cafe(session: Session) -> Cafe:
    return make_cafe(session)
