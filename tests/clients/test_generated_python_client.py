"""A Python client generated from the OpenAPI document, by a generator nobody here wrote.

``openapi-python-client`` (a dev dependency) must read ``/api/v1/openapi.json`` without one
warning, and the client it writes drives a café's first day against a live server: register,
log in, open a shop, a program and a task, join, stamp (an idempotent write, replayed), put up a
reward, redeem it and read the points history. A new route must keep this green.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flask import Flask

from tests.clients.spec import dump_spec, warnings_in

pytest.importorskip(
    "openapi_python_client", reason="needs openapi-python-client (pip install -e '.[dev]')"
)

PACKAGE = "stampbook_client"
CONFIG = f"""\
package_name_override: {PACKAGE}
project_name_override: stampbook-client
post_hooks: []
"""


@pytest.fixture(scope="module")
def generated(app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    folder = tmp_path_factory.mktemp("python_client")
    spec = dump_spec(app, folder)
    config = folder / "config.yml"
    config.write_text(CONFIG)
    output = folder / "out"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(spec),
            "--config",
            str(config),
            "--meta",
            "none",
            "--output-path",
            str(output / PACKAGE),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    said = run.stdout + run.stderr
    assert run.returncode == 0, said
    assert warnings_in(said) == [], said
    sys.path.insert(0, str(output))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(output))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def test_the_generator_reads_every_operation(generated: ModuleType) -> None:
    # An operation the generator gave up on has no module; each is named by its operationId.
    api = Path(generated.__file__).parent / "api"
    modules = {path.stem for path in api.rglob("*.py") if path.stem != "__init__"}
    for operation in ("create_shop", "stamp_task", "redeem_reward", "list_entries"):
        assert operation in modules
    assert len(modules) > 90


def _module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{package.__name__}.{name}")


def _ok(response: Any, status: int) -> Any:
    assert response.status_code == status, response.content
    assert response.parsed is not None, response.content
    return response.parsed


def test_a_generated_client_runs_the_journey(generated: ModuleType, base_url: str) -> None:
    api = lambda name: _module(generated, f"api.{name}")  # noqa: E731
    models = _module(generated, "models")
    anonymous = generated.Client(base_url=base_url, raise_on_unexpected_status=True)

    def sign_up(email: str, name: str) -> Any:
        body = models.RegisterIn(
            email=email, name=name, password="correct horse battery", time_zone="Europe/Madrid"
        )
        me = _ok(api("accounts.register_user").sync_detailed(client=anonymous, body=body), 201)
        assert me.time_zone == "Europe/Madrid"
        login = models.TokenIn(email=email, password="correct horse battery")
        token = _ok(api("accounts.create_token").sync_detailed(client=anonymous, body=login), 201)
        return generated.AuthenticatedClient(base_url=base_url, token=token.token)

    owner = sign_up("owner@example.com", "Olga")
    member = sign_up("member@example.com", "Mia")

    shop = _ok(
        api("shops.create_shop").sync_detailed(
            client=owner, body=models.ShopIn(name="Corner Café", time_zone="Europe/Madrid")
        ),
        201,
    )
    program = _ok(
        api("programs.create_program").sync_detailed(
            shop.id, client=owner, body=models.ProgramIn(name="Coffee card")
        ),
        201,
    )
    task = _ok(
        api("tasks.create_task").sync_detailed(
            program.id, client=owner, body=models.TaskIn(name="Coffee", point_value=5)
        ),
        201,
    )
    membership = _ok(
        api("programs.create_membership").sync_detailed(
            program.id, client=member, body=models.MembershipIn()
        ),
        201,
    )

    stamp = api("tasks.stamp_task")
    body = models.StampIn(membership_id=membership.id)
    first = stamp.sync_detailed(task.id, client=owner, body=body, idempotency_key="till-1")
    stamped = _ok(first, 201)
    assert stamped.points == 5
    again = stamp.sync_detailed(task.id, client=owner, body=body, idempotency_key="till-1")
    assert _ok(again, 201).to_dict() == stamped.to_dict()
    assert again.headers["Idempotent-Replayed"] == "true"

    reward = _ok(
        api("rewards.create_reward").sync_detailed(
            shop.id, client=owner, body=models.RewardIn(name="Free coffee", cost=5)
        ),
        201,
    )
    receipt = _ok(
        api("rewards.redeem_reward").sync_detailed(
            reward.id,
            client=member,
            body=models.RedeemIn(membership_id=membership.id),
            idempotency_key="redeem-1",
        ),
        201,
    )
    assert receipt.points_paid == 5

    entries = _ok(
        api("points_history.list_entries").sync_detailed(membership.id, client=member), 200
    )
    assert [entry.amount for entry in entries.items] == [-5, 5]
    assert entries.items[0].balance_after == 0
