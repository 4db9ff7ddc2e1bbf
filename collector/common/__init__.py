"""What every layer may use: time in UTC, the domain's vocabulary, domain
errors, database helpers (dialect checks, upserts) and group commit.

Imports nothing of collector but ``extensions`` and ``config``; no Flask.
"""
