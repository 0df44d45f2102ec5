"""The WSGI entry point for gunicorn and the flask command."""

import gc

from diversion import create_app

app = create_app()

# What the app holds for its whole life (routes, templates, the models' metadata, the loaded modules) is set aside from
# the garbage collector: a full collection then walks only what requests make, instead of pausing a request now and
# then to walk all of it again (docs/benchmarks.md, "Collector pauses").
gc.collect()
gc.freeze()
