"""Tenants and their set-up: sites (origins, settings, the per-worker site
cache), API keys (hashed secrets, scopes), and journeys with their steps and
prompts.

May import analytics (a journey's steps shape its funnel), models and common.
"""
