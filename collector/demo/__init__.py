"""The demo: seeded sample data (``seed``) and the demo shop's pages
(``shop``, mounted only in demo mode).

May import every service, models and common.
"""
