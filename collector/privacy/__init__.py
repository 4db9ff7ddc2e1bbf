"""A visitor's rights and a site's retention: erasure of one visitor,
deletion past a site's retention, and re-scoring with a newer scorer, each
keeping the rollups exact.

May import ingest, tenancy, analytics, models and common.
"""
