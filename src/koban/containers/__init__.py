"""One bounded walker over trees, archives, documents and git history (keys and file analysers).

:func:`walk` yields every file of a tree, the members of its archives (recursively, in memory),
the text of its office documents and PDFs, and every version ever committed to its git
repositories, as :class:`Blob` objects; whatever could not be walked (a bound reached, a corrupt
archive) is a :class:`Problem`. Analysers consume the stream and never open archives themselves.
"""

from koban.containers.archives import expand, expand_bytes, safe_name, sniff
from koban.containers.blob import Blob, Problem
from koban.containers.files import iter_files
from koban.containers.git import git_history
from koban.containers.limits import Limits
from koban.containers.text import as_utf8, is_binary
from koban.containers.walk import walk

__all__ = [
    "Blob",
    "Limits",
    "Problem",
    "as_utf8",
    "expand",
    "expand_bytes",
    "git_history",
    "is_binary",
    "iter_files",
    "safe_name",
    "sniff",
    "walk",
]
