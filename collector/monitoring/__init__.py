"""What an operator watches: structured request logs with a request id, and
Prometheus metrics at ``/metrics``.

Hooks into the app from the outside (before/after request); the services
only count into ``collector.common.metrics``. May import common and config.
"""
