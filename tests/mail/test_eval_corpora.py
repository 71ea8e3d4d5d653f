"""Evaluation on the real corpora of ../shared/data/mail (marked shared_data).

No profile exists for these corpora's organisations, so an empty Profile runs the generic checks
only (no executive, own-domain or role checks). Figures are printed (pytest -s); thresholds:

- SpamAssassin easy_ham + hard_ham: at most 1% flagged (the issue's bar).
- phishing_pot: the issue asks for 90% suspicious or malicious. The corpus is split in two
  halves by the SHA-256 of each file name (even: DEV, odd: HOLDOUT; see ``split``). The checks
  added since the split were designed looking at DEV misses only; HOLDOUT is the honest
  estimate. Reached: DEV 91.9% (773/841), HOLDOUT 87.5% (664/759); before those checks 69.6%
  and 69.3%. Added: spam topics in seven languages, opt-out text in HTML mail without
  List-Unsubscribe, machine-made sender addresses, much-abused TLDs, pictographs and money
  figures in the subject or sender name, a sender name that is a lure pitch, HTML-only mail
  from a webmail mailbox, mostly-picture bodies, link hosts written in look-alike symbol
  fonts, more impersonated retail and DeFi brands, a heavier malformed From; a newsletter's
  own click-tracking link showing another site no longer counts as deceptive (84.8% / 81.7%);
  then advance-fee letters by their shape (fraud.yaml), content moved out of view by CSS, a
  brand's own domain failing authentication, crypto token/NFT/wallet lures (88.0% / 84.6%);
  then (one idea at a time, HOLDOUT measured once per idea; figures DEV / HOLDOUT after each):
  authentication failed before a forwarder re-sent the message (ARC instance 1; 88.9 / 85.4),
  lure phrases for overdue payments, import fees, certificates, unlocks, renewal receipts
  (89.7 / 85.8), greetings after forms of address ("Sr(a) user@...", 89.9 / 85.8), links to a
  server named after its IP address (90.0 / 85.9), a subject calling out an unlisted mailbox
  ("user@..., your quote", 90.4 / 86.2), lure words spelled with digits ("B0NUS", 90.5 / 86.4),
  an organisation or offer name on a person's mailbox (90.7 / 86.7), password-protected
  PDF/Office attachments (90.8 / 86.8), tax agencies as brands and "D'isney"-style broken
  brand names and more deadline phrases (91.2 / 86.8), an unread-count badge ("NEW MESSAGE
  (1)", 91.8 / 87.2), a request to write to another free webmail mailbox (91.9 / 87.5).
  DEV gained 22.3 points since the split, HOLDOUT 18.2: the gap is the DEV tuning; HOLDOUT
  stays below the issue's 90%. The checks before the split (42% -> 69%) were tuned on the
  whole corpus, so both halves share that optimism.
- With the Authentication-Results headers stripped from phishing_pot (the ham has none, so
  auth failures can never count against the ham): 85.3% (1364/1600; was 82.4%, 79.4%, and
  64.6% before the split).
- Ham: 0.95% flagged (26/2749, the same 26 messages as before the latest checks, which add a
  signal to one ham message only; was 0.76% before the split): hard_ham is 2002 commercial
  mail and the 1% bar leaves one message of margin. The ARC check cannot be tried on it (no
  ARC in 2002). Advertising marks alone never flag a message (see mail.combined_signals),
  which is why most remaining misses stay clean: commercial spam (health plans, timeshares,
  dating, casinos) from senders with no sign of deception or abuse.
  Caveat: the ham is from 2002 and cannot show modern habits. Checks that would only separate
  the eras (CSS-hidden preheaders, zero-size fonts) were left out; pictographs in the subject
  (no 2002 mail has them) count only as a mark of advertising, which never flags alone.
  Content pushed tens of thousands of pixels out of view (mail.offscreen_content) is no
  preheader habit, but the 2002 ham cannot tell whether modern legitimate mail does it: it is
  evidence only (weight 1.5, never flags alone). The
  SpamAssassin spam folder, of the same era as the ham, goes from 9.8% to 33.8% flagged.
- Throughput (msg/s printed below): the same as before these checks (phrase lists are now
  searched only for phrases whose first word the text contains).
The asserts guard what is reached, not the goal.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

import pytest

from koban.mail import MailContext, scan_message
from koban.model import Verdict
from koban.profile import Profile

PHISH_DEV_REACHED = 0.91  # the target is 0.90: see the module docstring
PHISH_REACHED = 0.87  # HOLDOUT, the honest figure (below the target)
PHISH_STRIPPED_REACHED = 0.85
HAM_MAX = 0.01
# An Authentication-Results (or ARC-Authentication-Results) header with its folded lines.
_AUTH_HEADER = re.compile(
    rb"^(?:ARC-)?Authentication-Results:[^\n]*\n(?:[ \t][^\n]*\n)*", re.IGNORECASE | re.MULTILINE
)


def split(files: list[Path]) -> tuple[list[Path], list[Path]]:
    """(DEV, HOLDOUT): by the parity of the SHA-256 of the file name, stable across machines."""
    dev, holdout = [], []
    for p in files:
        even = int(hashlib.sha256(p.name.encode()).hexdigest(), 16) % 2 == 0
        (dev if even else holdout).append(p)
    return dev, holdout


def strip_auth(raw: bytes) -> bytes:
    """The message without its Authentication-Results headers (the body is left alone)."""
    m = re.search(rb"\r?\n\r?\n", raw)
    end = raw.index(b"\n", m.start()) + 1 if m else len(raw)  # after the last header's EOL
    return _AUTH_HEADER.sub(b"", raw[:end]) + raw[end:]


def _rate(files: list[Path], *, stripped: bool = False) -> tuple[float, int, float]:
    ctx = MailContext.build(Profile(), None)
    start = time.perf_counter()
    flagged = 0
    for p in files:
        raw = p.read_bytes()
        if stripped:
            raw = strip_auth(raw)
        flagged += scan_message(raw, p.name, ctx).verdict is not Verdict.CLEAN
    return flagged / len(files), flagged, time.perf_counter() - start


def _phishing_files(shared_data: Path) -> list[Path]:
    files = sorted((shared_data / "mail" / "phishing_pot").glob("*.eml"))
    assert len(files) >= 1500
    return files


def test_split_is_deterministic_and_disjoint() -> None:
    files = [Path(f"sample-{i}.eml") for i in range(400)]
    dev, holdout = split(files)
    assert split(list(reversed(files))) == (list(reversed(dev)), list(reversed(holdout)))
    assert not set(dev) & set(holdout)
    assert len(dev) + len(holdout) == len(files)
    assert 150 < len(dev) < 250  # about half each


def test_strip_auth_keeps_the_rest() -> None:
    raw = (
        b"Authentication-Results: mx.example; spf=fail\n smtp.mailfrom=a.example;\n"
        b"\tdkim=none\nFrom: a@a.example\nARC-Authentication-Results: i=1; mx; dmarc=fail\n"
        b"Subject: hi\n\nAuthentication-Results: quoted in the body stays\n"
    )
    assert strip_auth(raw) == (
        b"From: a@a.example\nSubject: hi\n\nAuthentication-Results: quoted in the body stays\n"
    )
    crlf = b"Subject: hi\r\nAuthentication-Results: mx; spf=fail\r\n\r\nbody\r\n"
    assert strip_auth(crlf) == b"Subject: hi\r\n\r\nbody\r\n"


@pytest.mark.shared_data
def test_phishing_pot_detection(shared_data: Path) -> None:
    dev, holdout = split(_phishing_files(shared_data))
    dev_rate, dev_flagged, dev_secs = _rate(dev)
    hold_rate, hold_flagged, hold_secs = _rate(holdout)
    secs = dev_secs + hold_secs
    print(f"\nphishing_pot DEV: {dev_flagged}/{len(dev)} = {dev_rate:.1%}; "
          f"HOLDOUT: {hold_flagged}/{len(holdout)} = {hold_rate:.1%}; "
          f"in {secs:.1f} s ({(len(dev) + len(holdout)) / secs:.0f} msg/s)")  # fmt: skip
    assert dev_rate >= PHISH_DEV_REACHED
    assert hold_rate >= PHISH_REACHED


@pytest.mark.shared_data
def test_phishing_pot_without_auth_headers(shared_data: Path) -> None:
    files = _phishing_files(shared_data)
    rate, flagged, secs = _rate(files, stripped=True)
    print(f"\nphishing_pot without Authentication-Results: {flagged}/{len(files)} = {rate:.1%} "
          f"in {secs:.1f} s ({len(files) / secs:.0f} msg/s)")  # fmt: skip
    assert rate >= PHISH_STRIPPED_REACHED


@pytest.mark.shared_data
def test_spamassassin_ham_false_positives(shared_data: Path) -> None:
    base = shared_data / "mail" / "spamassassin"
    files = sorted(p for d in ("easy_ham", "hard_ham") for p in (base / d).iterdir() if p.is_file())
    assert len(files) >= 2700
    rate, flagged, secs = _rate(files)
    print(f"\nspamassassin ham: {flagged}/{len(files)} flagged = {rate:.2%} in {secs:.1f} s "
          f"({len(files) / secs:.0f} msg/s)")  # fmt: skip
    assert rate <= HAM_MAX
