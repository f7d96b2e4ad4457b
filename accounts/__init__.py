"""Staff accounts, sessions and the audit log of a home (``accounts.store``)."""
