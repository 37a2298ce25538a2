"""The counter in a browser: a member's card shown to the camera (Chromium's fake camera
playing a video of its QR code, as the events' check-in test does) finds the member, and one
tap stamps; a made-up code typed is refused in words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from stampbook.core.db import db
from stampbook.tasks.models import Stamp
from tests.browsing import ARGS, CHROMIUM, TIMEOUT_MS, log_in, require_browser
from tests.cards.conftest import ONCE_A_DAY
from tests.concurrency import committed_session
from tests.events.test_browser import _qr_video as qr_video
from tests.factories.ledger import give_points
from tests.factories.tasks import make_task, make_world

sync_api = require_browser()


def _counter(committed: Flask) -> dict[str, Any]:
    with committed_session(committed) as session:
        world = make_world(session)
        make_task(
            session, world.program, name="Coffee", point_value=10, frequency_settings=ONCE_A_DAY
        )
        give_points(session, world.membership, 30)
        return {
            "program": world.program.id,
            "stamper": world.stamper.email,
            "member": world.member.name,
            "code": world.membership.card_code,
        }


def test_a_typed_made_up_code_is_refused(committed: Flask, page: Any) -> None:
    seed = _counter(committed)
    log_in(page, seed["stamper"])
    page.goto(f"/programs/{seed['program']}/counter")
    page.get_by_label("Card code").fill("NOTACARD")
    page.get_by_role("button", name="Find the card").click()
    sync_api.expect(page.locator("#card-refusal")).to_contain_text("No card has this code")


def test_a_card_shown_to_the_camera_is_stamped_in_one_tap(
    committed: Flask, browser: Any, base_url: str, tmp_path: Path
) -> None:
    seed = _counter(committed)
    video = tmp_path / "card.y4m"
    qr_video(video, seed["code"])
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
        log_in(page, seed["stamper"])
        page.goto(f"/programs/{seed['program']}/counter")
        page.get_by_role("button", name="Scan with the camera").click()
        sync_api.expect(page.locator("#member-title")).to_have_text(seed["member"])
        page.get_by_role("button", name="Stamp “Coffee”").click()
        sync_api.expect(page.get_by_text("Stamped “Coffee”: +10 points")).to_be_visible()
        sync_api.expect(page.locator("#member-balance")).to_contain_text("40")
        assert errors == []
    finally:
        camera.close()
    with committed.app_context():
        assert db.session.scalar(select(func.count()).select_from(Stamp)) == 1
