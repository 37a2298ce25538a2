"""Schedules: opening windows and reset/renewal recurrences (pure rules, no database)."""
