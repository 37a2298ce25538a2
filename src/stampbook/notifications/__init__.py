"""Notifications (DESIGN 8.2): in-app notices and messages on other channels (email)."""
