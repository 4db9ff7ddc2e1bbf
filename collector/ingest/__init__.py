"""Taking in the widget's answers and events: redaction of personal data,
scoring, idempotent storage by ``client_id`` and the rollups kept exact in the
same transaction.

May import tenancy, analytics, sentiment, models and common; never the HTTP
layers.
"""
