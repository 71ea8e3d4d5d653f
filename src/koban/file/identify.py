"""True type by content. (Interim: the mail analyser's signatures; the identification work of
issue 5 replaces this module.)"""

from __future__ import annotations

from koban.mail.attachments import sniff


def identify(name: str, data: bytes) -> tuple[str, str]:
    """``(true_type, description)`` of ``data`` (declared ``name`` used only as a hint)."""
    kind = sniff(data)
    return kind, kind
