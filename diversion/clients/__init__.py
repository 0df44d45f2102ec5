"""Clients: the women referred to the scheme. Identity is encrypted; a blind index finds her again."""

from flask import Blueprint

bp = Blueprint("clients", __name__)
