"""AppTest fixtures: the app's pages on a runtime built over the test database."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
import streamlit.components.v2.manifest_scanner as component_manifests
import streamlit.testing.v1.app_test as app_test_module
import streamlit.testing.v1.local_script_runner as local_script_runner
from pymongo.database import Database
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest

from services.accounts.users import User
from services.bootstrap import Runtime, bootstrap, get_runtime, install_runtime
from services.core.settings import Settings
from services.providers.keys import ProviderKeyVault
from services.studio.service import VideoWorkflowService
from ui.auth import SESSION_KEY

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
APP_TIMEOUT = 60

# Each AppTest scans every installed distribution's metadata for custom components (about 30 ms of CPU). The
# installed packages do not change during a test session, so one scan serves every AppTest.
component_manifests.scan_component_manifests = functools.cache(component_manifests.scan_component_manifests)


class _SessionScriptCache(ScriptCache):
    """Every AppTest run starts a fresh ScriptCache, so each run parsed, rewrote (Streamlit's "magic") and compiled
    the app and page scripts again. The scripts do not change during a test session: one compiled copy serves all."""

    _compiled: dict = {}

    def __init__(self) -> None:
        super().__init__()
        self._cache = self._compiled


app_test_module.ScriptCache = _SessionScriptCache  # type: ignore[misc]
local_script_runner.ScriptCache = _SessionScriptCache  # type: ignore[misc]


@pytest.fixture
def install(db: Database) -> Iterator[Callable[..., Runtime]]:
    """Install a runtime around this service, on the test database, so the pages use it."""

    def build(service: VideoWorkflowService, *, vault: ProviderKeyVault | None = None) -> Runtime:
        built = bootstrap(service=service, db=db, vault=vault, bcrypt_rounds=4)
        st.cache_resource.clear()
        install_runtime(built)
        return built

    yield build
    install_runtime(None)
    st.cache_resource.clear()


@pytest.fixture
def wired_runtime(runtime: Runtime, db: Database, settings: Settings) -> Iterator[Runtime]:
    """The runtime exactly as the app wires it (usage limits shared with the API), jobs run inside the request.

    Installed after (and instead of) the plain `runtime`, on the same database, so users made with either count.
    """
    built = bootstrap(settings, db=db, bcrypt_rounds=4, inline_jobs=True, prompt_cache=False)
    st.cache_resource.clear()
    install_runtime(built)
    yield built
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
