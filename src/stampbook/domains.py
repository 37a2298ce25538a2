"""The one list of domains: the app takes each domain's models, policy rules, blueprints,
jobs and demo data from it.

A domain is a package ``stampbook.<name>`` holding its files by role: ``models``,
``policy``, ``api`` and ``pages`` (blueprints named ``bp``; ``pages`` may be a package of
page modules, each with its own ``bp``), ``jobs``, ``demo``. Each role is optional. Adding a
domain is a new package and one line below. The order is the order tables and demo data
build on each other: a domain comes after those it refers to.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Iterator
from importlib import import_module
from types import ModuleType

from flask import Blueprint

DOMAINS = (
    "accounts",
    "shops",
    "programs",
    "ledger",
    "tasks",
    "rewards",
    "people",
    "home",
    "flows",
)


def modules(role: str) -> Iterator[ModuleType]:
    """Each domain's module of ``role`` (``models``, ``policy``, ``jobs``...), in order."""
    for domain in DOMAINS:
        name = f"stampbook.{domain}.{role}"
        try:
            yield import_module(name)
        except ModuleNotFoundError as missing:
            if missing.name != name:
                raise  # the module exists and imports something missing: a real error


def load(role: str) -> None:
    """Import every domain's ``role`` module for what importing it registers."""
    for _module in modules(role):
        pass


def blueprints(role: str) -> Iterator[Blueprint]:
    """The blueprints of every domain's ``api`` or ``pages`` (a module or a package)."""
    for module in modules(role):
        if hasattr(module, "__path__"):
            for info in sorted(pkgutil.iter_modules(module.__path__), key=lambda m: m.name):
                yield import_module(f"{module.__name__}.{info.name}").bp
        else:
            yield module.bp
