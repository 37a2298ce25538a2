"""The door in a real browser (Chromium): a ticket code typed on the check-in page is checked
in, and a ticket's QR code shown to the camera (Chromium's fake camera playing a video of it)
is read and checked in, with the page's scripts loaded under the CSP (no console error)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import segno
from flask import Flask

from stampbook.events.models import Event, Registration
from tests.browsing import ARGS, CHROMIUM, TIMEOUT_MS, log_in, require_browser
from tests.concurrency import committed_session
from tests.factories.shops import make_team

sync_api = require_browser()
CODE = "BROWSERTICKETBROWSERTICKETBROWSE"


@pytest.fixture
def door(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()
    assert errors == []  # no CSP refusal, no script error


def test_a_typed_ticket_code_is_checked_in(committed: Flask, door: Any) -> None:
    with committed_session(committed) as session:
        team = make_team(session)
        soon = datetime.now(UTC) + timedelta(days=1)
        event = Event(
            shop_id=team.shop.id, title="Trivia", starts_at=soon, ends_at=soon + timedelta(hours=2)
        )
        session.add(event)
        session.flush()
        session.add(
            Registration(
                event_id=event.id, user_id=team.member.id, status="registered", ticket_code=CODE
            )
        )
        event.registered = 1
        event_id, assistant, member = event.id, team.assistant.email, team.member.name
    expect = sync_api.expect
    log_in(door, assistant)
    door.goto(f"/events/{event_id}/check-in")
    door.get_by_label("Ticket code", exact=True).fill(CODE.lower())
    door.get_by_role("button", name="Check in", exact=True).click()
    expect(door.get_by_text(f"{member} is checked in.")).to_be_visible()
    door.get_by_label("Ticket code", exact=True).fill(CODE)
    door.get_by_role("button", name="Check in", exact=True).click()
    expect(door.get_by_text("This ticket is checked in already.")).to_be_visible()


def _qr_video(path: Path, code: str) -> None:
    """A still Y4M video of ``code``'s QR code, black on white, for Chromium's fake camera."""
    width, height = 640, 480
    rows = [list(row) for row in segno.make(code, error="m").matrix_iter(scale=8, border=4)]
    top, left = (height - len(rows)) // 2, (width - len(rows[0])) // 2
    luma = bytearray(b"\xeb" * (width * height))
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                luma[(top + y) * width + left + x] = 0x10
    chroma = b"\x80" * (width * height // 4)
    frame = b"FRAME\n" + bytes(luma) + chroma + chroma
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + frame * 10)


def test_a_ticket_shown_to_the_camera_is_checked_in(
    committed: Flask, browser: Any, base_url: str, tmp_path: Path
) -> None:
    with committed_session(committed) as session:
        team = make_team(session)
        soon = datetime.now(UTC) + timedelta(days=1)
        event = Event(
            shop_id=team.shop.id, title="Trivia", starts_at=soon, ends_at=soon + timedelta(hours=2)
        )
        session.add(event)
        session.flush()
        session.add(
            Registration(
                event_id=event.id, user_id=team.member.id, status="registered", ticket_code=CODE
            )
        )
        event.registered = 1
        event_id, assistant, member = event.id, team.assistant.email, team.member.name
    video = tmp_path / "ticket.y4m"
    _qr_video(video, CODE)
    camera = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=[
            *ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = camera.new_context(base_url=base_url, permissions=["camera"])
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        log_in(page, assistant)
        page.goto(f"/events/{event_id}/check-in")
        page.get_by_role("button", name="Scan with the camera").click()
        sync_api.expect(page.get_by_text(f"{member} is checked in.")).to_be_visible()
        assert errors == []
    finally:
        camera.close()
