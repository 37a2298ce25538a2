"""The job worker's entry point: ``huey_consumer stampbook.worker.huey``.

It loads every domain's jobs (the ``DOMAINS`` registry) and gives them the app to run in.
"""

from __future__ import annotations

from stampbook import domains
from stampbook.app import create_app
from stampbook.core import jobs

jobs.use_app_factory(create_app)
domains.load("jobs")
huey = jobs.huey
