"""The policy: who may call each route and who may act on each object.

Every route declares a :class:`RoutePolicy` with :func:`route`; a route without one fails to
register (see ``stampbook.core.routing``). Object-level decisions go through :func:`require`, which
looks the action up in the rules registered by the domain modules of this package. An object
the actor may not even see answers 404, not 403, so its existence does not leak.

A request made with a shop's API key (``g.api_key``, set by the accounts domain's
``authenticate``) acts for that shop alone: :func:`decide` hides every object that does not
belong to it (each domain says which shop its objects belong to with :func:`in_shop`), and
the guard (``core.routing``) lets a key call only the routes that name its scope.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from flask import g, has_request_context, request

from stampbook.core.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from stampbook.accounts.models import User

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


class Access(StrEnum):
    """Who may call a route at all; object rules then decide per object."""

    PUBLIC = "public"  # anyone, signed in or not
    USER = "user"  # any signed-in user
    ADMIN = "admin"  # platform admins only


@dataclass(frozen=True)
class RoutePolicy:
    access: Access
    # The object-level action the route's service checks with ``require`` (documentation for
    # readers and for the authorization matrix test; the service does the check).
    action: str | None = None
    # Writes that move points accept an Idempotency-Key header.
    idempotent: bool = False
    # What ``action`` is decided on, loaded from the path's parameters (see
    # :func:`check_subject`): a caller who may not act at all gets 403 or 404 rather than
    # the 422 or 400 of a bad body or query.
    subject: Callable[..., Any] | None = None
    # The action checked on ``subject`` where it is not ``action`` (seeing a list's parent,
    # seeing the reward a payment is for).
    subject_action: str | None = None
    # The scope a shop's API key needs to call the route ("read" or "write"); None: no API
    # key may call it (only users' tokens and sessions).
    key_scope: str | None = None


POLICY_ATTRIBUTE = "route_policy"
# What a route may ask of a shop's API key: to read, or to write (a "write" key reads too).
KEY_SCOPES = (None, "read", "write")


def route(
    access: Access,
    *,
    action: str | None = None,
    idempotent: bool = False,
    subject: Callable[..., Any] | None = None,
    subject_action: str | None = None,
    key_scope: str | None = None,
) -> Callable[[F], F]:
    """Declare who may call the decorated view. Put it below the ``@bp.get(...)`` line.

    ``subject`` loads the object ``action`` is decided on, from the path parameters it names
    (and ``actor``, the caller, if it names it), raising NotFound for a missing one: a
    domain's loader such as ``load_redemption(redemption_id)`` or ``load_program(actor,
    program_id)``. Give it where the path alone says whether the caller may act, so that one
    who may not is refused (403 or 404) whatever the body. Where ``action`` needs the body
    (which membership pays, whom a stamp is for) or is decided on something else than the
    path's object (a list's items), ``subject_action`` names what is checked on the subject
    instead: seeing it, so that a hidden object answers 404 whatever the body.
    """
    if subject is not None and (subject_action or action) is None:
        raise ValueError("a route's subject is what its action is decided on: name the action")
    if key_scope not in KEY_SCOPES:
        raise ValueError(f"a route's key_scope is one of {KEY_SCOPES}, not {key_scope!r}")
    policy = RoutePolicy(access, action, idempotent, subject, subject_action, key_scope)

    def decorate(view: F) -> F:
        setattr(view, POLICY_ATTRIBUTE, policy)
        return view

    return decorate


def policy_of(view: Callable[..., Any]) -> RoutePolicy | None:
    found: RoutePolicy | None = getattr(view, POLICY_ATTRIBUTE, None)
    return found


class Decision(Enum):
    ALLOW = "allow"
    DENY = "deny"  # visible but not allowed: 403
    HIDDEN = "hidden"  # not even visible: 404


Rule = Callable[["User | None", Any], Decision]
_RULES: dict[str, Rule] = {}
# Kinds of object kept once deleted (for the ledger's history), and how to tell a deleted one.
_GONE: dict[type, Callable[[Any], bool]] = {}


def gone_when(kind: type[T], deleted: Callable[[T], bool]) -> None:
    """A deleted ``kind`` is gone for the API: hidden (404) from everyone there, admins too,
    whatever the action. The pages keep showing archives to whom the rules let see them."""
    _GONE[kind] = deleted


class ShopKey(Protocol):
    """A shop's API key as the policy sees it (``apikeys.models.ApiKey``)."""

    @property
    def shop_id(self) -> int: ...

    def grants(self, scope: str) -> bool: ...


def key_in_use() -> ShopKey | None:
    """The shop's API key the request came with; None for a user's token, a session, a
    command or a job (jobs run in an app context of their own, whose ``g`` has no key)."""
    if not has_request_context():
        return None
    key: ShopKey | None = g.get("api_key")
    return key


# Kinds of object that belong to a shop, and how to tell which (see :func:`in_shop`).
_SHOP_OF: dict[type, Callable[[Any], int | None]] = {}


def in_shop(kind: type[T], shop_id: Callable[[T], int | None]) -> None:
    """A ``kind`` belongs to the shop ``shop_id`` names. A decision made for a shop's API key
    hides an object of another shop; a kind never registered here is hidden from every key,
    so nothing reaches a key by being forgotten."""
    _SHOP_OF[kind] = shop_id


def shop_id_of(obj: Any) -> int | None:
    """The shop ``obj`` belongs to, as its domain registered; None for none or unknown."""
    for kind in type(obj).__mro__:
        resolve = _SHOP_OF.get(kind)
        if resolve is not None:
            return resolve(obj)
    return None


def through_api() -> bool:
    """Whether the request came through the JSON API's door."""
    return has_request_context() and request.path.startswith("/api/")


def rule(action: str) -> Callable[[Rule], Rule]:
    """Register the function that decides ``action``; one function per action."""

    def register(decide: Rule) -> Rule:
        if action in _RULES:
            raise RuntimeError(f"a rule for {action!r} is already registered")
        _RULES[action] = decide
        return decide

    return register


def decide(actor: User | None, action: str, obj: Any) -> Decision:
    try:
        decide_rule = _RULES[action]
    except KeyError:
        raise RuntimeError(f"no policy rule for action {action!r}") from None
    key = key_in_use()
    if key is not None and shop_id_of(obj) != key.shop_id:
        # A key acts for its shop and nowhere else, whatever its maker may do elsewhere.
        return Decision.HIDDEN
    gone = _GONE.get(type(obj))
    if gone is not None and gone(obj) and through_api():
        return Decision.HIDDEN
    if actor is not None and actor.is_admin:
        return Decision.ALLOW
    return decide_rule(actor, obj)


def can(actor: User | None, action: str, obj: Any) -> bool:
    return decide(actor, action, obj) is Decision.ALLOW


def require(actor: User | None, action: str, obj: Any) -> None:
    """Raise NotFound or Forbidden unless ``actor`` may do ``action`` on ``obj``."""
    decision = decide(actor, action, obj)
    if decision is Decision.HIDDEN:
        raise NotFound()
    if decision is Decision.DENY:
        raise Forbidden(action=str(action))


def check_subject(actor: User | None, policy: RoutePolicy, path: Mapping[str, Any]) -> None:
    """Raise NotFound or Forbidden unless ``actor`` may do the route's action on its subject,
    loaded from the path parameters ``path``; nothing for a route without a subject."""
    load, action = policy.subject, policy.subject_action or policy.action
    if load is None or action is None:
        return
    wanted = inspect.signature(load).parameters
    arguments = {name: value for name, value in path.items() if name in wanted}
    if "actor" in wanted:
        arguments["actor"] = actor
    subject = load(**arguments)
    if subject is None:  # a loader that answers None for a missing object
        raise NotFound()
    require(actor, action, subject)


def registered_actions() -> list[str]:
    return sorted(_RULES)
