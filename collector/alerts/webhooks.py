"""POSTs to hosts that API users name (alert webhooks), made safe to do from the server.

* **SSRF guard, pinned.** The host is resolved once per attempt and every
  address it resolves to must be public (``is_public_address``) or in a
  network the operator allowed; the connection then goes to one of those
  checked addresses. A second, different DNS answer (rebinding) is never
  asked for, so it can't be used. The Host header, SNI and certificate
  verification still use the URL's host name.
* **One total deadline per attempt**: DNS, connect, TLS, sending the body
  and reading the status line and headers together get ``timeout`` seconds;
  each socket operation is given only the time that is left, so a receiver
  trickling its answer a byte at a time is cut off at the deadline.
* **No redirects**: the status is returned as it is; callers treat a 3xx
  as a failed delivery and never re-send the signed body elsewhere.
* **Errors say what happened, never where**: ``WebhookError`` carries a short
  fixed phrase (``REFUSED``, "timed out after 5 s", "connection refused", …)
  that names no address, so a delivery log can't be used to map what
  internal names resolve to.

No Flask here: callers pass the ``AddressPolicy`` built from their config.
"""

from __future__ import annotations

import errno
import http.client
import io
import ipaddress
import socket
import ssl
import threading
import time
import urllib.parse
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

REFUSED = "refused: not a public address"

# Not public, on top of what ipaddress says (its is_global misses several of
# these in Python 3.11, e.g. multicast, 192.0.0.0/24 and every IPv6 form below).
_NOT_PUBLIC = tuple(
    ipaddress.ip_network(network)
    for network in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "127.0.0.0/8",
        "169.254.0.0/16",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",
        "198.51.100.0/24",
        "203.0.113.0/24",  # documentation
        "198.18.0.0/15",  # benchmarking
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255
        "::/96",  # unspecified, loopback, deprecated IPv4-compatible
        "::ffff:0:0/96",  # IPv4-mapped: reaches the IPv4 address
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215)
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, Teredo (2001::/32) among them
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4: reaches an embedded IPv4 through a relay
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known prefix, RFC 6052


def is_public_address(ip: IPAddress) -> bool:
    """Whether ``ip`` is a public unicast address, one a webhook may go to.

    A NAT64 address (64:ff9b::/96, as DNS64 gives IPv6-only servers for IPv4
    hosts) is judged by the IPv4 address it embeds, since that is where the
    gateway connects; the other IPv6 forms that lead to IPv4 (mapped, 6to4,
    Teredo) are refused outright.
    """
    if ip.version == 6 and ip in _NAT64:
        return is_public_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if any(ip in network for network in _NOT_PUBLIC if network.version == ip.version):
        return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local or ip.is_private)


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses webhooks may reach: public ones, those in
    ``allowed_networks``, or any at all with ``allow_private``."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_settings(cls, allow_private: bool, allowed_networks: str | None) -> AddressPolicy:
        """From the config values: a flag and a comma-separated list of networks."""
        networks = tuple(
            ipaddress.ip_network(item.strip(), strict=False)
            for item in (allowed_networks or "").split(",")
            if item.strip()
        )
        return cls(bool(allow_private), networks)

    def permits(self, ip: IPAddress) -> bool:
        if self.allow_private or is_public_address(ip):
            return True
        return any(ip in network for network in self.allowed_networks if network.version == ip.version)


class WebhookError(Exception):
    """An attempt that got no HTTP status; ``str()`` is safe to store and show."""


class _Refused(Exception):
    pass


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left; TimeoutError once there are none."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return left


def _resolve(host: str, port: int, deadline: _Deadline) -> list[tuple]:
    """getaddrinfo within the deadline. The system resolver takes no timeout,
    so it runs in a daemon thread that is abandoned when time is up."""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        family = socket.AF_INET6 if literal.version == 6 else socket.AF_INET
        sockaddr = (host, port, 0, 0) if literal.version == 6 else (host, port)
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]
    outcome: dict[str, object] = {}

    def lookup() -> None:
        try:
            outcome["addresses"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        except Exception as error:
            outcome["error"] = error

    thread = threading.Thread(target=lookup, name="stepsense-webhook-dns", daemon=True)
    thread.start()
    thread.join(deadline.remaining())
    if thread.is_alive():
        raise TimeoutError("DNS lookup timed out")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return list(outcome["addresses"])  # type: ignore[call-overload]


def _checked_addresses(host: str, port: int, policy: AddressPolicy, deadline: _Deadline) -> list[tuple]:
    """The host's addresses, if the policy permits every one of them."""
    addresses = _resolve(host, port, deadline)
    if not addresses:
        raise socket.gaierror(socket.EAI_NONAME, "no address")
    for *_, sockaddr in addresses:
        if not policy.permits(ipaddress.ip_address(sockaddr[0])):
            raise _Refused()
    return addresses


def _connect(addresses: list[tuple], deadline: _Deadline) -> socket.socket:
    """A TCP connection to the first checked address that answers."""
    last_error: OSError | None = None
    for family, kind, proto, _, sockaddr in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(deadline.remaining())
            sock.connect(sockaddr)
            return sock
        except TimeoutError:
            sock.close()
            raise
        except OSError as error:
            sock.close()
            last_error = error
    raise last_error or OSError(errno.EHOSTUNREACH, "unreachable")


class _DeadlineReader(io.RawIOBase):
    """Reads from a socket, each read allowed only the time left."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock, self._deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self._sock.settimeout(self._deadline.remaining())
        return self._sock.recv_into(buffer)


class _DeadlineSocket:
    """What http.client needs of a socket (sendall, makefile, close), under the deadline."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock, self._deadline = sock, deadline

    def sendall(self, data) -> None:
        # send() by send(): an SSL socket's sendall applies its timeout to each
        # chunk, so a receiver that reads slowly could stretch it past the deadline.
        view = memoryview(data).cast("B")
        while view:
            self._sock.settimeout(self._deadline.remaining())
            view = view[self._sock.send(view) :]

    def makefile(self, mode: str = "rb", *args, **kwargs) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def close(self) -> None:
        self._sock.close()


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to the URL's host name that connects to checked addresses only."""

    def __init__(self, host: str, port: int, tls: bool, addresses: list[tuple], deadline: _Deadline) -> None:
        super().__init__(host, port)
        self.default_port = 443 if tls else 80  # Host header: no ":443" on https
        self._tls, self._addresses, self._deadline = tls, addresses, deadline

    def connect(self) -> None:
        sock = _connect(self._addresses, self._deadline)
        try:
            if self._tls:
                # A context per connection: it reads the CA store (and SSL_CERT_FILE) as it is now.
                context = ssl.create_default_context()
                # The handshake's timeout bounds the whole handshake in CPython, not each read.
                sock.settimeout(self._deadline.remaining())
                sock = context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = _DeadlineSocket(sock, self._deadline)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float, policy: AddressPolicy) -> int:
    """POST ``body`` to ``url`` and return the HTTP status (3xx included, not followed).

    Everything — DNS, connect, TLS, the request and the answer's status line
    and headers — must finish within ``timeout`` seconds in total. Raises
    WebhookError with a message that names no address.
    """
    parts = urllib.parse.urlsplit(url)
    tls = parts.scheme == "https"
    try:
        host, port = parts.hostname, parts.port or (443 if tls else 80)
        if parts.scheme not in ("http", "https") or not host:
            raise WebhookError("not an http(s) URL")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        deadline = _Deadline(timeout)
        connection = _PinnedConnection(host, port, tls, _checked_addresses(host, port, policy, deadline), deadline)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            status = response.status
            response.close()  # the body is not read: the status is the whole answer
            return status
        finally:
            connection.close()
    except WebhookError:
        raise
    except Exception as error:
        raise WebhookError(describe(error, timeout)) from None


def describe(error: BaseException, timeout: float) -> str:
    """A short account of a failed attempt that never includes an address."""
    if isinstance(error, _Refused):
        return REFUSED
    if isinstance(error, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(error, socket.gaierror):
        return "DNS lookup failed"
    if isinstance(error, ssl.SSLCertVerificationError):
        return "TLS certificate verification failed"
    if isinstance(error, ssl.SSLError):
        return "TLS handshake failed"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ConnectionResetError):
        return "connection reset"
    if isinstance(error, (http.client.InvalidURL, ValueError)):  # a bad port and the like
        return "invalid webhook URL"
    if isinstance(error, http.client.RemoteDisconnected):
        return "connection closed without an answer"
    if isinstance(error, http.client.HTTPException):
        return "not a valid HTTP answer"
    if isinstance(error, OSError):
        return f"connection failed ({errno.errorcode.get(error.errno or 0, 'network error')})"
    return f"failed ({type(error).__name__})"
