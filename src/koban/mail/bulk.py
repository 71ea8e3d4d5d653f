"""Marks of mass-produced unsolicited mail that no reader notices but a filter can.

Each function looks at one thing and returns what it found (for the finding's evidence) or
``None``. None of them means "phishing" alone: real newsletters forget headers, real people have
odd mailbox names. :mod:`koban.mail.message` weighs them in ``mail.combined_signals``.
"""

from __future__ import annotations

import re

# Opt-out language in the languages the lure lists cover. Bulk senders are required (RFC 8058,
# the 2024 Gmail and Yahoo bulk-sender rules) to offer it as a List-Unsubscribe header too.
_UNSUBSCRIBE = re.compile(
    r"unsubscri|opt[ -]?out\b|remove yourself|to be removed|no longer wish to receive"
    r"|abmelden|abbestellen|newsletter abbestellen|austragen"
    r"|uitschrijven|afmelden"
    r"|descadastr|cancelar (?:a )?inscri|descadastrar|cancelar assinatura"
    r"|darse de baja|dar de baja|anular (?:la )?suscripci"
    r"|désinscri|desinscri|désabonner|se désabonner"
    r"|配信停止|登録解除|配信解除",
    re.IGNORECASE,
)
_TAIL_CHARS = 6000  # opt-out text sits in the footer (some put it at the top too)
_HEAD_CHARS = 1500

# Letter pairs common in names and words of the Latin-script languages mail is written in: a
# mailbox name made mostly of other pairs ("kmjbrckhz", "yxnvwvdgd") was generated, not chosen.
_COMMON_PAIRS = frozenset(
    re.findall(
        r"[a-z]{2}",
        """th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le
    ve co me de hi ri ro ic ne ea ra ce li ch ll be ma si om ur ca el ta la ns di fo ho pe ec pr
    no ct us ac ot il tr ly nc et ut ss so rs un lo wa ge ie wh ee wi em ad ol rt po we na ul ni
    ts mo ow pa im mi ai sh ir su id os iv ia am fi ci vi pl ig tu ev ld ry mp fe bl ab gh ty op
    wo sa ay ex ke fr oo av ag if ap gr od bo sp rd do uc bu ei ov by rm ep tt oc fa ef cu rn sc
    gi da yo cr cl du ga qu ue ff ba ey ls va um pp ua up lu go ht ru ug ds lt pi rc rr eg au ck
    ew mu br bi pt ak pu ja jo ju ka ki ko ku ya yu za zi zo ze oa ao ui iu oy ye""",
    )
)
_GIBBERISH_SHARE = 0.6  # share of uncommon pairs from which a name reads as random
_GIBBERISH_MIN = 8  # letters: short names ("xdzzf", "mcmasjc") are too often real initials
_GIBBERISH_SHORT = 7, 0.8  # ... except 7 letters of which nearly every pair is rare ("lcfnupd")
# "lina_becky_92427", "join_now_85537", "new_offre_1_71624": words joined by underscores and a
# serial number, the local parts a bulk mailer numbers its throw-away senders with.
_SERIAL_LOCAL = re.compile(r"[a-z]+(?:_[a-z0-9]+)+_\d{3,}")
# "green.monica645794", "avisos324742": a name and a serial of six or more digits.
_SERIAL_TAIL = re.compile(r"[a-z]+(?:\.[a-z]+)?\d{6,}")
# "j.u.t.o.s.b.i.m.a2.example.shop": runs of one-letter labels, a generated host name.
_LETTER_LABELS = re.compile(r"(?:^|\.)(?:[a-z0-9]\.){4,}")
# Pictographs (emoji) and money or discount figures in a subject: bait for the eye.
_PICTOGRAPH = re.compile(r"[\U0001f300-\U0001faff\u2600-\u27bf\u2b50\u2b55]")
_MONEY = re.compile(
    r"[$€£]\s?\d(?:[\d.,]*\d)?|\d(?:[\d.,]*\d)?\s?(?:[$€£]|(?:usd|eur|btc)\b)|\d+\s?%",
    re.IGNORECASE,
)


def unsubscribe_offer(text: str) -> str | None:
    """The opt-out wording in the body's head or footer, if there is any."""
    for chunk in (text[-_TAIL_CHARS:], text[:_HEAD_CHARS]):
        m = _UNSUBSCRIBE.search(chunk)
        if m:
            start = max(0, m.start() - 40)
            return " ".join(chunk[start : m.end() + 40].split())
    return None


def gibberish(name: str) -> bool:
    """Letters that do not read as a word or a name in any Latin-script language."""
    letters = name.lower()
    short_len, short_share = _GIBBERISH_SHORT
    if not letters.isascii() or not letters.isalpha() or len(letters) < short_len:
        return False
    pairs = [letters[i : i + 2] for i in range(len(letters) - 1)]
    rare = sum(p not in _COMMON_PAIRS for p in pairs) / len(pairs)
    return rare >= (_GIBBERISH_SHARE if len(letters) >= _GIBBERISH_MIN else short_share)


def generated_sender(local: str, domain: str, registrable: str) -> str | None:
    """Why the sender's address looks machine-made (serial, random letters), or ``None``."""
    local = local.lower()
    if _SERIAL_LOCAL.fullmatch(local) or _SERIAL_TAIL.fullmatch(local):
        return f"mailbox name {local!r} is words and a serial number"
    if gibberish(local):
        return f"mailbox name {local!r} is random letters"
    label = registrable.split(".", 1)[0] if registrable else ""
    if gibberish(label):
        return f"domain name {registrable!r} is random letters"
    if _LETTER_LABELS.search(domain):
        return f"domain {domain!r} is built of one-letter labels"
    return None


def abused_tld(host: str, tlds: frozenset[str]) -> str | None:
    """The top-level domain of ``host`` when it is on the abused list."""
    tld = host.rstrip(".").rsplit(".", 1)[-1].lower()
    return tld if "." in host and tld in tlds else None


def subject_bait(subject: str, display: str = "") -> str | None:
    """A pictograph or a money/discount figure in the subject, or a pictograph in the name."""
    m = _PICTOGRAPH.search(subject) or _MONEY.search(subject) or _PICTOGRAPH.search(display)
    return m.group(0) if m else None
