from __future__ import annotations

import pytest
from flask import Flask


@pytest.fixture
def app(mail_app: Flask) -> Flask:
    return mail_app
