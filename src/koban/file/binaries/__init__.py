"""Executables (PE, Mach-O thin and universal, ELF): who signed them, what they hide, what
they can do, read with lief and never run.

:mod:`.common` holds what every format shares (parsing bounds, entropy, UPX marks, wallet-store
strings); :mod:`.authenticode` judges Windows signatures (integrity with lief, chain with
signify when it imports); :mod:`.pe`, :mod:`.macho` and :mod:`.elf` the structure of each
format. The inspector (:mod:`koban.file.inspectors.binaries`) only dispatches.
"""
