"""Checks the project runs on its own code (``python -m diversion.tools.<name>``)."""
