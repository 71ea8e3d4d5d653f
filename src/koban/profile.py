"""The profile (``koban.toml``): who we are, whom we trust, which wallets are ours, which feeds.

Errors name the file, the line and the key. A missing profile is allowed: checks that need it
say so once.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from koban.errors import InputError
from koban.home import config_dir
from koban.intel.indicators import normalise_address, normalise_domain

PROFILE_NAME = "koban.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Executive(_Strict):
    name: str = Field(min_length=1)
    aliases: list[str] = Field(default_factory=list)
    emails: list[str] = Field(default_factory=list)
    title: str | None = None

    @field_validator("emails")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        for e in v:
            if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", e):
                raise ValueError(f"not an e-mail address: {e!r}")
        return [e.lower() for e in v]


def _domains(v: list[str]) -> list[str]:
    return [normalise_domain(d) for d in v]


class Org(_Strict):
    name: str = ""
    domains: list[str] = Field(default_factory=list)
    executives: list[Executive] = Field(default_factory=list)

    _norm = field_validator("domains")(classmethod(lambda cls, v: _domains(v)))


class Trust(_Strict):
    domains: list[str] = Field(default_factory=list)
    download_sources: list[str] = Field(default_factory=list)
    authserv_ids: list[str] = Field(default_factory=list)

    _norm = field_validator("domains")(classmethod(lambda cls, v: _domains(v)))

    @field_validator("download_sources")
    @classmethod
    def _urls(cls, v: list[str]) -> list[str]:
        for u in v:
            if not re.match(r"https?://[^/\s]+", u):
                raise ValueError(f"not an http(s) URL: {u!r}")
        return v


Chain = Literal[
    "ethereum",
    "bitcoin",
    "litecoin",
    "tron",
    "solana",
    "bsc",
    "arbitrum",
    "polygon",
    "base",
    "optimism",
]


class Wallet(_Strict):
    chain: Chain
    address: str
    label: str = Field(min_length=1)

    @field_validator("address")
    @classmethod
    def _address(cls, v: str) -> str:
        return normalise_address(v)


class Feed(_Strict):
    name: str = Field(min_length=1)
    url: str
    format: str | None = None  # importer name; guessed from content when absent
    sha256: str | None = None  # expected digest, when the publisher gives one

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"(https?|file)://", v):
            raise ValueError(f"feed URL must be http(s):// or file:// ({v!r})")
        return v


class IntelSettings(_Strict):
    feeds: list[Feed] = Field(default_factory=list)


class ImapSettings(_Strict):
    """``[mail.imap]``: the mailbox ``koban mail watch`` polls (command options override).

    The password is never in the profile: it is read from the environment variable named by
    ``password_env`` (default ``KOBAN_IMAP_PASSWORD``) or from the file ``password_file``.
    Relative ``password_file`` and ``ca_file`` paths are taken from the profile's folder.
    ``security = "plain"`` (no TLS) is accepted only for a server on this machine.
    """

    host: str | None = Field(default=None, min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)  # default: 993 tls, 143 otherwise
    security: Literal["tls", "starttls", "plain"] = "tls"
    user: str | None = Field(default=None, min_length=1)
    password_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    password_file: str | None = Field(default=None, min_length=1)
    ca_file: str | None = Field(default=None, min_length=1)  # CA bundle for a private CA
    folder: str = Field(default="INBOX", min_length=1)
    action: Literal["tag", "move"] = "tag"  # keywords only, or move to quarantine_folder
    quarantine_folder: str = Field(default="Quarantine", min_length=1)
    quarantine_at: Literal["suspicious", "malicious"] = "suspicious"
    interval: float = Field(default=60.0, gt=0)  # seconds between polls (without IDLE)
    idle: bool = True  # wait for new mail with IMAP IDLE when the server offers it

    @model_validator(mode="before")
    @classmethod
    def _no_password(cls, data: Any) -> Any:
        if isinstance(data, dict) and "password" in data:
            raise ValueError(
                "the password does not belong in the profile: name an environment variable "
                "(password_env) or a file (password_file)"
            )
        return data

    @model_validator(mode="after")
    def _consistent(self) -> ImapSettings:
        if self.password_env and self.password_file:
            raise ValueError("give password_env or password_file, not both")
        if self.action == "move" and self.folder == self.quarantine_folder:
            raise ValueError("quarantine_folder must differ from the folder watched")
        return self


class MailSettings(_Strict):
    """``[mail]``: settings of the mail commands."""

    imap: ImapSettings | None = None


class Profile(_Strict):
    org: Org = Field(default_factory=Org)
    trust: Trust = Field(default_factory=Trust)
    wallets: list[Wallet] = Field(default_factory=list)
    intel: IntelSettings = Field(default_factory=IntelSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    path: str | None = Field(default=None, exclude=True)

    @property
    def loaded(self) -> bool:
        return self.path is not None


def _locate(text: str, loc: tuple[str | int, ...]) -> int | None:
    """Line (1-based) of the key at ``loc`` (e.g. ('org', 'executives', 0, 'emails'))."""
    tables: list[tuple[int, str, bool]] = []  # (line, dotted name, is array-of-tables)
    for i, raw in enumerate(text.splitlines(), 1):
        m = re.match(r"\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?", raw)
        if m:
            tables.append((i, m.group(2).replace(" ", "").replace('"', ""), m.group(1) == "[["))
    keys = [k for k in loc if isinstance(k, str)]
    index = next((k for k in loc if isinstance(k, int)), None)
    lines = text.splitlines()
    # Find the innermost table that is a prefix of the location, honouring array indexes.
    best: tuple[int, int] | None = None  # (start line, end line)
    for depth in range(len(keys), 0, -1):
        name = ".".join(keys[:depth])
        starts = [(ln, arr) for ln, n, arr in tables if n == name]
        if not starts:
            continue
        pick = (
            starts[index]
            if index is not None and starts[0][1] and index < len(starts)
            else starts[0]
        )
        start = pick[0]
        nxt = [ln for ln, _, _ in tables if ln > start]
        best = (start, (nxt[0] - 1) if nxt else len(lines))
        rest = keys[depth:]
        if not rest:
            return start
        for j in range(start, best[1]):
            if _key_line(rest[0]).match(lines[j]):
                return j + 1
        return start
    if keys:
        for j, raw in enumerate(lines, 1):
            if _key_line(keys[-1]).match(raw):
                return j
    return None


def _key_line(key: str) -> re.Pattern[str]:
    """A line that assigns ``key``: bare or quoted, plain (``key =``) or dotted (``key.sub =``)."""
    k = re.escape(key)
    return re.compile(rf"""\s*(?:{k}|"{k}"|'{k}')\s*[=.]""")


def parse_profile(text: str, source: str) -> Profile:
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) if m else None
        if line is None and "end of document" in str(exc):  # e.g. an unterminated string
            line = max(1, len(text.splitlines()))
        raise InputError(source, f"not valid TOML: {exc}", line=line) from exc
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc)
        problem = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        problem = problem.removeprefix("Value error, ")
        more = len(exc.errors()) - 1
        if more:
            problem += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise InputError(source, problem, line=_locate(text, loc), key=key) from exc
    profile.path = source
    return profile


def load_profile(path: str | Path | None = None) -> Profile:
    """Load ``path``; without one, ``./koban.toml`` then the user config dir; else an empty one."""
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise InputError(str(p), "profile not found")
        return parse_profile(p.read_text(encoding="utf-8"), str(p))
    for candidate in (Path.cwd() / PROFILE_NAME, config_dir() / PROFILE_NAME):
        if candidate.is_file():
            return parse_profile(candidate.read_text(encoding="utf-8"), str(candidate))
    return Profile()
