"""The wizard, step by step, through AppTest: every button's effect on the stored workflow."""

from __future__ import annotations

from services.accounts.users import User
from services.bootstrap import Runtime
from services.workflows import rules as workflow_rules
from services.workflows.domain import WorkflowStatus, WorkflowStep
from services.workflows.rules import FrameReview
from tests.conftest import a_brief
from tests.ui.conftest import button, fill_in, open_app

WIZARD = "app_pages/wizard.py"


def labels(elements) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.label for e in elements]


def badges(at) -> str:  # type: ignore[no-untyped-def]
    """Every badge's text (st.badge renders as a markdown badge)."""
    return " ".join(m.value for m in at.markdown if "-badge[" in m.value)


def open_wizard(user: User, workflow_id: str | None = None, **params: str):  # type: ignore[no-untyped-def]
    query = {"workflow": workflow_id, **params} if workflow_id else params
    at = open_app(user, page=WIZARD, query_params=query)
    assert not at.exception
    return at


def refined_workflow(runtime: Runtime, user: User, rounds: int = 1) -> str:
    workflow = runtime.service.create_workflow(user_id=user.id, brief=a_brief(duration=2))
    for _ in range(rounds):
        runtime.service.refine_prompt(user_id=user.id, workflow_id=workflow.id)
    return workflow.id


def framed_workflow(runtime: Runtime, user: User, frames: int = 3) -> str:
    workflow_id = refined_workflow(runtime, user)
    runtime.service.generate_frames(user_id=user.id, workflow_id=workflow_id, frame_count=frames)
    return workflow_id


def test_start_creating_stores_the_brief_and_puts_the_workflow_in_the_url(runtime: Runtime, alice: User):
    at = open_wizard(alice)
    assert "Step 0 of 4: Brief" in at.progress[0].text
    fill_in(at, Title="Spring sale", Target_audience="young professionals", Tone="uplifting", Visual_style="pastel")
    at.text_area[0].set_value("Flowers bloom across a city rooftop")
    at.number_input[0].set_value(4)
    at.selectbox[0].select("9:16")
    button(at, "Start Creating").click().run()

    assert not at.exception
    stored = runtime.service.list_workflows(user_id=alice.id).items
    assert len(stored) == 1
    workflow = stored[0]
    assert (workflow.title, workflow.metadata.duration, workflow.metadata.aspect_ratio) == ("Spring sale", 4, "9:16")
    assert workflow.metadata.tone == "uplifting" and workflow.metadata.style == "pastel"
    assert at.query_params["workflow"] == workflow.id
    assert "Step 1 of 4: Refinement" in at.progress[0].text


def test_a_brief_without_a_title_is_refused_with_an_alert_and_nothing_is_stored(runtime: Runtime, alice: User):
    at = open_wizard(alice)
    at.text_area[0].set_value("An idea without a title")
    button(at, "Start Creating").click().run()
    assert at.error and "Title" in at.error[0].value
    assert runtime.service.list_workflows(user_id=alice.id).total == 0


def test_continue_to_frames_is_disabled_until_a_refined_prompt_exists(runtime: Runtime, alice: User):
    workflow = runtime.service.create_workflow(user_id=alice.id, brief=a_brief())
    at = open_wizard(alice, workflow.id)
    assert button(at, "Continue to Frames").disabled
    assert not button(at, "Refine Prompt").disabled


def test_refine_prompt_twice_records_both_iterations_with_notes_and_model(runtime: Runtime, alice: User):
    workflow = runtime.service.create_workflow(user_id=alice.id, brief=a_brief())
    at = open_wizard(alice, workflow.id)
    button(at, "Refine Prompt").click().run()
    at.text_area[0].set_value("Add neon reflections")
    at.selectbox[0].select("claude-sonnet-4.6")  # issue 18: the seed's retired ids are disabled in the pickers
    button(at, "Refine Prompt").click().run()

    assert not at.exception
    stored = runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow.id)
    assert [(i.iteration, i.additional_info, i.model) for i in stored.refinement_iterations] == [
        (1, None, "gpt-4o"),
        (2, "Add neon reflections", "claude-sonnet-4.6"),
    ]
    shown = badges(at)
    assert "Iteration 2" in shown and "8 iterations remaining" in shown
    assert not button(at, "Continue to Frames").disabled
    assert any("Add neon reflections" in t.value for t in at.text)  # the earlier iterations are viewable


def test_refine_prompt_is_disabled_once_no_iterations_remain(make_service, runtime: Runtime, alice: User):
    workflow_id = refined_workflow(runtime, alice, rounds=runtime.settings.MAX_REFINEMENT_ITERATIONS)
    at = open_wizard(alice, workflow_id)
    assert button(at, "Refine Prompt").disabled
    assert "0 iterations remaining" in badges(at)


def test_continue_to_frames_shows_the_frame_form_and_survives_a_reload(runtime: Runtime, alice: User):
    workflow_id = refined_workflow(runtime, alice)
    at = open_wizard(alice, workflow_id)
    button(at, "Continue to Frames").click().run()
    assert at.query_params["view"] == "frames"
    assert "Generate Frames" in labels(at.button)

    reloaded = open_wizard(alice, workflow_id, view="frames")
    assert "Step 2 of 4: Frames" in reloaded.progress[0].text and "Generate Frames" in labels(reloaded.button)


def test_asking_for_frames_before_any_refinement_stays_on_refinement(runtime: Runtime, alice: User):
    workflow = runtime.service.create_workflow(user_id=alice.id, brief=a_brief())
    at = open_wizard(alice, workflow.id, view="video")
    assert "Step 1 of 4: Refinement" in at.progress[0].text


def test_generate_frames_makes_the_chosen_number_with_the_chosen_model(runtime: Runtime, alice: User):
    workflow_id = refined_workflow(runtime, alice)
    at = open_wizard(alice, workflow_id, view="frames")
    at.selectbox[0].select("flux-1.1-pro")  # issue 18: dalle-3 is retired (its successor is flux-1.1-pro)
    at.number_input[0].set_value(2)
    button(at, "Generate Frames").click().run()

    assert not at.exception
    stored = runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow_id)
    assert stored.current_step is WorkflowStep.FRAME_REVIEW
    assert [(f.frame_number, f.model) for f in stored.generated_frames] == [(0, "flux-1.1-pro"), (1, "flux-1.1-pro")]
    assert len(at.get("image")) == 2
    assert button(at, "Continue to Video").disabled


def test_rejecting_a_frame_needs_feedback_and_regenerate_rejected_replaces_only_it(runtime: Runtime, alice: User):
    workflow_id = framed_workflow(runtime, alice)
    before = runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow_id)
    at = open_wizard(alice, workflow_id)
    at.radio[0].set_value("Approve")
    at.radio[1].set_value("Reject")
    at.radio[2].set_value("Approve")
    button(at, "Save Reviews").click().run()
    assert at.warning and "frame 2" in at.warning[0].value
    assert not any(
        f.approved for f in runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow_id).generated_frames
    )

    at.radio[1].set_value("Reject")
    at.text_area[1].set_value("Make it night")
    button(at, "Save Reviews").click().run()
    assert button(at, "Regenerate Rejected (1)")
    button(at, "Regenerate Rejected (1)").click().run()

    assert not at.exception
    after = runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow_id)
    assert [f.version for f in after.generated_frames] == [1, 2, 1]
    assert after.frame(0).image_key == before.frame(0).image_key
    assert after.frame(1).history[0].feedback == "Make it night"
    assert "Frame 2 of 3 · Middle: earlier versions (1)" in [e.label for e in at.expander]
    assert button(at, "Continue to Video").disabled


def test_an_earlier_frame_version_can_be_chosen_again(runtime: Runtime, alice: User):
    workflow_id = framed_workflow(runtime, alice, frames=1)
    runtime.service.review_frames(user_id=alice.id, workflow_id=workflow_id, reviews=[FrameReview(0, False, "darker")])
    runtime.service.regenerate_frames(user_id=alice.id, workflow_id=workflow_id, frame_numbers=[0])
    first_key = runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow_id).frame(0).history[0].image_key
    at = open_wizard(alice, workflow_id)
    button(at, "Use version 1").click().run()
    restored = runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow_id).frame(0)
    assert (restored.version, restored.image_key) == (1, first_key)


def test_continue_to_video_opens_once_every_frame_is_approved(runtime: Runtime, alice: User):
    workflow_id = framed_workflow(runtime, alice, frames=2)
    at = open_wizard(alice, workflow_id)
    button(at, "Approve All").click().run()
    assert runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow_id).frames_approved
    button(at, "Continue to Video").click().run()
    assert "Step 3 of 4: Video settings" in at.progress[0].text
    assert at.query_params["view"] == "video"
    assert "offline" in at.metric[0].value
    assert "Generate Video" in labels(at.button)


def test_generate_video_completes_the_workflow_and_offers_player_and_download(runtime: Runtime, alice: User):
    workflow_id = framed_workflow(runtime, alice, frames=2)
    runtime.service.review_frames(
        user_id=alice.id, workflow_id=workflow_id, reviews=[FrameReview(0, True), FrameReview(1, True)]
    )
    at = open_wizard(alice, workflow_id, view="video")
    at.select_slider[0].set_value(12)
    at.number_input[0].set_value(2)
    button(at, "Generate Video").click().run()

    assert not at.exception
    stored = runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow_id)
    assert (stored.status, stored.video_output.fps, stored.video_output.duration) == (WorkflowStatus.COMPLETED, 12, 2)
    assert "Step 4 of 4: Completed" in at.progress[0].text
    assert at.get("video")
    assert at.get("download_button")
    shown = badges(at)
    assert "12 fps" in shown and "2 s" in shown and "Cost" in shown


def test_a_failed_step_shows_what_happened_and_how_to_retry(runtime: Runtime, alice: User):
    workflow_id = refined_workflow(runtime, alice)
    runtime.service._update(
        alice.id,
        workflow_id,
        lambda w: workflow_rules.record_failure(
            w, step=WorkflowStep.FRAME_GENERATION, message="dalle-3 timed out.", provider="offline", now=w.last_activity
        ),
    )
    at = open_wizard(alice, workflow_id)
    assert at.error and "dalle-3 timed out." in at.error[0].value and "Retry" in at.error[0].value
    assert "Generate Frames" in labels(at.button)


def test_a_processing_workflow_shows_live_progress_instead_of_buttons(runtime: Runtime, alice: User):
    workflow_id = refined_workflow(runtime, alice)
    runtime.service._update(alice.id, workflow_id, lambda w: setattr(w, "status", WorkflowStatus.PROCESSING))
    at = open_wizard(alice, workflow_id)
    assert any("updates by itself" in i.value for i in at.info)
    assert "Generate Frames" not in labels(at.button) and "Refine Prompt" not in labels(at.button)


def test_another_users_workflow_is_refused_even_with_its_url(runtime: Runtime, alice: User, make_user):
    workflow = runtime.service.create_workflow(user_id=alice.id, brief=a_brief())
    bob = make_user("bob")
    at = open_wizard(bob, workflow.id)
    assert at.error and "another user" in at.error[0].value
    assert "Refine Prompt" not in labels(at.button)
    assert not any(workflow.title in s.value for s in at.subheader)
