"""Messages in words: a kind's template for a channel and language (the shop's own, else the
default file), rendered in Jinja2's immutable sandbox with the recipient's plain values.

Shop staff write templates, so they are untrusted: the sandbox refuses unsafe attributes
(``''.__class__``), there are no globals (no ``range``, no app config, no ``url_for``),
unknown names fail (``StrictUndefined``) and so does arithmetic that would build huge
values. An override is checked when saved (:func:`check`): it must compile and render the
kind's sample values, or it is refused with its reason and nothing is saved.

Points are said in the program's own words (its names for them, ``programs.words.points``)
by the one filter there is, ``{{ amount | points }}``, which reads the names from the values
(``points_name`` and ``points_name_plural``; the default words without them) and says them in
the template's language.

A template is a subject (an in-app notice's title) and a body, in plain text. The email's
HTML part is that text escaped into paragraphs; the link and, for marketing, the
unsubscribe words are added by the app, not the template, so no shop can leave them out.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, pass_context
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from stampbook.core.errors import AppError
from stampbook.core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from stampbook.programs.words import PointsNames, points

MESSAGES = Path(__file__).parent / "templates" / "notifications" / "messages"
# Repeating a text or raising a number past these is refused: a template cannot make the
# renderer build gigabytes.
MAX_REPEAT = 1000
MAX_EXPONENT = 64
MAX_OUTPUT = 20_000


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if isinstance(right, int) and abs(right) > MAX_EXPONENT:
                raise SecurityError("the exponent is too large")
            return operator.pow(left, right)
        sizes = [v for v in (left, right) if isinstance(v, int)]
        if any(isinstance(v, str | list | tuple) for v in (left, right)) and any(
            abs(n) > MAX_REPEAT for n in sizes
        ):
            raise SecurityError("the repetition is too large")
        return operator.mul(left, right)


@cache
def sandbox(language: str = DEFAULT_LANGUAGE) -> _Sandbox:
    """The environment of the templates in ``language``: its ``points`` filter says points
    in that language."""
    environment = _Sandbox(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=False)
    environment.globals.clear()  # range, lipsum, cycler, dict...: nothing but the values
    environment.filters["points"] = _points_filter(language)
    return environment


def _points_filter(language: str) -> Any:
    @pass_context
    def said(context: Any, num: Any) -> str:
        if not isinstance(num, int) or isinstance(num, bool):
            raise TypeError("points counts a whole number, such as amount")
        names = PointsNames.from_values(
            {name: context.get(name) for name in ("points_name", "points_name_plural")}
        )
        return points(num, names, language)

    return said


class TemplateRefused(AppError):
    # 409 as the API's other refusals of well-formed input (a request its schema accepts
    # that the state of things refuses): the body's shape is right, its words are not.
    status, code = 409, "template_invalid"


@dataclass(frozen=True)
class Template:
    subject: str
    body: str
    # Its words' language: the one its ``points`` filter speaks.
    language: str = DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str


def default_template(kind: str, channel: str, language: str) -> Template:
    """The default words of ``kind`` on ``channel`` in ``language`` (else English): a file
    whose first line is the subject and the rest, after a blank line, the body."""
    return _default(kind, channel, language if language in LANGUAGES else DEFAULT_LANGUAGE)


@cache
def _default(kind: str, channel: str, language: str) -> Template:
    text = (MESSAGES / f"{kind}.{channel}.{language}.txt").read_text(encoding="utf-8")
    subject, _blank, body = text.partition("\n\n")
    return Template(subject.strip(), body.strip(), language)


def _render_one(source: str, values: Mapping[str, Any], language: str) -> str:
    try:
        rendered = sandbox(language).from_string(source).render(dict(values))
    except TemplateSyntaxError as error:
        raise TemplateRefused(line=error.lineno, problem=error.message or "") from error
    except SecurityError as error:
        raise TemplateRefused(code="template_unsafe", problem=str(error)) from error
    except UndefinedError as error:
        raise TemplateRefused(
            code="template_unknown_name",
            problem=error.message or "",
            names=", ".join(sorted(values)),
        ) from error
    except (ArithmeticError, TypeError, ValueError) as error:
        raise TemplateRefused(line=0, problem=str(error)) from error
    if len(rendered) > MAX_OUTPUT:
        raise TemplateRefused(code="template_unsafe", problem=f"over {MAX_OUTPUT} characters")
    return rendered


def render(template: Template, values: Mapping[str, Any]) -> Rendered:
    """``template`` with ``values``; a subject is one line."""
    language = template.language if template.language in LANGUAGES else DEFAULT_LANGUAGE
    subject = " ".join(_render_one(template.subject, values, language).split())
    return Rendered(subject, _render_one(template.body, values, language).strip())


def check(template: Template, sample: Mapping[str, Any]) -> Rendered:
    """An override a shop saves: it compiles and renders the kind's sample values, or
    ``TemplateRefused`` says why (``template_invalid``, ``template_unsafe``,
    ``template_unknown_name``)."""
    return render(template, sample)


def html(
    text: str, link: str | None, footer: str | None = None, enclosed: Markup | None = None
) -> str:
    """The email's HTML part: the text escaped into paragraphs, what the app encloses (a
    ticket's QR code: markup of its own, not the template's), then the link."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    parts = [
        Markup("<p>{}</p>").format(Markup("<br>").join(escape(line) for line in p.splitlines()))
        for p in paragraphs
    ]
    if enclosed is not None:
        parts.append(enclosed)
    if link:
        parts.append(Markup('<p><a href="{0}">{0}</a></p>').format(link))
    if footer is not None:
        parts.append(Markup('<p style="color:#666;font-size:small">{}</p>').format(footer))
    body = Markup("\n").join(parts)
    return str(
        Markup(
            '<!doctype html><html><head><meta charset="utf-8"></head><body>{}</body></html>'
        ).format(body)
    )
