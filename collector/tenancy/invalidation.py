"""Cross-host cache invalidation: a site's change reaches every worker of every host at once.

Each worker process caches site snapshots (origins, auto-registration) for
SITE_CACHE_SECONDS. With ``CACHE_INVALIDATION_URL`` (``redis://…``) a change
made anywhere (``sites.update_site``) is published on a Redis pub/sub channel,
and every process listens on it in a background thread and drops the site's
entry: the change takes effect everywhere within the channel's delivery time
(milliseconds), not after the cache's lifetime. If the listener loses Redis it
reconnects and then empties the whole cache, since it may have missed a
message meanwhile; if publishing fails the change still takes effect after
SITE_CACHE_SECONDS.
"""

import logging
import os
import threading
from collections.abc import Callable

from flask import Flask, current_app

log = logging.getLogger(__name__)

CHANNEL = "stepsense:site-changed"
ALL = "*"
_clients: dict[str, object] = {}
_clients_lock = threading.Lock()


def _client(url: str):
    import redis  # only needed with CACHE_INVALIDATION_URL

    with _clients_lock:
        if url not in _clients:
            _clients[url] = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        return _clients[url]


def announce(public_key: str) -> None:
    """Tell every process that the site changed (no-op without CACHE_INVALIDATION_URL)."""
    url = current_app.config.get("CACHE_INVALIDATION_URL")
    if not url:
        return
    try:
        _client(url).publish(CHANNEL, public_key)
    except Exception as error:
        log.warning(
            "could not announce a site change (%s); other workers see it within SITE_CACHE_SECONDS",
            error.__class__.__name__,
        )


class Listener:
    """A daemon thread calling ``forget(public_key or None)`` for every announced change."""

    def __init__(self, url: str, forget: Callable[[str | None], None]) -> None:
        self.url, self.forget = url, forget
        self.ready = threading.Event()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="stepsense-cache-invalidation", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        import redis

        client = redis.Redis.from_url(self.url, socket_connect_timeout=1, health_check_interval=5)
        missed = False
        while not self._stop.is_set():
            try:
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                if missed:
                    self.forget(None)  # changes may have been announced while we were away
                self.ready.set()
                while not self._stop.is_set():
                    message = pubsub.get_message(timeout=0.5)
                    if message and message.get("type") == "message":
                        key = message["data"].decode()
                        self.forget(None if key == ALL else key)
            except Exception as error:
                log.warning("cache invalidation channel lost (%s); reconnecting", error.__class__.__name__)
                missed = True
                self._stop.wait(0.5)


_listener: Listener | None = None


def _restart_in_child() -> None:
    """A forked child has none of its parent's threads: listen anew."""
    global _listener
    if _listener is not None:
        _listener = Listener(_listener.url, _listener.forget)


os.register_at_fork(after_in_child=_restart_in_child)


def init_app(app: Flask, forget: Callable[[str | None], None]) -> Listener | None:
    """Listen for changes in this process (and anew in a forked child) when configured."""
    global _listener
    url = app.config.get("CACHE_INVALIDATION_URL")
    if not url:
        return None
    if _listener is None or not _listener.thread.is_alive() or _listener.url != url:
        if _listener is not None:
            _listener.stop()
        _listener = Listener(url, forget)
    return _listener
