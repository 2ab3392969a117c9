"""Every (step, action) pair: allowed where the spec's diagram allows it, refused with a clear error otherwise."""

from __future__ import annotations

import itertools

import pytest

from services.core.errors import InvalidTransitionError
from services.workflows.domain import WorkflowStep
from services.workflows.state_machine import WorkflowAction, allowed_actions, check_transition

S, A = WorkflowStep, WorkflowAction

# The spec's diagram, written out independently of the implementation's table.
EXPECTED_ALLOWED = {
    S.INITIAL_PROMPT: {A.REFINE_PROMPT},
    S.PROMPT_REFINEMENT: {A.REFINE_PROMPT, A.GENERATE_FRAMES},
    S.ADDITIONAL_INFO: {A.REFINE_PROMPT, A.GENERATE_FRAMES},
    S.FRAME_GENERATION: {A.GENERATE_FRAMES},  # a failed generation is retried from here
    S.FRAME_REVIEW: {A.REVIEW_FRAMES, A.REGENERATE_FRAMES, A.RESTORE_FRAME_VERSION, A.GENERATE_VIDEO},
    S.VIDEO_GENERATION: {A.GENERATE_VIDEO, A.REOPEN_FRAMES},  # a failed video is retried, or its frames reopened
    S.COMPLETED: {A.REOPEN_FRAMES},  # a stakeholder's feedback on the finished video is used (review links)
}
EXPECTED_LANDING = {
    A.REFINE_PROMPT: S.PROMPT_REFINEMENT,
    A.GENERATE_FRAMES: S.FRAME_REVIEW,
    A.REVIEW_FRAMES: S.FRAME_REVIEW,
    A.REGENERATE_FRAMES: S.FRAME_REVIEW,
    A.RESTORE_FRAME_VERSION: S.FRAME_REVIEW,
    A.GENERATE_VIDEO: S.COMPLETED,
    A.REOPEN_FRAMES: S.FRAME_REVIEW,
}
ALL_PAIRS = list(itertools.product(WorkflowStep, WorkflowAction))


def test_the_expected_table_names_every_step():
    assert set(EXPECTED_ALLOWED) == set(WorkflowStep)


@pytest.mark.parametrize(("step", "action"), ALL_PAIRS, ids=[f"{s.value}-{a.value}" for s, a in ALL_PAIRS])
def test_every_step_and_action_pair_is_allowed_or_refused_with_a_message(step: WorkflowStep, action: WorkflowAction):
    if action in EXPECTED_ALLOWED[step]:
        assert check_transition(step, action).success_step is EXPECTED_LANDING[action]
        return
    with pytest.raises(InvalidTransitionError) as refused:
        check_transition(step, action)
    message = refused.value.message
    assert f"at step {step.value}" in message
    assert "Allowed next:" in message


def test_the_refusal_lists_what_is_allowed_next():
    with pytest.raises(InvalidTransitionError, match="Allowed next: refine the prompt, generate frames"):
        check_transition(S.PROMPT_REFINEMENT, A.GENERATE_VIDEO)


def test_a_completed_workflow_can_only_reopen_its_storyboard():
    with pytest.raises(InvalidTransitionError, match="Allowed next: go back to the frames.$"):
        check_transition(S.COMPLETED, A.REFINE_PROMPT)


def test_allowed_actions_match_the_table_for_every_step():
    for step, expected in EXPECTED_ALLOWED.items():
        assert set(allowed_actions(step)) == expected
