"""Apple's pass web service (PassKit Web Service): what a device holding a pass calls at the
pass's ``webServiceURL`` to register for its updates, learn which of its passes changed, fetch
the latest one, unregister, and send its logs.

A device proves it holds the pass with ``Authorization: ApplePass <authenticationToken>``
(the pass's own token, random and stored, compared in constant time): without it, or for a
serial number that is not a pass, the answer is 401 ``pass_token_invalid`` and nothing is
written. The list of changed passes takes no token (Apple sends none): it names only the
serial numbers the device itself registered, newer than the tag it gives (``update_tag``).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from stampbook.core import clock
from stampbook.core.db import db
from stampbook.core.errors import Unauthorized
from stampbook.programs.models import Membership, Program
from stampbook.wallets import credentials, queries, services
from stampbook.wallets.models import WalletDevice, WalletPass, WalletSettings

logger = logging.getLogger(__name__)
SCHEME = "ApplePass "


class PassTokenInvalid(Unauthorized):
    code, title = "pass_token_invalid", "Pass token not valid"


def _pass_type_of(
    wallet_pass: WalletPass,
) -> tuple[Membership, credentials.AppleCredentials, WalletSettings | None]:
    """The pass's membership, its shop's Apple credentials and its shop's own settings."""
    membership = db.session.get(Membership, wallet_pass.membership_id)
    assert membership is not None
    program = db.session.get(Program, membership.program_id)
    assert program is not None
    settings = queries.settings_of(program.shop_id)
    apple = credentials.apple(settings)
    if apple is None:
        raise PassTokenInvalid()  # the shop took its certificate away: no pass to serve
    return membership, apple, settings


def authorised(pass_type_id: str, serial_number: str, header: str | None) -> WalletPass:
    """The pass, if ``header`` carries its token and the pass is of ``pass_type_id``."""
    wallet_pass = queries.pass_by_serial(serial_number)
    presented = header[len(SCHEME) :].strip() if header and header.startswith(SCHEME) else ""
    expected = wallet_pass.authentication_token if wallet_pass is not None else "x" * 43
    matched = hmac.compare_digest(presented.encode(), expected.encode())
    if wallet_pass is None or not presented or not matched:
        raise PassTokenInvalid()
    _membership, apple, _settings = _pass_type_of(wallet_pass)
    if apple.pass_type_id != pass_type_id:
        raise PassTokenInvalid()
    return wallet_pass


def register(
    device_id: str, pass_type_id: str, serial_number: str, header: str | None, push_token: str
) -> bool:
    """Register the device for the pass's updates; True if it was new (201), False if it was
    registered already (200: its push token is refreshed)."""
    wallet_pass = authorised(pass_type_id, serial_number, header)
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    made = db.session.execute(
        dialect.insert(WalletDevice)
        .values(
            device_library_id=device_id,
            pass_id=wallet_pass.id,
            push_token=push_token,
            registered_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["device_library_id", "pass_id"])
        .returning(WalletDevice.id)
    ).scalar()
    if made is None:
        db.session.execute(
            update(WalletDevice)
            .where(
                WalletDevice.device_library_id == device_id, WalletDevice.pass_id == wallet_pass.id
            )
            .values(push_token=push_token)
        )
    return made is not None


def unregister(device_id: str, pass_type_id: str, serial_number: str, header: str | None) -> None:
    wallet_pass = authorised(pass_type_id, serial_number, header)
    db.session.execute(
        delete(WalletDevice).where(
            WalletDevice.device_library_id == device_id, WalletDevice.pass_id == wallet_pass.id
        )
    )


def updated_serials(
    device_id: str, pass_type_id: str, since: str | None
) -> tuple[list[str], str] | None:
    """The serial numbers of the device's passes changed after the tag ``since`` (all of them
    without one) and the newest tag, or None where there is none (204)."""
    query = (
        select(WalletPass.serial_number, WalletPass.update_tag, WalletPass.membership_id)
        .join(WalletDevice, WalletDevice.pass_id == WalletPass.id)
        .where(WalletDevice.device_library_id == device_id)
        .order_by(WalletPass.id)
    )
    if since:
        query = query.where(WalletPass.update_tag > int(since))
    rows = db.session.execute(query).all()
    wanted = [row for row in rows if _of_type(row[2], pass_type_id)]
    if not wanted:
        return None
    return [row[0] for row in wanted], str(max(row[1] for row in wanted))


def _of_type(membership_id: int, pass_type_id: str) -> bool:
    membership = db.session.get(Membership, membership_id)
    program = db.session.get(Program, membership.program_id) if membership else None
    if program is None:
        return False
    apple = credentials.apple(queries.settings_of(program.shop_id))
    return apple is not None and apple.pass_type_id == pass_type_id


def latest(
    pass_type_id: str, serial_number: str, header: str | None, modified_since: datetime | None
) -> tuple[bytes | None, WalletPass]:
    """The pass as it is now, or None when it has not changed since ``modified_since``
    (304). ``updated_at`` moves by whole seconds (``consuming``), as HTTP dates do."""
    wallet_pass = authorised(pass_type_id, serial_number, header)
    if modified_since is not None and wallet_pass.updated_at <= modified_since:
        return None, wallet_pass
    membership, apple, settings = _pass_type_of(wallet_pass)
    return services.render(membership, wallet_pass, apple, settings), wallet_pass


def log(lines: Sequence[str]) -> None:
    """What devices report going wrong with passes, kept in the app's log."""
    for line in lines:
        logger.warning("wallet device log: %r", line[:2000])  # %r: no forged log lines
