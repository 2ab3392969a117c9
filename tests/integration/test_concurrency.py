"""Concurrent writers of one workflow never silently lose an update."""

from __future__ import annotations

import threading

import pytest

from services.core.errors import ConflictError
from services.studio.service import VideoWorkflowService
from services.workflows.repository import MongoWorkflowRepository
from services.workflows.rules import FrameReview
from tests.support.briefs import a_brief

USER = "user-alice"
UPDATES_PER_THREAD = 100


def test_two_threads_updating_one_workflow_100_times_each_lose_no_update(service: VideoWorkflowService):
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    service.refine_prompt(user_id=USER, workflow_id=workflow.id)
    start = service.generate_frames(user_id=USER, workflow_id=workflow.id, frame_count=2)
    errors: list[BaseException] = []

    def reviewer(frame_number: int) -> None:
        try:
            for round_number in range(UPDATES_PER_THREAD):
                service.review_frames(
                    user_id=USER,
                    workflow_id=workflow.id,
                    reviews=[FrameReview(frame_number, False, f"frame {frame_number} note {round_number}")],
                )
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=reviewer, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    final = service.get_workflow(user_id=USER, workflow_id=workflow.id)
    assert final.version == start.version + 2 * UPDATES_PER_THREAD, "every update was applied exactly once"
    assert final.frame(0).feedback == f"frame 0 note {UPDATES_PER_THREAD - 1}"
    assert final.frame(1).feedback == f"frame 1 note {UPDATES_PER_THREAD - 1}"


def test_a_write_based_on_a_stale_read_is_refused(service: VideoWorkflowService, db):
    repository = MongoWorkflowRepository(db)
    workflow = service.create_workflow(user_id=USER, brief=a_brief())
    first_reader, second_reader = repository.get(workflow.id), repository.get(workflow.id)
    first_reader.title = "Title from tab one"
    repository.save(first_reader)
    second_reader.title = "Title from tab two"
    with pytest.raises(ConflictError, match="changed by someone else"):
        repository.save(second_reader)
    assert repository.get(workflow.id).title == "Title from tab one"
