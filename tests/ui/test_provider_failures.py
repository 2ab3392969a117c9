"""When a provider fails, the wizard says what happened and what to do, and the step can be retried."""

from __future__ import annotations

from services.bootstrap import Runtime
from services.core.errors import ProviderError
from services.workflows.domain import WorkflowStatus
from tests.support.briefs import a_brief
from tests.support.fakes import (
    ScriptedFrameGenerator,
    ScriptedRefiner,
    ScriptedVideoGenerator,
    scripted_registry,
)
from tests.support.ui_fixtures import button, open_app


def scripted_runtime(install, make_service, refiner=None, frames=None) -> Runtime:  # type: ignore[no-untyped-def]
    registry = scripted_registry(refiner or ScriptedRefiner(), frames or ScriptedFrameGenerator(), ScriptedVideoGenerator())
    return install(make_service(models=registry))


def test_a_failed_refinement_shows_an_alert_and_a_retry_succeeds(install, make_service, make_user):
    refiner = ScriptedRefiner()
    refiner.enqueue(ProviderError("Poe is rate limiting us (429).", provider="scripted"))
    runtime = scripted_runtime(install, make_service, refiner=refiner)
    alice = make_user("alice")
    workflow = runtime.service.create_workflow(user_id=alice.id, brief=a_brief())
    at = open_app(alice, page="app_pages/wizard_refine.py", query_params={"workflow": workflow.id})

    button(at, "Refine Prompt").click().run()
    assert at.error and "429" in at.error[0].value and "pick another model" in at.error[0].value
    assert runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow.id).status is WorkflowStatus.FAILED

    at.run()  # reload: the stored failure is still explained
    assert any("This step did not finish" in e.value and "429" in e.value for e in at.error)
    button(at, "Refine Prompt").click().run()
    stored = runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow.id)
    assert stored.status is WorkflowStatus.WAITING_USER_INPUT and len(stored.refinement_iterations) == 1
    assert not at.error


def test_a_frame_that_fails_keeps_the_others_and_says_to_retry(install, make_service, make_user):
    runtime = scripted_runtime(install, make_service, frames=ScriptedFrameGenerator(fail_frames={2}))
    alice = make_user("alice")
    workflow = runtime.service.create_workflow(user_id=alice.id, brief=a_brief())
    runtime.service.refine_prompt(user_id=alice.id, workflow_id=workflow.id)
    at = open_app(alice, page="app_pages/wizard_frames.py", query_params={"workflow": workflow.id})

    button(at, "Generate Frames").click().run()
    assert at.error and "overloaded" in at.error[0].value
    at.run()
    assert any("were kept" in c.value for c in at.caption)  # the finished frames survive; a retry makes the rest
    assert "Generate Frames" in [b.label for b in at.button]
