"""The team's customer imports: upload a CSV file (the one body allowed above the app's
``MAX_CONTENT_LENGTH``: up to ``CUSTOMER_IMPORT_MAX_BYTES``), the import log with each
import's progress, and one import's counts and failed rows, each with its reason. A page of
an import still at work asks the browser to load it again every few seconds (a ``Refresh``
header: no script).

It checks what the matching API routes check, with the same services: a program the viewer
may not see answers 404, one they see but whose customers they may not import 403.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from stampbook.accounts.auth import me
from stampbook.core.errors import AppError
from stampbook.core.pagination import PageQuery
from stampbook.core.policy import Access, route
from stampbook.core.routing import PageBlueprint
from stampbook.loyalty import import_queries as queries
from stampbook.loyalty import importing
from stampbook.loyalty.import_forms import ImportForm
from stampbook.loyalty.import_rules import COLUMNS, HEADER
from stampbook.loyalty.import_schemas import ImportFailureQuery
from stampbook.loyalty.import_words import STATUS_WORDS, error_words
from stampbook.loyalty.models import CustomerImport, ImportFormat, ImportStatus
from stampbook.loyalty.policy import LoyaltyAction
from stampbook.programs.models import Program
from stampbook.programs.policy import shop_of
from stampbook.programs.queries import load_program
from stampbook.ui.helpers import attempt, from_cursor, place_errors
from stampbook.ui.words import _

bp = PageBlueprint("import_pages", __name__)

IMPORT = LoyaltyAction.CUSTOMERS_IMPORT
IMPORTS_SHOWN = 50
FAILURES_PER_PAGE = 100
# How often a page of an import at work is loaded again (seconds).
REFRESH_SECONDS = 3
AT_WORK = (ImportStatus.QUEUED, ImportStatus.RUNNING)
UPLOAD = "import_pages.imports"


@bp.url_value_preprocessor
def _larger_upload(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """The upload's limit, set before anything reads the body: Flask runs URL value
    preprocessors before every ``before_request`` (the CSRF check reads the form there)."""
    if endpoint == UPLOAD and request.method == "POST":
        request.max_content_length = current_app.config["CUSTOMER_IMPORT_MAX_BYTES"]


def _megabytes() -> int:
    return int(current_app.config["CUSTOMER_IMPORT_MAX_BYTES"]) // (1024 * 1024)


def _at_work(imports: list[Any]) -> bool:
    return any(i.status in AT_WORK for i in imports)


def _refreshing(page: str, status: int, at_work: bool) -> Response:
    response = make_response(page, status)
    if at_work:
        response.headers["Refresh"] = str(REFRESH_SECONDS)
    return response


def _log_page(program: Program, form: ImportForm, status: int = 200) -> Response:
    log = queries.list_imports(me(), program.id, PageQuery(limit=IMPORTS_SHOWN))
    page = render_template(
        "loyalty/imports.html",
        program=program,
        shop=shop_of(program),
        imports=log.items,
        form=form,
        columns=COLUMNS,
        header=HEADER,
        megabytes=_megabytes(),
        status_words=STATUS_WORDS,
        error_words=error_words,
    )
    return _refreshing(page, status, status == 200 and _at_work(log.items))


@bp.route("/programs/<int:program_id>/customer-imports", methods=["GET", "POST"])
@route(Access.USER, action=IMPORT, idempotent=True)
def imports(program_id: int) -> Response:
    """The import log; the POST uploads a file and queues its import (a form's idempotency
    key makes a double click one import)."""
    program = load_program(me(), program_id, IMPORT)
    form = ImportForm()
    if request.method == "GET":
        return _log_page(program, form)
    if not form.validate_on_submit():
        return _log_page(program, form, 422)
    upload = form.file.data
    result = attempt(
        lambda: importing.start(
            me(),
            program_id,
            upload.stream,
            file_name=upload.filename or "",
            format=ImportFormat.CSV,
        )
    )
    if isinstance(result, AppError):
        place_errors(form, [("file", result.detail)])
        return _log_page(program, form, result.status)
    flash(
        _(
            "The file %(name)s is being imported: this page shows how far it is.",
            name=result.file_name,
        ),
        "success",
    )
    return redirect(url_for("import_pages.customer_import", import_id=result.id), 303)


@bp.get("/customer-imports/<int:import_id>")
@route(Access.USER, action=IMPORT)
def customer_import(import_id: int) -> Response:
    """One import: its progress and counts, and its failed rows page by page."""
    found: CustomerImport = queries.load_import(me(), import_id)
    program = load_program(me(), found.program_id, IMPORT)
    failed = queries.failures(
        me(), import_id, from_cursor(ImportFailureQuery, limit=FAILURES_PER_PAGE)
    )
    page = render_template(
        "loyalty/import.html",
        program=program,
        shop=shop_of(program),
        item=queries.import_out(found),
        failures=failed.items,
        more={"cursor": failed.next_cursor} if failed.next_cursor else None,
        status_words=STATUS_WORDS,
        error_words=error_words,
    )
    return _refreshing(page, 200, found.status in AT_WORK)
