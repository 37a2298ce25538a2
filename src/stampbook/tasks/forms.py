"""The task pages' forms: a task with every option, its bonus rows, overrides, stamps."""

from __future__ import annotations

from typing import Any, cast

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from stampbook.schedules.periods import TimeUnit
from stampbook.tasks.models import TaskPrivacy
from stampbook.tasks.rules import (
    MAX_BONUSES,
    MAX_COUNT,
    MAX_GROUP_COUNT,
    MAX_MULTIPLE,
    MAX_SCHEDULES,
    MAX_SPAN,
    MAX_TASK_POINTS,
    StreakPeriod,
)
from stampbook.ui.forms import IdentityFields, options
from stampbook.ui.schedule_forms import (
    MORE,
    ListBase,
    Loc,
    ScheduleList,
    Sections,
    WindowForm,
)


class StampDetails:
    """How much a stamp carries, and its note (shared by the stamp forms)."""

    quantity = IntegerField(
        _l("How many"), default=1, validators=[Optional(), NumberRange(min=1, max=MAX_MULTIPLE)]
    )
    partial = BooleanField(_l("Partial"))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class StampForm(StampDetails, FlaskForm):  # type: ignore[misc]
    membership_id = IntegerField(validators=[DataRequired()])


class StampMemberForm(StampDetails, FlaskForm):  # type: ignore[misc]
    """Stamp someone else: the members to choose from are set by the page."""

    membership_id = SelectField(_l("Member"), coerce=int, choices=[])


class NoteForm(FlaskForm):  # type: ignore[misc]
    note = StringField(
        _l("My note"),
        validators=[Optional(), Length(max=500)],
        description=_l("Only you write it; empty it to remove it."),
    )


TIME_UNITS = [
    (TimeUnit.DAY.value, _l("days")),
    (TimeUnit.WEEK.value, _l("weeks")),
    (TimeUnit.MONTH.value, _l("months")),
    (TimeUnit.YEAR.value, _l("years")),
]


STREAK_PERIODS = [
    (StreakPeriod.DAY.value, _l("days")),
    (StreakPeriod.WEEK.value, _l("weeks")),
    (StreakPeriod.MONTH.value, _l("months")),
]


def _points(label: Any, description: Any = "") -> IntegerField:
    return IntegerField(
        label,
        validators=[Optional(), NumberRange(min=1, max=MAX_TASK_POINTS)],
        description=description,
    )


def _bonus_name(example: Any) -> StringField:
    return StringField(
        _l("Its name"), validators=[Optional(), Length(max=100)], description=example
    )


def _members(description: Any) -> IntegerField:
    return IntegerField(
        _l("Least members taking part"),
        validators=[Optional(), NumberRange(min=1, max=MAX_COUNT)],
        description=description,
    )


class StreakRow(Form):
    """One streak bonus: ``points`` when a member stamps ``length`` periods in a row."""

    name = _bonus_name(_l("Optional, shown to members, e.g. “Three days in a row”."))
    length = IntegerField(
        _l("Periods in a row"),
        validators=[Optional(), NumberRange(min=1, max=MAX_COUNT)],
        description=_l("Days, weeks or months (below) in a row with a stamp, e.g. 3."),
    )
    period = SelectField(
        _l("Counted in"), choices=options(STREAK_PERIODS), default=StreakPeriod.DAY.value
    )
    points = _points(_l("Bonus points"), _l("Paid to the member when their streak gets there."))
    is_repeatable = BooleanField(
        _l("Paid again each time the streak grows by as many"),
        description=_l("E.g. with 3: paid at 3, 6, 9… in a row. Unticked: once."),
    )


class MilestoneRow(Form):
    """One milestone: ``points`` when a member's stamps reach ``quantity``."""

    name = _bonus_name(_l("Optional, shown to members, e.g. “Tenth coffee”."))
    quantity = IntegerField(
        _l("Stamps reached"),
        validators=[Optional(), NumberRange(min=1, max=MAX_COUNT)],
        description=_l("A member's stamps of this task in all, e.g. 10, however long it takes."),
    )
    points = _points(_l("Bonus points"), _l("Paid once, when the member's stamps reach it."))


class GroupStreakRow(Form):
    """A group streak: periods in a row in which someone stamped; paid to those who did.
    (The fields of :class:`StreakRow` with their own words, in the same order.)"""

    name = _bonus_name(_l("Optional, e.g. “A week of stamps together”."))
    length = IntegerField(
        _l("Periods in a row"),
        validators=[Optional(), NumberRange(min=1, max=MAX_COUNT)],
        description=_l(
            "Days, weeks or months (below) in a row in which at least one member stamped."
        ),
    )
    period = SelectField(
        _l("Counted in"), choices=options(STREAK_PERIODS), default=StreakPeriod.DAY.value
    )
    points = _points(
        _l("Bonus points each"), _l("Paid to every member who stamped during the streak.")
    )
    is_repeatable = BooleanField(
        _l("Paid again each time the streak grows by as many"),
        description=_l("E.g. with 3: paid at 3, 6, 9… in a row. Unticked: once."),
    )
    group_min_members = _members(
        _l("Optional: paid only if at least this many members stamped during the streak.")
    )


class GroupMilestoneRow(Form):
    """A group milestone: every contributor gets ``points`` when all stamps reach it."""

    name = _bonus_name(_l("Optional, e.g. “A hundred coffees together”."))
    quantity = IntegerField(
        _l("Stamps of everyone together"),
        validators=[Optional(), NumberRange(min=1, max=MAX_GROUP_COUNT)],
        description=_l("All members' stamps of this task added up, e.g. 100."),
    )
    points = _points(_l("Bonus points each"), _l("Paid to every member who stamped toward it."))
    group_min_members = _members(
        _l("Optional: paid only if at least this many members stamped toward it.")
    )


class BonusRows(ListBase):
    """A list of bonus rows: the saved ones, then a blank one to add another.

    :meth:`value` reads the rows filled in (blank ones are left out), as ``BonusValues``
    takes them; :meth:`place_error` puts an error about the n-th row read next to its input,
    like ``schedule_forms.ScheduleList`` (so ``schedule_forms.place_form_errors`` reaches it).
    """

    def __init__(self, row: type[Form], label: Any = None, *, main: str, **kwargs: Any) -> None:
        super().__init__(FormField(row), label, min_entries=0, max_entries=MAX_BONUSES, **kwargs)
        self.main = main  # the input an error about a whole row goes to
        self.kept: list[int] = []
        self.list_errors: list[str] = []
        self.adding = False

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        saved = [] if data is unset_value or not data else list(data)
        # Its "another row" button (``schedule_forms.MORE``): one more blank row, and the
        # section holding the list stays open.
        self.adding = bool(formdata) and formdata.get(MORE) == self.name
        if formdata and not any(str(key).startswith(f"{self.name}-") for key in formdata):
            formdata = None  # posted without the list at all: keep what is saved
        super().process(formdata, saved, extra_filters)
        self.kept = list(range(len(self.entries)))
        if self.adding or not any(self._blank(entry.form) for entry in self.entries):
            self.add_row()

    def add_row(self) -> None:
        if self.max_entries is None or len(self.entries) < self.max_entries:
            self.append_entry()

    @staticmethod
    def _blank(row: Form) -> bool:
        def filled(field: Any) -> bool:
            if field.data is not None and field.data != "":
                return True
            return any(str(raw).strip() for raw in field.raw_data or [])

        return not any(filled(row[name]) for name in ROW_VALUES if name in row)

    def value(self) -> list[dict[str, Any]]:
        """The rows filled in, as the API takes them."""
        self.kept, found = [], []
        for index, entry in enumerate(self.entries):
            row = cast(Form, entry.form)
            if self._blank(row):
                continue
            self.kept.append(index)
            values = {
                name: field.data
                for name, field in row._fields.items()
                if field.data is not None and field.data != ""
            }
            if "is_repeatable" in row:
                values["is_repeatable"] = bool(row["is_repeatable"].data)
            found.append(values)
        return found

    def place_error(self, loc: Loc, message: str) -> None:
        """An error at ``loc`` (``[n, field]``, n counting the rows :meth:`value` kept)."""
        head = str(loc[0]) if loc else ""
        if head.isdigit() and int(head) < len(self.kept):
            row = cast(Form, self.entries[self.kept[int(head)]].form)
            wanted = str(loc[1]) if len(loc) > 1 else self.main
            field = row._fields.get(wanted) or row._fields[self.main]
            field.errors = [*list(field.errors or []), message]
        else:
            self.list_errors.append(message)


# Row inputs whose emptiness says a row is left blank (the others have defaults).
ROW_VALUES = ("name", "length", "quantity", "points", "group_min_members")


# The lists of bonus rows: form field -> its name in ``BonusValues``.
BONUS_LISTS = {
    "streaks": "streaks",
    "milestones": "milestones",
    "group_streaks": "group_streaks",
    "group_milestones": "group_milestones",
}


class FrequencyFields:
    """A frequency limit, shared by tasks and overrides: at most N stamps every M units."""

    frequency_quantity = IntegerField(
        _l("At most this many stamps"),
        validators=[Optional(), NumberRange(min=1, max=MAX_COUNT)],
        description=_l("Leave empty for no limit."),
    )
    frequency_span = IntegerField(
        _l("every"), default=1, validators=[Optional(), NumberRange(min=1, max=MAX_SPAN)]
    )
    frequency_unit = SelectField(
        _l("units of"), choices=options(TIME_UNITS), default=TimeUnit.DAY.value
    )


class TaskForm(Sections, IdentityFields, FrequencyFields, FlaskForm):  # type: ignore[misc]
    """Every option of a task; the advanced ones fold into sections (``Sections.holds``)."""

    privacy_mode = SelectField(
        _l("Who sees the task"),
        choices=options(
            [
                (TaskPrivacy.PUBLIC, _l("Whoever sees the program")),
                (TaskPrivacy.MEMBERS, _l("Its members")),
                (TaskPrivacy.PRIVATE, _l("The team")),
            ]
        ),
        default=TaskPrivacy.PUBLIC,
    )
    point_value = IntegerField(
        _l("Points per stamp"),
        default=1,
        validators=[InputRequired(), NumberRange(min=0, max=MAX_TASK_POINTS)],
    )
    allows_partial = BooleanField(_l("Partial stamps allowed"))
    point_value_partial = IntegerField(
        _l("Points per partial stamp"),
        validators=[Optional(), NumberRange(min=0, max=MAX_TASK_POINTS)],
        description=_l("Needed with partial stamps; at most the points per stamp."),
    )
    allows_multiple = BooleanField(_l("One stamp may count several times"))
    max_multiple = IntegerField(
        _l("Most times one stamp counts"),
        validators=[Optional(), NumberRange(min=1, max=MAX_MULTIPLE)],
        description=_l("Optional; only with the box above ticked."),
    )
    target = IntegerField(
        _l("Target per member"),
        validators=[Optional(), NumberRange(min=1, max=MAX_COUNT)],
        description=_l("Optional: no stamps beyond it."),
    )
    group_target = IntegerField(
        _l("Target of everyone together"),
        validators=[Optional(), NumberRange(min=1, max=MAX_GROUP_COUNT)],
        description=_l("Optional: what all members' stamps reach together."),
    )
    deadline = DateTimeLocalField(
        _l("Deadline"),
        validators=[Optional()],
        description=_l("Optional, in your time zone: no stamps from then on."),
    )
    schedules = ScheduleList(
        WindowForm,
        _l("When the task is done"),
        description=_l("None: at any time."),
        max_entries=MAX_SCHEDULES,
    )
    must_stamp_during = BooleanField(
        _l("Refuse stamps outside these times"),
        description=_l("Otherwise the times only say when the task is best done."),
    )
    first_time_bonus = _points(
        _l("Bonus with a member's first stamp"), _l("Optional: paid once to each member.")
    )
    completion_bonus = _points(
        _l("Bonus on reaching the target"), _l("Optional; needs a target per member.")
    )
    streaks = BonusRows(StreakRow, _l("Streak bonuses"), main="length")
    milestones = BonusRows(MilestoneRow, _l("Milestone bonuses"), main="quantity")
    group_success_points = _points(
        _l("Bonus each when the group reaches its target"),
        _l("Optional; needs a target of everyone together. Paid to every member who stamped."),
    )
    group_success_min_members = _members(
        _l("Optional: paid only if at least this many members stamped toward the target.")
    )
    group_streaks = BonusRows(GroupStreakRow, _l("Group streak bonuses"), main="length")
    group_milestones = BonusRows(GroupMilestoneRow, _l("Group milestone bonuses"), main="quantity")


# Schema fields (dotted) shown on the form fields that hold them (the longest match wins).
TASK_FIELDS = {
    "frequency_settings.quantity": "frequency_quantity",
    "frequency_settings.time_unit_quantity": "frequency_span",
    "frequency_settings.time_unit": "frequency_unit",
    "frequency_settings": "frequency_quantity",
    "availability_settings.schedules": "schedules",
    "availability_settings": "must_stamp_during",
    "bonus_values.first_time_only": "first_time_bonus",
    "bonus_values.reach_total": "completion_bonus",
    "bonus_values.streaks": "streaks",
    "bonus_values.milestones": "milestones",
    "bonus_values.group_streaks": "group_streaks",
    "bonus_values.group_milestones": "group_milestones",
    "bonus_values.group_success.group_min_members": "group_success_min_members",
    "bonus_values.group_success": "group_success_points",
    "bonus_values": "first_time_bonus",
}


class OverrideForm(FrequencyFields, FlaskForm):  # type: ignore[misc]
    """One member's own settings; a field left empty keeps the task's."""

    target = IntegerField(
        _l("Their target"),
        validators=[Optional(), NumberRange(min=1, max=MAX_COUNT)],
        description=_l("Leave empty to keep the task's."),
    )
    deadline = DateTimeLocalField(
        _l("Their deadline"),
        validators=[Optional()],
        description=_l("In your time zone; leave empty to keep the task's."),
    )
    own_availability = BooleanField(
        _l("Their own times"),
        description=_l("Tick to give them the times below instead of the task's."),
    )
    schedules = ScheduleList(
        WindowForm,
        _l("When they may stamp"),
        description=_l("None: at any time."),
        max_entries=MAX_SCHEDULES,
    )
    must_stamp_during = BooleanField(_l("Refuse their stamps outside these times"))


OVERRIDE_FIELDS = {
    "frequency_settings.quantity": "frequency_quantity",
    "frequency_settings.time_unit_quantity": "frequency_span",
    "frequency_settings.time_unit": "frequency_unit",
    "frequency_settings": "frequency_quantity",
    "availability_settings.must_stamp_during": "must_stamp_during",
    "availability_settings.schedules": "schedules",
    "availability_settings": "own_availability",
}


class PickMemberForm(FlaskForm):  # type: ignore[misc]
    """Which member to give their own settings (a GET form, no CSRF token)."""

    class Meta:
        csrf = False

    membership_id = SelectField(_l("Member"), coerce=int, choices=[])


class MemberStampForm(FlaskForm):  # type: ignore[misc]
    """The team stamps a member found by the search: which task, for which membership."""

    membership_id = IntegerField(validators=[DataRequired()])
    task_id = IntegerField(_l("Task"), validators=[DataRequired()])
    quantity = IntegerField(
        _l("How many"), default=1, validators=[Optional(), NumberRange(min=1, max=1000)]
    )
