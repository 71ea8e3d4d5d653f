"""``koban intel update`` against a real HTTP server on 127.0.0.1 (no internet)."""

from __future__ import annotations

import email.utils
import hashlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from koban import __version__
from koban.cli import cli
from koban.intel.feeds import FeedResult, _connect_problem, feed_states, update_feeds
from koban.intel.store import IntelStore
from koban.profile import Feed

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
OFAC = "intel/ofac"
SDN_OLD = f"{OFAC}/sdn_advanced_2025-03-04__commit_e1b6b135.xml.bz2"
SDN_NEW = f"{OFAC}/sdn_advanced_2025-11-19__commit_3ed66906.xml.bz2"
ETH_LIST = f"{OFAC}/lists-2025-11-19/sanctioned_addresses_ETH.txt"

ADDR_A = "0x04DBA1194ee10112fE6C3207C0687DEf0e78baCf"
ADDR_B = "0x08723392Ed15743cc38513C4925f5e6be5c17243"
ADDR_C = "0x08b2eFdcdB8822EfE5ad0Eae55517cf5DC544251"


# -- a real HTTP server ------------------------------------------------------------------------


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class _Config:
    root: Path
    honour_conditions: bool = True
    fail: dict[str, int] = field(default_factory=dict)  # URL path -> status to answer
    requests: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        config = self.server.config
        with config.lock:
            config.requests.append(Seen(self.path, dict(self.headers.items())))
        if self.path in config.fail:
            self.send_error(config.fail[self.path])
            return
        file = (config.root / self.path.lstrip("/")).resolve()
        if not file.is_file() or not file.is_relative_to(config.root.resolve()):
            self.send_error(404)
            return
        data = file.read_bytes()
        mtime = int(file.stat().st_mtime)
        etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
        last_modified = email.utils.formatdate(mtime, usegmt=True)
        if config.honour_conditions and self._not_modified(etag, mtime):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", last_modified)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", last_modified)
        self.end_headers()
        self.wfile.write(data)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        # RFC 9110 13.2.2: If-None-Match, when present, decides; else If-Modified-Since.
        inm = self.headers.get("If-None-Match")
        if inm is not None:
            return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        if ims is None:
            return False
        try:
            since = email.utils.parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
        return mtime <= since


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True

    def __init__(self, config: _Config) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.config = config


@dataclass
class Site:
    """A running server: ``url(path)``, what it saw, and knobs to misbehave."""

    server: _Server

    @property
    def config(self) -> _Config:
        return self.server.config

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/{path}"

    @property
    def requests(self) -> list[Seen]:
        return self.config.requests


def _serve(root: Path) -> Iterator[Site]:
    server = _Server(_Config(root))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield Site(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private KOBAN_HOME; proxies from the environment must not see loopback requests."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("KOBAN_HOME", str(home))
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def store(home: Path) -> Iterator[IntelStore]:
    with IntelStore(home / "intel.sqlite") as s:
        yield s


@pytest.fixture
def www(tmp_path: Path) -> Path:
    root = tmp_path / "www"
    (root / "lists").mkdir(parents=True)
    return root


@pytest.fixture
def site(www: Path) -> Iterator[Site]:
    yield from _serve(www)


@pytest.fixture
def ofac_data() -> Path:
    """The shared data folder (../shared/data), or a skip saying it is missing."""
    if not (SHARED / OFAC).is_dir():
        pytest.skip(f"shared data not found at {SHARED} (needs ../shared/data/{OFAC})")
    return SHARED


@pytest.fixture
def shared_site(ofac_data: Path) -> Iterator[Site]:
    yield from _serve(ofac_data)


def _write_list(www: Path, *addresses: str) -> Path:
    path = www / "lists" / "sanctioned_addresses_ETH.txt"
    path.write_text("".join(a + "\n" for a in addresses), encoding="ascii")
    return path


def _refused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _one(results: list[FeedResult]) -> FeedResult:
    assert len(results) == 1, results
    return results[0]


def _content(store: IntelStore) -> tuple[Any, ...]:
    """What the store holds (not its size on disk, which the feed_http table changes)."""
    stats = {k: v for k, v in store.stats().items() if k != "size_bytes"}
    return stats, store.imports(), list(store.iter_sightings())


def _no_temporary_files(home: Path) -> bool:
    return not [p for p in home.iterdir() if p.name.startswith(".feed-")]


def _listed(store: IntelStore, value: str) -> list[bool]:
    return [m.listed for m in store.lookup(value)]


ETH_FEED = "lists/sanctioned_addresses_ETH.txt"


# -- no shared data needed ---------------------------------------------------------------------


def test_first_update_imports_and_remembers(
    store: IntelStore, www: Path, site: Site, home: Path
) -> None:
    _write_list(www, ADDR_A, ADDR_B)
    feed = Feed(name="eth", url=site.url(ETH_FEED))
    r = _one(update_feeds(store, [feed], timeout=5))
    assert r.error is None, r.error
    assert r.name == "eth"
    assert r.status.startswith("imported ofac-address-list[ETH] as of ")
    assert "2 indicators, 2 new, 0 no longer listed" in r.status
    assert [(i.records, i.added, i.origin) for i in r.imported] == [(2, 2, feed.url)]
    assert _listed(store, ADDR_A) == [True]
    assert _listed(store, ADDR_B) == [True]
    # What was sent, and what is remembered.
    [seen] = site.requests
    assert seen.headers["User-Agent"] == f"koban/{__version__}"
    assert "If-None-Match" not in seen.headers
    state = feed_states(store)["eth"]
    assert state.url == feed.url
    assert state.etag
    assert state.last_modified
    assert state.fetched_at
    body = (www / ETH_FEED).read_bytes()
    assert state.sha256 == hashlib.sha256(body).hexdigest()
    # The import log names the URL, and no temporary file is left in KOBAN_HOME.
    assert store.imports()[-1]["origin"] == feed.url
    assert sorted(p.name for p in home.iterdir() if not p.name.startswith("intel.sqlite")) == []


def test_second_update_is_not_modified_by_etag(store: IntelStore, www: Path, site: Site) -> None:
    _write_list(www, ADDR_A, ADDR_B)
    feed = Feed(name="eth", url=site.url(ETH_FEED))
    assert _one(update_feeds(store, [feed], timeout=5)).error is None
    imports = store.imports()
    r = _one(update_feeds(store, [feed], timeout=5))
    assert r.error is None
    assert r.status == "not modified (ETag)"
    assert r.not_modified
    assert r.imported == ()
    assert store.imports() == imports
    second = site.requests[1]
    state = feed_states(store)["eth"]
    assert second.headers["If-None-Match"] == state.etag
    assert second.headers["If-Modified-Since"] == state.last_modified


def test_changed_content_reimports_and_reports_delisted(
    store: IntelStore, www: Path, site: Site
) -> None:
    _write_list(www, ADDR_A, ADDR_B)
    feed = Feed(name="eth", url=site.url(ETH_FEED))
    assert _one(update_feeds(store, [feed], timeout=5)).error is None
    _write_list(www, ADDR_A, ADDR_C)  # B dropped, C added (same second: the ETag decides)
    r = _one(update_feeds(store, [feed], timeout=5))
    assert r.error is None, r.error
    assert "2 indicators, 1 new, 1 no longer listed" in r.status
    assert site.requests[-1].headers.get("If-None-Match")  # asked conditionally, got 200
    assert _listed(store, ADDR_A) == [True]
    assert _listed(store, ADDR_B) == [False]
    assert _listed(store, ADDR_C) == [True]
    [dropped] = store.lookup(ADDR_B)
    assert dropped.delisted_on is not None
    assert (
        feed_states(store)["eth"].sha256
        == hashlib.sha256((www / ETH_FEED).read_bytes()).hexdigest()
    )


def test_server_ignoring_conditions_same_body_is_not_modified_by_sha256(
    store: IntelStore, www: Path, site: Site
) -> None:
    _write_list(www, ADDR_A, ADDR_B)
    site.config.honour_conditions = False
    feed = Feed(name="eth", url=site.url(ETH_FEED))
    assert _one(update_feeds(store, [feed], timeout=5)).error is None
    imports = store.imports()
    r = _one(update_feeds(store, [feed], timeout=5))
    assert r.error is None
    assert r.status == "not modified (same sha256)"
    assert r.not_modified
    assert store.imports() == imports
    assert "If-None-Match" in site.requests[-1].headers  # it was asked; it answered 200


def test_last_modified_alone_gives_304(store: IntelStore, www: Path, site: Site) -> None:
    _write_list(www, ADDR_A)
    feed = Feed(name="eth", url=site.url(ETH_FEED))
    assert _one(update_feeds(store, [feed], timeout=5)).error is None
    store.connection.execute("UPDATE feed_http SET etag=NULL")
    r = _one(update_feeds(store, [feed], timeout=5))
    assert r.status == "not modified (Last-Modified)"
    assert "If-None-Match" not in site.requests[-1].headers


def test_checksum_mismatch_is_an_error_and_store_unchanged(
    store: IntelStore, www: Path, site: Site, home: Path
) -> None:
    body = _write_list(www, ADDR_A, ADDR_B).read_bytes()
    good = hashlib.sha256(body).hexdigest()
    before = _content(store)
    bad = Feed(name="eth", url=site.url(ETH_FEED), sha256="0" * 64)
    r = _one(update_feeds(store, [bad], timeout=5))
    assert r.error is not None
    assert r.error.startswith(f"{bad.url}: sha256 mismatch")
    assert good in r.error
    assert _content(store) == before
    assert feed_states(store) == {}
    assert _no_temporary_files(home)
    # The right digest (any case) imports.
    ok = Feed(name="eth", url=site.url(ETH_FEED), sha256=good.upper())
    assert _one(update_feeds(store, [ok], timeout=5)).error is None
    assert _listed(store, ADDR_A) == [True]


def test_unreachable_feed_errors_and_others_still_update(
    store: IntelStore, www: Path, site: Site
) -> None:
    _write_list(www, ADDR_A, ADDR_B)
    dead = Feed(name="dead", url=f"http://127.0.0.1:{_refused_port()}/x.xml.bz2")
    eth = Feed(name="eth", url=site.url(ETH_FEED))
    before = _content(store)
    results = update_feeds(store, [dead], timeout=5)
    assert _one(results).error == f"{dead.url}: connection refused"
    assert _content(store) == before
    both = update_feeds(store, [dead, eth], timeout=5)
    assert [r.name for r in both] == ["dead", "eth"]
    assert both[0].error == f"{dead.url}: connection refused"
    assert both[1].error is None
    assert _listed(store, ADDR_A) == [True]


def test_timeout_is_an_error(store: IntelStore) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        port = silent.getsockname()[1]
        feed = Feed(name="slow", url=f"http://127.0.0.1:{port}/sdn_advanced.xml")
        r = _one(update_feeds(store, [feed], timeout=0.3))
    assert r.error == f"{feed.url}: timed out after 0.3 s"
    assert feed_states(store) == {}


def test_dns_failure_is_described() -> None:
    exc = httpx.ConnectError("[Errno -2] Name or service not known")
    exc.__cause__ = socket.gaierror(-2, "Name or service not known")
    assert _connect_problem(exc, "https://feeds.example.invalid/x.txt") == (
        "cannot resolve host 'feeds.example.invalid' (Name or service not known)"
    )


def test_http_500_is_an_error(store: IntelStore, www: Path, site: Site) -> None:
    _write_list(www, ADDR_A)
    site.config.fail["/" + ETH_FEED] = 500
    feed = Feed(name="eth", url=site.url(ETH_FEED))
    before = _content(store)
    r = _one(update_feeds(store, [feed], timeout=5))
    assert r.error == f"{feed.url}: HTTP 500 Internal Server Error"
    assert _content(store) == before
    missing = Feed(name="gone", url=site.url("lists/nothing_here.txt"))
    assert (
        _one(update_feeds(store, [missing], timeout=5)).error
        == f"{missing.url}: HTTP 404 Not Found"
    )


def test_size_cap(store: IntelStore, www: Path, site: Site, home: Path) -> None:
    _write_list(www, ADDR_A, ADDR_B)
    feed = Feed(name="eth", url=site.url(ETH_FEED))
    r = _one(update_feeds(store, [feed], timeout=5, max_bytes=50))
    assert r.error is not None
    assert "larger than the size cap of 50 bytes" in r.error
    assert feed_states(store) == {}
    assert _no_temporary_files(home)


def test_import_error_names_the_url(store: IntelStore, www: Path, site: Site) -> None:
    (www / "lists" / "sanctioned_addresses_ETH.txt").write_text("0xnot-an-address-at-all-x\n")
    feed = Feed(name="eth", url=site.url(ETH_FEED))
    before = _content(store)
    r = _one(update_feeds(store, [feed], timeout=5))
    assert r.error is not None
    assert r.error.startswith(f"{feed.url}")
    assert ".feed-" not in r.error  # the temporary file is not what the user configured
    assert _content(store) == before
    unknown = Feed(
        name="junk", url=site.url("lists/sanctioned_addresses_ETH.txt"), format="no-such-format"
    )
    r = _one(update_feeds(store, [unknown], timeout=5))
    assert r.error is not None
    assert "unknown format 'no-such-format'" in r.error


def test_unusable_entries_are_reported_with_the_url(
    store: IntelStore, www: Path, site: Site
) -> None:
    _write_list(www, ADDR_A, "0xnot-an-address", ADDR_B)
    feed = Feed(name="eth", url=site.url(ETH_FEED), format="ticker-list")
    r = _one(update_feeds(store, [feed], timeout=5))
    assert r.error is None, r.error
    assert "2 indicators, 2 new" in r.status
    assert "skipped 1 unusable entry" in r.status
    [problem] = r.problems
    assert problem.startswith(f"{feed.url}:2: ")
    assert _listed(store, ADDR_B) == [True]


def test_only_and_unknown_names(store: IntelStore, www: Path, site: Site) -> None:
    _write_list(www, ADDR_A)
    feeds = [
        Feed(name="eth", url=site.url(ETH_FEED)),
        Feed(name="other", url=site.url("lists/nothing_here.txt")),
    ]
    results = update_feeds(store, feeds, only={"eth", "nope"}, timeout=5)
    assert [(r.name, r.error) for r in results] == [
        ("eth", None),
        ("nope", "no feed named nope in the profile"),
    ]
    assert [s.path for s in site.requests] == ["/" + ETH_FEED]


def test_file_url(store: IntelStore, www: Path) -> None:
    path = _write_list(www, ADDR_A, ADDR_B)
    feed = Feed(name="local", url=path.as_uri())
    r = _one(update_feeds(store, [feed], timeout=5))
    assert r.error is None, r.error
    assert "2 indicators, 2 new" in r.status
    assert _one(update_feeds(store, [feed], timeout=5)).status == "not modified (same sha256)"
    gone = Feed(name="gone", url=(www / "missing.txt").as_uri())
    err = _one(update_feeds(store, [gone], timeout=5)).error
    assert err == f"{gone.url}: cannot read: No such file or directory"


# -- the CLI -----------------------------------------------------------------------------------


def test_cli_intel_update(home: Path, www: Path, site: Site, tmp_path: Path) -> None:
    _write_list(www, ADDR_A, ADDR_B)
    profile = tmp_path / "koban.toml"
    profile.write_text(
        f'[[intel.feeds]]\nname = "eth"\nurl = "{site.url(ETH_FEED)}"\n', encoding="utf-8"
    )
    runner = CliRunner()
    ok = runner.invoke(cli, ["--profile", str(profile), "intel", "update"])
    assert ok.exit_code == 0, ok.output
    assert "feed eth: imported ofac-address-list[ETH]" in ok.stdout
    again = runner.invoke(cli, ["--profile", str(profile), "intel", "update"])
    assert again.exit_code == 0
    assert "feed eth: not modified (ETag)" in again.stdout

    dead_url = f"http://127.0.0.1:{_refused_port()}/sdn_advanced.xml.bz2"
    profile.write_text(
        profile.read_text() + f'\n[[intel.feeds]]\nname = "dead"\nurl = "{dead_url}"\n',
        encoding="utf-8",
    )
    bad = runner.invoke(cli, ["--profile", str(profile), "intel", "update", "--timeout", "5"])
    assert bad.exit_code == 2
    assert f"koban: error: feed dead: {dead_url}: connection refused" in bad.stderr
    assert "feed eth: not modified (ETag)" in bad.stdout


# -- real OFAC data from ../shared/data ----------------------------------------------------------


@pytest.mark.shared_data
def test_ofac_sdn_export_then_newer_export(store: IntelStore, shared_site: Site) -> None:
    old = Feed(name="ofac", url=shared_site.url(SDN_OLD))
    r = _one(update_feeds(store, [old], timeout=30))
    assert r.error is None, r.error
    assert r.status.startswith("imported ofac-sdn as of 2025-03-04: ")
    assert r.imported[0].records > 500
    # The profile now points at a newer export: a new URL, so no conditions are sent.
    new = Feed(name="ofac", url=shared_site.url(SDN_NEW))
    r = _one(update_feeds(store, [new], timeout=30))
    assert r.error is None, r.error
    assert "If-None-Match" not in shared_site.requests[-1].headers
    [imp] = r.imported
    assert imp.as_of == "2025-11-19"
    assert imp.delisted > 0
    assert imp.added > 0
    assert r.status == (
        f"imported ofac-sdn as of 2025-11-19: {imp.records} indicators, "
        f"{imp.added} new, {imp.delisted} no longer listed"
    )
    again = _one(update_feeds(store, [new], timeout=30))
    assert again.status == "not modified (ETag)"


@pytest.mark.shared_data
def test_ofac_sdn_checksum(store: IntelStore, shared_site: Site, ofac_data: Path) -> None:
    digest = hashlib.sha256((ofac_data / SDN_NEW).read_bytes()).hexdigest()
    wrong = Feed(name="ofac", url=shared_site.url(SDN_NEW), sha256=digest[::-1])
    r = _one(update_feeds(store, [wrong], timeout=30))
    assert r.error is not None
    assert "sha256 mismatch" in r.error
    assert store.stats()["feeds"] == []
    right = Feed(name="ofac", url=shared_site.url(SDN_NEW), sha256=digest)
    assert _one(update_feeds(store, [right], timeout=30)).error is None
    assert store.stats()["feeds"][0]["source"] == "ofac-sdn"


@pytest.mark.shared_data
def test_ofac_ticker_list(store: IntelStore, shared_site: Site, ofac_data: Path) -> None:
    eth = Feed(name="ofac-eth", url=shared_site.url(ETH_LIST))
    r = _one(update_feeds(store, [eth], timeout=30))
    assert r.error is None, r.error
    [imp] = r.imported
    assert (imp.source, imp.scope, imp.as_of) == ("ofac-address-list", "ETH", "2025-11-19")
    first = (ofac_data / ETH_LIST).read_text(encoding="utf-8").split()[0]
    assert _listed(store, first) == [True]
    assert _one(update_feeds(store, [eth], timeout=30)).status == "not modified (ETag)"
