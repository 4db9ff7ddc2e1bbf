"""Alert rules, their evaluation against the rollups, and signed webhook
deliveries (with the guard against private targets).

May import tenancy, analytics, models and common.
"""
