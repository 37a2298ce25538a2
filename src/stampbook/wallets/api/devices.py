"""Apple's pass web service (PassKit Web Service), under ``/api/v1/wallet``: a pass's
``webServiceURL`` is that address, and Apple's devices call ``/v1/...`` below it.

It lives in the API (its guard, limits, problem+json refusals and the API document, whose
fuzzing covers it) although people never call it. Its blueprint does not read
``Authorization`` as the API's bearer token: Apple sends ``ApplePass <token>``, the pass's
own token, which ``wallets.devices`` checks (401 ``pass_token_invalid``); a bearer token sent
here is not a caller either. Every route is public, as the payments' webhook is.
"""

from __future__ import annotations

from flask import Response, request

from stampbook.core.policy import Access, route
from stampbook.core.routing import ApiBlueprint
from stampbook.wallets import devices
from stampbook.wallets.api.passes import pass_response, pkpass_responses
from stampbook.wallets.schemas import LogsIn, PushTokenIn, SerialNumbersOut, UpdatedQuery


class DeviceBlueprint(ApiBlueprint):
    """No user is taken from ``Authorization`` (it is ``ApplePass``, the service's own)."""

    api = False


bp = DeviceBlueprint(
    "wallet_devices", __name__, url_prefix="/api/v1/wallet/v1", tag="Wallet web service"
)

DEVICE = "<string(maxlength=128):device_id>"
PASS_TYPE = "<string(maxlength=255):pass_type_id>"
SERIAL = "<string(maxlength=64):serial_number>"
TOKEN_DOC = "`Authorization: ApplePass <authenticationToken>` (the pass's): 401 otherwise."


def _header() -> str | None:
    return request.headers.get("Authorization")


@bp.post(f"/devices/{DEVICE}/registrations/{PASS_TYPE}/{SERIAL}")
@route(Access.PUBLIC)
@bp.input(PushTokenIn, arg_name="body")
@bp.doc(
    summary="Register a device for a pass's updates (Apple's devices)",
    description="201 registered, 200 registered already (the push token is refreshed). "
    + TOKEN_DOC,
    responses={201: "Registered", 200: "Registered already", 401: "Unauthorized"},
)
def register_device(
    device_id: str, pass_type_id: str, serial_number: str, body: PushTokenIn
) -> tuple[str, int]:
    made = devices.register(device_id, pass_type_id, serial_number, _header(), body.pushToken)
    return "", 201 if made else 200


@bp.delete(f"/devices/{DEVICE}/registrations/{PASS_TYPE}/{SERIAL}")
@route(Access.PUBLIC)
@bp.doc(
    summary="Unregister a device from a pass's updates (Apple's devices)",
    description=TOKEN_DOC,
    responses={200: "Unregistered", 401: "Unauthorized"},
)
def unregister_device(device_id: str, pass_type_id: str, serial_number: str) -> tuple[str, int]:
    devices.unregister(device_id, pass_type_id, serial_number, _header())
    return "", 200


@bp.get(f"/devices/{DEVICE}/registrations/{PASS_TYPE}")
@route(Access.PUBLIC)
@bp.input(UpdatedQuery, location="query", arg_name="query")
@bp.doc(
    summary="The serial numbers of a device's passes changed since a tag (Apple's devices)",
    description="204 when none changed.",
    responses={200: "Changed passes", 204: "None changed"},
)
def updated_passes(device_id: str, pass_type_id: str, query: UpdatedQuery) -> object:
    found = devices.updated_serials(device_id, pass_type_id, query.passesUpdatedSince)
    if found is None:
        return "", 204
    serials, last = found
    return SerialNumbersOut(serialNumbers=serials, lastUpdated=last).model_dump()


@bp.get(f"/passes/{PASS_TYPE}/{SERIAL}")
@route(Access.PUBLIC)
@bp.doc(
    summary="The latest version of a pass (Apple's devices)",
    description=f"`Last-Modified` is sent; 304 when not modified since `If-Modified-Since`. "
    f"{TOKEN_DOC}",
    responses=pkpass_responses({304: "Not modified", 401: "Unauthorized"}),
)
def latest_pass(pass_type_id: str, serial_number: str) -> Response:
    data, wallet_pass = devices.latest(
        pass_type_id, serial_number, _header(), request.if_modified_since
    )
    if data is None:
        response = Response(status=304)
    else:
        response = pass_response(data, wallet_pass.serial_number)
    response.last_modified = wallet_pass.updated_at
    return response


@bp.post("/log")
@route(Access.PUBLIC)
@bp.input(LogsIn, arg_name="body")
@bp.output({}, status_code=204)
@bp.doc(summary="Devices' logs of pass errors (Apple's devices read any 2xx as taken)")
def device_log(body: LogsIn) -> tuple[str, int]:
    devices.log(body.logs)
    return "", 204
