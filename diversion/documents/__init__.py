"""Documents on a case: files uploaded to her case (a consent form she signed, a letter), kept encrypted under her
data key (docs/design.md section 4; docs/encryption.md, "Documents")."""

from flask import Blueprint

bp = Blueprint("documents", __name__)
