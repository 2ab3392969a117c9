"""Frames are generated in parallel: three frames take about as long as one."""

from __future__ import annotations

import time

from tests.support.briefs import a_brief
from tests.support.fakes import ScriptedFrameGenerator, ScriptedRefiner, ScriptedVideoGenerator, scripted_registry

USER = "user-alice"
SECONDS_PER_FRAME = 2.0  # real frames take 15–30 s; our fixed overhead is ~0.1 s


def test_three_frames_take_less_than_1_2_times_one_frames_time(make_service):
    frames = ScriptedFrameGenerator(delay=SECONDS_PER_FRAME, redraw=False)
    service = make_service(models=scripted_registry(ScriptedRefiner(), frames, ScriptedVideoGenerator()))
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)

    started = time.perf_counter()
    done = service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=3)
    elapsed = time.perf_counter() - started

    assert len(done.generated_frames) == 3
    assert elapsed < 1.2 * SECONDS_PER_FRAME, f"3 frames took {elapsed:.2f} s"


def test_concurrency_is_bounded_by_the_setting(make_service):
    frames = ScriptedFrameGenerator(delay=0.3, redraw=False)
    service = make_service(
        models=scripted_registry(ScriptedRefiner(), frames, ScriptedVideoGenerator()), FRAME_GENERATION_CONCURRENCY=2
    )
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    started = time.perf_counter()
    service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=4)
    elapsed = time.perf_counter() - started
    assert 0.6 <= elapsed < 1.15, f"4 frames, 2 at a time, 0.3 s each took {elapsed:.2f} s"
