"""A refinement served from the prompt cache says so, with its original time; Refine again (fresh) asks the model."""

from __future__ import annotations

from services.core.clock import utc_now
from services.workflows.prompt_cache import build_prompt_cache
from tests.support.briefs import a_brief
from tests.support.fakes import ScriptedFrameGenerator, ScriptedRefiner, ScriptedVideoGenerator, scripted_registry
from tests.support.ui_fixtures import button, open_app

REFINE = "app_pages/wizard_refine.py"


def test_a_cached_round_shows_its_badge_and_refine_again_fresh_makes_exactly_one_provider_call(
    install, make_service, make_user, db
):
    refiner = ScriptedRefiner()
    service = make_service(
        models=scripted_registry(refiner, ScriptedFrameGenerator(), ScriptedVideoGenerator()),
        prompt_cache=build_prompt_cache(db, ttl_seconds=3600, shared=False, clock=utc_now),
    )
    runtime = install(service)
    alice = make_user("alice")
    first = service.create_workflow(user_id=alice.id, brief=a_brief())
    service.refine_prompt(user_id=alice.id, workflow_id=first.id)
    service.refine_prompt(user_id=alice.id, workflow_id=first.id)  # round 2 is cached too, under round 1's answer
    original = service.get_workflow(user_id=alice.id, workflow_id=first.id).refinement_iterations[0].created_at
    second = service.create_workflow(user_id=alice.id, brief=a_brief())
    service.refine_prompt(user_id=alice.id, workflow_id=second.id)
    assert len(refiner.history) == 2, "the second workflow's first round came from the cache"

    at = open_app(alice, page=REFINE, query_params={"workflow": second.id})
    assert not at.exception
    assert any("cached" in m.value and "-badge[" in m.value for m in at.markdown)
    assert any(f"first refined on {original:%Y-%m-%d %H:%M} UTC" in c.value for c in at.caption)

    button(at, "Refine again (fresh)").click().run()
    assert not at.exception
    assert len(refiner.history) == 3, "one provider call, though the cache holds this very request"
    rounds = runtime.service.get_workflow(user_id=alice.id, workflow_id=second.id).refinement_iterations
    assert [r.cached for r in rounds] == [True, False]
    assert not any("badge[cached]" in m.value for m in at.markdown), "the fresh round is not cached"
    assert "Refine again (fresh)" not in [b.label for b in at.button]


def test_without_fresh_the_same_request_is_answered_from_the_cache(install, make_service, make_user, db):
    refiner = ScriptedRefiner()
    service = make_service(
        models=scripted_registry(refiner, ScriptedFrameGenerator(), ScriptedVideoGenerator()),
        prompt_cache=build_prompt_cache(db, ttl_seconds=3600, shared=False, clock=utc_now),
    )
    install(service)
    alice = make_user("alice")
    for _ in range(2):
        workflow = service.create_workflow(user_id=alice.id, brief=a_brief())
        service.refine_prompt(user_id=alice.id, workflow_id=workflow.id)
        service.refine_prompt(user_id=alice.id, workflow_id=workflow.id)
    assert (
        len(refiner.history) == 2
        and service.get_workflow(user_id=alice.id, workflow_id=workflow.id).refinement_iterations[1].cached
    )
