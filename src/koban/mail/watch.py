"""``koban mail watch``: analyse what arrives in an IMAP folder, tag or quarantine what is flagged.

Each new message (by UID) is fetched with ``BODY.PEEK[]`` (it stays unread), analysed with
:func:`koban.mail.scan_message`, reported, and acted on: every processed message gets the keyword
``$KobanChecked``; a message whose verdict reaches the threshold also gets ``$KobanSuspicious`` or
``$KobanMalicious`` and, in move mode, is moved to the quarantine folder (created if missing).

What was processed is kept in the ``KOBAN_HOME`` store, per (server, user, folder):
``mail_watch_folder`` holds UIDVALIDITY and the last UID done, ``mail_watch_message`` one row per
message (verdict, score, rules, action). The order for each message is: analyse → report →
journal (row ``acting``) → act on the server → record (row ``done`` and the last UID, in one
transaction). So a run that dies at any point loses nothing and repeats no action:

- before the journal: the next run does it all again (the report may be printed twice);
- after the journal: the next run finds the row and finishes the action. Adding keywords is
  idempotent; ``UID MOVE`` is atomic (the message is in one folder or the other); after a
  ``COPY`` the original is marked ``\\Deleted`` at once, and a copy found in quarantine (same
  Message-ID, ``$KobanChecked``) is not made again;
- a message that already has ``$KobanChecked`` but no journal row (acted on by a run that lost
  its store, released from quarantine by a person, handled by another watcher) is reported and
  recorded, never acted on again.

A new UIDVALIDITY means the folder was recreated or rebuilt: UIDs are no longer comparable, so
the folder is processed from the start (messages already ``$KobanChecked`` are left alone).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import signal
import sqlite3
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Literal
from urllib.parse import quote as urlquote

import click
from pydantic import ValidationError

from koban.clikit import EXIT_OK, Context, emit, exit_with, fails, guard, open_store
from koban.errors import KobanError
from koban.mail.imap import (
    DEFAULT_PORTS,
    Folder,
    IdleRefused,
    ImapClient,
    ImapError,
    Security,
    Server,
)
from koban.model import Report, Verdict
from koban.profile import ImapSettings, Profile

__all__ = [
    "CHECKED",
    "DEFAULT_PASSWORD_ENV",
    "VERDICT_KEYWORDS",
    "Outcome",
    "WatchOptions",
    "WatchState",
    "Watcher",
    "read_password",
    "resolve_settings",
    "retry_delay",
    "run_command",
    "server_for",
    "stop_on_signals",
    "watch",
]

CHECKED = "$KobanChecked"
VERDICT_KEYWORDS = {Verdict.SUSPICIOUS: "$KobanSuspicious", Verdict.MALICIOUS: "$KobanMalicious"}
DEFAULT_PASSWORD_ENV = "KOBAN_IMAP_PASSWORD"  # noqa: S105 (a variable name)

Action = Literal["tag", "move"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mail_watch_folder(
  server TEXT NOT NULL, user TEXT NOT NULL, folder TEXT NOT NULL,
  uidvalidity INTEGER NOT NULL, last_uid INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL,
  PRIMARY KEY(server, user, folder));
CREATE TABLE IF NOT EXISTS mail_watch_message(
  server TEXT NOT NULL, user TEXT NOT NULL, folder TEXT NOT NULL,
  uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,
  state TEXT NOT NULL,             -- acting (journal, action under way) | done
  action TEXT NOT NULL,            -- see Outcome.action
  verdict TEXT, score INTEGER, rules TEXT, message_id TEXT, sha256 TEXT, error TEXT,
  processed_at TEXT NOT NULL,
  PRIMARY KEY(server, user, folder, uidvalidity, uid));
"""

_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(?:\r?\n[ \t]+)?(<[^<>\s]+>)", re.I | re.M)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class WatchOptions:
    """What to watch and what to do with flagged mail."""

    folder: str = "INBOX"
    action: Action = "tag"
    quarantine_folder: str = "Quarantine"
    quarantine_at: Verdict = Verdict.SUSPICIOUS


@dataclass
class Outcome:
    """What happened to one message.

    ``action``: ``checked`` (below the threshold, $KobanChecked added), ``tagged`` (verdict
    keyword added), ``moved`` (to quarantine), ``already-checked`` (had $KobanChecked: left
    alone), ``error`` (could not be analysed: left untouched), ``vanished`` (gone before it
    could be read)."""

    uid: int
    target: str
    action: str
    report: Report | None = None
    message_id: str | None = None
    sha256: str | None = None
    error: str | None = None
    journal: Journal | None = None  # what an earlier, interrupted run knew (no report then)

    @property
    def verdict(self) -> Verdict | None:
        if self.report is not None:
            return self.report.verdict
        if self.journal is not None and self.journal.verdict is not None:
            return Verdict(self.journal.verdict)
        return None


@dataclass(frozen=True)
class Journal:
    """A message whose action was started (row ``acting``) but not recorded as done."""

    uid: int
    action: str
    verdict: str | None
    score: int | None
    rules: str | None
    message_id: str | None
    sha256: str | None


class WatchState:
    """The watcher's memory for one (server, user, folder), in its own tables of the store DB."""

    def __init__(self, db: sqlite3.Connection, server: str, user: str, folder: str) -> None:
        self.db = db
        self.key = (server, user, folder)
        db.executescript(_SCHEMA)

    def start(self, uidvalidity: int) -> tuple[int, int | None]:
        """(last UID done, previous UIDVALIDITY if it changed); starts over on a change."""
        row = self.db.execute(
            "SELECT uidvalidity, last_uid FROM mail_watch_folder "
            "WHERE server=? AND user=? AND folder=?",
            self.key,
        ).fetchone()
        if row is not None and int(row[0]) == uidvalidity:
            return int(row[1]), None
        self.db.execute(
            "INSERT INTO mail_watch_folder(server, user, folder, uidvalidity, last_uid, "
            "updated_at) VALUES(?, ?, ?, ?, 0, ?) ON CONFLICT(server, user, folder) DO UPDATE "
            "SET uidvalidity=excluded.uidvalidity, last_uid=0, updated_at=excluded.updated_at",
            (*self.key, uidvalidity, _now()),
        )
        return 0, (int(row[0]) if row is not None else None)

    def journal(self, uidvalidity: int) -> dict[int, Journal]:
        """Messages whose action was started but not recorded as done, by UID."""
        rows = self.db.execute(
            "SELECT uid, action, verdict, score, rules, message_id, sha256 "
            "FROM mail_watch_message WHERE server=? AND user=? AND folder=? AND uidvalidity=? "
            "AND state='acting' ORDER BY uid",
            (*self.key, uidvalidity),
        ).fetchall()
        return {int(row[0]): Journal(*row) for row in rows}

    def begin(self, uidvalidity: int, outcome: Outcome) -> None:
        """Write the journal row before acting on the server."""
        self._write(uidvalidity, outcome, "acting")

    def record(self, uidvalidity: int, outcome: Outcome) -> None:
        """Record ``outcome`` as done and advance the last UID (one transaction)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self._write(uidvalidity, outcome, "done")
            self.db.execute(
                "UPDATE mail_watch_folder SET last_uid=max(last_uid, ?), updated_at=? "
                "WHERE server=? AND user=? AND folder=? AND uidvalidity=?",
                (outcome.uid, _now(), *self.key, uidvalidity),
            )
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _write(self, uidvalidity: int, o: Outcome, state: str) -> None:
        report, journal = o.report, o.journal
        verdict, score, rules = None, None, None
        if report is not None:
            verdict, score = report.verdict.value, report.score
            rules = json.dumps(sorted({f.rule for r in report.walk() for f in r.findings}))
        elif journal is not None:
            verdict, score, rules = journal.verdict, journal.score, journal.rules
        self.db.execute(
            "INSERT OR REPLACE INTO mail_watch_message(server, user, folder, uidvalidity, uid, "
            "state, action, verdict, score, rules, message_id, sha256, error, processed_at) "
            "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                *self.key,
                uidvalidity,
                o.uid,
                state,
                o.action,
                verdict,
                score,
                rules,
                o.message_id,
                o.sha256,
                o.error,
                _now(),
            ),
        )

    def results(self) -> list[dict[str, object]]:
        """Every message row of this folder, oldest first (for people and tests)."""
        cur = self.db.execute(
            "SELECT uidvalidity, uid, state, action, verdict, score, rules, message_id, error "
            "FROM mail_watch_message WHERE server=? AND user=? AND folder=? "
            "ORDER BY processed_at, uidvalidity, uid",
            self.key,
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


Analyse = Callable[[bytes, str], Report]


class Watcher:
    """Processes the new messages of one folder; one :meth:`poll` per connection round."""

    def __init__(
        self,
        analyse: Analyse,
        state: WatchState,
        options: WatchOptions,
        *,
        on_report: Callable[[Report], None] = lambda report: None,
        note: Callable[[str], None] = lambda message: None,
        on_error: Callable[[str], None] = lambda message: None,
        stop: threading.Event | None = None,
    ) -> None:
        self.analyse = analyse
        self.state = state
        self.options = options
        self.on_report = on_report
        self.note = note
        self.on_error = on_error
        self.stop = stop or threading.Event()
        self._quarantine_ready = False

    def poll(self, client: ImapClient) -> list[Outcome]:
        """Select the folder and process every message not done yet, oldest first."""
        opts = self.options
        folder = client.select(opts.folder)
        last_uid, previous = self.state.start(folder.uidvalidity)
        where = f"{client.server.user}@{client.server.address} folder {opts.folder!r}"
        if previous is not None:
            self.note(
                f"{where}: UIDVALIDITY changed from {previous} to {folder.uidvalidity} (the "
                "folder was recreated or rebuilt): processing it again from the start"
            )
        if not folder.keywords_allowed:
            if opts.action == "tag":
                raise ImapError(
                    f"{client.server.describe()}: folder {opts.folder!r} does not keep "
                    "keywords, so messages cannot be tagged (use --action move)"
                )
            self.note(f"{where}: the server does not keep keywords here; nothing is tagged")
        journal = self.state.journal(folder.uidvalidity)
        listed = client.flags_after(last_uid)
        outcomes: list[Outcome] = []
        for uid in sorted(set(listed) | set(journal)):
            if self.stop.is_set():
                break
            if uid in listed:
                outcomes.append(self._process(client, folder, uid, listed[uid], journal.get(uid)))
            else:  # acted on by a run that stopped before recording it, and gone since
                outcomes.append(self._gone(client.server, folder, uid, journal[uid]))
        return outcomes

    def target(self, server: Server, folder: Folder, uid: int) -> str:
        """The message as an IMAP URL (RFC 5092)."""
        user = urlquote(server.user, safe="")
        return (
            f"imap://{user}@{server.address}/{urlquote(folder.name, safe='')}"
            f";UIDVALIDITY={folder.uidvalidity}/;UID={uid}"
        )

    def _gone(self, server: Server, folder: Folder, uid: int, journal: Journal | None) -> Outcome:
        """Record a message that is no longer in the folder (moved by an interrupted run whose
        journal says so, or expunged by someone between listing and reading)."""
        target = self.target(server, folder, uid)
        moved = journal is not None and journal.action == "moved"
        outcome = Outcome(uid, target, "moved" if moved else "vanished", journal=journal)
        if journal is not None:
            outcome.message_id, outcome.sha256 = journal.message_id, journal.sha256
        if moved:
            self.note(f"{target}: moved by a run that stopped before recording it; recorded now")
        self.state.record(folder.uidvalidity, outcome)
        return outcome

    def _process(
        self,
        client: ImapClient,
        folder: Folder,
        uid: int,
        flags: frozenset[str],
        journal: Journal | None,
    ) -> Outcome:
        validity = folder.uidvalidity
        target = self.target(client.server, folder, uid)
        raw = client.fetch(uid)
        if raw is None:
            return self._gone(client.server, folder, uid, journal)
        outcome = Outcome(uid, target, "error", message_id=_message_id(raw))
        outcome.sha256 = hashlib.sha256(raw).hexdigest()
        try:
            report = self.analyse(raw, target)
        except Exception as exc:  # an analyser bug must not stop the watch
            outcome.error = f"{type(exc).__name__}: {exc}"
            self.on_error(f"{target}: could not be analysed ({outcome.error}); left untouched")
            self.state.record(validity, outcome)
            return outcome
        outcome.report = report
        self.on_report(report)
        lowered = {f.lower() for f in flags}
        if CHECKED.lower() in lowered and journal is None:
            outcome.action = "already-checked"
            self.state.record(validity, outcome)
            return outcome
        flagged = report.verdict.rank >= self.options.quarantine_at.rank
        move = flagged and self.options.action == "move"
        outcome.action = "moved" if move else "tagged" if flagged else "checked"
        self.state.begin(validity, outcome)
        if folder.keywords_allowed:
            wanted = [CHECKED] + ([VERDICT_KEYWORDS[report.verdict]] if flagged else [])
            missing = [k for k in wanted if k.lower() not in lowered]
            if missing:
                client.add_flags(uid, missing)
        if move:
            self._quarantine(client, uid, outcome, recovering=journal is not None, flags=lowered)
        if flagged:
            done = f"moved to {self.options.quarantine_folder!r}" if move else "tagged"
            self.note(f"{target}: {report.verdict.value}, {done}")
        self.state.record(validity, outcome)
        return outcome

    def _quarantine(
        self, client: ImapClient, uid: int, outcome: Outcome, *, recovering: bool, flags: set[str]
    ) -> None:
        dest = self.options.quarantine_folder
        if not self._quarantine_ready:
            if client.ensure_folder(dest):
                self.note(f"created folder {dest!r} on {client.server.address}")
            self._quarantine_ready = True
        if client.has_move:
            client.move(uid, dest)
            return
        # COPY + \Deleted + expunge: after a stop between COPY and \Deleted, do not copy twice.
        copied = recovering and (
            "\\deleted" in flags
            or (
                outcome.message_id is not None
                and client.contains(dest, outcome.message_id, CHECKED)
            )
        )
        if not copied:
            client.copy(uid, dest)
        client.delete(uid)

    def reset_connection(self) -> None:
        """Forget per-connection knowledge (after reconnecting)."""
        self._quarantine_ready = False


def _message_id(raw: bytes) -> str | None:
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    head = raw if end < 0 else raw[:end]
    m = _MESSAGE_ID.search(head)
    return m.group(1).decode("ascii", "replace") if m else None


# -- password, signals, locking -----------------------------------------------------------------


def read_password(env_name: str | None, file: str | None) -> str:
    """The password from the file ``file`` or the environment variable ``env_name``."""
    if file:
        path = Path(file).expanduser()
        try:
            text = path.read_text(encoding="utf-8")
            mode = path.stat().st_mode
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise KobanError(f"{file}: cannot read the IMAP password file ({reason})") from None
        password = text.rstrip("\r\n")
        if not password:
            raise KobanError(f"{file}: the IMAP password file is empty")
        if mode & (stat.S_IRGRP | stat.S_IROTH) and sys.platform != "win32":
            print(f"koban: warning: {file}: readable by other users (chmod 600)", file=sys.stderr)
        return password
    name = env_name or DEFAULT_PASSWORD_ENV
    password = os.environ.get(name, "")
    if not password:
        raise KobanError(
            f"no IMAP password: set the environment variable {name} "
            "(or give password_env / password_file in [mail.imap], or --password-file)"
        )
    return password


@contextmanager
def stop_on_signals(stop: threading.Event, note: Callable[[str], None]) -> Iterator[None]:
    """SIGINT/SIGTERM set ``stop`` (finish the current message, then exit); a second one
    interrupts at once. Only in the main thread (elsewhere signals cannot be handled)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        note(f"{signal.Signals(signum).name}: stopping after the current message")

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _lock(directory: Path, key: tuple[str, str, str]) -> AbstractContextManager[object]:
    """Hold an exclusive lock for ``key`` (two watchers on one folder would act twice)."""
    if sys.platform == "win32":  # pragma: no cover
        return nullcontext()
    import fcntl

    name = hashlib.sha256("\0".join(key).encode()).hexdigest()[:16]
    path = directory / f"mail-watch-{name}.lock"

    @contextmanager
    def held() -> Iterator[object]:
        with path.open("a") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise KobanError(
                    f"another koban mail watch is already processing {key[1]}@{key[0]} "
                    f"folder {key[2]!r} (lock {path})"
                ) from None
            yield fh

    return held()


# -- the run ------------------------------------------------------------------------------------


def server_for(
    host: str, port: int | None, security: Security, user: str, ca_file: str | None
) -> Server:
    return Server(
        host=host,
        port=port or DEFAULT_PORTS[security],
        security=security,
        user=user,
        ca_file=ca_file,
    )


IDLE_RENEW = 600.0  # seconds in IDLE before it is ended and begun again (servers cut at ~30 min)
RETRY_FIRST = 5.0  # seconds before the first reconnection (at most --interval)
RETRY_MAX = 300.0  # seconds between reconnections at most (or --interval when longer)


def retry_delay(interval: float, failures: int) -> float:
    """Seconds to wait before reconnecting after ``failures`` failed rounds in a row:
    doubling from min(interval, RETRY_FIRST) up to max(interval, RETRY_MAX)."""
    first = min(interval, RETRY_FIRST)
    return float(min(max(interval, RETRY_MAX), first * 2 ** min(failures - 1, 30)))


def watch(
    server: Server,
    password: str,
    options: WatchOptions,
    *,
    analyse: Analyse,
    db: sqlite3.Connection,
    lock_dir: Path,
    once: bool,
    interval: float,
    on_report: Callable[[Report], None],
    note: Callable[[str], None],
    on_error: Callable[[str], None],
    stop: threading.Event | None = None,
    state: WatchState | None = None,
    idle: bool = True,
    idle_renew: float = IDLE_RENEW,
) -> list[Outcome]:
    """Watch one folder until ``stop`` is set (or once). Returns what was processed.

    Between rounds the watcher waits in IMAP IDLE when ``idle`` is on and the server offers
    it (a new message starts the next round at once; IDLE is renewed every ``idle_renew``
    seconds with a round in between), else it polls every ``interval`` seconds.

    Errors before the first poll went through (connection, login, folder) raise
    :class:`ImapError`; later ones (the server restarted, the network dropped) are reported
    with ``on_error`` and retried on a new connection after :func:`retry_delay`. Every round
    starts from the stored last UID and journal, so a drop loses and repeats nothing."""
    stop = stop or threading.Event()
    key = (server.address.lower(), server.user, options.folder)
    state = state or WatchState(db, *key)
    watcher = Watcher(
        analyse, state, options, on_report=on_report, note=note, on_error=on_error, stop=stop
    )
    done: list[Outcome] = []
    client: ImapClient | None = None
    worked = False  # until one poll went through, errors are the setup's: give up
    failures = 0  # failed rounds in a row
    said_polling = False
    with _lock(lock_dir, key), stop_on_signals(stop, note):
        try:
            while not stop.is_set():
                try:
                    if client is None:
                        client = ImapClient.connect(server, password)
                        watcher.reset_connection()
                    done.extend(watcher.poll(client))
                    worked, failures = True, 0
                    if once or stop.is_set():
                        break
                    if idle and client.has_idle:
                        client.idle(idle_renew, stop)
                        continue
                    if idle and not said_polling:
                        note(
                            f"{server.describe()}: the server does not offer IDLE; "
                            f"polling every {interval:g} s"
                        )
                        said_polling = True
                except IdleRefused as exc:
                    idle = False
                    note(f"{exc}; polling every {interval:g} s instead")
                    continue
                except ImapError as exc:
                    if once or not worked:
                        raise
                    failures += 1
                    delay = retry_delay(interval, failures)
                    on_error(f"{exc}; retrying in {delay:g} s")
                    if client is not None:
                        client.close()
                        client = None
                    stop.wait(delay)
                    continue
                stop.wait(interval)
        finally:
            if client is not None:
                client.close()
    return done


# -- the command ----------------------------------------------------------------------------------

_OVERRIDES = (
    "host",
    "port",
    "security",
    "user",
    "password_env",
    "password_file",
    "ca_file",
    "folder",
    "action",
    "quarantine_folder",
    "quarantine_at",
    "interval",
    "idle",
)


def resolve_settings(profile: Profile, overrides: dict[str, object]) -> ImapSettings:
    """``[mail.imap]`` of the profile with the command's options on top, checked."""
    base: dict[str, object] = (
        profile.mail.imap.model_dump(exclude_unset=True) if profile.mail.imap else {}
    )
    if profile.path is not None:  # the profile's relative paths are from its folder
        for key in ("password_file", "ca_file"):
            value = base.get(key)
            if isinstance(value, str) and not Path(value).expanduser().is_absolute():
                base[key] = str(Path(profile.path).parent / value)
    given = {k: v for k, v in overrides.items() if v is not None}
    if "password_env" in given or "password_file" in given:  # an option replaces the profile's
        base.pop("password_env", None)
        base.pop("password_file", None)
    base.update(given)
    source = profile.path or "options"
    try:
        settings = ImapSettings.model_validate(base)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = ".".join(str(p) for p in err["loc"])
        problem = str(err["msg"]).removeprefix("Value error, ")
        raise KobanError(f"{source}: mail.imap{'.' + name if name else ''}: {problem}") from None
    missing = [k for k in ("host", "user") if getattr(settings, k) is None]
    if missing:
        options = " and ".join(f"--{k}" for k in missing)
        raise KobanError(
            f"no IMAP {' or '.join(missing)}: give {options} or set them in [mail.imap] of the "
            f"profile ({profile.path or 'no profile loaded'})"
        )
    return settings


def run_command(ctx: Context, *, once: bool, fmt: str, fail_on: str, **overrides: object) -> None:
    """Everything ``koban mail watch`` does after parsing its options; exits."""
    unknown = set(overrides) - set(_OVERRIDES)
    if unknown:
        raise TypeError(f"unknown options {sorted(unknown)}")
    profile: Profile | None = guard(ctx, lambda: ctx.profile)
    if profile is None:
        exit_with(ctx, False)
        return
    loaded = profile
    settings: ImapSettings | None = guard(ctx, lambda: resolve_settings(loaded, overrides))
    if settings is None:
        exit_with(ctx, False)
        return
    if not profile.loaded:
        ctx.warn(
            "no profile: executive, own-domain and role checks are off "
            "(see --profile and koban.toml)"
        )
    assert settings.host is not None and settings.user is not None
    password = guard(ctx, lambda: read_password(settings.password_env, settings.password_file))
    if password is None:
        exit_with(ctx, False)
        return
    server = server_for(
        settings.host, settings.port, settings.security, settings.user, settings.ca_file
    )
    options = WatchOptions(
        folder=settings.folder,
        action=settings.action,
        quarantine_folder=settings.quarantine_folder,
        quarantine_at=Verdict(settings.quarantine_at),
    )
    from koban.mail import MailContext, scan_message

    failed = False

    def report(r: Report) -> None:
        nonlocal failed
        failed = failed or fails(r, fail_on)
        emit([r], fmt)

    def note(message: str) -> None:
        click.echo(f"koban: {message}", err=True)

    with open_store() as store:
        mail_ctx = MailContext.build(profile, store)
        try:
            watch(
                server,
                password,
                options,
                analyse=lambda raw, target: scan_message(raw, target, mail_ctx),
                db=store.connection,
                lock_dir=store.path.parent,
                once=once,
                interval=settings.interval,
                idle=settings.idle,
                on_report=report,
                note=note,
                on_error=ctx.error,
            )
        except KobanError as exc:
            ctx.error(str(exc))
            exit_with(ctx, False)
            return
    if not once:  # a watch stopped on request: its findings went out as they came
        sys.exit(EXIT_OK)
    exit_with(ctx, failed)
