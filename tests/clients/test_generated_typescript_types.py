"""TypeScript types generated from the OpenAPI document by ``openapi-typescript`` (npm).

The tool reads ``/api/v1/openapi.json`` without one warning, and TypeScript's compiler accepts
what it writes and a few uses of it (a stamp's body, a time zone, the replay header). The tools
live in ``.cache/node`` (``make node-tools``, which CI runs; Node.js from Debian's packages);
without them the module is skipped.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from flask import Flask

from tests.clients.spec import dump_spec, warnings_in

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".cache" / "node" / "node_modules" / ".bin"
NODE = shutil.which("node")

if NODE is None or not (BIN / "openapi-typescript").exists():
    pytest.skip(
        "needs Node.js (apt-get install nodejs npm) and `make node-tools` (openapi-typescript)",
        allow_module_level=True,
    )

USES = """\
import type { components, operations } from "./api";

type StampBody = operations["stamp_task"]["requestBody"]["content"]["application/json"];
const body: StampBody = { membership_id: 1, quantity: 2 };
const zone: components["schemas"]["TimeZone"] = "Europe/Madrid";
type Stamped = operations["stamp_task"]["responses"][201];
const replayed: NonNullable<Stamped["headers"]["Idempotent-Replayed"]> = "true";
const problem: components["schemas"]["Problem"] = {
    type: "about:blank", title: "Conflict", status: 409, detail: "No.", code: "conflict",
};
export { body, zone, replayed, problem };
"""


def _run(*args: str, cwd: Path) -> str:
    assert NODE is not None
    run = subprocess.run(
        [NODE, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    return said


def test_openapi_typescript_reads_the_document_cleanly(
    app: Flask, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("typescript")
    spec = dump_spec(app, folder)
    # Its one option here: a field with a default may be left out of a request (the API fills
    # it in), which openapi-typescript types as required unless told so.
    said = _run(
        str(BIN / "openapi-typescript"),
        str(spec),
        "--default-non-nullable=false",
        "-o",
        "api.d.ts",
        cwd=folder,
    )
    assert warnings_in(said) == [], said
    types = (folder / "api.d.ts").read_text()
    assert 'post: operations["stamp_task"];' in types
    (folder / "uses.ts").write_text(USES)
    tsc = BIN / "tsc"
    if tsc.exists():
        _run(str(tsc), "--noEmit", "--strict", "api.d.ts", "uses.ts", cwd=folder)
