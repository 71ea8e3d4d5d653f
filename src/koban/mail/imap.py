"""A small IMAP client for ``koban mail watch``, on :mod:`imaplib` from the standard library.

It does only what the watcher needs: connect (IMAPS, STARTTLS, or plain on loopback), log in,
select a folder (UIDVALIDITY, permanent flags), read flags and whole messages by UID without
setting ``\\Seen`` (``BODY.PEEK[]``), add keywords, create a folder, and move one message (``UID
MOVE`` when the server has MOVE, else ``UID COPY`` + ``\\Deleted`` + expunge of that UID only).

Errors become :class:`ImapError` naming the server and the user, never the password.
Folder names are sent in IMAP's modified UTF-7 (RFC 3501 5.1.3), so Japanese names work.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import ipaddress
import re
import socket
import ssl
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


class ImapError(KobanError):
    """The server could not be reached, refused the login, or refused a command."""


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
                conn = imaplib.IMAP4_SSL(
                    server.host, server.port, ssl_context=context, timeout=server.timeout
                )
            else:
                conn = imaplib.IMAP4(server.host, server.port, timeout=server.timeout)
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
            exists=_last_int(conn.untagged_responses.get("EXISTS")) or 0,
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
