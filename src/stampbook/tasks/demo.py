"""Demo tasks that show off the options and bonuses (the demo command calls this)."""

from __future__ import annotations

from typing import Any

from stampbook.core.db import db
from stampbook.core.demo import DemoWorld
from stampbook.tasks.models import Task, TaskPrivacy
from stampbook.tasks.rules import TaskSettings, check_settings

DEMO_TASKS: list[dict[str, Any]] = [
    {
        "name": "Morning run",
        "summary": "Run before breakfast; keep the streak going.",
        "icon": "run",
        "color": "#2a9d8f",
        "point_value": 10,
        "frequency_settings": {"quantity": 1, "time_unit_quantity": 1, "time_unit": "day"},
        "bonus_values": {
            "first_time_only": 5,
            "streaks": [
                {"length": 3, "points": 5, "is_repeatable": True},
                {"name": "A whole week", "length": 7, "points": 20},
            ],
        },
    },
    {
        "name": "Coffee card",
        "summary": "Ten coffees earn a free one.",
        "icon": "cup",
        "color": "#6f4e37",
        "point_value": 1,
        "allows_multiple": True,
        "max_multiple": 3,
        "target": 10,
        "bonus_values": {
            "reach_total": 10,
            "milestones": [{"name": "Halfway", "points": 2, "quantity": 5}],
        },
    },
    {
        "name": "Weekday check-in",
        "summary": "Check in between 8 and 10 on weekdays; late arrivals get partial credit.",
        "icon": "clock",
        "point_value": 4,
        "allows_partial": True,
        "point_value_partial": 2,
        "availability_settings": {
            "must_stamp_during": True,
            "schedules": [{"days_of_week": [0, 1, 2, 3, 4], "time_ranges": [["08:00", "10:00"]]}],
        },
        "frequency_settings": {"quantity": 5, "time_unit_quantity": 1, "time_unit": "week"},
    },
    {
        "name": "Park clean-up",
        "summary": "Everyone together: 50 bags and the whole group earns a bonus.",
        "icon": "leaf",
        "privacy_mode": TaskPrivacy.MEMBERS,
        "point_value": 3,
        "allows_multiple": True,
        "max_multiple": 5,
        # The book club stamps itself: every task there has a limit.
        "frequency_settings": {"quantity": 5, "time_unit_quantity": 1, "time_unit": "day"},
        "group_target": 50,
        "bonus_values": {
            "group_success": {"points": 30, "group_min_members": 3},
            "group_milestones": [{"points": 5, "quantity": 20, "group_min_members": 2}],
            "group_streaks": [{"length": 2, "points": 5, "period": "week"}],
        },
    },
]
DETAILS = ("name", "summary", "icon", "color", "privacy_mode")


def add_demo_tasks(program_ids: list[int], owner_id: int) -> None:
    """Give each program the demo tasks, created by ``owner_id``. Does not commit."""
    for program_id in program_ids:
        for spec in DEMO_TASKS:
            settings = TaskSettings.model_validate(
                {k: v for k, v in spec.items() if k in TaskSettings.model_fields}
            )
            assert not check_settings(settings), spec["name"]
            task = Task(program_id=program_id, created_by=owner_id)
            for name in DETAILS:
                if name in spec:
                    setattr(task, name, spec[name])
            task.apply_settings(settings)
            db.session.add(task)
    db.session.flush()


def load(world: DemoWorld) -> None:
    add_demo_tasks(world.at()[1], world.owner_id)
