"""Field-level encryption, blind indexes and key management. Knows nothing of Flask."""
