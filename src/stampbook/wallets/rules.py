"""What a wallet pass says, without a database: the card's content (``Card``), Apple's
``pass.json`` and its localized labels, Google's loyalty class and object, the manifest of a
``.pkpass`` and the update tags.

A stamp card (the next reward costs at most ``MAX_MARKS`` points) shows its stamps as marks,
filled and empty, toward the next reward; a points program shows its balance. The labels of
Apple's pass are keys, said in each language by the pass's ``<lang>.lproj/pass.strings``
(the device picks its own), so one pass reads right on any phone.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MAX_MARKS = 20
FILLED, EMPTY = "●", "○"
QR = "PKBarcodeFormatQR"
DEFAULT_COLOUR = "#3b5bdb"
_HEX = re.compile(r"#?([0-9a-fA-F]{6})")
# The labels' keys (pass.json) and their English, translated per language into pass.strings.
LABEL_KEYS = ("balance", "stamps", "next_reward", "address", "hours", "about", "card_code")


@dataclass(frozen=True)
class Card:
    """What one membership's pass shows."""

    serial_number: str
    authentication_token: str
    program_name: str
    shop_name: str
    member_name: str
    balance: int
    points_name: str  # "stamps", "points" or the program's own plural
    card_code: str
    colour: str  # "#rrggbb"
    next_reward: str | None = None
    next_cost: int | None = None
    hours: Sequence[str] = field(default_factory=tuple)  # opening hours, one line each
    address: str | None = None
    about: str | None = None


def colour_of(*candidates: str | None) -> str:
    """The first of ``candidates`` that is a ``#rrggbb`` colour (the program's, then the
    shop's branding), else the default."""
    for candidate in candidates:
        if candidate and (found := _HEX.fullmatch(candidate.strip())):
            return "#" + found.group(1).lower()
    return DEFAULT_COLOUR


def rgb(colour: str) -> tuple[int, int, int]:
    value = colour_of(colour).lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def css_rgb(colour: str) -> str:
    red, green, blue = rgb(colour)
    return f"rgb({red},{green},{blue})"


def ink_for(colour: str) -> str:
    """Black or white, whichever reads on ``colour`` (relative luminance, WCAG)."""
    red, green, blue = (channel / 255 for channel in rgb(colour))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return "#000000" if luminance > 0.55 else "#ffffff"


def marks(balance: int, cost: int | None) -> str | None:
    """``●●●○○○`` toward a reward of ``cost`` stamps (a full card past it), or None where
    the program is not a stamp card (no reward, or one too dear for marks)."""
    if cost is None or not 0 < cost <= MAX_MARKS:
        return None
    filled = min(max(balance, 0), cost)
    return FILLED * filled + EMPTY * (cost - filled)


def next_reward(balance: int, rewards: Sequence[tuple[str, int]]) -> tuple[str, int] | None:
    """The cheapest reward not reached yet, else the dearest one reached (the card is full):
    ``rewards`` are (name, cost)."""
    priced = sorted((cost, name) for name, cost in rewards if cost > 0)
    if not priced:
        return None
    ahead = [(cost, name) for cost, name in priced if cost > balance]
    cost, name = ahead[0] if ahead else priced[-1]
    return name, cost


def pass_json(
    card: Card,
    *,
    pass_type_id: str,
    team_id: str,
    web_service_url: str | None,
) -> dict[str, Any]:
    """Apple's ``pass.json`` for a store card (PassKit Package Format)."""
    ink = ink_for(card.colour)
    shown = marks(card.balance, card.next_cost)
    primary = (
        {"key": "stamps", "label": "stamps", "value": shown}
        if shown is not None
        else {"key": "balance", "label": "balance", "value": card.balance}
    )
    secondary: list[dict[str, Any]] = []
    if card.next_reward is not None:
        secondary.append({"key": "next_reward", "label": "next_reward", "value": card.next_reward})
    back: list[dict[str, Any]] = []
    if card.address:
        back.append({"key": "address", "label": "address", "value": card.address})
    if card.hours:
        back.append({"key": "hours", "label": "hours", "value": "\n".join(card.hours)})
    if card.about:
        back.append({"key": "about", "label": "about", "value": card.about})
    back.append({"key": "card_code", "label": "card_code", "value": card.card_code})
    document: dict[str, Any] = {
        "formatVersion": 1,
        "passTypeIdentifier": pass_type_id,
        "teamIdentifier": team_id,
        "serialNumber": card.serial_number,
        "organizationName": card.shop_name,
        "description": card.program_name,
        "logoText": card.program_name,
        "backgroundColor": css_rgb(card.colour),
        "foregroundColor": css_rgb(ink),
        "labelColor": css_rgb(ink),
        "barcodes": [
            {
                "format": QR,
                "message": card.card_code,
                "messageEncoding": "iso-8859-1",
                "altText": card.card_code,
            }
        ],
        "storeCard": {
            "headerFields": [{"key": "points", "label": card.points_name, "value": card.balance}],
            "primaryFields": [primary],
            "secondaryFields": secondary,
            "auxiliaryFields": [{"key": "member", "label": "", "value": card.member_name}],
            "backFields": back,
        },
    }
    if web_service_url:
        # Apple calls ``{webServiceURL}/v1/...`` with ``ApplePass {authenticationToken}``.
        document["webServiceURL"] = web_service_url
        document["authenticationToken"] = card.authentication_token
    return document


def pass_strings(labels: Mapping[str, str]) -> bytes:
    """A ``pass.strings`` file (``"key" = "text";`` lines, UTF-8)."""
    lines = []
    for key, text in labels.items():
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        lines.append(f'"{key}" = "{escaped}";')
    return ("\n".join(lines) + "\n").encode()


def manifest(files: Mapping[str, bytes]) -> bytes:
    """``manifest.json``: each file's SHA-1 in hex, as Apple specifies."""
    digests = {name: hashlib.sha1(data).hexdigest() for name, data in sorted(files.items())}  # noqa: S324
    return json.dumps(digests, indent=2).encode()


def next_tag(previous: int, now: datetime) -> int:
    """A pass's new update tag: the moment in microseconds, and always past the last one (two
    updates in one microsecond, or a clock stepping back, still move it)."""
    return max(int(now.timestamp() * 1_000_000), previous + 1)


def google_ids(issuer_id: str, program_id: int, serial_number: str) -> tuple[str, str]:
    """The loyalty class's id (one per program) and the object's (one per pass)."""
    return f"{issuer_id}.stampbook-program-{program_id}", f"{issuer_id}.{serial_number}"


def loyalty_class(card: Card, *, class_id: str, logo_url: str, program_id: int) -> dict[str, Any]:
    """Google Wallet's ``loyaltyClass`` for the card's program."""
    return {
        "id": class_id,
        "issuerName": card.shop_name[:20],
        "programName": card.program_name,
        "programLogo": {"sourceUri": {"uri": logo_url}},
        "hexBackgroundColor": card.colour,
        "reviewStatus": "UNDER_REVIEW",
        "countryCode": "US",
        "localizedIssuerName": {"defaultValue": {"language": "en", "value": card.shop_name}},
    }


def loyalty_object(card: Card, *, class_id: str, object_id: str) -> dict[str, Any]:
    """Google Wallet's ``loyaltyObject`` for the card: the same content as Apple's pass."""
    shown = marks(card.balance, card.next_cost)
    points: dict[str, Any] = {
        "label": card.points_name,
        "balance": {"string": shown} if shown is not None else {"int": card.balance},
    }
    document: dict[str, Any] = {
        "id": object_id,
        "classId": class_id,
        "state": "ACTIVE",
        "accountId": card.card_code,
        "accountName": card.member_name,
        "loyaltyPoints": points,
        "barcode": {"type": "QR_CODE", "value": card.card_code, "alternateText": card.card_code},
        "hexBackgroundColor": card.colour,
    }
    modules = []
    if card.next_reward is not None:
        modules.append({"id": "next_reward", "header": "Next reward", "body": card.next_reward})
    if card.hours:
        modules.append({"id": "hours", "header": "Opening hours", "body": "\n".join(card.hours)})
    if card.address:
        modules.append({"id": "address", "header": "Address", "body": card.address})
    if modules:
        document["textModulesData"] = modules
    return document


def object_patch(card: Card) -> dict[str, Any]:
    """What moves when the balance does: the fields a ``PATCH`` of the object sends."""
    whole = loyalty_object(card, class_id="", object_id="")
    return {key: whole[key] for key in ("loyaltyPoints", "textModulesData") if key in whole}
