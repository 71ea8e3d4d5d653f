"""OFAC SDN advanced XML (plain, .bz2, .gz): every "Digital Currency Address - X" feature.

The export is ~120 MB. Instead of building a tree of all 1.8 million elements, the reader streams
the (decompressed) bytes, keeps only a small window, and parses with ElementTree just the
elements that matter: the reference tables, the DistinctParty elements that carry a digital
currency address, and the SanctionsEntry / ProfileRelationship elements of those parties.
Everything else is skipped with ``bytes.find``. A truncated or malformed file is an error that
names the file, line and byte offset; nothing is yielded from a file that does not end properly.
"""

from __future__ import annotations

import lzma
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import defusedxml.ElementTree as SafeET

from koban.errors import InputError
from koban.intel import attribution
from koban.intel.chains import chain_for
from koban.intel.importers.common import ImportOptions, open_binary, resolve_as_of
from koban.intel.indicators import IndicatorType, NormaliseError, normalise_address
from koban.intel.records import Batch, Record

NAME = "ofac-sdn"
SOURCE = "ofac-sdn"
CHUNK = 4 * 1024 * 1024
DCA_PREFIX = "Digital Currency Address - "
# Relations that make a party's addresses the actor's own (not "providing support to").
ATTRIBUTING_RELATIONS = {
    "Acting for or on behalf of",
    "Owned or Controlled By",
    "Leader or official of",
}


def sniff(path: Path, head: bytes) -> bool:
    return b"<Sanctions" in head and b"sanctionslistservice.ofac.treas.gov" in head


@dataclass
class _Party:
    fixed_ref: str
    name: str
    aliases: list[str]
    addresses: list[tuple[str, str]]  # (ticker, address)
    programs: list[str] = field(default_factory=list)
    related: list[tuple[str, str]] = field(default_factory=list)  # (relation, profile id)


class _Window:
    """A sliding window over a byte stream that tracks the line and offset of its start."""

    def __init__(self, stream: IO[bytes], origin: str) -> None:
        self.stream = stream
        self.origin = origin
        self.buf = b""
        self.pos = 0  # cursor: everything before it has been dealt with
        self.offset = 0  # file offset of buf[0]
        self.line = 1  # line number of buf[0]
        self.eof = False

    def more(self) -> bool:
        if self.eof:
            return False
        try:
            chunk = self.stream.read(CHUNK)
        except (EOFError, OSError, lzma.LZMAError) as exc:
            raise InputError(
                self.origin,
                f"corrupt or truncated compressed data: {exc}",
                position=f"after byte {self.offset + len(self.buf)}",
            ) from exc
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def drop(self, upto: int) -> None:
        """Advance the cursor; compact the buffer once the dead prefix is large (amortised)."""
        self.pos = upto
        if upto >= CHUNK:
            self.line += self.buf.count(b"\n", 0, upto)
            self.offset += upto
            self.buf = self.buf[upto:]
            self.pos = 0

    def find(self, token: bytes, start: int | None = None) -> int:
        """Position of ``token`` at or after ``start`` (default: the cursor), reading more as
        needed; -1 at EOF."""
        start = self.pos if start is None else start
        while True:
            pos = self.buf.find(token, start)
            if pos >= 0:
                return pos
            start = max(start, len(self.buf) - len(token) + 1)
            if not self.more():
                return -1

    def where(self, pos: int) -> tuple[int, str]:
        return self.line + self.buf.count(b"\n", 0, pos), f"byte {self.offset + pos}"

    def truncated(self, what: str) -> InputError:
        line, pos = self.where(len(self.buf))
        return InputError(
            self.origin,
            f"truncated OFAC XML: ended inside or before {what}",
            line=line,
            position=pos,
        )

    def parse(self, start: int, end: int) -> ET.Element:
        try:
            return SafeET.fromstring(self.buf[start:end])
        except ET.ParseError as exc:
            line, col = exc.position
            base, _ = self.where(start)
            raise InputError(
                self.origin,
                f"malformed XML: {exc.msg}",
                line=base + line - 1,
                position=f"column {col}",
            ) from exc


def _strip_ns(root: ET.Element) -> None:
    for el in root.iter():
        if "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]


def _blocks(win: _Window, tag: bytes, section_end: bytes) -> Iterator[tuple[int, int]]:
    """(start, end) of each ``<tag ...>...</tag>`` before ``section_end``; drops what it passes."""
    open_tok, close_tok = b"<" + tag + b" ", b"</" + tag + b">"
    while True:
        s = win.find(open_tok)
        stop = win.buf.find(section_end, win.pos, s if s >= 0 else len(win.buf))
        if s < 0 and stop < 0:
            stop = win.find(section_end)
        if stop >= 0 and (s < 0 or stop < s):
            win.drop(stop)
            return
        if s < 0:
            raise win.truncated(section_end.decode())
        e = win.find(close_tok, s)
        if e < 0:
            raise win.truncated(tag.decode())
        e += len(close_tok)
        yield s, e
        win.drop(e)


def _reference(win: _Window) -> tuple[str | None, dict[str, str], set[str], dict[str, str]]:
    """Date of issue, DCA feature type id → ticker, program sanctions-type ids, relation names."""
    end = win.find(b"</ReferenceValueSets>")
    if end < 0:
        raise win.truncated("ReferenceValueSets")
    end += len(b"</ReferenceValueSets>")
    head = win.buf[win.pos : end] + b"</Sanctions>"
    try:
        root = SafeET.fromstring(head)
    except ET.ParseError as exc:
        raise InputError(
            win.origin,
            f"malformed XML: {exc.msg}",
            line=exc.position[0],
            position=f"column {exc.position[1]}",
        ) from exc
    _strip_ns(root)
    if root.tag != "Sanctions":
        raise InputError(win.origin, f"not an OFAC advanced XML export (root <{root.tag}>)")
    date = None
    doi = root.find("DateOfIssue")
    if doi is not None:
        y, m, d = (doi.findtext(k) for k in ("Year", "Month", "Day"))
        if y and m and d:
            date = f"{int(y):04d}-{int(m):02d}-{int(d):02d}"
    dca = {}
    for ft in root.iter("FeatureType"):
        text = (ft.text or "").strip()
        if text.startswith(DCA_PREFIX):
            dca[ft.get("ID", "")] = text[len(DCA_PREFIX) :].strip()
    programs = {
        st.get("ID", "")
        for st in root.iter("SanctionsType")
        if (st.text or "").strip() == "Program"
    }
    relations = {rt.get("ID", ""): (rt.text or "").strip() for rt in root.iter("RelationType")}
    if not dca:
        raise InputError(
            win.origin,
            "no 'Digital Currency Address' feature types in "
            "ReferenceValueSets: not an SDN advanced export?",
        )
    win.drop(end)
    return date, dca, programs, relations


def _party(el: ET.Element, dca: dict[str, str]) -> _Party | None:
    addresses = []
    for feat in el.iter("Feature"):
        ticker = dca.get(feat.get("FeatureTypeID", ""))
        if ticker is None:
            continue
        for detail in feat.iter("VersionDetail"):
            if detail.text and detail.text.strip():
                addresses.append((ticker, detail.text.strip()))
    if not addresses:
        return None
    names: list[str] = []
    primary = ""
    for alias in el.iter("Alias"):
        parts = [p.text.strip() for p in alias.iter("NamePartValue") if p.text]
        if not parts:
            continue
        full = " ".join(parts)
        if alias.get("Primary") == "true" and not primary:
            primary = full
        names.append(full)
    return _Party(el.get("FixedRef", ""), primary or (names[0] if names else ""), names, addresses)


def _records(
    path: Path, options: ImportOptions, stream: IO[bytes]
) -> tuple[str, str, list[Record]]:
    win = _Window(stream, str(path))
    if win.find(b"<Sanctions") < 0:
        raise InputError(str(path), "not an OFAC advanced XML export (no <Sanctions> element)")
    date, dca, program_types, relation_names = _reference(win)
    dca_attr = re.compile(
        rb'FeatureTypeID="(?:' + b"|".join(re.escape(k.encode()) for k in dca) + rb')"'
    )
    parties: dict[str, _Party] = {}
    profile_of: dict[str, str] = {}  # profile id -> fixed ref
    if win.find(b"<DistinctParties>") < 0:
        raise win.truncated("DistinctParties")
    for s, e in _blocks(win, b"DistinctParty", b"</DistinctParties>"):
        if not dca_attr.search(win.buf, s, e):
            continue
        party = _party(win.parse(s, e), dca)
        if party is not None:
            parties[party.fixed_ref] = party
            profile_of[party.fixed_ref] = party.fixed_ref
    profile_attr = re.compile(rb'(From|To)-ProfileID="(\d+)"')
    if win.find(b"<ProfileRelationships") >= 0:
        for s, e in _blocks(win, b"ProfileRelationship", b"</ProfileRelationships>"):
            head_end = win.buf.find(b">", s, e)
            found = profile_attr.findall(win.buf, s, head_end)
            ids = {k.decode(): v.decode() for k, v in found}
            if ids.get("From") in parties:
                rel = re.search(rb'RelationTypeID="(\d+)"', win.buf[s:head_end])
                relation = relation_names.get(rel.group(1).decode(), "") if rel else ""
                parties[ids["From"]].related.append((relation, ids.get("To", "")))
    if win.find(b"<SanctionsEntries") < 0:
        raise win.truncated("SanctionsEntries")
    entry_profile = re.compile(rb'ProfileID="(\d+)"')
    for s, e in _blocks(win, b"SanctionsEntry", b"</SanctionsEntries>"):
        head_end = win.buf.find(b">", s, e)
        m = entry_profile.search(win.buf, s, head_end)
        if m is None or m.group(1).decode() not in parties:
            continue
        entry = win.parse(s, e)
        party = parties[m.group(1).decode()]
        for measure in entry.iter("SanctionsMeasure"):
            if measure.get("SanctionsTypeID") in program_types:
                text = (measure.findtext("Comment") or "").strip()
                if text and text not in party.programs:
                    party.programs.append(text)
    if win.find(b"</Sanctions>") < 0:
        raise win.truncated("</Sanctions>")
    as_of, basis = resolve_as_of(path, options, date)
    return as_of, basis, _to_records(parties, str(path))


def _to_records(parties: dict[str, _Party], origin: str) -> list[Record]:
    records: list[Record] = []
    for party in parties.values():
        actor = attribution.resolve(party.name, *party.aliases)
        attributed = actor.name if actor and actor.category == "threat-actor" else None
        category = actor.category if actor else None
        if attributed is None:
            for relation, other in party.related:
                other_party = parties.get(other)
                if relation in ATTRIBUTING_RELATIONS and other_party is not None:
                    linked = attribution.resolve(other_party.name, *other_party.aliases)
                    if linked and linked.category == "threat-actor":
                        attributed, category = linked.name, linked.category
                        break
        for ticker, raw in party.addresses:
            try:
                value = normalise_address(raw)
                chain = chain_for(ticker, raw, source=origin)
            except (NormaliseError, InputError):
                # OFAC occasionally lists malformed addresses; keep the text as written.
                value, chain = raw, ticker.lower()
            records.append(
                Record(
                    type=IndicatorType.ADDRESS,
                    value=value,
                    entity=party.name,
                    chain=chain,
                    programs=tuple(party.programs),
                    attribution=attributed,
                    category=category,
                    description=f"{DCA_PREFIX}{ticker}",
                    ref=f"FixedRef {party.fixed_ref}",
                )
            )
    return records


def read(path: Path, options: ImportOptions) -> list[Batch]:
    with open_binary(path) as stream:
        as_of, basis, records = _records(path, options, stream)
    return [
        Batch(
            source=options.source or SOURCE,
            as_of=as_of,
            as_of_basis=basis,
            format=NAME,
            origin=str(path),
            records=records,
        )
    ]
