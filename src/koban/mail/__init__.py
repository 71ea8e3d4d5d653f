"""The mail analyser: triage messages, their attachments and links (``koban mail scan``).

Public API (others depend on it):

- :func:`analyse` ``(target, profile, store) -> Report``: a .eml/.msg file, an mbox file, or a
  Maildir/folder. One message gives its report; several give a parent report (analyser
  ``mail``, target as given) with one child per message (target = file path, or
  ``path!<n>`` for message n of an mbox).
- :func:`scan_message` ``(raw, target, ctx) -> Report``: one RFC 822 message from bytes (what
  ``mail watch`` feeds from IMAP). Build the :class:`MailContext` once per run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from koban.errors import InputError
from koban.intel.store import IntelStore
from koban.mail.context import Limits, MailContext
from koban.mail.message import scan_message
from koban.mail.sources import (
    is_msg,
    iter_folder,
    iter_mbox,
    looks_like_mbox,
    looks_like_message,
    msg_to_rfc822,
    read_file,
)
from koban.model import Report
from koban.profile import Profile
from koban.rules import make_finding
from koban.scoring import finalise

__all__ = ["Limits", "MailContext", "analyse", "analyse_with", "iter_messages", "scan_message"]


def iter_messages(target: str, *, strict: bool = True) -> Iterator[tuple[str, bytes | InputError]]:
    """(target of the message, its bytes or the error) for every message ``target`` holds.

    Raises InputError when ``target`` itself is unusable (missing, unreadable, empty, holds no
    message); errors of single files inside a folder are yielded so that others go on."""
    path = Path(target)
    if path.is_dir():
        found = False
        for p in iter_folder(path):
            try:
                for sub, data in _file_messages(p, str(p), strict=False):
                    found = True
                    yield sub, data
            except InputError as exc:
                yield str(p), exc
        if not found and strict:
            raise InputError(target, "folder holds no e-mail messages")
        return
    if not path.exists():
        raise InputError(target, "no such file or directory")
    yield from _file_messages(path, target, strict=strict)


def _file_messages(path: Path, target: str, *, strict: bool) -> Iterator[tuple[str, bytes]]:
    data = read_file(path)
    if not data.strip():
        raise InputError(target, "empty file: not an e-mail message")
    head = data[:65536]
    if path.suffix.lower() == ".msg" or is_msg(head):
        if not is_msg(head):
            raise InputError(target, "not an Outlook .msg file (no OLE signature)")
        yield target, msg_to_rfc822(data, target)
        return
    if looks_like_mbox(head):
        n = 0
        for n, raw in iter_mbox(path):
            yield f"{target}!{n}", raw
        if n == 0:
            raise InputError(target, "mbox file holds no messages")
        return
    if not looks_like_message(head):
        if not strict and path.suffix.lower() not in (".eml", ".msg", ".mbox", ".mbx"):
            return  # a non-message file in a folder: skipped
        raise InputError(target, "does not look like an e-mail message (no RFC 822 headers)")
    yield target, data


def analyse_with(
    target: str, ctx: MailContext, on_error: Callable[[InputError], None] | None = None
) -> Report:
    """:func:`analyse` with a prepared context; ``on_error`` gets per-file errors in folders."""
    reports: list[Report] = []
    problems: list[InputError] = []
    for sub, data in iter_messages(target):
        if isinstance(data, InputError):
            problems.append(data)
            if on_error is not None:
                on_error(data)
            continue
        reports.append(scan_message(data, sub, ctx))
    if len(reports) == 1 and not problems and reports[0].target == target:
        return reports[0]
    parent = Report(analyser="mail", target=target, children=reports)
    for err in problems:
        parent.findings.append(
            make_finding(
                "mail.analysis_limit", f"not analysed: {err}", evidence={"file": err.source}
            )
        )
    return finalise(parent)


def analyse(target: str, profile: Profile, store: IntelStore | None) -> Report:
    """Report for a .eml/.msg file, an mbox file, or a Maildir/folder (see module doc)."""
    if not Path(target).exists():
        raise InputError(target, "no such file or directory")
    return analyse_with(target, MailContext.build(profile, store))
