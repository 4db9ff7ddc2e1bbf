"""JetStream publishing from request threads over one blocking socket per process.

Why not nats-py here: it is asyncio, and a gthread request handing its
publish to a loop thread pays for the hand-over twice (wake the loop, then
wake the request again when the PubAck's reply has gone through the loop's
reader, its subscription task and a thread-safe future) and its CPU at each
hop (0.3 ms per publish; bench/INGEST.md, round 5). This module speaks the
few verbs of the NATS client protocol a publisher needs (CONNECT, HPUB,
SUB, MSG/HMSG, PING/PONG, INFO) on a plain blocking socket:

* a request thread writes its messages itself (one ``sendall`` under a lock);
* whoever waits for a PubAck first reads the socket for everyone (the
  leader/follower pattern): it takes the replies off the socket and hands each
  to the request waiting for it, and leaves reading to the next waiter once
  its own replies are in. With the socket idle, a request receives its own
  PubAck in its own thread: one round trip, no thread woken in between.

Durability is the broker's as before: a publish returns only once the PubAck
says the message is stored (on a quorum of the stream's replicas), and any
failure (no connection, no stream leader, a timeout) raises ``WireError`` so
the request answers 503. Only ``nats://`` servers with no or user/password or
token credentials in the URL; TLS and other set-ups use the asyncio publisher
(``queue.Publisher``), which also creates the streams.
"""

import contextlib
import json
import os
import secrets
import select
import socket
import threading
import time
from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

CRLF = b"\r\n"
MAX_LINE = 64 * 1024


class WireError(Exception):
    """The broker did not acknowledge (unreachable, no stream leader, refused, timed out).

    ``new`` counts the publish's messages the broker did store as new before the
    failure: a retry with the same message ids gets those back as duplicates, so
    only the first attempt can tell that they were new to the log.
    """

    def __init__(self, message: str, new: int = 0) -> None:
        super().__init__(message)
        self.new = new


def supported(urls: Sequence[str]) -> bool:
    """Whether every configured server can be reached by this module (plain nats://)."""
    return all(urlsplit(url if "://" in url else f"nats://{url}").scheme == "nats" for url in urls)


class _Slot:
    """One message's PubAck: True/False (duplicate or not) or the error, once it came."""

    __slots__ = ("conn", "error", "result")

    def __init__(self, conn: "_Connection") -> None:
        self.conn = conn  # the connection it was sent on: only its loss fails the slot
        self.result: bool | None = None
        self.error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self.result is not None or self.error is not None


class _Connection:
    """One TCP connection to one server, subscribed to its own reply inbox."""

    def __init__(self, url: str, timeout: float, name: str) -> None:
        parts = urlsplit(url if "://" in url else f"nats://{url}")
        self.sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 4222), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()
        self.closed = False
        self.write_lock = threading.Lock()
        self.poller = select.poll()
        self.poller.register(self.sock, select.POLLIN)
        try:
            info = self._line(time.monotonic() + timeout)
            if not info.startswith(b"INFO "):
                raise WireError(f"unexpected greeting {info[:40]!r}")
            if json.loads(info[5:]).get("tls_required"):
                raise WireError("the server requires TLS (use a tls:// URL)")
            options = {
                "verbose": False,
                "pedantic": False,
                "name": name,
                "lang": "python-stepsense",
                "version": "1",
                "protocol": 1,
                "headers": True,
                "no_responders": True,
            }
            if parts.username and parts.password is not None:
                options.update(user=unquote(parts.username), **{"pass": unquote(parts.password)})
            elif parts.username:
                options["auth_token"] = unquote(parts.username)
            self.inbox = f"_INBOX.{secrets.token_hex(11)}"
            self.sock.sendall(
                b"CONNECT " + json.dumps(options).encode() + CRLF + f"SUB {self.inbox}.* 1\r\nPING\r\n".encode()
            )
            while (line := self._line(time.monotonic() + timeout)) != b"PONG":
                if line.startswith(b"-ERR"):
                    raise WireError(line.decode(errors="replace"))
        except BaseException:
            self.close()
            raise

    def _fill(self, deadline: float) -> None:
        """Wait for data (poll, so the socket's own timeout stays the one sendall uses)."""
        wait = deadline - time.monotonic()
        if wait <= 0 or not self.poller.poll(wait * 1000):
            raise TimeoutError("no reply from the broker")
        try:
            data = self.sock.recv(65536)
        except OSError as error:
            self.closed = True
            raise WireError(f"connection lost: {error}") from error
        if not data:
            self.closed = True
            raise WireError("connection closed by the broker")
        self.buffer += data

    def _line(self, deadline: float) -> bytes:
        while (end := self.buffer.find(CRLF)) < 0:
            if len(self.buffer) > MAX_LINE:
                raise WireError("protocol line too long")
            self._fill(deadline)
        line = bytes(self.buffer[:end])
        del self.buffer[: end + 2]
        return line

    def send(self, data: bytes) -> None:
        with self.write_lock:
            self.sock.sendall(data)

    def next_reply(self, deadline: float) -> tuple[str, bytes | None, bytes] | None:
        """Read one protocol message: (reply token, header block or None, payload) for a
        reply on the inbox, None for anything else (PING answered, INFO ignored).

        A message is taken off the buffer only once it is whole, so a timeout in
        the middle of one leaves the stream in step for the next reader.
        """
        while True:
            end = self.buffer.find(CRLF)
            if end >= 0:
                break
            if len(self.buffer) > MAX_LINE:
                raise WireError("protocol line too long")
            self._fill(deadline)
        line = bytes(self.buffer[:end])
        if line.startswith((b"MSG ", b"HMSG ")):
            fields = line.split()
            total = int(fields[-1])
            while len(self.buffer) < end + 2 + total + 2:
                self._fill(deadline)
            body = bytes(self.buffer[end + 2 : end + 2 + total])
            del self.buffer[: end + 2 + total + 2]
            header_size = int(fields[-2]) if fields[0] == b"HMSG" else 0
            headers = body[:header_size] if header_size else None
            return fields[1].decode().rpartition(".")[2], headers, body[header_size:]
        del self.buffer[: end + 2]
        if line == b"PING":
            self.send(b"PONG\r\n")
        elif line.startswith(b"-ERR"):
            self.closed = True
            raise WireError(line.decode(errors="replace"))
        return None

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):  # already broken
            self.sock.close()


def _frame(subject: str, reply: str, msg_id: str, payload: bytes) -> bytes:
    headers = f"NATS/1.0\r\nNats-Msg-Id: {msg_id}\r\n\r\n".encode()
    size = len(headers)
    return b"%s %s %d %d\r\n%s%s\r\n" % (
        f"HPUB {subject}".encode(),
        reply.encode(),
        size,
        size + len(payload),
        headers,
        payload,
    )


def _outcome(headers: bytes | None, payload: bytes) -> tuple[bool | None, BaseException | None]:
    """A PubAck reply as (duplicate?, None) or (None, the error)."""
    if headers:
        status = headers.split(CRLF, 1)[0].split()
        if len(status) > 1 and status[1].isdigit():  # e.g. 503: no stream (leader) listens on the subject
            return None, WireError(f"status {status[1].decode()}")
    try:
        reply = json.loads(payload)
    except ValueError as error:
        return None, WireError(f"bad PubAck: {error}")
    if "error" in reply:
        return None, WireError(f"refused: {reply['error'].get('description') or reply['error']}")
    return bool(reply.get("duplicate")), None


class SyncPublisher:
    """Publishes and waits for PubAcks from any thread; one connection per process."""

    def __init__(self, urls: Sequence[str], timeout: float, reconnect_cooldown: float, name: str = "stepsense") -> None:
        self.urls, self.timeout, self.cooldown, self.name = list(urls), timeout, reconnect_cooldown, name
        self._pid = os.getpid()
        self._state = threading.Condition()
        self._conn: _Connection | None = None
        self._failed_at = 0.0
        self._next_url = 0
        self._reading = False
        self._slots: dict[str, _Slot] = {}
        self._tokens = 0

    def _connection(self) -> _Connection:
        """The open connection, or a new one (under the state lock)."""
        if self._pid != os.getpid():  # after a fork: the parent's socket is not ours
            self._pid, self._conn, self._slots, self._reading = os.getpid(), None, {}, False
        if self._conn is not None and not self._conn.closed:
            return self._conn
        if time.monotonic() - self._failed_at < self.cooldown:
            raise WireError("the broker was unreachable a moment ago")
        errors = []
        for _ in self.urls:
            url = self.urls[self._next_url % len(self.urls)]
            try:
                self._conn = _Connection(url, self.timeout, self.name)
                return self._conn
            except (OSError, WireError) as error:
                errors.append(f"{error.__class__.__name__}: {error}")
                self._next_url += 1
        self._failed_at = time.monotonic()
        raise WireError("no server reachable: " + "; ".join(errors))

    def publish(self, messages: Sequence[tuple[str, str, bytes]]) -> int:
        """Publish (subject, message id, payload) triples; return how many were new to the
        log. Raises WireError unless the broker acknowledged every one; its ``new``
        counts those that were new among the ones it did acknowledge."""
        deadline = time.monotonic() + self.timeout
        with self._state:
            conn = self._connection()
            tokens = []
            for _ in messages:
                self._tokens += 1
                tokens.append(f"{self._tokens:x}")
            slots = [self._slots.setdefault(token, _Slot(conn)) for token in tokens]
        data = b"".join(
            _frame(to, f"{conn.inbox}.{token}", msg_id, payload)
            for (to, msg_id, payload), token in zip(messages, tokens)
        )
        try:
            conn.send(data)
        except OSError as error:
            self._drop(conn, WireError(f"connection lost: {error}"))
        try:
            self._await(conn, slots, deadline)
        finally:
            with self._state:
                for token in tokens:
                    self._slots.pop(token, None)
        new = sum(slot.result is False for slot in slots)
        for slot in slots:
            if slot.error is not None:
                # A fresh error: a dropped connection's one error is shared by every slot waiting on it.
                raise WireError(str(slot.error), new=new) from slot.error
        return new

    def _await(self, conn: _Connection, slots: list[_Slot], deadline: float) -> None:
        """Until every slot is done: read for everyone while no other thread does, else wait."""
        while True:
            with self._state:
                while not all(slot.done for slot in slots) and self._reading:
                    if not self._state.wait(deadline - time.monotonic()):
                        raise WireError("no PubAck in time")
                if all(slot.done for slot in slots):
                    return
                self._reading = True
            try:
                self._read_until(conn, slots, deadline)
            finally:
                with self._state:
                    self._reading = False
                    self._state.notify_all()

    def _read_until(self, conn: _Connection, slots: list[_Slot], deadline: float) -> None:
        """As the reader: take replies off the socket, fill their slots, until ours are done."""
        try:
            while not all(slot.done for slot in slots):
                reply = conn.next_reply(deadline)
                if reply is None:
                    continue
                with self._state:
                    slot = self._slots.get(reply[0])
                    if slot is not None and not slot.done:
                        slot.result, slot.error = _outcome(reply[1], reply[2])
                    self._state.notify_all()
        except TimeoutError as error:
            raise WireError("no PubAck in time") from error
        except WireError as error:
            self._drop(conn, error)

    def _drop(self, conn: _Connection, error: WireError) -> None:
        """A broken connection: close it, fail every publish still waiting on it."""
        with self._state:
            conn.close()
            if self._conn is conn:
                self._conn = None
                self._next_url += 1  # try the next server first
            for slot in self._slots.values():
                if slot.conn is conn and not slot.done:
                    slot.error = error
            self._state.notify_all()

    def close(self) -> None:
        with self._state:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
