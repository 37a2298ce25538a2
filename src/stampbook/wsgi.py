"""The WSGI entry point for gunicorn: ``gunicorn stampbook.wsgi:app``."""

import gc

from stampbook.app import create_app

app = create_app()
# What the app loaded lives as long as the process: keep it out of the collector's full
# passes, which otherwise walk its ~150,000 objects each time (on the reward list, a third of
# a millisecond per request).
gc.freeze()
