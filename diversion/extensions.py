"""Flask extensions, created unbound and bound to the app in the factory."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# The database's object is made beside its declarative base (diversion/db.py), which its transaction helper uses.
from diversion.db import db

__all__ = ["csrf", "db", "limiter", "login_manager", "migrate"]

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Limits are declared on the routes that need them (login); nothing is limited by default.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
