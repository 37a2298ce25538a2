"""The app with the outbox's recording off (``OUTBOX_RECORDING`` false), for the benchmark
only: ``make bench`` serves it beside the real app and divides the stamp's throughput with the
outbox by the throughput without it. Nothing else starts this module, and no setting or
request turns the outbox off in the real app (``stampbook.wsgi``)."""

import gc

from stampbook.app import create_app

app = create_app({"OUTBOX_RECORDING": False})
gc.freeze()  # as stampbook.wsgi does, so the two apps differ by the outbox alone
