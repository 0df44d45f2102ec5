"""Organisations (the charities on the service), the schemes each runs, the courts a scheme serves and the versioned
programme a scheme's cases follow (docs/organisations.md)."""

from flask import Blueprint

bp = Blueprint("organisations", __name__)
