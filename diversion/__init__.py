"""The court diversion case system: the application factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

# Each domain package defines ``bp``; its views module adds the routes.
DOMAINS = (
    "main",
    "auth",
    "admin",
    "organisations",
    "clients",
    "referrals",
    "appointments",
    "contacts",
    "venues",
    "assessments",
    "care_plans",
    "documents",
    "notices",
    "alerts",
    "reports",
    "outcomes",
    "modern_slavery",
    "notifications",
    "privacy",
    "drafts",
    "webhooks",
    "api",
)


def create_app(
    config_name: str | None = None, overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Flask:
    """Build the app: configuration, extensions, keys, blueprints, hooks, handlers and commands."""
    from config import load_config

    app = Flask(__name__, template_folder="../templates", instance_relative_config=True, static_folder=None)
    app.config.from_mapping(load_config(app.instance_path, environ=environ, name=config_name))
    if overrides:
        app.config.from_mapping(overrides)
    _ensure_secret_key(app)
    if app.config.get("TRUSTED_PROXIES"):
        # Behind a load balancer: the client's address (for per-IP sign-in limits) and scheme come from it.
        from werkzeug.middleware.proxy_fix import ProxyFix

        proxies = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]

    from diversion.logs import register_logging

    register_logging(app)
    register_extensions(app)
    register_templates(app)
    register_blueprints(app)
    register_hooks(app)

    from diversion.request_limits import register_request_limits

    # Last, so that its hook goes first of all: a request too large is refused before any other work.
    register_request_limits(app)

    from diversion.error_handlers import register_error_handlers

    register_error_handlers(app)

    from diversion.cli import register_commands

    register_commands(app)
    return app


def _ensure_secret_key(app: Flask) -> None:
    """Development keeps a generated secret key in instance/; production was checked by load_config."""
    if app.config.get("SECRET_KEY"):
        return
    import secrets
    from pathlib import Path

    path = Path(app.instance_path) / "secret-key.txt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    app.config["SECRET_KEY"] = path.read_text().strip()


def register_extensions(app: Flask) -> None:
    """Bind the extensions and load the master keys."""
    from diversion.db import configure_engine
    from diversion.extensions import csrf, db, limiter, login_manager, migrate
    from diversion.keyring import init_keyring, init_keystore

    init_keystore(app, init_keyring(app))
    import diversion.models  # noqa: F401 - every table in the metadata before anything queries

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            configure_engine(engine)
    migrate.init_app(app, db, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)

    from diversion.i18n import init_i18n

    init_i18n(app)

    from diversion.auth.loaders import configure_login_manager

    login_manager.init_app(app)
    configure_login_manager(login_manager)


def register_templates(app: Flask) -> None:
    """Our templates first, then the GOV.UK Frontend macros; WTForms helpers and globals."""
    from govuk_frontend_wtf.main import WTFormsHelpers

    from diversion.views_context import register_template_context

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(os.path.join(app.root_path, str(app.template_folder))),
            PrefixLoader(
                {
                    "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
                    # The components as published, for our overrides of a few in templates/govuk_frontend_jinja,
                    # which give their built-in words ("Error", "Back") in the reader's language.
                    "govuk_original": PackageLoader("govuk_frontend_jinja"),
                    "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
                }
            ),
        ]
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    WTFormsHelpers(app)
    register_template_context(app)


def register_blueprints(app: Flask) -> None:
    """One blueprint per domain. Views are imported here, not by the packages, so models never import views: a
    domain's routes are in its ``views.py`` and in any ``*_views.py`` beside it (the referrals' ``match_views.py``),
    which add them to the domain's blueprint when imported, so no view module imports another to register it."""
    import importlib
    import pkgutil

    from diversion.extensions import csrf

    for domain in DOMAINS:
        package = importlib.import_module(f"diversion.{domain}")
        names = [info.name for info in pkgutil.iter_modules(package.__path__)]
        for name in ["views", *sorted(name for name in names if name.endswith("_views"))]:
            importlib.import_module(f"diversion.{domain}.{name}")
        blueprint = importlib.import_module(f"diversion.{domain}").bp
        if domain == "api":
            # The API takes bearer tokens only, never the session cookie, so it needs no CSRF token.
            csrf.exempt(blueprint)
        app.register_blueprint(blueprint)


def register_hooks(app: Flask) -> None:
    """Request ids, default-deny permissions, security headers, and the audit of each request's reads."""
    from diversion.headers import register_headers
    from diversion.permissions import current_actor, enforce_declared_rule

    app.before_request(enforce_declared_rule)
    register_headers(app)
    from diversion.notices.services import register_hooks as register_notice_hooks

    register_notice_hooks()
    from diversion.notifications.services import register_hooks as register_notification_hooks

    register_notification_hooks()
    from diversion.webhooks.services import register_hooks as register_webhook_hooks

    register_webhook_hooks(app)
    from diversion.alerts.services import register_hooks as register_alert_hooks

    register_alert_hooks()
    from diversion.audit.reads import register as register_reads

    # Last, so that its hook runs first after the view: the reads are written before anything else is sent.
    register_reads(app, current_actor)
