"""The video step shows the user's remaining videos before the button, from the counter the API uses too."""

from __future__ import annotations

from services.accounts.users import User
from services.bootstrap import Runtime
from services.workflows.rules import FrameReview
from tests.support.ui_fixtures import button
from tests.ui.test_wizard_steps import framed_workflow, open_wizard


def _approved(runtime: Runtime, user: User) -> str:
    workflow_id = framed_workflow(runtime, user, frames=1)
    runtime.service.review_frames(user_id=user.id, workflow_id=workflow_id, reviews=[FrameReview(0, True)])
    return workflow_id


def test_the_video_step_shows_the_quota_and_a_video_made_in_the_ui_uses_it_up(wired_runtime: Runtime, alice: User):
    runtime = wired_runtime  # limits on, as the app wires them (other UI tests run unlimited)
    first, second = _approved(runtime, alice), _approved(runtime, alice)
    at = open_wizard(alice, first, view="video")
    assert "Videos left: 1 (limit 1 per 1 hour)." in [c.value for c in at.caption]
    at.select_slider[0].set_value(12)
    at.number_input[0].set_value(1)
    button(at, "Generate Video").click().run()
    assert not at.exception

    # The API draws on the very same counter: its next video is refused.
    assert runtime.api.rate_limits.quota("video", user_id=alice.id).remaining == 0
    at = open_wizard(alice, second, view="video")
    assert any(c.value.startswith("No videos left (limit 1 per 1 hour); the next one frees up in") for c in at.caption)
    assert button(at, "Generate Video").disabled
