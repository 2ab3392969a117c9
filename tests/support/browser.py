"""Start the app as the README does and drive it with Debian's chromium through Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, sync_playwright
from pymongo import MongoClient
from pymongo.database import Database

from services.storage.embedded_db import EmbeddedDatabase
from tests.support.app_process import stop_app, wait_until_ready
from tests.support.network import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT_SECONDS = 90
ACTION_TIMEOUT_MS = 120_000
APP_DATABASE = "video_workflow_studio"  # MONGODB_DATABASE's default
needs_chromium = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium (make test installs it)")


@dataclass(frozen=True)
class RunningApp:
    url: str
    data_dir: Path
    log_path: Path
    mongo_uri: str  # the app's embedded database, for tests that change state behind the UI's back


def seed_database(data_dir: Path, seed: Callable[[Database], None]) -> None:
    """Write to the embedded database under data_dir before the app starts on it (only one server may open it)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    server = EmbeddedDatabase(storage_path=(data_dir / "db").resolve(), port=free_port(), log_path=data_dir / "seed-db.log")
    uri = server.start()
    try:
        with MongoClient(uri, tz_aware=True) as client:
            seed(client[APP_DATABASE])
    finally:
        server.stop()


@contextmanager
def running_app(data_dir: Path, *, env: dict[str, str] | None = None, script: str = "app.py") -> Iterator[RunningApp]:
    """`streamlit run app.py` (or another ASGI script) on free loopback ports with its own DATA_DIR; stopped afterwards."""
    port = free_port()
    db_port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "MONGODB_URI"},
        **(env or {}),
        "DATA_DIR": str(data_dir),
        "EMBEDDED_DB_PORT": str(db_port),
    }
    if script != "app.py":  # a scripted app under tests/ imports the test support package, which is not installed
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    log_path = data_dir / "server.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/streamlit"),
                "run",
                script,
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(url, process, log_path, timeout=START_TIMEOUT_SECONDS)
        yield RunningApp(url=url, data_dir=data_dir, log_path=log_path, mongo_uri=f"mongodb://127.0.0.1:{db_port}")
    finally:
        stop_app(process)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Debian chromium (never a downloaded browser)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def settle(page: Page) -> None:
    """Wait until Streamlit has finished the run an action started."""
    page.wait_for_timeout(400)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=ACTION_TIMEOUT_MS)
    page.wait_for_timeout(200)


def click(scope: Page | Locator, name: str, page: Page) -> None:
    """Click the button with this name and wait for the rerun."""
    scope.get_by_role("button", name=name, exact=True).click()
    settle(page)


def fill(scope: Page | Locator, name: str, value: str) -> None:
    """Type into the text box with this label (and leave it, so Streamlit takes the value)."""
    box = scope.get_by_role("textbox", name=name, exact=True)
    box.fill(value)
    box.press("Tab")


def _open_sign_in(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="Username", exact=True).wait_for(timeout=ACTION_TIMEOUT_MS)


def _submit_sign_in(page: Page, *, username: str, password: str) -> None:
    fill(page, "Username", username)
    fill(page, "Password", password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Sign out").wait_for(timeout=ACTION_TIMEOUT_MS)
    settle(page)


def sign_in(page: Page, url: str, *, username: str, password: str) -> None:
    """Open the app and sign in with an existing account."""
    _open_sign_in(page, url)
    _submit_sign_in(page, username=username, password=password)


def sign_up_and_in(page: Page, url: str, *, username: str, password: str, name: str) -> None:
    """Create an account on the sign-in screen, then sign in with it."""
    _open_sign_in(page, url)
    page.get_by_text("Create account", exact=True).first.click()
    settle(page)
    fill(page, "Your name", name)
    fill(page, "Choose a username", username)
    fill(page, "Choose a password", password)
    fill(page, "Repeat the password", password)
    click(page, "Create account", page)
    page.get_by_text("Your account is ready").wait_for(timeout=ACTION_TIMEOUT_MS)
    _submit_sign_in(page, username=username, password=password)
