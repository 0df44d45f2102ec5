"""Master keys and encryption at the command line: ``flask keys ...`` (commands.py) and the operations it runs over
the app's databases (services.py). The cryptography itself is in ``diversion/crypto``, which imports no Flask."""
