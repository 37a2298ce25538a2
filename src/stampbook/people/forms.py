"""Forms of the people pages and of the person's own account (Flask-WTF: CSRF included).

Labels and messages are marked for translation (``lazy_gettext``: they are read when the page
is drawn, in the viewer's language). The API's input models (``UserPatch``, ``MessageIn``,
``PostIn``...) then check what the forms read, so a page accepts what the API accepts.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)

from stampbook.accounts.models import Privacy, Section
from stampbook.core.schemas import MAX_ORDERED
from stampbook.people.models import PostAudience
from stampbook.people.queries import OrderChoices
from stampbook.people.schemas import MAX_MESSAGE_LENGTH, MAX_POST_LENGTH
from stampbook.ui.forms import (
    TIME_ZONES,
    IdentityFields,
    color_field,
    icon_field,
    options,
    summary_field,
)

COLOR = r"^#[0-9a-fA-F]{6}$"


class PasswordChangeForm(FlaskForm):  # type: ignore[misc]
    old_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=1024)]
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(min=10, max=1024, message=_l("Use at least 10 characters (1024 at most).")),
        ],
        description=_l("At least 10 characters."),
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message=_l("The two passwords differ.")),
        ],
    )


# --- My settings ------------------------------------------------------------------------------


class ProfileForm(IdentityFields, FlaskForm):  # type: ignore[misc]
    summary = summary_field(_l("One line about you, shown under your name."))
    description = TextAreaField(
        _l("About me"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 4}
    )
    color = color_field(Regexp(COLOR, message=_l("Write the colour as #rrggbb, e.g. #6f4e37.")))
    icon = icon_field(_l("Optional: an emoji or a short word, e.g. ☕."))
    time_zone = SelectField(
        _l("Time zone"),
        choices=options((zone, zone) for zone in TIME_ZONES),
        default="UTC",
        description=_l("Times on every page are shown in it; streaks and days count in it."),
    )


PRIVACY_LEVELS = [
    (Privacy.PUBLIC.value, _l("Everyone")),
    (Privacy.MEMBERS.value, _l("My buddies and the people in my shops")),
    (Privacy.FRIENDS.value, _l("My buddies only")),
    (Privacy.PRIVATE.value, _l("Only me")),
]
MESSAGE_LEVELS = [
    (Privacy.PUBLIC.value, _l("Everyone")),
    (Privacy.MEMBERS.value, _l("My buddies and the people in my shops")),
    (Privacy.FRIENDS.value, _l("My buddies only")),
    (Privacy.PRIVATE.value, _l("Nobody (people I write to may still answer)")),
]
SECTION_LABELS = {
    Section.PAGE: _l("My page"),
    Section.BUDDIES: _l("My buddies"),
    Section.SHOPS: _l("Shops, programs, tasks and rewards I created or help run"),
    Section.MEMBERSHIPS: _l("Programs I am in, with my points"),
    Section.TASK_HISTORY: _l("My stamp history"),
    Section.REDEMPTIONS: _l("Rewards I redeemed or put points toward"),
    Section.FAVORITES: _l("My starred rewards"),
    Section.MESSAGES: _l("Who may write to me first"),
}
SECTION_HELP = {
    Section.PAGE: _l("Whoever may not see your page sees none of it."),
    Section.MESSAGES: _l("Anyone may answer a message you sent them."),
}


class PrivacyForm(FlaskForm):  # type: ignore[misc]
    """One select per section of ``Section`` (the field is named after the section)."""

    page = SelectField(
        SECTION_LABELS[Section.PAGE],
        choices=options(PRIVACY_LEVELS),
        description=SECTION_HELP[Section.PAGE],
    )
    buddies = SelectField(SECTION_LABELS[Section.BUDDIES], choices=options(PRIVACY_LEVELS))
    shops = SelectField(SECTION_LABELS[Section.SHOPS], choices=options(PRIVACY_LEVELS))
    memberships = SelectField(SECTION_LABELS[Section.MEMBERSHIPS], choices=options(PRIVACY_LEVELS))
    task_history = SelectField(
        SECTION_LABELS[Section.TASK_HISTORY], choices=options(PRIVACY_LEVELS)
    )
    redemptions = SelectField(SECTION_LABELS[Section.REDEMPTIONS], choices=options(PRIVACY_LEVELS))
    favorites = SelectField(SECTION_LABELS[Section.FAVORITES], choices=options(PRIVACY_LEVELS))
    messages = SelectField(
        SECTION_LABELS[Section.MESSAGES],
        choices=options(MESSAGE_LEVELS),
        description=SECTION_HELP[Section.MESSAGES],
    )


def order_form(choices: OrderChoices) -> FlaskForm:
    """A position box for each of my shops (``shop_<id>``) and each task of my programs
    (``task_<id>``), prefilled with the order they have now."""

    class OrderForm(FlaskForm):  # type: ignore[misc]
        pass

    def position(label: str, default: int) -> Any:
        return IntegerField(
            label,
            default=default,
            validators=[Optional(), NumberRange(min=1, max=MAX_ORDERED)],
            render_kw={"inputmode": "numeric"},
        )

    for place, (shop_id, name) in enumerate(choices.shops, 1):
        setattr(OrderForm, f"shop_{shop_id}", position(name, place))
    for program in choices.programs:
        for place, (task_id, name) in enumerate(program.tasks, 1):
            setattr(OrderForm, f"task_{task_id}", position(name, place))
    return OrderForm()


class StarredShopForm(FlaskForm):  # type: ignore[misc]
    shop_id = SelectField(_l("My starred shop"), coerce=int, default=0)


class EmailForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(_l("New email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=1024)],
        description=_l("To confirm that it is you."),
    )


class DeleteAccountForm(FlaskForm):  # type: ignore[misc]
    password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)])
    confirm = BooleanField(
        _l("I understand: my account is deleted for good."),
        validators=[DataRequired(message=_l("Tick this box to confirm."))],
    )


# --- Buddies and messages ---------------------------------------------------------------------


class BuddyAskForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(
        _l("Their email"),
        validators=[DataRequired(), Email(), Length(max=254)],
        description=_l("The address they signed up with."),
    )


class MessageForm(FlaskForm):  # type: ignore[misc]
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(), Length(max=MAX_MESSAGE_LENGTH)],
        render_kw={"rows": 3},
    )
    about = SelectField(
        _l("About (optional)"),
        default="",
        description=_l("A shop, program or task of yours this message is about."),
    )
    # The newest message shown: replying marks the messages up to it read.
    seen = HiddenField()


class MessageEditForm(FlaskForm):  # type: ignore[misc]
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(), Length(max=MAX_MESSAGE_LENGTH)],
        render_kw={"rows": 4},
    )


# --- Posts and reviews ------------------------------------------------------------------------

AUDIENCES = [
    (PostAudience.PUBLIC.value, _l("Everyone (who may see the program, if you choose one)")),
    (PostAudience.PROGRAM.value, _l("The members of the program I choose")),
    (PostAudience.INVITED.value, _l("The buddies I choose")),
    (PostAudience.PRIVATE.value, _l("Only me (a note to myself)")),
]
REVIEW_AUDIENCES = AUDIENCES[:2]
RATINGS = [
    ("5", _l("★★★★★ 5 stars: excellent")),
    ("4", _l("★★★★ 4 stars: good")),
    ("3", _l("★★★ 3 stars: fair")),
    ("2", _l("★★ 2 stars: poor")),
    ("1", _l("★ 1 star: bad")),
]


class PostForm(FlaskForm):  # type: ignore[misc]
    body = TextAreaField(
        _l("Post"),
        validators=[DataRequired(), Length(max=MAX_POST_LENGTH)],
        render_kw={"rows": 4},
    )
    audience = SelectField(
        _l("Who may read it"), choices=options(AUDIENCES), default=PostAudience.PUBLIC.value
    )
    program_id = SelectField(_l("Program"), coerce=int, default=0)
    recipient_ids = SelectMultipleField(
        _l("For these buddies"),
        coerce=int,
        description=_l("For “the buddies I choose”: hold Ctrl (or ⌘) to choose several."),
    )


class ReviewForm(FlaskForm):  # type: ignore[misc]
    rating = SelectField(
        _l("Rating"), choices=options(RATINGS), validators=[InputRequired()], default="5"
    )
    body = TextAreaField(
        _l("Review"),
        validators=[DataRequired(), Length(max=MAX_POST_LENGTH)],
        render_kw={"rows": 4},
    )
    program_id = SelectField(
        _l("As a member of"),
        coerce=int,
        description=_l("Only a program's members review its tasks and its shop's rewards."),
    )
    audience = SelectField(
        _l("Who may read it"),
        choices=options(REVIEW_AUDIENCES),
        default=PostAudience.PUBLIC.value,
    )
    reward_id = HiddenField()
    task_id = HiddenField()


class PostEditForm(FlaskForm):  # type: ignore[misc]
    body = TextAreaField(
        _l("Text"),
        validators=[DataRequired(), Length(max=MAX_POST_LENGTH)],
        render_kw={"rows": 5},
    )
    rating = SelectField(_l("Rating"), choices=options(RATINGS), validators=[Optional()])


class PostFilterForm(FlaskForm):  # type: ignore[misc]
    """A GET form: it changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    # Its own id: the post form on the same page has a program_id too.
    program_id = SelectField(_l("Program"), coerce=int, default=0, id="filter-program")
