"""The wizard's model pickers show retired and unavailable models disabled, with the reason (AppTest)."""

from __future__ import annotations

from services.accounts.users import User
from services.bootstrap import Runtime
from services.providers.availability import UNAVAILABLE, ModelAvailability
from tests.support.briefs import a_brief
from tests.support.ui_fixtures import button, fill_in
from tests.ui.test_wizard_steps import open_wizard


def refine_button(at):  # type: ignore[no-untyped-def]
    return button(at, "Refine Prompt")


def test_the_refinement_picker_shows_a_retired_model_disabled_with_its_date_and_successor(runtime: Runtime, alice: User):
    workflow = runtime.service.create_workflow(user_id=alice.id, brief=a_brief())
    at = open_wizard(alice, workflow.id)
    picker = at.selectbox(key=f"refine-model-{workflow.id}")
    assert "claude-3-opus-20240229 → claude-opus-4.6 (retired on 2026-01-05) — disabled" in picker.options
    assert not refine_button(at).disabled

    picker.select("claude-3-opus-20240229").run()
    assert not at.exception
    assert any("retired on 2026-01-05; use claude-opus-4.6" in w.value for w in at.warning)
    assert refine_button(at).disabled


def test_a_model_the_check_found_unavailable_is_disabled_with_the_providers_reason(runtime: Runtime, alice: User):
    runtime.models.availability.record(
        "gemini-3.1-pro", ModelAvailability(state=UNAVAILABLE, reason="Poe does not list the bot Gemini-3.1-Pro")
    )
    workflow = runtime.service.create_workflow(user_id=alice.id, brief=a_brief())
    at = open_wizard(alice, workflow.id)
    at.selectbox(key=f"refine-model-{workflow.id}").select("gemini-3.1-pro").run()
    assert any("unavailable: Poe does not list the bot Gemini-3.1-Pro" in w.value for w in at.warning)
    assert refine_button(at).disabled


def test_the_brief_sound_switch_is_on_by_default_and_stored_when_turned_off(runtime: Runtime, alice: User):
    at = open_wizard(alice)
    assert at.toggle[0].label == "Sound" and at.toggle[0].value is True
    fill_in(at, Title="Silent spot")
    at.text_area[0].set_value("A quiet lake at dawn")
    at.toggle[0].set_value(False)
    button(at, "Start Creating").click().run()
    assert not at.exception
    stored = runtime.service.list_workflows(user_id=alice.id).items[0]
    assert stored.metadata.sound is False


def test_settings_shows_the_provider_status_table_with_lifecycle_availability_and_price(runtime: Runtime, alice: User):
    from tests.support.ui_fixtures import open_app

    at = open_app(alice, page="app_pages/settings.py")
    assert not at.exception
    assert "Provider status" in [s.value for s in at.subheader]
    assert any("POE_API_KEY is not set" in c.value for c in at.caption)
    table = at.dataframe[0].value
    assert len(table) == len(runtime.models.catalog)
    dalle = table[table["Model"] == "dalle-3"].iloc[0]
    assert dalle["Lifecycle"] == "retired on 2026-05-12 → flux-1.1-pro"
    assert "Check Now" not in [b.label for b in at.button], "without keys there is nobody to ask"
