"""A free webmail address the text asks the reader to answer or write to.

A letter that says "reply to drben63@gmail.com" or "contact me at ...@outlook.com", when that
mailbox is neither the sender nor the Reply-To, moves the conversation to an address no filter
has seen: the way advance-fee and fake-courier letters keep their real mailbox out of the
headers. Quoted headers of a forwarded or replied-to message ("From: ... wrote:") do not count.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

_ADDRESS = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)", re.ASCII)
# Asking for an answer or a contact, in the languages of the lure lists, just before the address.
_CUE = re.compile(
    r"reply|respond|contact|write (?:me )?(?:to|at)|e-?mail (?:me )?(?:to|at)|e-?mail me|e-?mail:"
    r"|antworten|kontaktieren|schreiben sie|responda|responder|contacte|contáct|contacto"
    r"|répondez|contactez|écrivez|reageer|neem contact",
    re.IGNORECASE,
)
# A quoted header line or attribution: someone else's address, not the letter's request.
_QUOTED = re.compile(
    r"wrote:|schrieb|escreveu|a écrit|escribió|schreef|\bfrom:|\bde:|\bvon:|\bsent:|enviado",
    re.IGNORECASE,
)
_BEFORE = 60  # characters before the address where the request must stand
_SCAN_CHARS = 5000  # such requests stand in the letter itself, not in long quoted threads


def contact_elsewhere(
    text: str, own: Iterable[str], is_freemail: Callable[[str], bool]
) -> tuple[str, str] | None:
    """(address, the request before it) when ``text`` asks to write to a free webmail address
    that is not one of ``own`` (the sender's, Reply-To and recipients' addresses)."""
    head = text[:_SCAN_CHARS]
    if "@" not in head:
        return None
    known = {a.lower() for a in own}
    flat = " ".join(head.split())
    for m in _ADDRESS.finditer(flat):
        address = m.group(0).lower().rstrip(".")
        if address in known or not is_freemail(m.group(1).lower()):
            continue
        before = flat[max(0, m.start() - _BEFORE) : m.start()]
        cue = _CUE.search(before)
        if cue is None or _QUOTED.search(flat[max(0, m.start() - 80) : m.end() + 20]):
            continue
        return address, before[cue.start() :].strip()
    return None
