"""The production WSGI app with one fault switch, served by gunicorn in the fault tests.

A request carrying ``X-Fault: kill-after-commit`` is handled in full (its unit of work has
committed when the app returns) and then its worker kills itself with SIGKILL before a byte
of the answer is sent: the worst moment for a crash (reliability case 15). Any other
request goes to the app untouched.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable
from typing import Any

from stampbook.wsgi import app as stampbook_app
from tests.reliability.faults_client import FAULT_HEADER, KILL_AFTER_COMMIT

ENVIRON_KEY = "HTTP_" + FAULT_HEADER.upper().replace("-", "_")


def _discard(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return lambda data: None


def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    if environ.get(ENVIRON_KEY) != KILL_AFTER_COMMIT:
        return stampbook_app(environ, start_response)
    answer = stampbook_app(environ, _discard)
    b"".join(answer)
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable: the worker is gone")
