"""One-time keys: a repeated API POST (``Idempotency-Key``) or form submit gets the first answer and changes nothing.
See docs/idempotency.md."""
