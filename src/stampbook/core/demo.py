"""The demo data's shared state: each domain's ``demo.load`` reads what the domains before it
made and adds its own (``stampbook demo``, in ``DOMAINS`` order)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DemoWorld:
    # (email, password) of the demo accounts, printed by ``stampbook demo``.
    accounts: list[tuple[str, str]] = field(default_factory=list)
    # The café's owner, its barista and a regular, in that order.
    user_ids: list[int] = field(default_factory=list)
    shop_id: int | None = None
    # The coffee card and the book club.
    program_ids: list[int] = field(default_factory=list)
    # (program id, user id) -> membership id
    membership_ids: dict[tuple[int, int], int] = field(default_factory=dict)
    # Set by the first domain that finds its demo data made already: the rest is too.
    already_loaded: bool = False

    @property
    def owner_id(self) -> int:
        return self.user_ids[0]

    def at(self) -> tuple[int, list[int]]:
        """The shop and its programs; only after the shops and programs demos ran."""
        assert self.shop_id is not None
        return self.shop_id, self.program_ids
