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
from pathlib import Path
from types import ModuleType

from flask import Blueprint
from jinja2 import FileSystemLoader
from sqlalchemy import MetaData

from stampbook.core.db import Base
from stampbook.core.demo import DemoWorld

DOMAINS = (
    "accounts",
    "shops",
    "apikeys",
    "programs",
    "ledger",
    "tiers",
    "loyalty",
    "tasks",
    "rewards",
    "cards",
    "wallets",
    "referrals",
    "consultations",
    "events",
    "people",
    "notifications",
    "webhooks",
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


def template_folders() -> list[FileSystemLoader]:
    """Each domain's ``templates/`` folder, which holds ``<domain>/...`` templates."""
    root = Path(__file__).parent
    return [
        FileSystemLoader(root / domain / "templates")
        for domain in DOMAINS
        if (root / domain / "templates").is_dir()
    ]


def metadata() -> MetaData:
    """Every domain's tables and the outbox's (Alembic, doctor, tests)."""
    import_module("stampbook.core.outbox")
    load("models")
    return Base.metadata


def load_demo() -> list[tuple[str, str]]:
    """Each domain adds its demo data, once; returns the demo accounts (email, password)."""
    world = DemoWorld()
    for module in modules("demo"):
        module.load(world)
        if world.already_loaded:
            break
    return world.accounts
