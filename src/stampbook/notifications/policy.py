"""Who may act on notifications: a notice is its user's alone (anyone else gets 404); a shop's
templates are managed by those who edit the shop's settings (``shop.edit``)."""

from __future__ import annotations

from enum import StrEnum

from stampbook.accounts.models import User
from stampbook.core.policy import Decision, rule
from stampbook.notifications.models import Notification
from stampbook.shops.models import Shop
from stampbook.shops.policy import edit_shop


class NotificationAction(StrEnum):
    NOTIFICATION_READ = "notification.read"
    TEMPLATES_MANAGE = "notification_templates.manage"


@rule(NotificationAction.NOTIFICATION_READ)
def read_notification(actor: User | None, notification: Notification) -> Decision:
    mine = actor is not None and notification.user_id == actor.id
    return Decision.ALLOW if mine else Decision.HIDDEN


@rule(NotificationAction.TEMPLATES_MANAGE)
def manage_templates(actor: User | None, shop: Shop) -> Decision:
    return edit_shop(actor, shop)
