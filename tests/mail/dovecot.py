"""A private Dovecot IMAP server for the test session (Debian package ``dovecot-imapd``).

``dovecot_server`` starts ``/usr/sbin/dovecot -F`` with its own configuration in a temporary
directory: listening on 127.0.0.1 only, on a free port, IMAP without TLS (``ssl = no``; plain
LOGIN is allowed because it is loopback), users in a ``passwd-file``, Maildir under the
temporary directory. imap-login refuses to run as root and rejects users with uid 0, so as root
the internal and login users are ``nobody`` and the mail users get uid/gid 65534; as another
user everything runs as that user. Tests add a fresh account each (:meth:`Dovecot.add_user`), so
they share the server but never a mailbox, and deliver mail with IMAP APPEND.

The directory lives directly under the system temp dir (not pytest's 0700 one): the processes
running as ``nobody`` must reach it, and Unix socket paths must stay short.
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOVECOT = Path("/usr/sbin/dovecot")
NOBODY = 65534
ACCOUNTS = 100
UNICODE_ACCOUNTS = 5


def _account(n: int) -> tuple[str, str]:
    """Account ``n``: ASCII passwords (for IMAP LOGIN) below ACCOUNTS, UTF-8 ones above."""
    return f"user{n}", (f"pass word {n} !#" if n <= ACCOUNTS else f"合言葉 {n} ключ")


_CONFIG = """\
# koban test instance: private, loopback only, no TLS.
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
listen = 127.0.0.1
protocols = imap
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
# tests log in with wrong passwords on purpose: no reply delay, and no per-IP penalty
# afterwards (mode 0 on anvil-auth-penalty, below, turns it off)
auth_failure_delay = 0
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {internal_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Dovecot:
    """A running test server: where it listens and how to add accounts and mail."""

    root: Path
    host: str
    port: int
    uid: int
    gid: int
    process: subprocess.Popen[bytes]
    _users: itertools.count[int]
    _unicode_users: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    tls_port: int = 0  # IMAPS (and STARTTLS on ``port``) when started with tls=True
    ca_file: Path | None = None  # the test CA that signed the server's certificate

    @property
    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def add_user(self, *, unicode_password: bool = False) -> tuple[str, str]:
        """An account of its own, with an empty mailbox: (user, password).

        Accounts are written before the server starts (a passwd-file changed while it runs is
        not always re-read at once): ``ACCOUNTS`` with ASCII passwords and
        ``UNICODE_ACCOUNTS`` with non-ASCII ones per session."""
        counter, first, limit = (
            (self._unicode_users, ACCOUNTS + 1, UNICODE_ACCOUNTS)
            if unicode_password
            else (self._users, 1, ACCOUNTS)
        )
        n = next(counter)
        if n > limit:
            raise RuntimeError("out of test accounts: raise dovecot.ACCOUNTS")
        return _account(first + n - 1)

    @contextlib.contextmanager
    def connect(self, user: str, password: str) -> Iterator[imaplib.IMAP4]:
        """A logged-in imaplib session (closed afterwards)."""
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            if password.isascii():
                conn.login(user, password)
            else:
                secret = f"\0{user}\0{password}".encode()
                conn.authenticate("PLAIN", lambda challenge: secret)
            yield conn
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                conn.logout()
            with contextlib.suppress(OSError, AttributeError):
                conn.shutdown()

    def append(
        self, user: str, password: str, raw: bytes, folder: str = "INBOX", flags: str = ""
    ) -> int:
        """Deliver ``raw`` with IMAP APPEND; returns its UID (APPENDUID)."""
        with self.connect(user, password) as conn:
            typ, data = conn.append(_q(folder), f"({flags})" if flags else None, None, raw)
            assert typ == "OK", data
            text = data[0].decode() if isinstance(data[0], bytes) else str(data[0])
            return int(text.split("APPENDUID", 1)[1].split()[1].rstrip("]"))

    def messages(self, user: str, password: str, folder: str = "INBOX") -> dict[int, Message]:
        """UID → (flags, Subject) of every message in ``folder`` ({} if it does not exist)."""
        with self.connect(user, password) as conn:
            typ, _ = conn.select(_q(folder), readonly=True)
            if typ != "OK":
                return {}
            typ, data = conn.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            assert typ == "OK", data
            out: dict[int, Message] = {}
            for item in data:
                if not isinstance(item, tuple):
                    continue
                head = item[0].decode()
                uid = int(head.split("UID ", 1)[1].split()[0])
                flags = frozenset(head.split("FLAGS (", 1)[1].split(")", 1)[0].split())
                subject = item[1].decode(errors="replace").partition(":")[2].strip()
                out[uid] = Message(uid, flags, subject)
            return out

    def uidvalidity(self, user: str, password: str, folder: str = "INBOX") -> int:
        with self.connect(user, password) as conn:
            typ, data = conn.status(_q(folder), "(UIDVALIDITY)")
            assert typ == "OK", data
            return int(data[0].decode().split("UIDVALIDITY ", 1)[1].rstrip(")"))

    def kick(self, user: str) -> None:
        """Disconnect every IMAP session of ``user`` from the server side (``doveadm kick``:
        the client gets ``* BYE Server shutting down.`` and the connection closes)."""
        got = subprocess.run(
            ["doveadm", "-c", str(self.root / "dovecot.conf"), "kick", user],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert got.returncode in (0, 68), got.stderr  # 68: nobody was connected

    def recreate_folder(self, user: str, password: str, folder: str) -> None:
        """Delete ``folder`` and create it again (a new UIDVALIDITY)."""
        with self.connect(user, password) as conn:
            assert conn.delete(_q(folder))[0] == "OK"
            assert conn.create(_q(folder))[0] == "OK"


@dataclass(frozen=True)
class Message:
    uid: int
    flags: frozenset[str]
    subject: str


def _q(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wait_for_port(host: str, port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (root / "dovecot.log").read_text(errors="replace") if root.exists() else ""
            raise RuntimeError(f"dovecot exited with {process.returncode}:\n{log}")
        try:
            with socket.create_connection((host, port), timeout=1) as s:
                s.settimeout(5)
                if s.recv(200).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not accept connections on {host}:{port} within 20 s")


def _make_certificates(root: Path) -> Path:
    """A test CA and a server certificate for 127.0.0.1 signed by it; returns the CA file."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is absent: cannot make a test certificate for the TLS tests")
    ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    (root / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "extendedKeyUsage=serverAuth\n"
    )
    for command in (
        f"req -x509 {ec} -keyout ca.key -out ca.pem -days 2 -subj /CN=koban-test-CA "
        "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
        f"req {ec} -keyout key.pem -out server.csr -subj /CN=127.0.0.1",
        "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cert.pem "
        "-days 2 -extfile server.ext",
    ):
        subprocess.run([openssl, *command.split()], cwd=root, check=True, capture_output=True)
    return root / "ca.pem"


@contextlib.contextmanager
def running_dovecot(*, tls: bool = False) -> Iterator[Dovecot]:
    """Start a private Dovecot; stop it and remove its files afterwards.

    Without ``tls``: plain IMAP only (``ssl = no``). With it: also IMAPS on ``tls_port`` and
    STARTTLS on ``port``, with a certificate from a test CA (``ca_file``)."""
    if not DOVECOT.exists():
        pytest.skip(
            f"{DOVECOT} is absent: install the Debian package dovecot-imapd "
            "(scripts/system-deps) to run the IMAP tests"
        )
    root = Path(tempfile.mkdtemp(prefix="koban-dovecot-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        root.chmod(0o755)
        # imap-login refuses root and uid 0: as root, run everything as nobody.
        uid, gid = (NOBODY, NOBODY) if os.geteuid() == 0 else (os.getuid(), os.getgid())
        internal_user = pwd.getpwuid(uid).pw_name
        internal_group = grp.getgrgid(gid).gr_name
        (root / "mail").mkdir()
        (root / "state").mkdir()
        (root / "users").write_text(
            "".join(
                f"{user}:{{PLAIN}}{password}:{uid}:{gid}::{root}/mail/{user}::\n"
                for user, password in map(_account, range(1, ACCOUNTS + UNICODE_ACCOUNTS + 1))
            )
        )
        if os.geteuid() == 0:
            os.chown(root / "mail", uid, gid)
        port = free_port()
        ca_file = _make_certificates(root) if tls else None
        tls_port = free_port() if tls else 0
        ssl = (
            f"ssl = yes\nssl_cert = <{root}/cert.pem\nssl_key = <{root}/key.pem"
            if tls
            else "ssl = no"
        )
        conf = root / "dovecot.conf"
        conf.write_text(
            _CONFIG.format(
                root=root,
                port=port,
                tls_port=tls_port,
                ssl=ssl,
                uid=uid,
                gid=gid,
                internal_user=internal_user,
                internal_group=internal_group,
            )
        )
        process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(conf)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port("127.0.0.1", port, process, root)
        yield Dovecot(
            root,
            "127.0.0.1",
            port,
            uid,
            gid,
            process,
            itertools.count(1),
            tls_port=tls_port,
            ca_file=ca_file,
        )
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[Dovecot]:
    """The session's private Dovecot (skips when dovecot-imapd is not installed)."""
    with running_dovecot() as server:
        yield server


@pytest.fixture(scope="session")
def dovecot_tls_server() -> Iterator[Dovecot]:
    """A second private Dovecot with IMAPS and STARTTLS (certificate from a test CA)."""
    with running_dovecot(tls=True) as server:
        yield server
