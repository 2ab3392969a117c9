"""The Prompt Lab page through AppTest: a run on three offline models, the diff, rating, Use this one, history."""

from __future__ import annotations

from services.accounts.users import User
from services.bootstrap import Runtime
from tests.support.briefs import a_brief
from tests.support.ui_fixtures import button, open_app

LAB = "app_pages/prompt_lab.py"
THREE = ["gpt-4o", "claude-opus-4.6", "gemini-3.1-pro"]


def open_lab(user: User):  # type: ignore[no-untyped-def]
    at = open_app(user, page=LAB)
    assert not at.exception
    return at


def test_a_run_shows_three_labelled_offline_results_with_an_estimate_first(runtime: Runtime, alice: User):
    at = open_lab(alice)
    at.text_area(key="lab-brief").set_value("A lighthouse keeper's last night").run()
    assert [m.label for m in at.metric] == ["Cost estimate"] and at.metric[0].value == "$0.0000"

    button(at, "Run the lab").click().run()

    assert not at.exception
    runs, total = runtime.lab.list_runs(user_id=alice.id)
    assert total == 1 and runs[0].models == THREE
    texts = [t.value for t in at.text]
    assert {r.refined_prompt for r in runs[0].results} <= set(texts)
    badges = " ".join(m.value for m in at.markdown if "-badge[" in m.value)
    assert badges.count("offline") == 3
    assert any("words inserted" in c.value for c in at.caption)  # the diff between the first two results
    assert any("<ins" in h.value and "<del" in h.value for h in at.html)


def test_use_this_one_adds_the_next_iteration_to_the_chosen_workflow(runtime: Runtime, alice: User):
    workflow = runtime.service.create_workflow(user_id=alice.id, brief=a_brief(duration=2))
    runtime.service.refine_prompt(user_id=alice.id, workflow_id=workflow.id)
    run = runtime.lab.run(user_id=alice.id, models=THREE[:2], workflow_id=workflow.id)
    at = open_lab(alice)
    at.session_state["lab_run_id"] = run.id
    at.run()

    at.button(key=f"adopt-{run.id}-claude-opus-4.6").click().run()

    assert not at.exception
    stored = runtime.service.get_workflow(user_id=alice.id, workflow_id=workflow.id)
    assert [(i.iteration, i.model, i.lab_run_id) for i in stored.refinement_iterations][-1] == (
        2,
        "claude-opus-4.6",
        run.id,
    )
    assert any("Added as iteration 2" in s.value for s in at.success)

    at.button(key=f"star-{run.id}-gpt-4o").click().run()
    assert runtime.lab.get_run(user_id=alice.id, run_id=run.id).result("gpt-4o").starred


def test_history_lists_runs_newest_first_and_searches(runtime: Runtime, alice: User):
    runtime.lab.run(user_id=alice.id, models=THREE[:2], brief="Harbour at dawn", title="Harbour")
    runtime.lab.run(user_id=alice.id, models=THREE[1:], brief="Desert rally", title="Rally")
    at = open_lab(alice)
    titles = [m.value for m in at.markdown if m.value.startswith("**Harbour**") or m.value.startswith("**Rally**")]
    assert [t.split("**")[1] for t in titles] == ["Rally", "Harbour"]
    at.text_input(key="lab-search").set_value("harbour").run()
    titles = [m.value for m in at.markdown if m.value.startswith("**Harbour**") or m.value.startswith("**Rally**")]
    assert [t.split("**")[1] for t in titles] == ["Harbour"]
    assert [b.label for b in at.get("download_button")] == ["Export JSON", "Export CSV"]
