"""One catalogue of wording for refusals: each error ``code``, said in words a person reads,
in their language. Pages show these; a code without an entry shows the service's own detail.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from stampbook.core.errors import AppError

MESSAGES = {
    "escalation": _l("You may not grant more than you may do yourself."),
    "is_creator": _l("The creator leads the team already."),
    "already_in_team": _l("They are in the team already: change their role instead."),
    "already_invited": _l("They are invited already."),
    "already_member": _l("They are a member already."),
    "not_invite_only": _l(
        "Only an invite-only shop takes invitations: make it invite only first, or invite "
        "them into a program."
    ),
    "creator": _l("The shop's creator's membership is theirs alone."),
    "customer_is_member": _l("An unclaimed customer can only be a member."),
    "personal_program": _l("A personal program has no other members."),
    "archived": _l("This program is archived: it can be read, not changed."),
    "same_shop": _l("A shop cannot merge into itself."),
    "same_program": _l("A program cannot merge into itself."),
    "different_shops": _l("Only programs of one shop merge."),
    "self_request": _l("You cannot be your own buddy."),
    "already_buddies": _l("You are buddies already."),
    "request_pending": _l("You asked already; wait for an answer."),
    "not_pending": _l("This request was answered or cancelled already."),
    "you_blocked_user": _l("You blocked this person; unblock them first."),
    "blocked_by_user": _l("This person does not accept anything from you."),
    "self_block": _l("You cannot block yourself."),
    "self_message": _l("Write to someone else."),
    "messages_not_allowed": _l("This person's settings do not let you write to them."),
    "not_a_member": _l("Only the program's members post and review in it."),
    "not_a_review": _l("Only a review has a rating."),
    "invalid_credentials": _l("The current password is wrong."),
    "email_taken": _l("An account with this email exists."),
    "own_role": _l("Your own role is given and changed by someone else."),
}


def say(error: AppError) -> str:
    """A refusal in words: the catalogue's for the codes it knows, the service's otherwise."""
    found = MESSAGES.get(error.code)
    return str(found) if found is not None else error.detail
