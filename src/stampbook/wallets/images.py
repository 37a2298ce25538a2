"""The pass's images: the shop's own logo where its team uploaded one (a PNG, checked here:
``logo_size``), and where it did not, a small PNG written here (a stamp, a ring on the shop's
colour) at Apple's sizes (icon 29 pt, logo up to 160 x 50 pt; @2x doubled). A few lines of
``zlib`` rather than an imaging library: the picture is simple, and an uploaded logo is only
read for its size (the phone scales it into the pass's logo area)."""

from __future__ import annotations

import struct
import zlib

from stampbook.wallets.rules import ink_for, rgb

# Apple's sizes in points: file name -> (width, height) at 1x.
SIZES = {"icon": (29, 29), "logo": (50, 50)}
# An uploaded logo: at most this many bytes (a pass should stay small) and pixels a side.
MAX_LOGO_BYTES = 256 * 1024
MAX_LOGO_PIXELS = 1024
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def logo_size(data: bytes) -> tuple[int, int] | None:
    """The width and height of ``data`` if it is a PNG within the limits, else None (not a
    PNG, too large, or a side of 0 or above ``MAX_LOGO_PIXELS``)."""
    if len(data) > MAX_LOGO_BYTES or not data.startswith(_SIGNATURE) or len(data) < 33:
        return None
    length, kind = struct.unpack(">I4s", data[8:16])
    if kind != b"IHDR" or length != 13:
        return None
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= MAX_LOGO_PIXELS and 0 < height <= MAX_LOGO_PIXELS):
        return None
    return width, height


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(width: int, height: int, pixels: list[bytes]) -> bytes:
    """An 8-bit RGB PNG of ``pixels`` (one ``bytes`` of 3 x width per row)."""
    raw = b"".join(b"\x00" + row for row in pixels)  # filter type 0 on every row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def stamp(size: int, colour: str) -> bytes:
    """A ring (the stamp) in the ink that reads on ``colour``, on ``colour``."""
    background = bytes(rgb(colour))
    ink = bytes(rgb(ink_for(colour)))
    centre = (size - 1) / 2
    outer, inner = size * 0.40, size * 0.28
    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            distance = ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5
            row += ink if inner <= distance <= outer else background
        rows.append(bytes(row))
    return png(size, size, rows)


def pass_images(colour: str, logo: bytes | None = None) -> dict[str, bytes]:
    """``icon.png``, ``icon@2x.png``, ``logo.png`` and ``logo@2x.png``: the shop's ``logo``
    as both logos where it has one (the phone scales it), else the stamp."""
    files = {}
    for name, (width, _height) in SIZES.items():
        if name == "logo" and logo is not None:
            files["logo.png"] = files["logo@2x.png"] = logo
        else:
            files[f"{name}.png"] = stamp(width, colour)
            files[f"{name}@2x.png"] = stamp(width * 2, colour)
    return files
