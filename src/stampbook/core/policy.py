"""The policy: who may call each route and who may act on each object.

Every route declares a :class:`RoutePolicy` with :func:`route`; a route without one fails to
register (see ``stampbook.core.routing``). Object-level decisions go through :func:`require`, which
looks the action up in the rules registered by the domain modules of this package. An object
the actor may not even see answers 404, not 403, so its existence does not leak.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from stampbook.core.errors import Forbidden, NotFound

if TYPE_CHECKING:
    from stampbook.accounts.models import User

F = TypeVar("F", bound=Callable[..., Any])


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


POLICY_ATTRIBUTE = "route_policy"


def route(
    access: Access, *, action: str | None = None, idempotent: bool = False
) -> Callable[[F], F]:
    """Declare who may call the decorated view. Put it below the ``@bp.get(...)`` line."""

    def decorate(view: F) -> F:
        setattr(view, POLICY_ATTRIBUTE, RoutePolicy(access, action, idempotent))
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
        raise Forbidden()


def registered_actions() -> list[str]:
    return sorted(_RULES)
