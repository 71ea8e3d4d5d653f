"""A small IMAP client for ``koban mail watch``, on :mod:`imaplib` from the standard library.

It does only what the watcher needs: connect (IMAPS, STARTTLS, or plain on loopback), log in,
select a folder (UIDVALIDITY, permanent flags), read flags and whole messages by UID without
setting ``\\Seen`` (``BODY.PEEK[]``), add keywords, create a folder, move one message (``UID
MOVE`` when the server has MOVE, else ``UID COPY`` + ``\\Deleted`` + expunge of that UID only),
and wait for new mail with IDLE (RFC 2177) when the server has it.

imaplib (3.11) has no IDLE, and its reader (``socket.makefile``) hides what it has buffered from
``select`` and is unusable after a read timed out; so the connection reads through
:class:`LineReader`, whose buffer is visible, and :meth:`ImapClient.idle` waits with ``select``.

Errors become :class:`ImapError` naming the server and the user, never the password.
Folder names are sent in IMAP's modified UTF-7 (RFC 3501 5.1.3), so Japanese names work.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import ipaddress
import re
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from koban.errors import KobanError

Security = Literal["tls", "starttls", "plain"]
DEFAULT_PORTS: dict[str, int] = {"tls": 993, "starttls": 143, "plain": 143}
TIMEOUT = 60.0  # seconds, for connecting and for every reply

_FETCH_UID = re.compile(rb"\bUID (\d+)")
_FETCH_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)")
_STATUS_CODE = re.compile(r"^\[[^\]]*\]\s*")
_TIMING = re.compile(r"\s*\([0-9.]+ \+ [0-9.+ ]+ secs\)")  # Dovecot's "(0.001 + 0.000 secs)"
_EXISTS = re.compile(rb"^\* \d+ EXISTS\b", re.IGNORECASE)
_LITERAL = re.compile(rb"\{(\d+)\}$")
IDLE_TICK = 0.5  # seconds between looks at the stop event while idling
MAX_IDLE_LINE = 1_000_000  # bytes of untagged data read while idling, per line


class ImapError(KobanError):
    """The server could not be reached, refused the login, or refused a command."""


class IdleRefused(ImapError):
    """The server advertised IDLE but refused it: wait by polling instead."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def encode_mailbox(name: str) -> str:
    """``name`` in IMAP modified UTF-7 (``受信箱`` → ``&U9dP4Xux-``; ``&`` → ``&-``)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            text = base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ",")
            out.append(f"&{text}-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def quote(text: str) -> str:
    """An IMAP quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data: Any) -> str:
    """The server's words from an imaplib reply or exception, as one readable line."""
    if isinstance(data, list | tuple):
        data = b" ".join(d for d in data if isinstance(d, bytes))
    if isinstance(data, bytes):
        data = data.decode("utf-8", "replace")
    text = str(data)
    if text.startswith(("b'", 'b"')) and text.endswith(text[1]):  # str(bytes) from imaplib
        text = text[2:-1]
    return _TIMING.sub("", " ".join(text.split()))


@dataclass(frozen=True)
class Server:
    """Where to connect and as whom (the password is passed to :meth:`ImapClient.connect`)."""

    host: str
    port: int
    security: Security
    user: str
    ca_file: str | None = None
    timeout: float = TIMEOUT

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def describe(self) -> str:
        """``IMAP server 127.0.0.1:143 (user alice)``, for error messages."""
        return f"IMAP server {self.address} (user {self.user})"


@dataclass
class Folder:
    """What SELECT said about a folder."""

    name: str
    uidvalidity: int
    exists: int
    uidnext: int | None
    keywords_allowed: bool  # PERMANENTFLAGS has \* (or the server did not say)
    permanent_flags: frozenset[str] = field(default_factory=frozenset)


class LineReader:
    """What imaplib reads the server through (its ``file``), with the buffer in sight.

    A read that times out leaves the buffer whole (``socket.makefile`` would lose a partial
    line and refuse to read again), and :meth:`pending` tells ``select`` what is already here
    (in this buffer or decrypted in the TLS layer)."""

    CHUNK = 65536

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def _fill(self) -> bool:
        data = self.sock.recv(self.CHUNK)
        if not data:
            return False
        self.buffer += data
        return True

    def readline(self, limit: int = -1) -> bytes:
        start = 0
        while True:
            end = self.buffer.find(b"\n", start)
            if end >= 0 and (limit < 0 or end < limit):
                return self._take(end + 1)
            if 0 <= limit <= len(self.buffer):
                return self._take(limit)
            start = len(self.buffer)
            if not self._fill():
                return self._take(len(self.buffer))

    def read(self, size: int) -> bytes:
        while len(self.buffer) < size and self._fill():
            pass
        return self._take(min(size, len(self.buffer)))

    def _take(self, n: int) -> bytes:
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data

    def pending(self) -> bool:
        tls_pending = getattr(self.sock, "pending", None)
        return bool(self.buffer) or (tls_pending is not None and tls_pending() > 0)

    def close(self) -> None:
        """Nothing to release: imaplib closes the socket itself."""


class _IMAP4(imaplib.IMAP4):
    """imaplib's connection reading through :class:`LineReader` (also after STARTTLS)."""

    def open(self, host: str = "", port: int = 143, timeout: float | None = None) -> None:
        super().open(host, port, timeout)
        self.file = LineReader(self.sock)  # type: ignore[assignment]

    def starttls(self, ssl_context: Any | None = None) -> tuple[Literal["OK"], list[None]]:
        result = super().starttls(ssl_context)
        self.file = LineReader(self.sock)  # type: ignore[assignment]
        return result


class _IMAP4_SSL(imaplib.IMAP4_SSL):
    """imaplib's IMAPS connection reading through :class:`LineReader`."""

    def open(self, host: str = "", port: int | None = 993, timeout: float | None = None) -> None:
        super().open(host, port, timeout)
        self.file = LineReader(self.sock)  # type: ignore[assignment]


class ImapClient:
    """One logged-in IMAP session; use :meth:`connect`, then as a context manager."""

    def __init__(self, server: Server, conn: imaplib.IMAP4) -> None:
        self.server = server
        self._conn = conn
        self.capabilities: frozenset[str] = frozenset()
        self.selected: Folder | None = None

    # -- connecting -----------------------------------------------------------------------

    @classmethod
    def connect(cls, server: Server, password: str) -> ImapClient:
        """Connect and log in; :class:`ImapError` (server and user named) on any failure."""
        if server.security == "plain" and not is_loopback(server.host):
            raise ImapError(
                f"{server.describe()}: refusing to send a password without TLS to a host "
                "that is not this machine (use security tls or starttls)"
            )
        context: ssl.SSLContext | None = None
        if server.security != "plain":
            try:
                context = ssl.create_default_context(cafile=server.ca_file)
            except (OSError, ssl.SSLError) as exc:
                raise ImapError(f"{server.ca_file}: cannot read CA file: {exc}") from exc
        try:
            conn: imaplib.IMAP4
            if server.security == "tls":
                conn = _IMAP4_SSL(
                    server.host, server.port, ssl_context=context, timeout=server.timeout
                )
            else:
                conn = _IMAP4(server.host, server.port, timeout=server.timeout)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"{server.describe()}: cannot connect: {_reason(exc)}") from None
        client = cls(server, conn)
        try:
            client._start(password, context)
        except BaseException:
            client.close()
            raise
        return client

    def _start(self, password: str, context: ssl.SSLContext | None) -> None:
        conn, server = self._conn, self.server
        try:
            if server.security == "starttls":
                if "STARTTLS" not in conn.capabilities:
                    raise ImapError(f"{server.describe()}: the server does not offer STARTTLS")
                conn.starttls(context)
            if "LOGINDISABLED" in conn.capabilities:
                raise ImapError(f"{server.describe()}: the server does not allow LOGIN here")
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"{server.describe()}: cannot connect: {_reason(exc)}") from None
        try:
            if (server.user + password).isascii():
                conn.login(server.user, password)
            elif "AUTH=PLAIN" in conn.capabilities:  # LOGIN cannot carry UTF-8 (RFC 3501)
                secret = f"\0{server.user}\0{password}".encode()
                conn.authenticate("PLAIN", lambda challenge: secret)
            else:
                raise ImapError(
                    f"{server.describe()}: the user name or password is not ASCII and the "
                    "server does not offer AUTH=PLAIN"
                )
        except imaplib.IMAP4.error as exc:
            reason = _reason(exc).replace(password, "***") if password else _reason(exc)
            raise ImapError(f"{server.describe()}: login failed: {reason}") from None
        except OSError as exc:
            raise ImapError(f"{server.describe()}: connection lost: {_reason(exc)}") from None
        _, data = self._call(conn.capability)
        words = _text(data).upper().split()
        self.capabilities = frozenset(words) | frozenset(c.upper() for c in conn.capabilities)

    def close(self) -> None:
        """Log out (best effort) and close the socket."""
        conn = self._conn
        if conn.state in ("AUTH", "SELECTED"):
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                conn.logout()  # also closes the socket
                return
        with contextlib.suppress(OSError, imaplib.IMAP4.error, AttributeError):
            conn.shutdown()

    def __enter__(self) -> ImapClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- commands -------------------------------------------------------------------------

    def _call(self, method: Any, *args: Any) -> tuple[str, list[Any]]:
        """Run an imaplib method; a NO/BAD reply or a lost connection raises ImapError."""
        try:
            typ, data = method(*args)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"{self.server.describe()}: {_reason(exc)}") from None
        if typ != "OK":
            raise ImapError(f"{self.server.describe()}: {_text(data)}")
        return typ, list(data)

    @property
    def has_move(self) -> bool:
        return "MOVE" in self.capabilities

    @property
    def has_uidplus(self) -> bool:
        return "UIDPLUS" in self.capabilities

    @property
    def has_idle(self) -> bool:
        return "IDLE" in self.capabilities

    def idle(self, timeout: float, stop: threading.Event | None = None) -> bool:
        """Wait in IDLE (RFC 2177) on the selected folder; True when new mail arrived.

        Returns when the server reports a new message (``* n EXISTS``), after ``timeout``
        seconds (servers end IDLE after 30 minutes: call again well before), or soon after
        ``stop`` is set, always after ending IDLE with ``DONE`` and reading the tagged reply,
        so that the connection is ready for the next command. An EXISTS that arrived with an
        earlier command since :meth:`select` counts too. A lost connection or a BYE raises
        :class:`ImapError`."""
        conn = self._conn
        if conn.untagged_responses.pop("EXISTS", None):
            return True  # announced during the last poll's commands: no need to wait
        what = f"{self.server.describe()}: IDLE"
        tag: bytes = conn._new_tag()  # imaplib's own tag numbering
        arrived = False
        try:
            conn.send(tag + b" IDLE\r\n")
            while True:  # untagged data may come before the continuation
                line = self._idle_line()
                if line.startswith(b"+"):
                    break
                if line.startswith(tag + b" "):
                    raise IdleRefused(f"{what} refused: {_text(line[len(tag) + 1 :])}")
                arrived = arrived or bool(_EXISTS.match(line))
            deadline = time.monotonic() + timeout
            while not arrived and not (stop is not None and stop.is_set()):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                if self._readable(min(IDLE_TICK, left)):
                    arrived = bool(_EXISTS.match(self._idle_line()))
            conn.send(b"DONE\r\n")
            while True:
                line = self._idle_line()
                if line.startswith(tag + b" "):
                    status = line[len(tag) + 1 :]
                    if not status.upper().startswith(b"OK"):
                        raise ImapError(f"{what} failed: {_text(status)}")
                    return arrived
                arrived = arrived or bool(_EXISTS.match(line))
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(f"{what}: connection lost: {_reason(exc)}") from None
        finally:
            conn.tagged_commands.pop(tag, None)

    def _readable(self, wait: float) -> bool:
        file = self._conn.file
        if isinstance(file, LineReader) and file.pending():
            return True
        ready, _, _ = select.select([self._conn.sock], [], [], wait)
        return bool(ready)

    def _idle_line(self) -> bytes:
        """One response line while idling (literals included); a BYE raises ImapError."""
        line: bytes = self._conn._get_line()
        total = len(line)
        while (m := _LITERAL.search(line)) is not None and total < MAX_IDLE_LINE:
            size = int(m.group(1))
            literal = self._conn.read(size)
            more: bytes = self._conn._get_line()
            total += size + len(more)
            line = line[: m.start()] + b"{literal}" + more
            if len(literal) < size:
                break
        if line.upper().startswith(b"* BYE"):
            raise ImapError(f"{self.server.describe()}: the server closed the connection: "
                            f"{_text(line[5:])}")  # fmt: skip
        return line

    def select(self, name: str) -> Folder:
        """SELECT ``name`` read-write; its UIDVALIDITY, size and whether keywords stick."""
        conn = self._conn
        for code in ("UIDVALIDITY", "UIDNEXT", "PERMANENTFLAGS", "EXISTS"):
            conn.untagged_responses.pop(code, None)
        try:
            typ, data = conn.select(quote(encode_mailbox(name)))
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(
                f"{self.server.describe()}: cannot open folder {name!r}: {_reason(exc)}"
            ) from None
        if typ != "OK":
            raise ImapError(f"{self.server.describe()}: cannot open folder {name!r}: {_text(data)}")
        uidvalidity = _last_int(conn.untagged_responses.get("UIDVALIDITY"))
        if uidvalidity is None:
            raise ImapError(f"{self.server.describe()}: folder {name!r} has no UIDVALIDITY")
        flags_text = _text(conn.untagged_responses.get("PERMANENTFLAGS", [b""])[-1:])
        permanent = frozenset(flags_text.strip("()").split())
        folder = Folder(
            name=name,
            uidvalidity=uidvalidity,
            exists=_last_int(conn.untagged_responses.pop("EXISTS", None)) or 0,  # later: new
            uidnext=_last_int(conn.untagged_responses.get("UIDNEXT")),
            keywords_allowed=not permanent or "\\*" in permanent,
            permanent_flags=permanent,
        )
        self.selected = folder
        return folder

    def flags_after(self, last_uid: int) -> dict[int, frozenset[str]]:
        """Flags of the messages whose UID is above ``last_uid``, by UID (ascending)."""
        if self.selected is not None and self.selected.exists == 0:
            return {}
        _, data = self._call(self._conn.uid, "FETCH", f"{last_uid + 1}:*", "(UID FLAGS)")
        found: dict[int, frozenset[str]] = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if not isinstance(line, bytes):
                continue
            uid_m, flags_m = _FETCH_UID.search(line), _FETCH_FLAGS.search(line)
            if uid_m is None or flags_m is None:
                continue  # an unsolicited update of some other message
            uid = int(uid_m.group(1))
            if uid > last_uid:  # "N:*" also matches the highest UID when it is below N
                found[uid] = frozenset(flags_m.group(1).decode("utf-8", "replace").split())
        return dict(sorted(found.items()))

    def fetch(self, uid: int) -> bytes | None:
        """The whole message (``BODY.PEEK[]``: not marked as read); None if it is gone."""
        _, data = self._call(self._conn.uid, "FETCH", str(uid), "(UID BODY.PEEK[])")
        for item in data:
            if isinstance(item, tuple) and b"BODY[]" in item[0]:
                uid_m = _FETCH_UID.search(item[0])
                if uid_m is None or int(uid_m.group(1)) == uid:
                    return bytes(item[1])
        return None

    def add_flags(self, uid: int, flags: list[str]) -> None:
        self._call(self._conn.uid, "STORE", str(uid), "+FLAGS.SILENT", f"({' '.join(flags)})")

    def ensure_folder(self, name: str) -> bool:
        """Create (and subscribe to) folder ``name`` unless it exists; True if created."""
        encoded = quote(encode_mailbox(name))
        _, data = self._call(self._conn.list, '""', encoded)
        if any(isinstance(d, bytes | tuple) for d in data if d is not None):
            return False
        try:
            typ, reply = self._conn.create(encoded)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise ImapError(
                f"{self.server.describe()}: cannot create folder {name!r}: {_reason(exc)}"
            ) from None
        if typ != "OK" and "ALREADYEXISTS" not in _text(reply).upper():
            raise ImapError(
                f"{self.server.describe()}: cannot create folder {name!r}: {_text(reply)}"
            )
        with contextlib.suppress(imaplib.IMAP4.error):  # so that mail clients show it
            self._conn.subscribe(encoded)
        return typ == "OK"

    def move(self, uid: int, dest: str) -> None:
        """Move one message: UID MOVE, else UID COPY, \\Deleted and expunge that UID only."""
        encoded = quote(encode_mailbox(dest))
        if self.has_move:
            self._call(self._conn.uid, "MOVE", str(uid), encoded)
            return
        self.copy(uid, dest)
        self.delete(uid)

    def copy(self, uid: int, dest: str) -> None:
        self._call(self._conn.uid, "COPY", str(uid), quote(encode_mailbox(dest)))

    def delete(self, uid: int) -> None:
        """Mark ``uid`` \\Deleted and expunge it, and only it."""
        self._call(self._conn.uid, "STORE", str(uid), "+FLAGS.SILENT", "(\\Deleted)")
        if self.has_uidplus:
            self._call(self._conn.uid, "EXPUNGE", str(uid))
            return
        # RFC 4315 section 1: without UID EXPUNGE, hide other \Deleted messages meanwhile.
        _, data = self._call(self._conn.uid, "SEARCH", "DELETED")
        others = [u for u in _text(data).split() if u.isdigit() and int(u) != uid]
        if others:
            self._call(self._conn.uid, "STORE", ",".join(others), "-FLAGS.SILENT", "(\\Deleted)")
        try:
            self._call(self._conn.expunge)
        finally:
            if others:
                self._call(
                    self._conn.uid, "STORE", ",".join(others), "+FLAGS.SILENT", "(\\Deleted)"
                )

    def contains(self, folder: str, message_id: str, keyword: str) -> bool:
        """Whether ``folder`` holds a message with this Message-ID and ``keyword``.

        Re-selects the folder that was selected before."""
        if not message_id.isascii():
            return False
        back = self.selected
        try:
            self._call(self._conn.select, quote(encode_mailbox(folder)), True)
            _, data = self._call(
                self._conn.uid, "SEARCH", "KEYWORD", keyword, "HEADER", "Message-ID",
                quote(message_id),
            )  # fmt: skip
        finally:
            if back is not None:
                self.select(back.name)
        return bool(_text(data).split())


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"TLS certificate not trusted ({exc.verify_message}; for a private CA give its "
            "certificate with --ca-file or ca_file)"
        )
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {exc.reason or exc}"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host ({exc.strerror})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = _text(exc.args[0] if exc.args else exc) or type(exc).__name__
    return _STATUS_CODE.sub("", text) if text.startswith("[") and "]" in text else text


def _last_int(values: list[Any] | None) -> int | None:
    for value in reversed(values or []):
        text = _text(value)
        if text.isdigit():
            return int(text)
    return None
