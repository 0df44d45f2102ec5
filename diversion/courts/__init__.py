"""Courts: the magistrates' courts that refer to the scheme. Managed by administrators."""
