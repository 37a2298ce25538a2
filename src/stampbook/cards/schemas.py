"""The cards' API shapes: ``POST /programs/{id}/card-scans`` (who a card is, for the team),
the member's own card (``/memberships/{id}/card``), and the counter's stamp and redemption
by card (``/programs/{id}/card-scans/stamps`` and ``.../redemptions``, flows)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from stampbook.core.schemas import Id, Input, Output

CardCode = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    Field(
        description="A member's card code as scanned or typed (case, spaces and dashes ignored).",
        examples=["K7QM2XPA9HRT4WCN6BDJ3FEL8GUVY2ZS"],
    ),
]
Quantity = Annotated[int, Field(ge=1, le=100, strict=True)]
Note = Annotated[str, StringConstraints(max_length=500)]


class CardScanIn(Input):
    card_code: CardCode


class RedeemableOut(Output):
    id: int = Field(examples=[3])
    name: str = Field(examples=["Free coffee"])
    cost: int = Field(examples=[100])


class CardScanOut(Output):
    membership_id: int = Field(examples=[7])
    name: str = Field(description="The member's name (an unclaimed customer's email).")
    initials: str = Field(examples=["AL"])
    balance: int = Field(examples=[120])
    redeemable: list[RedeemableOut] = Field(
        description="The shop's rewards the member can redeem now with this membership: "
        "available, not expired, in stock, within limits and affordable."
    )


class CardOut(Output):
    membership_id: int = Field(examples=[7])
    card_code: str = Field(
        description="The member's card code: shown as a QR code at the counter.",
        examples=["K7QM2XPA9HRT4WCN6BDJ3FEL8GUVY2ZS"],
    )


class CardStampIn(Input):
    card_code: CardCode
    task_id: Id = Field(description="The program's task to stamp.", examples=[4])
    quantity: Quantity = Field(1, description="More than 1 needs allows_multiple.")
    partial: bool = Field(False, description="Partial credit (needs allows_partial).")
    note: Note | None = None


class CardRedeemIn(Input):
    card_code: CardCode
    reward_id: Id = Field(description="The shop's reward the member's points pay for.")
    quantity: Quantity = Field(1, examples=[1])
