"""Forms of the people pages and of the person's own account (Flask-WTF: CSRF included).

Labels and messages are marked for translation (``lazy_gettext``: they are read when the page
is drawn, in the viewer's language). The API's input models (``UserPatch``, ``MessageIn``,
``PostIn``...) then check what the forms read, so a page accepts what the API accepts.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
)

from stampbook.people.models import PostAudience
from stampbook.people.schemas import MAX_MESSAGE_LENGTH, MAX_POST_LENGTH
from stampbook.ui.forms import (
    options,
)

# --- My settings ------------------------------------------------------------------------------


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
