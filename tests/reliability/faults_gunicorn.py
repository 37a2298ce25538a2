"""gunicorn settings for the fault tests: a worker says when it is ready to serve.

A worker killed while it is still importing the app tests nothing, so the tests kill only
workers that have loaded it: each one leaves its pid in ``FAULTS_READY_DIR`` once it has.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def post_worker_init(worker: Any) -> None:
    Path(os.environ["FAULTS_READY_DIR"], str(worker.pid)).touch()
