"""What the client generator tests share: the document as a file, and reading a tool's output."""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Flask

# A generator's complaint, in whatever case it prints it ("Warning(s) encountered", "WARN ...").
WARNING = re.compile(r"warn", re.IGNORECASE)


def dump_spec(app: Flask, folder: Path) -> Path:
    """The API's OpenAPI document, as served, written to ``folder/openapi.json``."""
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    path = folder / "openapi.json"
    path.write_text(json.dumps(response.json, indent=1))
    return path


def warnings_in(output: str) -> list[str]:
    return [line for line in output.splitlines() if WARNING.search(line)]
