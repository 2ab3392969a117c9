"""The pure rules and planning, tested without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.core.errors import BusyError, LimitReachedError, ValidationError
from services.workflows import rules
from services.workflows.domain import (
    GeneratedFrame,
    ModelSelections,
    RefinementIteration,
    VideoWorkflow,
    WorkflowLimits,
    WorkflowMetadata,
    WorkflowStatus,
    WorkflowStep,
)
from services.workflows.frame_planning import frame_size, plan_frames, prompt_with_feedback, scene_labels
from services.workflows.rules import FrameReview
from services.workflows.state_machine import WorkflowAction

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def a_frame(number: int, *, approved: bool = False, regenerations: int = 0) -> GeneratedFrame:
    return GeneratedFrame(
        frame_number=number,
        scene="Opening",
        base_prompt=f"p{number}",
        prompt=f"p{number}",
        image_key=f"workflows/w/frame-{number}-a.png",
        width=1024,
        height=576,
        model="m",
        provider="offline",
        seed=number,
        approved=approved,
        regeneration_count=regenerations,
        generated_at=NOW,
    )


def a_workflow(**changes: object) -> VideoWorkflow:
    fields: dict = dict(
        id="w",
        user_id="u",
        title="t",
        initial_prompt="p",
        metadata=WorkflowMetadata(),
        model_selections=ModelSelections(refinement="gpt-4o", frames="stable-diffusion-xl", video="veo-3"),
        limits=WorkflowLimits(max_refinement_iterations=2, max_frame_regenerations=1),
        created_at=NOW,
        last_activity=NOW,
    )
    fields.update(changes)
    return VideoWorkflow(**fields)


def in_review(*frames: GeneratedFrame) -> VideoWorkflow:
    return a_workflow(
        current_step=WorkflowStep.FRAME_REVIEW,
        status=WorkflowStatus.WAITING_USER_INPUT,
        generated_frames=list(frames),
        planned_frame_count=len(frames),
    )


def test_frames_are_approved_only_when_every_frame_is():
    workflow = in_review(a_frame(1), a_frame(2))
    rules.apply_reviews(workflow, [FrameReview(1, True)], now=NOW)
    assert not workflow.frames_approved
    rules.apply_reviews(workflow, [FrameReview(2, True)], now=NOW)
    assert workflow.frames_approved
    rules.apply_reviews(workflow, [FrameReview(2, False, "too dark")], now=NOW)
    assert not workflow.frames_approved and workflow.frame(2).feedback == "too dark"


def test_every_review_decision_is_tallied_for_the_approval_rate():
    workflow = in_review(a_frame(1), a_frame(2))
    rules.apply_reviews(workflow, [FrameReview(1, True), FrameReview(2, False, "too dark")], now=NOW)
    rules.apply_reviews(workflow, [FrameReview(2, True)], now=NOW)
    assert (workflow.frame_reviews.approved, workflow.frame_reviews.rejected) == (2, 1)


def test_reviewing_an_unknown_frame_names_the_frames_that_exist():
    with pytest.raises(ValidationError, match="Frame 7 does not exist in this workflow. Frames: 1, 2"):
        rules.apply_reviews(in_review(a_frame(1), a_frame(2)), [FrameReview(7, True)], now=NOW)


def test_a_regenerated_frame_keeps_its_previous_version_in_history_and_restoring_swaps_back():
    workflow = in_review(a_frame(1))
    workflow.frame(1).feedback = "more light"
    new = a_frame(1).model_copy(update={"prompt": "p1 brighter", "image_key": "workflows/w/frame-1-b.png"})
    rules.replace_frame(workflow, new, now=NOW)
    frame = workflow.frame(1)
    assert (frame.version, frame.regeneration_count, frame.image_key) == (2, 1, "workflows/w/frame-1-b.png")
    assert [(v.version, v.image_key, v.feedback) for v in frame.history] == [(1, "workflows/w/frame-1-a.png", "more light")]

    rules.restore_frame_version(workflow, 1, 1, now=NOW)
    frame = workflow.frame(1)
    assert (frame.version, frame.image_key, frame.approved) == (1, "workflows/w/frame-1-a.png", False)
    assert [(v.version, v.image_key) for v in frame.history] == [(2, "workflows/w/frame-1-b.png")]


def test_a_regeneration_after_a_restore_gets_a_new_version_number_and_every_version_stays_restorable():
    workflow = in_review(a_frame(1))
    rules.replace_frame(workflow, a_frame(1).model_copy(update={"image_key": "v2.png"}), now=NOW)
    rules.restore_frame_version(workflow, 1, 1, now=NOW)  # current: version 1; history: version 2
    rules.replace_frame(workflow, a_frame(1).model_copy(update={"image_key": "v3.png"}), now=NOW)
    frame = workflow.frame(1)
    assert frame.version == 3 and [(v.version, v.image_key) for v in frame.history] == [
        (1, "workflows/w/frame-1-a.png"),
        (2, "v2.png"),
    ]

    rules.restore_frame_version(workflow, 1, 2, now=NOW)
    frame = workflow.frame(1)
    assert (frame.version, frame.image_key) == (2, "v2.png")
    assert [(v.version, v.image_key) for v in frame.history] == [(1, "workflows/w/frame-1-a.png"), (3, "v3.png")]


def test_restoring_a_version_that_never_existed_is_refused():
    with pytest.raises(ValidationError, match="no earlier version 3"):
        rules.restore_frame_version(in_review(a_frame(1)), 1, 3, now=NOW)


def test_approved_frames_cannot_be_regenerated_and_the_cap_is_enforced():
    with pytest.raises(ValidationError, match="approved frames are never regenerated"):
        rules.check_can_regenerate(in_review(a_frame(1, approved=True)), [1])
    with pytest.raises(LimitReachedError, match="MAX_FRAME_REGENERATIONS=1"):
        rules.check_can_regenerate(in_review(a_frame(1, regenerations=1)), [1])


def test_the_refinement_cap_is_the_workflows_own():
    workflow = a_workflow(current_step=WorkflowStep.PROMPT_REFINEMENT)
    for number in (1, 2):
        rules.check_can_refine(workflow)
        rules.complete_refinement(workflow, _iteration(number), now=NOW)
    assert workflow.refinement_iterations_remaining == 0
    with pytest.raises(LimitReachedError, match="all 2 prompt refinement rounds"):
        rules.check_can_refine(workflow)


def _iteration(number: int) -> RefinementIteration:
    return RefinementIteration(
        iteration=number, refined_prompt=f"r{number}", model="gpt-4o", provider="offline", created_at=NOW
    )


def test_a_failure_keeps_the_work_done_and_the_step_can_be_retried():
    workflow = in_review(a_frame(1))
    rules.begin(workflow, WorkflowAction.REGENERATE_FRAMES, now=NOW, stale_after=timedelta(minutes=15))
    rules.record_failure(workflow, step=WorkflowStep.FRAME_REVIEW, message="boom", provider="replicate", now=NOW)
    assert workflow.status is WorkflowStatus.FAILED and workflow.generated_frames
    assert workflow.errors[-1].message == "boom"
    rules.begin(workflow, WorkflowAction.REGENERATE_FRAMES, now=NOW, stale_after=timedelta(minutes=15))
    assert workflow.status is WorkflowStatus.PROCESSING


def test_a_second_generation_is_refused_while_one_runs_but_not_after_it_went_stale():
    workflow = in_review(a_frame(1))
    rules.begin(workflow, WorkflowAction.REGENERATE_FRAMES, now=NOW, stale_after=timedelta(minutes=15))
    with pytest.raises(BusyError, match="already running"):
        rules.begin(
            workflow, WorkflowAction.REGENERATE_FRAMES, now=NOW + timedelta(minutes=1), stale_after=timedelta(minutes=15)
        )
    rules.begin(
        workflow, WorkflowAction.REGENERATE_FRAMES, now=NOW + timedelta(minutes=16), stale_after=timedelta(minutes=15)
    )


def test_three_frames_are_opening_middle_closing_and_other_counts_spread_evenly():
    assert scene_labels(3) == ["Opening", "Middle", "Closing"]
    assert scene_labels(5) == ["Opening", "Beat at 25%", "Middle", "Beat at 75%", "Closing"]
    assert scene_labels(4) == ["Opening", "Beat at 33%", "Beat at 67%", "Closing"]
    plans = plan_frames(refined_prompt="A runner", frame_count=3, aspect_ratio="16:9", style="noir")
    assert all(p.prompt.startswith("A runner") and "noir" in p.prompt for p in plans)
    assert len({p.prompt for p in plans}) == 3


@pytest.mark.parametrize(
    ("ratio", "size"),
    [
        ("16:9", (1024, 576)),
        ("9:16", (576, 1024)),
        ("1:1", (1024, 1024)),
        ("4:3", (1024, 768)),
        ("4:5", (816, 1020)),
        ("21:9", (1008, 432)),
    ],
)
def test_frame_size_is_exactly_the_aspect_ratio_with_even_sides(ratio: str, size: tuple[int, int]):
    assert frame_size(ratio) == size
    width_part, height_part = (int(part) for part in ratio.split(":"))
    assert size[0] * height_part == size[1] * width_part and size[0] % 4 == size[1] % 4 == 0


def test_feedback_is_folded_into_the_prompt_in_order():
    assert prompt_with_feedback("base", ["darker", "", "add rain"]).endswith("darker | add rain")
    assert prompt_with_feedback("base", []) == "base"
