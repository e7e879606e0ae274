"""Random ids for runs and data versions, in the form and with the randomness of UUID 4.

Formatted here rather than with the `uuid` module, which imports `platform` and more (about
2 ms, paid by every run of a fresh process for two calls of `uuid4()`).
"""

from __future__ import annotations

import os

# RFC 4122 version 4: the version nibble is 4, the variant's two top bits are 10.
_VERSION_MASK = ~((0xF000 << 64) | (0xC000 << 48))
_VERSION_BITS = (0x4000 << 64) | (0x8000 << 48)


def random_hex() -> str:
    """32 lowercase hex digits: `uuid.uuid4().hex`."""
    value = (int.from_bytes(os.urandom(16), "big") & _VERSION_MASK) | _VERSION_BITS
    return f"{value:032x}"


def random_uuid() -> str:
    """A random UUID in its canonical 8-4-4-4-12 form: `str(uuid.uuid4())`."""
    h = random_hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
