"""``koban mail watch`` against a real Dovecot (tests/mail/dovecot.py), end to end.

Each test gets its own IMAP account and KOBAN_HOME, delivers its messages with IMAP APPEND,
and runs the watcher either through the CLI (click's CliRunner on ``koban.cli.cli``) or through
``koban.mail.watch.watch`` when it needs to inject a crash.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from dovecot import Dovecot, dovecot_server, dovecot_tls_server

from koban.cli import cli
from koban.intel.store import IntelStore
from koban.mail import MailContext, scan_message
from koban.mail.imap import ImapClient, ImapError, LineReader, Server, encode_mailbox
from koban.mail.watch import (
    CHECKED,
    Outcome,
    WatchOptions,
    WatchState,
    retry_delay,
    server_for,
    watch,
)
from koban.model import Report, Verdict
from koban.profile import parse_profile

__all__ = ["dovecot_server", "dovecot_tls_server"]  # session fixtures, used by name

PASSWORD_ENV = "KOBAN_TEST_IMAP_PASSWORD"
FLAGGED = {"$KobanSuspicious", "$KobanMalicious"}

PROFILE_ORG = """\
[org]
name = "Hoshi Exchange K.K."
domains = ["hoshi-exchange.jp"]

[[org.executives]]
name = "Taro Yamada"
aliases = ["山田 太郎", "Yamada Taro"]
emails = ["t.yamada@hoshi-exchange.jp"]
title = "CEO"

[trust]
domains = ["sakura-bank.co.jp"]
authserv_ids = ["mx.hoshi-exchange.jp"]
"""

RECRUITER_PHISH = b"""\
From: "Emily Carter | LinkedIn Talent" <emily.carter@linkedln-careers.com>
To: "Hanako Suzuki" <h.suzuki@hoshi-exchange.jp>
Subject: Senior Blockchain Engineer offer - skills test (urgent)
Date: Mon, 17 Nov 2025 09:12:00 +0000
Message-ID: <offer-7731@linkedln-careers.com>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><body><p>Hi Hanako,</p>
<p>I am a recruiter at LinkedIn. Our client, a top crypto exchange, wants to offer you a
Senior Blockchain Engineer role at $350k. As the next step please download the skills test,
run this project locally and send us the result within 24 hours. Please keep this
confidential.</p>
<p><a href="https://linkedln-careers.com/assessment/SkillsTest-Hoshi.zip">
https://www.linkedin.com/jobs/view/skills-test</a></p>
<p>Emily Carter<br>Talent Partner</p></body></html>
"""

EXEC_IMPERSONATION = """\
From: =?UTF-8?B?5bGx55SwIOWkqumDjg==?= <yamada.taro.ceo@gmail.com>
To: h.suzuki@hoshi-exchange.jp
Subject: =?UTF-8?B?6Iez5oCl44O75YaF5a+G44Gr44GK6aGY44GE44GX44G+44GZ?=
Date: Mon, 17 Nov 2025 10:02:00 +0900
Message-ID: <CAexec123@mail.gmail.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

鈴木さん

これから会議に入るため電話に出られません。至急、本日中に以下の口座へ送金をお願いします。
この件は内密にお願いします。他言無用です。

山田 太郎
""".encode()

ORDINARY_INTERNAL = b"""\
Authentication-Results: mx.hoshi-exchange.jp; spf=pass smtp.mailfrom=hoshi-exchange.jp;
 dkim=pass header.d=hoshi-exchange.jp; dmarc=pass header.from=hoshi-exchange.jp
From: "Hanako Suzuki" <h.suzuki@hoshi-exchange.jp>
To: "Dev team" <dev@hoshi-exchange.jp>
Subject: Lunch meeting moved to 13:00
Date: Mon, 17 Nov 2025 11:30:00 +0900
Message-ID: <20251117113000.abc@hoshi-exchange.jp>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hi all,

Tomorrow's lunch meeting is moved to 13:00, same room (4B). The agenda is unchanged.

Thanks,
Hanako
"""


def ordinary(n: int) -> bytes:
    """Another harmless internal message (distinct Message-ID and subject)."""
    return ORDINARY_INTERNAL.replace(b"13:00", f"13:{n:02d}".encode()).replace(
        b"abc@", f"n{n}@".encode()
    )


# -- fixtures and helpers ---------------------------------------------------------------------


@dataclass
class Account:
    server: Dovecot
    user: str
    password: str
    home: Path
    profile_path: Path

    def append(self, raw: bytes, folder: str = "INBOX", flags: str = "") -> int:
        return self.server.append(self.user, self.password, raw, folder, flags)

    def messages(self, folder: str = "INBOX") -> dict[int, Any]:
        return self.server.messages(self.user, self.password, encode_mailbox(folder))

    def subjects(self, folder: str = "INBOX") -> list[str]:
        return [m.subject for m in self.messages(folder).values()]

    def env(self, password: str | None = None) -> dict[str, str]:
        return {"KOBAN_HOME": str(self.home), PASSWORD_ENV: password or self.password}


@pytest.fixture
def account(dovecot_server: Dovecot, tmp_path: Path) -> Account:
    user, password = dovecot_server.add_user()
    home = tmp_path / "koban-home"
    profile = tmp_path / "koban.toml"
    profile.write_text(
        PROFILE_ORG
        + f"""
[mail.imap]
host = "{dovecot_server.host}"
port = {dovecot_server.port}
security = "plain"          # loopback test server
user = "{user}"
password_env = "{PASSWORD_ENV}"
""",
        encoding="utf-8",
    )
    return Account(dovecot_server, user, password, home, profile)


@dataclass
class CliRun:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def reports(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def koban(acct: Account, *args: str, password: str | None = None) -> CliRun:
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["--profile", str(acct.profile_path), "mail", "watch", *args],
        env=acct.env(password),
        catch_exceptions=False,
    )
    return CliRun(result.exit_code, result.stdout, result.stderr)


@dataclass
class Run:
    outcomes: list[Outcome] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def run_watch(
    acct: Account,
    *,
    action: str = "tag",
    folder: str = "INBOX",
    quarantine: str = "Quarantine",
    quarantine_at: Verdict = Verdict.SUSPICIOUS,
    state_cls: type[WatchState] = WatchState,
    analyse: Callable[[bytes, str], Report] | None = None,
    run: Run | None = None,
) -> Run:
    """One ``--once`` pass through the library entry point (crashes propagate)."""
    run = run or Run()
    profile = parse_profile(acct.profile_path.read_text(encoding="utf-8"), "koban.toml")
    server = server_for(acct.server.host, acct.server.port, "plain", acct.user, None)
    with IntelStore(acct.home / "intel.sqlite") as store:
        ctx = MailContext.build(profile, store)
        state = state_cls(store.connection, server.address, acct.user, folder)
        run.outcomes += watch(
            server,
            acct.password,
            WatchOptions(folder, action, quarantine, quarantine_at),  # type: ignore[arg-type]
            analyse=analyse or (lambda raw, target: scan_message(raw, target, ctx)),
            db=store.connection,
            lock_dir=acct.home,
            once=True,
            interval=0.1,
            on_report=run.reports.append,
            note=run.notes.append,
            on_error=run.errors.append,
            state=state,
        )
    return run


def stored(acct: Account, folder: str = "INBOX") -> list[dict[str, object]]:
    with IntelStore(acct.home / "intel.sqlite") as store:
        return WatchState(
            store.connection, f"{acct.server.host}:{acct.server.port}", acct.user, folder
        ).results()


class Crash(BaseException):
    """Stands for the process dying (kill -9): nothing after it runs."""


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every action the watcher takes on the server: (method, uid)."""
    seen: list[tuple[str, int]] = []
    for name in ("add_flags", "move", "copy", "delete"):
        original = getattr(ImapClient, name)

        def spy(self: ImapClient, uid: int, *args: Any, _name: str = name, _f: Any = original):
            seen.append((_name, uid))
            return _f(self, uid, *args)

        monkeypatch.setattr(ImapClient, name, spy)
    return seen


# -- the CLI: tag, move, state between runs ----------------------------------------------------


def test_tag_mode_flags_the_phish_and_not_the_ordinary_mail(account: Account) -> None:
    phish = account.append(RECRUITER_PHISH)
    boss = account.append(EXEC_IMPERSONATION)
    mail = account.append(ORDINARY_INTERNAL)

    got = koban(account, "--once", "--format", "json")

    assert got.exit_code == 1, got.stderr  # flagged mail at --fail-on suspicious
    reports = {r["target"].rsplit("UID=", 1)[1]: r for r in got.reports}
    assert set(reports) == {str(phish), str(boss), str(mail)}
    assert all(r["schema"] == "koban.report/1" and r["analyser"] == "mail" for r in got.reports)
    assert reports[str(phish)]["verdict"] in ("suspicious", "malicious")
    assert reports[str(boss)]["verdict"] in ("suspicious", "malicious")
    assert reports[str(mail)]["verdict"] == "clean"
    assert reports[str(mail)]["target"] == (
        f"imap://{account.user}@127.0.0.1:{account.server.port}/INBOX"
        f";UIDVALIDITY={account.server.uidvalidity(account.user, account.password)}/;UID={mail}"
    )

    flags = {uid: m.flags for uid, m in account.messages().items()}
    for uid in (phish, boss):
        assert CHECKED in flags[uid]
        assert flags[uid] & FLAGGED
        verdict = reports[str(uid)]["verdict"]
        assert f"$Koban{verdict.capitalize()}" in flags[uid]
    assert CHECKED in flags[mail]
    assert not flags[mail] & FLAGGED
    assert not any("\\Seen" in f for f in flags.values())  # BODY.PEEK: still unread
    assert "tagged" in got.stderr
    assert account.password not in got.stdout + got.stderr


def test_move_mode_moves_the_phish_to_quarantine(account: Account) -> None:
    account.append(RECRUITER_PHISH)
    account.append(ORDINARY_INTERNAL)
    account.append(EXEC_IMPERSONATION)

    got = koban(account, "--once", "--action", "move", "--format", "text")

    assert got.exit_code == 1, got.stderr
    assert "created folder 'Quarantine'" in got.stderr
    assert "moved to 'Quarantine'" in got.stderr
    inbox, quarantine = account.messages(), account.messages("Quarantine")
    assert [m.subject for m in inbox.values()] == ["Lunch meeting moved to 13:00"]
    assert CHECKED in next(iter(inbox.values())).flags
    assert len(quarantine) == 2
    assert any("skills test" in m.subject for m in quarantine.values())
    for m in quarantine.values():  # the keywords travel with the message
        assert CHECKED in m.flags and m.flags & FLAGGED
    # text output: one block per message, the target first
    assert got.stdout.count(f"imap://{account.user}@") == 3
    assert "CLEAN" in got.stdout


def test_a_japanese_quarantine_folder_name(account: Account) -> None:
    account.append(RECRUITER_PHISH)
    account.append(ORDINARY_INTERNAL)
    got = koban(
        account, "--once", "--action", "move", "--quarantine-folder", "隔離 & 検疫",
        "--format", "json", "--fail-on", "never",
    )  # fmt: skip
    assert got.exit_code == 0, got.stderr
    assert "created folder '隔離 & 検疫'" in got.stderr
    assert [m.subject for m in account.messages("隔離 & 検疫").values()] == [
        "Senior Blockchain Engineer offer - skills test (urgent)"
    ]
    with account.server.connect(account.user, account.password) as conn:
        _, listed = conn.list()
    assert any(b'"&lpSW4g- &- &aRx1qw-"' in line for line in listed if isinstance(line, bytes))


def test_quarantine_at_malicious_leaves_suspicious_mail_in_place(account: Account) -> None:
    suspicious = account.append(ordinary(1))
    malicious = account.append(ordinary(2))
    clean = account.append(ordinary(3))

    def analyse(raw: bytes, target: str) -> Report:
        verdict = {b"13:01": Verdict.SUSPICIOUS, b"13:02": Verdict.MALICIOUS}.get(
            raw.split(b"moved to ", 1)[1][:5], Verdict.CLEAN
        )
        return Report(analyser="mail", target=target, verdict=verdict)

    run = run_watch(account, action="move", quarantine_at=Verdict.MALICIOUS, analyse=analyse)
    assert [(o.uid, o.action) for o in run.outcomes] == [
        (suspicious, "checked"),
        (malicious, "moved"),
        (clean, "checked"),
    ]
    inbox = account.messages()
    assert sorted(inbox) == [suspicious, clean]
    assert all(m.flags & {CHECKED} and not m.flags & FLAGGED for m in inbox.values())
    assert [m.flags & FLAGGED for m in account.messages("Quarantine").values()] == [
        {"$KobanMalicious"}
    ]


def test_second_run_processes_nothing_then_only_the_new_message(account: Account) -> None:
    account.append(RECRUITER_PHISH)
    account.append(ORDINARY_INTERNAL)
    first = koban(account, "--once", "--format", "json")
    assert len(first.reports) == 2

    second = koban(account, "--once", "--format", "json")
    assert second.exit_code == 0, second.stderr
    assert second.stdout == ""

    new = account.append(ordinary(5))
    third = koban(account, "--once", "--format", "json")
    assert third.exit_code == 0, third.stderr
    assert [r["target"].rsplit("UID=", 1)[1] for r in third.reports] == [str(new)]
    assert third.reports[0]["verdict"] == "clean"

    rows = stored(account)
    assert [(r["uid"], r["state"]) for r in rows] == [(1, "done"), (2, "done"), (3, "done")]
    assert rows[0]["action"] == "tagged" and rows[0]["verdict"] in ("suspicious", "malicious")
    assert json.loads(str(rows[0]["rules"]))  # the rules that fired are kept
    assert rows[0]["message_id"] == "<offer-7731@linkedln-careers.com>"


def test_password_from_a_file_named_in_the_options(account: Account, tmp_path: Path) -> None:
    account.append(ORDINARY_INTERNAL)
    secret = tmp_path / "imap.pass"
    secret.write_text(account.password + "\n")
    secret.chmod(0o644)
    args = [
        *("--profile", str(account.profile_path), "mail", "watch", "--once"),
        *("--password-file", str(secret), "--format", "json"),
    ]
    env = {"KOBAN_HOME": str(account.home), PASSWORD_ENV: "not the password"}
    loose = CliRunner().invoke(cli, args, env=env)
    assert loose.exit_code == 0, loose.stderr
    assert "readable by other users" in loose.stderr
    account.append(ordinary(2))
    secret.chmod(0o600)
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.stderr
    assert "readable" not in result.stderr
    assert len(result.stdout.splitlines()) == 1


def test_a_non_ascii_password_logs_in_with_authenticate_plain(
    dovecot_server: Dovecot, tmp_path: Path
) -> None:
    user, password = dovecot_server.add_user(unicode_password=True)
    assert not password.isascii()
    dovecot_server.append(user, password, ORDINARY_INTERNAL)
    args = [
        *("mail", "watch", "--once", "--host", "127.0.0.1", "--port", str(dovecot_server.port)),
        *("--security", "plain", "--user", user, "--format", "json"),
    ]
    env = {"KOBAN_HOME": str(tmp_path / "home"), "KOBAN_IMAP_PASSWORD": password}
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 1
    wrong = CliRunner().invoke(cli, args, env={**env, "KOBAN_IMAP_PASSWORD": password + "x"})
    assert wrong.exit_code == 2
    assert "login failed" in wrong.stderr and password not in wrong.stderr


def test_a_password_file_named_in_the_profile_is_found_beside_it(
    account: Account, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    account.append(ORDINARY_INTERNAL)
    (tmp_path / "imap.pass").write_text(account.password + "\n")
    (tmp_path / "imap.pass").chmod(0o600)
    text = account.profile_path.read_text(encoding="utf-8")
    account.profile_path.write_text(
        text.replace(f'password_env = "{PASSWORD_ENV}"', 'password_file = "imap.pass"'),
        encoding="utf-8",
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    got = koban(account, "--once", password="not the password")
    assert got.exit_code == 0, got.stderr
    assert "CLEAN" in got.stdout


def test_options_alone_without_imap_settings_in_the_profile(
    account: Account, tmp_path: Path
) -> None:
    account.append(ORDINARY_INTERNAL)
    bare = tmp_path / "bare.toml"
    bare.write_text(PROFILE_ORG, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            *("--profile", str(bare), "mail", "watch", "--once", "--host", "127.0.0.1"),
            *("--port", str(account.server.port), "--security", "plain", "--user", account.user),
        ],
        env={"KOBAN_HOME": str(account.home), "KOBAN_IMAP_PASSWORD": account.password},
    )
    assert result.exit_code == 0, result.stderr
    assert "CLEAN" in result.stdout


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_imaps_and_starttls_with_a_private_ca(
    dovecot_tls_server: Dovecot, tmp_path: Path, security: str
) -> None:
    server = dovecot_tls_server
    user, password = server.add_user()
    server.append(user, password, ORDINARY_INTERNAL)
    port = server.tls_port if security == "tls" else server.port
    args = [
        *("mail", "watch", "--once", "--host", "127.0.0.1", "--port", str(port)),
        *("--security", security, "--user", user, "--format", "json"),
    ]
    env = {"KOBAN_HOME": str(tmp_path / "home"), "KOBAN_IMAP_PASSWORD": password}
    untrusted = CliRunner().invoke(cli, args, env=env)
    assert untrusted.exit_code == 2
    assert "TLS certificate not trusted" in untrusted.stderr
    assert f"127.0.0.1:{port}" in untrusted.stderr and user in untrusted.stderr

    trusted = CliRunner().invoke(cli, [*args, "--ca-file", str(server.ca_file)], env=env)
    assert trusted.exit_code == 0, trusted.stderr
    assert [json.loads(line)["verdict"] for line in trusted.stdout.splitlines()] == ["clean"]


# -- errors --------------------------------------------------------------------------------------


def test_wrong_password_exits_2_naming_server_and_user_not_the_password(
    account: Account,
) -> None:
    wrong = "Hunter2-wrong-secret"
    got = koban(account, "--once", password=wrong)
    assert got.exit_code == 2
    assert "login failed" in got.stderr
    assert f"127.0.0.1:{account.server.port}" in got.stderr
    assert account.user in got.stderr
    assert wrong not in got.stderr + got.stdout
    assert account.password not in got.stderr + got.stdout
    assert got.stdout == ""


def test_server_down_exits_2(account: Account, tmp_path: Path) -> None:
    from dovecot import free_port

    port = free_port()  # nothing listens there
    got = koban(account, "--once", "--port", str(port))
    assert got.exit_code == 2
    assert f"127.0.0.1:{port}" in got.stderr
    assert account.user in got.stderr
    assert "connection refused" in got.stderr
    assert account.password not in got.stderr


def test_missing_password_and_plaintext_to_a_remote_host_are_refused(account: Account) -> None:
    runner = CliRunner()
    no_password = runner.invoke(
        cli,
        ["--profile", str(account.profile_path), "mail", "watch", "--once"],
        env={"KOBAN_HOME": str(account.home), PASSWORD_ENV: ""},
    )
    assert no_password.exit_code == 2
    assert PASSWORD_ENV in no_password.stderr

    remote = koban(account, "--once", "--host", "192.0.2.10")  # TEST-NET-1: never contacted
    assert remote.exit_code == 2
    assert "without TLS" in remote.stderr
    assert "192.0.2.10" in remote.stderr


def test_the_password_option_does_not_exist(account: Account) -> None:
    got = koban(account, "--once", "--password", account.password)
    assert got.exit_code == 2
    assert "No such option" in got.stderr


def test_profile_imap_settings_are_strict() -> None:
    with pytest.raises(Exception, match=r"koban.toml:1: key 'mail.imap': the password does not"):
        parse_profile('[mail.imap]\npassword = "x"\n', "koban.toml")
    with pytest.raises(Exception, match=r"koban.toml:3: key 'mail.imap.folders': unknown key"):
        parse_profile('[mail.imap]\nhost = "h"\nfolders = ["x"]\n', "koban.toml")
    with pytest.raises(Exception, match="not both"):
        parse_profile('[mail.imap]\npassword_env = "A"\npassword_file = "/f"\n', "koban.toml")
    with pytest.raises(Exception, match="must differ"):
        parse_profile('[mail.imap]\naction = "move"\nquarantine_folder = "INBOX"\n', "k.toml")
    settings = parse_profile('[mail.imap]\nhost = "imap.example.jp"\n', "k.toml").mail.imap
    assert settings is not None
    assert (settings.security, settings.folder, settings.action) == ("tls", "INBOX", "tag")


def test_an_unparseable_message_is_reported_and_the_rest_continue(account: Account) -> None:
    account.append(b"\x00\xff\xfe garbage \x1b$B without headers or structure \x80\x81")
    account.append(RECRUITER_PHISH)
    got = koban(account, "--once", "--format", "json")
    assert got.exit_code == 1, got.stderr
    assert len(got.reports) == 2
    assert got.reports[1]["verdict"] in ("suspicious", "malicious")


def test_an_analyser_failure_is_an_error_line_and_processing_continues(account: Account) -> None:
    account.append(ordinary(1))
    account.append(ordinary(2))

    def analyse(raw: bytes, target: str) -> Report:
        if b"13:01" in raw:
            raise ValueError("boom")
        return Report(analyser="mail", target=target)

    run = run_watch(account, analyse=analyse)
    assert [o.action for o in run.outcomes] == ["error", "checked"]
    assert len(run.errors) == 1 and "could not be analysed (ValueError: boom)" in run.errors[0]
    flags = [m.flags for m in account.messages().values()]
    assert CHECKED not in flags[0]  # left untouched for a person to look at
    assert CHECKED in flags[1]
    assert run_watch(account, analyse=analyse).outcomes == []  # recorded: not retried forever


# -- crash safety ----------------------------------------------------------------------------------


def _crashing_state(on: str, uid: int) -> type[WatchState]:
    class CrashingState(WatchState):
        def begin(self, uidvalidity: int, outcome: Outcome) -> None:
            if on == "begin" and outcome.uid == uid:
                raise Crash
            super().begin(uidvalidity, outcome)

        def record(self, uidvalidity: int, outcome: Outcome) -> None:
            if on == "record" and outcome.uid == uid:
                raise Crash
            super().record(uidvalidity, outcome)

    return CrashingState


@pytest.mark.parametrize("action", ["tag", "move"])
def test_a_crash_after_acting_before_recording_loses_and_repeats_nothing(
    account: Account, calls: list[tuple[str, int]], action: str
) -> None:
    first = account.append(ordinary(1))
    phish = account.append(RECRUITER_PHISH)
    last = account.append(ordinary(2))

    with pytest.raises(Crash):
        run_watch(account, action=action, state_cls=_crashing_state("record", phish))
    acted_before_crash = list(calls)
    assert ("add_flags", phish) in acted_before_crash
    assert (("move", phish) in acted_before_crash) == (action == "move")
    assert [r["uid"] for r in stored(account) if r["state"] == "done"] == [first]

    calls.clear()
    again = run_watch(account, action=action)
    assert [o.uid for o in again.outcomes] == [phish, last]
    assert ("add_flags", phish) not in calls and ("move", phish) not in calls  # not twice
    assert calls == [("add_flags", last)]
    assert again.outcomes[0].action == ("moved" if action == "move" else "tagged")
    rows = stored(account)
    assert [(r["uid"], r["state"]) for r in rows] == [
        (first, "done"),
        (phish, "done"),
        (last, "done"),
    ]

    if action == "move":
        assert len(account.messages("Quarantine")) == 1
        assert phish not in account.messages()
    else:
        assert account.messages()[phish].flags & FLAGGED
    assert run_watch(account, action=action).outcomes == []


def test_a_crash_before_acting_acts_once_on_the_next_run(
    account: Account, calls: list[tuple[str, int]]
) -> None:
    phish = account.append(RECRUITER_PHISH)
    with pytest.raises(Crash):
        run_watch(account, action="move", state_cls=_crashing_state("begin", phish))
    assert calls == []
    assert account.messages("Quarantine") == {}

    again = run_watch(account, action="move")
    assert [o.action for o in again.outcomes] == ["moved"]
    assert calls == [("add_flags", phish), ("move", phish)]
    assert len(account.messages("Quarantine")) == 1


def test_a_crash_between_tagging_and_moving_finishes_the_move(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    account.append(RECRUITER_PHISH)

    def dies(self: ImapClient, uid: int, dest: str) -> None:
        raise Crash

    with monkeypatch.context() as m:
        m.setattr(ImapClient, "move", dies)
        with pytest.raises(Crash):
            run_watch(account, action="move")
    stuck = account.messages()
    assert len(stuck) == 1 and CHECKED in next(iter(stuck.values())).flags  # tagged, not moved

    again = run_watch(account, action="move")
    assert [o.action for o in again.outcomes] == ["moved"]
    assert account.messages() == {}
    assert len(account.messages("Quarantine")) == 1


@pytest.mark.parametrize("uidplus", [True, False])
def test_without_move_copy_delete_expunges_only_that_message_and_never_copies_twice(
    account: Account, monkeypatch: pytest.MonkeyPatch, uidplus: bool
) -> None:
    monkeypatch.setattr(ImapClient, "has_move", property(lambda self: False))
    monkeypatch.setattr(ImapClient, "has_uidplus", property(lambda self: uidplus))
    # someone else's deleted-but-not-expunged message must survive our expunge
    theirs = account.append(ordinary(1), flags="\\Deleted")
    phish = account.append(RECRUITER_PHISH)

    real_delete = ImapClient.delete
    with monkeypatch.context() as m:

        def dies(self: ImapClient, uid: int) -> None:
            raise Crash  # after COPY, before \Deleted

        m.setattr(ImapClient, "delete", dies)
        with pytest.raises(Crash):
            run_watch(account, action="move")
    assert len(account.messages("Quarantine")) == 1  # the copy was made
    assert ImapClient.delete is real_delete

    again = run_watch(account, action="move")
    assert [(o.uid, o.action) for o in again.outcomes] == [(phish, "moved")]
    assert len(account.messages("Quarantine")) == 1  # not copied a second time
    inbox = account.messages()
    assert list(inbox) == [theirs]
    assert "\\Deleted" in inbox[theirs].flags


def test_a_message_released_from_quarantine_is_not_quarantined_again(account: Account) -> None:
    account.append(RECRUITER_PHISH)
    first = run_watch(account, action="move")
    assert [o.action for o in first.outcomes] == ["moved"]

    # a person looks at it, decides it is fine and moves it back to the inbox
    with account.server.connect(account.user, account.password) as conn:
        conn.select("Quarantine")
        assert conn.uid("MOVE", "1:*", "INBOX")[0] == "OK"

    again = run_watch(account, action="move")
    assert [o.action for o in again.outcomes] == ["already-checked"]
    assert len(again.reports) == 1  # still reported
    assert len(account.messages()) == 1
    assert account.messages("Quarantine") == {}


# -- UIDVALIDITY --------------------------------------------------------------------------------


def test_a_new_uidvalidity_starts_the_folder_over(account: Account) -> None:
    with account.server.connect(account.user, account.password) as conn:
        assert conn.create("Work")[0] == "OK"
    account.append(ordinary(1), folder="Work")
    account.append(ordinary(2), folder="Work")
    first = koban(account, "--once", "--folder", "Work", "--format", "json")
    assert len(first.reports) == 2
    assert koban(account, "--once", "--folder", "Work").stdout == ""

    old = account.server.uidvalidity(account.user, account.password, "Work")
    account.server.recreate_folder(account.user, account.password, "Work")
    new = account.server.uidvalidity(account.user, account.password, "Work")
    assert new != old
    account.append(ordinary(3), folder="Work")  # UID 1 again, in the new folder
    account.append(ordinary(4), folder="Work")

    after = koban(account, "--once", "--folder", "Work", "--format", "json")
    assert after.exit_code == 0, after.stderr
    assert f"UIDVALIDITY changed from {old} to {new}" in after.stderr
    assert [r["target"].rsplit(";", 1)[1] for r in after.reports] == ["UID=1", "UID=2"]
    assert all(f"UIDVALIDITY={new}/" in r["target"] for r in after.reports)
    rows = stored(account, "Work")
    assert [(r["uidvalidity"], r["uid"]) for r in rows] == [(old, 1), (old, 2), (new, 1), (new, 2)]
    assert koban(account, "--once", "--folder", "Work").stdout == ""


# -- polling and stopping ---------------------------------------------------------------------


def test_polling_picks_up_new_mail_until_stopped(account: Account) -> None:
    account.append(ordinary(1))
    stop = threading.Event()
    seen: list[str] = []

    def on_report(report: Report) -> None:
        seen.append(report.target)
        if len(seen) == 1:
            account.append(ordinary(2))  # arrives while the watcher sleeps
        else:
            stop.set()

    profile = parse_profile(account.profile_path.read_text(encoding="utf-8"), "koban.toml")
    server = server_for("127.0.0.1", account.server.port, "plain", account.user, None)
    with IntelStore(account.home / "intel.sqlite") as store:
        ctx = MailContext.build(profile, store)
        done = watch(
            server,
            account.password,
            WatchOptions(),
            analyse=lambda raw, target: scan_message(raw, target, ctx),
            db=store.connection,
            lock_dir=account.home,
            once=False,
            interval=0.05,
            idle=False,  # polling: IDLE has tests of its own below
            on_report=on_report,
            note=lambda m: None,
            on_error=lambda m: None,
            stop=stop,
        )
    assert [o.uid for o in done] == [1, 2]


def test_after_a_good_start_a_lost_connection_is_retried(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    account.append(ordinary(1))
    stop = threading.Event()
    errors: list[str] = []
    polls = 0
    real_flags_after = ImapClient.flags_after

    def flaky(self: ImapClient, last_uid: int) -> dict[int, frozenset[str]]:
        nonlocal polls
        polls += 1
        if polls == 2:
            account.append(ordinary(2))
            raise ImapError(f"{self.server.describe()}: connection lost: reset by peer")
        return real_flags_after(self, last_uid)

    monkeypatch.setattr(ImapClient, "flags_after", flaky)
    connects: list[int] = []
    real_connect = ImapClient.connect.__func__  # type: ignore[attr-defined]

    def counting(cls: type[ImapClient], server: Any, password: str) -> ImapClient:
        connects.append(1)
        return real_connect(cls, server, password)  # type: ignore[no-any-return]

    monkeypatch.setattr(ImapClient, "connect", classmethod(counting))
    seen: list[str] = []

    def on_report(report: Report) -> None:
        seen.append(report.target)
        if len(seen) == 2:
            stop.set()

    server = server_for("127.0.0.1", account.server.port, "plain", account.user, None)
    with IntelStore(account.home / "intel.sqlite") as store:
        done = watch(
            server,
            account.password,
            WatchOptions(),
            analyse=lambda raw, target: Report(analyser="mail", target=target),
            db=store.connection,
            lock_dir=account.home,
            once=False,
            interval=0.05,
            idle=False,  # polling: IDLE has tests of its own below
            on_report=on_report,
            note=lambda m: None,
            on_error=errors.append,
            stop=stop,
        )
    assert [o.uid for o in done] == [1, 2]
    assert len(errors) == 1 and "connection lost" in errors[0] and "retrying" in errors[0]
    assert len(connects) == 2  # a new connection after the error


def test_a_missing_folder_is_an_error_even_without_once(account: Account) -> None:
    got = koban(account, "--folder", "Nope", "--interval", "0.05")
    assert got.exit_code == 2
    assert "cannot open folder 'Nope'" in got.stderr


def test_two_watchers_on_one_folder_do_not_run_at_once(account: Account) -> None:
    account.append(ordinary(1))
    inner: list[str] = []

    def analyse(raw: bytes, target: str) -> Report:
        inner.append(koban(account, "--once").stderr)  # a second watcher meanwhile
        return Report(analyser="mail", target=target)

    run_watch(account, analyse=analyse)
    assert "already processing" in inner[0]


def test_sigterm_stops_the_watch_cleanly(account: Account) -> None:
    account.append(ordinary(1))
    env = {**os.environ, **account.env()}
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "koban.cli", "--profile", str(account.profile_path)),
            *("mail", "watch", "--interval", "0.2", "--format", "json"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, "no report within 60 s"
        line = proc.stdout.readline()  # the first report: it is running and polling
        assert json.loads(line)["verdict"] == "clean"
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert b"SIGTERM: stopping after the current message" in err
    assert out == b""
    assert [r["state"] for r in stored(account)] == ["done"]


# -- IMAP IDLE (RFC 2177) -------------------------------------------------------------------

WAIT = 60.0  # a generous bound for the watcher to react: correctness, not speed


def wait_for(cond: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


@dataclass
class Background:
    """``watch`` (not --once) in a thread, until :meth:`stop`."""

    thread: threading.Thread
    stop_event: threading.Event
    run: Run
    done: list[Outcome] = field(default_factory=list)
    failure: list[BaseException] = field(default_factory=list)

    def stop(self) -> None:
        self.stop_event.set()
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), "the watch did not stop"
        if self.failure:
            raise self.failure[0]


def start_watch(
    acct: Account, *, idle: bool = True, idle_renew: float = 600.0, interval: float = 3600.0
) -> Background:
    """A long-running watch; with the default interval of an hour, only IDLE (or a retry
    after an error) can make it see new mail within the tests' waits."""
    run, stop = Run(), threading.Event()
    server = server_for("127.0.0.1", acct.server.port, "plain", acct.user, None)
    bg = Background(threading.Thread(target=lambda: None), stop, run)

    def main() -> None:
        try:
            with IntelStore(acct.home / "intel.sqlite") as store:
                bg.done += watch(
                    server,
                    acct.password,
                    WatchOptions(),
                    analyse=lambda raw, target: Report(analyser="mail", target=target),
                    db=store.connection,
                    lock_dir=acct.home,
                    once=False,
                    interval=interval,
                    on_report=run.reports.append,
                    note=run.notes.append,
                    on_error=run.errors.append,
                    stop=stop,
                    idle=idle,
                    idle_renew=idle_renew,
                )
        except BaseException as exc:  # handed to the test by Background.stop
            bg.failure.append(exc)

    bg.thread = threading.Thread(target=main, daemon=True)
    bg.thread.start()
    return bg


@pytest.fixture
def idles(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """What each ImapClient.idle call returned (True: new mail)."""
    seen: list[bool] = []
    real = ImapClient.idle

    def spy(self: ImapClient, timeout: float, stop: threading.Event | None = None) -> bool:
        got = real(self, timeout, stop)
        seen.append(got)
        return got

    monkeypatch.setattr(ImapClient, "idle", spy)
    return seen


def test_idle_picks_up_mail_appended_after_the_start(account: Account, idles: list[bool]) -> None:
    account.append(ordinary(1))
    bg = start_watch(account)
    try:
        assert wait_for(lambda: len(bg.run.reports) == 1), bg.run.errors
        account.append(ordinary(2))
        assert wait_for(lambda: len(bg.run.reports) == 2), (bg.run.errors, idles)
    finally:
        bg.stop()
    assert [o.uid for o in bg.done] == [1, 2]
    assert True in idles  # woken by the server, not by the hour-long poll interval
    assert not bg.run.errors
    assert [(r["uid"], r["state"]) for r in stored(account)] == [(1, "done"), (2, "done")]
    assert all(CHECKED in m.flags for m in account.messages().values())


def test_idle_is_renewed_and_still_sees_new_mail(account: Account, idles: list[bool]) -> None:
    bg = start_watch(account, idle_renew=0.2)
    try:
        assert wait_for(lambda: len(idles) >= 3), bg.run.errors  # IDLE ended and begun again
        assert idles[:3] == [False, False, False]
        account.append(ordinary(1))
        assert wait_for(lambda: len(bg.run.reports) == 1), bg.run.errors
    finally:
        bg.stop()
    assert [o.uid for o in bg.done] == [1]
    assert not bg.run.errors


def test_without_idle_on_the_server_it_polls(
    account: Account, idles: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ImapClient, "has_idle", property(lambda self: False))
    bg = start_watch(account, interval=0.1)
    try:
        assert wait_for(lambda: bool(bg.run.notes)), bg.run.errors
        account.append(ordinary(1))
        assert wait_for(lambda: len(bg.run.reports) == 1), bg.run.errors
    finally:
        bg.stop()
    assert idles == []
    assert any("does not offer IDLE; polling every 0.1 s" in n for n in bg.run.notes)


def test_no_idle_polls_even_when_the_server_has_it(account: Account, idles: list[bool]) -> None:
    bg = start_watch(account, idle=False, interval=0.1)
    try:
        account.append(ordinary(1))
        assert wait_for(lambda: len(bg.run.reports) == 1), bg.run.errors
    finally:
        bg.stop()
    assert idles == []
    assert not bg.run.notes
    got = koban(account, "--once", "--no-idle", "--format", "json")
    assert got.exit_code == 0, got.stderr


def test_a_connection_dropped_in_idle_is_reopened_losing_and_repeating_nothing(
    account: Account, idles: list[bool]
) -> None:
    account.append(ordinary(1))
    bg = start_watch(account, interval=0.2)  # retries after 0.2 s, 0.4 s, ...
    try:
        assert wait_for(lambda: len(bg.run.reports) == 1), bg.run.errors
        for n in (2, 3):
            account.server.kick(account.user)  # the server closes the session (BYE)
            account.append(ordinary(n))
            assert wait_for(lambda n=n: len(bg.run.reports) == n), (bg.run.errors, idles)
    finally:
        bg.stop()
    assert [o.uid for o in bg.done] == [1, 2, 3]
    assert [(r["uid"], r["state"]) for r in stored(account)] == [
        (1, "done"),
        (2, "done"),
        (3, "done"),
    ]
    assert bg.run.errors, "a drop is reported"
    assert all("retrying in" in e for e in bg.run.errors), bg.run.errors


def test_idle_on_the_client(account: Account) -> None:
    server = server_for("127.0.0.1", account.server.port, "plain", account.user, None)
    with ImapClient.connect(server, account.password) as client:
        assert client.has_idle
        client.select("INBOX")
        assert client.idle(0.2) is False  # nothing came: back after the timeout
        stop = threading.Event()
        stop.set()
        assert client.idle(WAIT, stop) is False  # stop set: back at once, IDLE ended
        appender = threading.Thread(target=lambda: account.append(ordinary(1)))
        appender.start()
        try:
            assert client.idle(WAIT) is True
        finally:
            appender.join(WAIT)
        assert client.select("INBOX").exists == 1  # the connection is still in step
        assert list(client.flags_after(0)) == [1]
        assert client.fetch(1) is not None


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_idle_over_tls(dovecot_tls_server: Dovecot, security: str) -> None:
    server = dovecot_tls_server
    user, password = server.add_user()
    port = server.tls_port if security == "tls" else server.port
    where = Server("127.0.0.1", port, security, user, str(server.ca_file))  # type: ignore[arg-type]
    with ImapClient.connect(where, password) as client:
        client.select("INBOX")
        assert client.idle(0.2) is False
        appender = threading.Thread(target=lambda: server.append(user, password, ordinary(1)))
        appender.start()
        try:
            assert client.idle(WAIT) is True
        finally:
            appender.join(WAIT)
        assert client.select("INBOX").exists == 1


def test_idle_sees_mail_announced_during_an_earlier_command(account: Account) -> None:
    server = server_for("127.0.0.1", account.server.port, "plain", account.user, None)
    with ImapClient.connect(server, account.password) as client:
        account.append(ordinary(1))
        client.select("INBOX")
        account.append(ordinary(2))
        assert client.fetch(1) is not None  # Dovecot announces message 2 here: * 2 EXISTS
        assert client._conn.untagged_responses.get("EXISTS") == [b"2"]
        # In IDLE the server would not say it again: without this check the call would wait.
        assert client.idle(WAIT) is True


def test_retry_delay_grows_and_is_bounded() -> None:
    assert [retry_delay(60, n) for n in (1, 2, 3, 4, 5, 6, 7, 100)] == [
        5, 10, 20, 40, 80, 160, 300, 300,
    ]  # fmt: skip
    assert retry_delay(0.2, 1) == 0.2
    assert retry_delay(900, 10) == 900  # never shorter than a long poll interval allows
    assert retry_delay(900, 1) == 5


def test_line_reader_keeps_lines_whole_across_reads_and_timeouts() -> None:
    import socket

    a, b = socket.socketpair()
    try:
        reader = LineReader(a)
        a.settimeout(0.2)
        b.sendall(b"* 1 EXI")
        with pytest.raises(TimeoutError):
            reader.readline()
        assert reader.pending()  # the partial line is kept
        b.sendall(b"STS\r\n* OK x {3}\r\nabc\r\n")
        assert reader.readline() == b"* 1 EXISTS\r\n"
        assert reader.readline(5) == b"* OK "
        assert reader.readline() == b"x {3}\r\n"
        assert reader.read(3) == b"abc"
        assert reader.readline() == b"\r\n"
        assert not reader.pending()
        b.close()
        assert reader.readline() == b""
    finally:
        a.close()
        b.close()


def test_modified_utf7_folder_names() -> None:
    assert encode_mailbox("INBOX") == "INBOX"
    assert encode_mailbox("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
    assert encode_mailbox("Tom & Jerry") == "Tom &- Jerry"
    assert encode_mailbox("隔離") == "&lpSW4g-"


def test_outcome_verdict_helper() -> None:
    o = Outcome(1, "t", "checked", Report(analyser="mail", target="t", verdict=Verdict.MALICIOUS))
    assert o.verdict is Verdict.MALICIOUS
    assert Outcome(2, "t", "vanished").verdict is None
