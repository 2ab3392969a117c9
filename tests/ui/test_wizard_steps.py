"""The wizard's step pages through AppTest: every button's effect on the stored workflow, and what each page shows."""

from __future__ import annotations

from services.accounts.users import User
from services.bootstrap import Runtime
from services.workflows import rules as workflow_rules
from services.workflows.domain import WorkflowStatus, WorkflowStep
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief
from tests.support.ui_fixtures import button, fill_in, open_app
from ui.wizard_view import WizardStep

BRIEF, REFINE, FRAMES, VIDEO, RESULT = (step.page for step in WizardStep)


def labels(elements) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.label for e in elements]


def badges(at) -> str:  # type: ignore[no-untyped-def]
    """Every badge's text (st.badge renders as a markdown badge)."""
    return " ".join(m.value for m in at.markdown if "-badge[" in m.value)


def texts(at) -> str:  # type: ignore[no-untyped-def]
    return " ".join(m.value for m in [*at.markdown, *at.caption, *at.info, *at.warning, *at.error, *at.success])


def step_text(at) -> str:  # type: ignore[no-untyped-def]
    return at.progress[0].text


def open_step(user: User, page: str, workflow_id: str | None = None):  # type: ignore[no-untyped-def]
    at = open_app(user, page=page, query_params={"workflow": workflow_id} if workflow_id else None)
    assert not at.exception, at.exception
    return at


def open_wizard(user: User, workflow_id: str | None = None, view: str | None = None):  # type: ignore[no-untyped-def]
    """A step page by the old wizard's `view` names: Refine (Brief without a workflow), "frames" or "video"."""
    page = {"frames": FRAMES, "video": VIDEO}.get(view or "", REFINE if workflow_id else BRIEF)
    return open_step(user, page, workflow_id)


def refined_workflow(runtime: Runtime, user: User, rounds: int = 1) -> str:
    workflow = runtime.service.create_workflow(user_id=user.id, brief=a_brief(duration=2))
    for _ in range(rounds):
        runtime.service.refine_prompt(user_id=user.id, workflow_id=workflow.id)
    return workflow.id


def framed_workflow(runtime: Runtime, user: User, frames: int = 3) -> str:
    workflow_id = refined_workflow(runtime, user)
    runtime.service.generate_frames(user_id=user.id, workflow_id=workflow_id, frame_count=frames)
    return workflow_id


def stored(runtime: Runtime, user: User, workflow_id: str):  # type: ignore[no-untyped-def]
    return runtime.service.get_workflow(user_id=user.id, workflow_id=workflow_id)


def test_start_creating_stores_the_brief_and_opens_the_refine_page_on_it(runtime: Runtime, alice: User):
    at = open_step(alice, BRIEF)
    assert step_text(at) == "Step 1 of 5: Brief"
    fill_in(at, Title="Spring sale", Target_audience="young professionals", Tone="uplifting", Visual_style="pastel")
    at.text_area[0].set_value("Flowers bloom across a city rooftop")
    at.number_input[0].set_value(4)
    at.selectbox[0].select("9:16")
    button(at, "Start Creating").click().run()

    assert not at.exception
    [workflow] = runtime.service.list_workflows(user_id=alice.id).items
    assert (workflow.title, workflow.metadata.duration, workflow.metadata.aspect_ratio) == ("Spring sale", 4, "9:16")
    assert workflow.metadata.tone == "uplifting" and workflow.metadata.style == "pastel"
    assert at.query_params["workflow"] == workflow.id
    assert at.session_state["wizard_workflow_id"] == workflow.id
    assert step_text(at) == "Step 2 of 5: Refine"


def test_a_brief_without_a_title_is_refused_with_an_alert_and_nothing_is_stored(runtime: Runtime, alice: User):
    at = open_step(alice, BRIEF)
    at.text_area[0].set_value("An idea without a title")
    button(at, "Start Creating").click().run()
    assert at.error and "Title" in at.error[0].value
    assert runtime.service.list_workflows(user_id=alice.id).total == 0


def test_the_workflow_stays_in_the_session_when_navigation_drops_it_from_the_url(runtime: Runtime, alice: User):
    workflow_id = refined_workflow(runtime, alice)
    at = open_step(alice, REFINE, workflow_id)
    at.query_params.clear()  # as a click in the sidebar's navigation does
    at.switch_page(FRAMES).run()
    assert step_text(at) == "Step 3 of 5: Frames"
    assert at.query_params["workflow"] == workflow_id, "mirrored back into the URL"
    assert "Generate Frames" in labels(at.button)


def test_before_round_one_the_refine_page_shows_every_round_left(runtime: Runtime, alice: User):
    workflow = runtime.service.create_workflow(user_id=alice.id, brief=a_brief())
    at = open_step(alice, REFINE, workflow.id)
    assert "10 of 10 rounds left" in texts(at)
    assert button(at, "Continue to Frames").disabled
    assert not button(at, "Refine Prompt").disabled


def test_refine_prompt_twice_records_both_iterations_with_notes_and_model(runtime: Runtime, alice: User):
    workflow = runtime.service.create_workflow(user_id=alice.id, brief=a_brief())
    at = open_step(alice, REFINE, workflow.id)
    button(at, "Refine Prompt").click().run()
    at.text_area[0].set_value("Add neon reflections")
    at.selectbox[0].select("claude-sonnet-4.6")
    button(at, "Refine Prompt").click().run()

    assert not at.exception
    assert [
        (i.iteration, i.additional_info, i.model) for i in stored(runtime, alice, workflow.id).refinement_iterations
    ] == [
        (1, None, "gpt-4o"),
        (2, "Add neon reflections", "claude-sonnet-4.6"),
    ]
    assert "Iteration 2" in badges(at) and "8 of 10 rounds left" in texts(at)
    assert not button(at, "Continue to Frames").disabled
    assert any("Add neon reflections" in t.value for t in at.text)  # the earlier iterations are viewable


def test_at_the_cap_a_notice_says_so_and_offers_frames_or_a_new_workflow_from_the_prompt(runtime: Runtime, alice: User):
    workflow_id = refined_workflow(runtime, alice, rounds=runtime.settings.MAX_REFINEMENT_ITERATIONS)
    at = open_step(alice, REFINE, workflow_id)
    assert "0 of 10 rounds left" in texts(at)
    assert at.warning and "used all 10 refinement rounds" in at.warning[0].value
    assert "Refine Prompt" not in labels(at.button)
    assert not button(at, "Continue to Frames").disabled

    button(at, "New workflow from this prompt").click().run()
    assert not at.exception
    source = stored(runtime, alice, workflow_id)
    [new] = [w for w in runtime.service.list_workflows(user_id=alice.id).items if w.id != workflow_id]
    assert new.initial_prompt == source.final_refined_prompt and new.title == source.title
    assert at.query_params["workflow"] == new.id and "10 of 10 rounds left" in texts(at)


def test_continue_to_frames_opens_the_frames_page_and_a_reload_stays_there(runtime: Runtime, alice: User):
    workflow_id = refined_workflow(runtime, alice)
    at = open_step(alice, REFINE, workflow_id)
    button(at, "Continue to Frames").click().run()
    assert step_text(at) == "Step 3 of 5: Frames" and "Generate Frames" in labels(at.button)
    reloaded = open_step(alice, FRAMES, workflow_id)
    assert step_text(reloaded) == "Step 3 of 5: Frames" and "Generate Frames" in labels(reloaded.button)


def test_a_step_not_reached_says_what_must_happen_first_and_links_there(runtime: Runtime, alice: User):
    workflow = runtime.service.create_workflow(user_id=alice.id, brief=a_brief())
    at = open_step(alice, VIDEO, workflow.id)
    assert step_text(at) == "Step 4 of 5: Video"
    assert at.info and "refine the brief at least once" in at.info[0].value
    assert "Go to 2 Refine" in [link.value for link in at.page_link]
    assert "Generate Video" not in labels(at.button)
    stepper = {link.value: link.proto.disabled for link in at.page_link if link.value[0].isdigit()}
    assert stepper["2 Refine"] is False and stepper["3 Frames"] is True and stepper["5 Result"] is True


def test_generate_frames_makes_the_chosen_number_with_the_chosen_model(runtime: Runtime, alice: User):
    workflow_id = refined_workflow(runtime, alice)
    at = open_step(alice, FRAMES, workflow_id)
    at.selectbox[0].select("flux-1.1-pro")
    at.number_input[0].set_value(2)
    button(at, "Generate Frames").click().run()

    assert not at.exception
    workflow = stored(runtime, alice, workflow_id)
    assert workflow.current_step is WorkflowStep.FRAME_REVIEW
    assert [f.model for f in workflow.generated_frames] == ["flux-1.1-pro", "flux-1.1-pro"]
    assert len(at.get("image")) == 2
    assert "Frame 1 of 2" in texts(at) and "Frame 2 of 2" in texts(at)
    assert button(at, "Continue to Video").disabled


def test_one_click_review_approve_reject_with_feedback_regenerate_and_approve_all(runtime: Runtime, alice: User):
    workflow_id = framed_workflow(runtime, alice)
    before = stored(runtime, alice, workflow_id)
    first, second, _ = (f.frame_number for f in before.generated_frames)
    at = open_step(alice, FRAMES, workflow_id)
    assert badges(at).count("Pending review") == 3

    at.button(key=f"approve-{first}").click().run()
    assert stored(runtime, alice, workflow_id).frame(first).approved
    assert badges(at).count("Approved") == 1 and at.button(key=f"approve-{first}").disabled

    at.button(key=f"reject-{second}").click().run()
    button(at, "Reject with feedback").click().run()  # no feedback: refused next to the frame
    assert at.error and "Say what should change" in at.error[0].value
    assert stored(runtime, alice, workflow_id).frame(second).feedback is None
    at.text_area[0].set_value("Make it night")
    button(at, "Reject with feedback").click().run()
    assert stored(runtime, alice, workflow_id).frame(second).feedback == "Make it night"
    assert "Rejected" in badges(at) and "Feedback: Make it night" in texts(at)

    button(at, "Regenerate Rejected (1)").click().run()
    assert not at.exception
    after = stored(runtime, alice, workflow_id)
    assert [f.version for f in after.generated_frames] == [1, 2, 1]
    assert after.frame(first).image_key == before.frame(first).image_key
    assert after.frame(second).history[0].feedback == "Make it night"
    assert "Frame 2 of 3: earlier versions (1)" in labels(at.expander)

    button(at, "Approve All").click().run()
    assert stored(runtime, alice, workflow_id).frames_approved
    assert badges(at).count("Approved") == 3 and "Pending review" not in badges(at)
    assert not button(at, "Continue to Video").disabled


def test_what_is_shown_is_what_is_stored_after_a_change_made_elsewhere(runtime: Runtime, alice: User):
    workflow_id = framed_workflow(runtime, alice, frames=2)
    at = open_step(alice, FRAMES, workflow_id)
    button(at, "Approve All").click().run()
    numbers = [f.frame_number for f in stored(runtime, alice, workflow_id).generated_frames]
    runtime.service.review_frames(  # another tab, or the API, rejects frame 2
        user_id=alice.id, workflow_id=workflow_id, reviews=[FrameReview(numbers[1], False, "too dark")]
    )
    at.run()
    assert badges(at).count("Approved") == 1 and "Rejected" in badges(at)
    assert "Feedback: too dark" in texts(at) and button(at, "Continue to Video").disabled


def test_an_earlier_frame_version_sits_beside_the_current_one_and_can_be_used_again(runtime: Runtime, alice: User):
    workflow_id = framed_workflow(runtime, alice, frames=1)
    number = stored(runtime, alice, workflow_id).generated_frames[0].frame_number
    runtime.service.review_frames(user_id=alice.id, workflow_id=workflow_id, reviews=[FrameReview(number, False, "darker")])
    runtime.service.regenerate_frames(user_id=alice.id, workflow_id=workflow_id, frame_numbers=[number])
    first_key = stored(runtime, alice, workflow_id).frame(number).history[0].image_key
    at = open_step(alice, FRAMES, workflow_id)
    assert len(at.get("image")) == 3  # the card, and current + v1 side by side
    button(at, "Use this version").click().run()
    restored = stored(runtime, alice, workflow_id).frame(number)
    assert (restored.version, restored.image_key) == (1, first_key)


def test_view_large_shows_the_frame_above_the_gallery(runtime: Runtime, alice: User):
    workflow_id = framed_workflow(runtime, alice, frames=2)
    at = open_step(alice, FRAMES, workflow_id)
    at.button(key=f"large-{stored(runtime, alice, workflow_id).generated_frames[1].frame_number}").click().run()
    assert len(at.get("image")) == 3 and "Close large view" in labels(at.button)


def test_continue_to_video_opens_the_video_page_once_every_frame_is_approved(runtime: Runtime, alice: User):
    workflow_id = framed_workflow(runtime, alice, frames=2)
    at = open_step(alice, FRAMES, workflow_id)
    button(at, "Approve All").click().run()
    button(at, "Continue to Video").click().run()
    assert step_text(at) == "Step 4 of 5: Video"
    assert "offline" in at.metric[0].value and "Generate Video" in labels(at.button)


def test_generate_video_completes_the_workflow_and_the_result_offers_player_and_download(runtime: Runtime, alice: User):
    workflow_id = framed_workflow(runtime, alice, frames=2)
    numbers = [f.frame_number for f in stored(runtime, alice, workflow_id).generated_frames]
    runtime.service.review_frames(user_id=alice.id, workflow_id=workflow_id, reviews=[FrameReview(n, True) for n in numbers])
    at = open_step(alice, VIDEO, workflow_id)
    at.select_slider[0].set_value(12)
    at.number_input[0].set_value(2)
    button(at, "Generate Video").click().run()

    assert not at.exception
    workflow = stored(runtime, alice, workflow_id)
    assert (workflow.status, workflow.video_output.fps, workflow.video_output.duration) == (WorkflowStatus.COMPLETED, 12, 2)
    result = open_step(alice, RESULT, workflow_id)
    assert step_text(result) == "Step 5 of 5: Result"
    [video] = result.get("video")
    assert "/api/media/signed/" in video.url, "the player streams from a signed URL, not bytes in the websocket"
    [download] = result.link_button
    assert download.value == "Download MP4" and download.url.startswith(video.url) and "download=true" in download.url
    assert "12 fps" in badges(result) and "2 s" in badges(result) and "Cost" in badges(result)


def test_a_failed_step_shows_what_happened_and_retry_runs_it_again(runtime: Runtime, alice: User):
    workflow_id = refined_workflow(runtime, alice)
    runtime.service.writer.update(
        alice.id,
        workflow_id,
        lambda w: workflow_rules.record_failure(
            w, step=WorkflowStep.FRAME_GENERATION, message="dalle-3 timed out.", provider="offline", now=w.last_activity
        ),
    )
    at = open_step(alice, FRAMES, workflow_id)
    assert at.error and "dalle-3 timed out." in at.error[0].value
    button(at, "Retry").click().run()
    assert stored(runtime, alice, workflow_id).current_step is WorkflowStep.FRAME_REVIEW
    assert not at.error


def test_back_to_frames_after_a_failed_video_reopens_the_review(runtime: Runtime, alice: User):
    workflow_id = framed_workflow(runtime, alice, frames=2)
    numbers = [f.frame_number for f in stored(runtime, alice, workflow_id).generated_frames]
    runtime.service.review_frames(user_id=alice.id, workflow_id=workflow_id, reviews=[FrameReview(n, True) for n in numbers])
    runtime.service.writer.update(
        alice.id,
        workflow_id,
        lambda w: workflow_rules.record_failure(
            w, step=WorkflowStep.VIDEO_GENERATION, message="veo-3 failed.", provider="offline", now=w.last_activity
        ),
    )
    at = open_step(alice, VIDEO, workflow_id)
    assert at.error and "veo-3 failed." in at.error[0].value and "Retry" in labels(at.button)
    button(at, "Back to Frames").click().run()
    assert stored(runtime, alice, workflow_id).current_step is WorkflowStep.FRAME_REVIEW
    assert step_text(at) == "Step 3 of 5: Frames" and "Approve All" in labels(at.button)


def test_a_processing_workflow_shows_live_progress_and_cancel_instead_of_buttons(runtime: Runtime, alice: User):
    workflow_id = refined_workflow(runtime, alice)
    runtime.service.writer.update(alice.id, workflow_id, lambda w: setattr(w, "status", WorkflowStatus.PROCESSING))
    at = open_step(alice, FRAMES, workflow_id)
    assert any("updates by itself" in i.value for i in at.info)
    assert "Generate Frames" not in labels(at.button) and "Refine Prompt" not in labels(at.button)


def test_another_users_workflow_is_refused_even_with_its_url(runtime: Runtime, alice: User, make_user):
    workflow = runtime.service.create_workflow(user_id=alice.id, brief=a_brief())
    at = open_step(make_user("bob"), REFINE, workflow.id)
    assert at.error and "another user" in at.error[0].value
    assert "Refine Prompt" not in labels(at.button)
    assert not any(workflow.title in s.value for s in at.subheader)


def test_the_old_wizard_url_opens_the_workflows_own_step_page(runtime: Runtime, alice: User):
    workflow_id = framed_workflow(runtime, alice, frames=1)
    at = open_step(alice, "app_pages/wizard.py", workflow_id)
    assert step_text(at) == "Step 3 of 5: Frames" and at.query_params["workflow"] == workflow_id
