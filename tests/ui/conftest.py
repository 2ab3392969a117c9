"""AppTest fixtures: the app's pages on a runtime built over the test database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from pymongo.database import Database
from streamlit.testing.v1 import AppTest

from services.accounts.api_services import build_api_services
from services.accounts.users import User, UserService, ensure_user_indexes
from services.analytics.service import AnalyticsService
from services.bootstrap import Runtime, build_lab, build_media_links, build_review, get_runtime, install_runtime
from services.core.clock import utc_now
from services.core.settings import Settings
from services.providers.keys import ProviderKeyVault
from services.workflows.campaigns import CampaignService, ensure_campaign_indexes
from services.workflows.service import VideoWorkflowService
from ui.auth import SESSION_KEY

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
APP_TIMEOUT = 60


@pytest.fixture
def install(db: Database, settings: Settings) -> Iterator[Callable[[VideoWorkflowService], Runtime]]:
    """Install a runtime around this service, on the test database, so the pages use it."""
    ensure_user_indexes(db)
    ensure_campaign_indexes(db)

    def build(service: VideoWorkflowService, *, vault: ProviderKeyVault | None = None) -> Runtime:
        users = UserService(db, clock=utc_now, bcrypt_rounds=4)
        api = build_api_services(service.settings, db, clock=utc_now)
        built = Runtime(
            settings=service.settings,
            client=db.client,
            db=db,
            media=service.media,
            models=service.models,
            service=service,
            users=users,
            campaigns=service.campaigns or CampaignService(db, clock=utc_now),
            vault=vault,
            api=api,
            analytics=AnalyticsService(db, users=users),
            media_links=build_media_links(service.settings, service.media),
            lab=build_lab(db, service),
            review=build_review(db, service, api, events=None),
        )
        st.cache_resource.clear()
        install_runtime(built)
        return built

    yield build
    install_runtime(None)
    st.cache_resource.clear()


@pytest.fixture
def runtime(install: Callable[[VideoWorkflowService], Runtime], service: VideoWorkflowService) -> Runtime:
    """The offline-provider runtime the pages use."""
    return install(service)


@pytest.fixture
def make_user(runtime: Runtime) -> Callable[[str], User]:
    """Register a user with the shared test password."""
    return lambda username: runtime.users.register(username=username, password=PASSWORD, name=username.title())


@pytest.fixture
def alice(make_user: Callable[[str], User]) -> User:
    return make_user("alice")


def open_app(user: User | None = None, *, page: str | None = None, query_params: dict | None = None) -> AppTest:
    """The app as `user` would see it (signed in when given), on `page` with these URL parameters."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=APP_TIMEOUT)
    if user is not None:
        at.session_state[SESSION_KEY] = signed_in_session(user)
    for name, value in (query_params or {}).items():
        at.query_params[name] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


def signed_in_session(user: User) -> str:
    """A real server-side UI session for the user (what signing in creates), as the tab holds it."""
    api = get_runtime().api
    assert api is not None
    return api.ui_sessions.create(user.id).token


def button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    """The one button with this label."""
    matches = [b for b in at.button if b.label == label]
    assert len(matches) == 1, f"expected one {label!r} button, found {[b.label for b in at.button]}"
    return matches[0]


def fill_in(at: AppTest, **values: str) -> AppTest:
    """Type into text inputs by label (underscores in the keyword stand for spaces)."""
    fields = {t.label: t for t in at.text_input}
    for label, value in values.items():
        fields[label.replace("_", " ")].set_value(value)
    return at
