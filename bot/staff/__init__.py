"""Staff accounts, roles, per-agency scope and API tokens."""
