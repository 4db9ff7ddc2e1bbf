"""HTML the app serves: the landing page and response headers, the built
widget files, and the CX dashboard.

May import the API's schemas and download helper, every service, models and
common; nothing but the factory imports it.
"""
