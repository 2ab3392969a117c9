"""Time the UI: the server-side render of each wizard step (AppTest) and first paint in Chromium on loopback.

Run: .venv/bin/python bench/ui_render.py [--runs N]   (needs /usr/bin/chromium for the browser half)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streamlit as st
from pymongo import MongoClient
from streamlit.testing.v1 import AppTest

from services.campaigns import CampaignService, ensure_campaign_indexes
from services.embedded_db import IN_MEMORY, EmbeddedDatabase
from services.media_store import FileMediaStore
from services.repository import MongoWorkflowRepository, ensure_indexes
from services.runtime import Runtime, build_model_registry, install_runtime
from services.settings import Settings
from services.users import User, UserService, ensure_user_indexes
from services.workflow_rules import FrameReview
from services.workflow_service import NewWorkflow, VideoWorkflowService, utc_now
from tests.conftest import free_port
from tests.ui.browser import CHROMIUM, chromium, running_app, settle, sign_up_and_in

BRIEF = NewWorkflow(title="Bench", initial_prompt="A runner crosses the city at dawn", duration=2)


def build_runtime(uri: str, data_dir: Path) -> Runtime:
    """A runtime on a fresh database of the in-memory server."""
    client: MongoClient = MongoClient(uri, tz_aware=True)
    db = client["bench_ui"]
    for ensure in (ensure_indexes, ensure_user_indexes, ensure_campaign_indexes):
        ensure(db)
    settings = Settings(_env_file=None, DATA_DIR=data_dir)  # type: ignore[call-arg]
    models = build_model_registry(settings)
    service = VideoWorkflowService(repository=MongoWorkflowRepository(db), media=FileMediaStore(settings.media_dir),
                                   models=models, settings=settings)
    return Runtime(settings=settings, client=client, db=db, media=service.media, models=models, service=service,
                   users=UserService(db, clock=utc_now, bcrypt_rounds=4), campaigns=CampaignService(db, clock=utc_now))


def workflows_at_each_step(runtime: Runtime, user: User) -> dict[str, dict[str, str]]:
    """URL parameters that open the wizard at each of its five steps."""
    service, uid = runtime.service, user.id
    refined = service.create_workflow(user_id=uid, brief=BRIEF).id
    service.refine_prompt(user_id=uid, workflow_id=refined)
    framed = service.create_workflow(user_id=uid, brief=BRIEF).id
    service.refine_prompt(user_id=uid, workflow_id=framed)
    service.generate_frames(user_id=uid, workflow_id=framed, frame_count=3)
    service.review_frames(user_id=uid, workflow_id=framed, reviews=[FrameReview(n, True) for n in (1, 2, 3)])
    done = service.create_workflow(user_id=uid, brief=BRIEF).id
    service.refine_prompt(user_id=uid, workflow_id=done)
    service.generate_frames(user_id=uid, workflow_id=done, frame_count=3)
    service.review_frames(user_id=uid, workflow_id=done, reviews=[FrameReview(n, True) for n in (1, 2, 3)])
    service.generate_video(user_id=uid, workflow_id=done, fps=12)
    return {
        "0 Brief": {},
        "1 Refinement": {"workflow": refined},
        "2 Frames (3 to review)": {"workflow": framed},
        "3 Video settings": {"workflow": framed, "view": "video"},
        "4 Completed": {"workflow": done},
    }


def time_step_renders(user: User, params: dict[str, str], runs: int) -> list[float]:
    """Seconds per full rerun of the wizard page at these parameters (after a warm-up run)."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state["authentication_status"], at.session_state["username"] = True, user.username
    at.session_state["logout"] = False
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    at.switch_page("app_pages/wizard.py").run()
    assert not at.exception, at.exception
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        at.run()
        timings.append(time.perf_counter() - started)
    return timings


def server_side(runs: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        server = EmbeddedDatabase(storage_path=IN_MEMORY, port=free_port(), log_path=Path(scratch) / "db.log")
        runtime = build_runtime(server.start(), Path(scratch) / "data")
        try:
            st.cache_resource.clear()
            install_runtime(runtime)
            user = runtime.users.register(username="bench", password="bench password", name="Bench")
            print(f"Server-side render of each wizard step (AppTest, full rerun, {runs} runs each):")
            for step, params in workflows_at_each_step(runtime, user).items():
                timings = time_step_renders(user, params, runs)
                print(f"  {step:<24} median {statistics.median(timings) * 1000:7.1f} ms   "
                      f"max {max(timings) * 1000:7.1f} ms")
        finally:
            install_runtime(None)
            runtime.client.close()
            server.stop()


def browser_side(runs: int) -> None:
    if shutil.which(CHROMIUM) is None:
        print("Chromium first paint: skipped (no /usr/bin/chromium; apt-get install chromium)")
        return
    with tempfile.TemporaryDirectory() as scratch, running_app(Path(scratch) / "data") as app, chromium() as browser:
        page = browser.new_page()
        sign_up_and_in(page, app.url, username="bench", password="bench password", name="Bench")
        paints, ready = [], []
        for _ in range(runs):
            started = time.perf_counter()
            page.goto(f"{app.url}/wizard")
            page.get_by_text("Step 0 of 4: Brief").wait_for()
            ready.append(time.perf_counter() - started)
            paints.append(page.evaluate(
                "() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1") / 1000)
            settle(page)
        print(f"Chromium on loopback, signed in, /wizard ({runs} loads):")
        print(f"  first contentful paint   median {statistics.median(paints) * 1000:7.1f} ms   "
              f"max {max(paints) * 1000:7.1f} ms")
        print(f"  brief form on screen     median {statistics.median(ready) * 1000:7.1f} ms   "
              f"max {max(ready) * 1000:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    server_side(args.runs)
    browser_side(args.runs)


if __name__ == "__main__":
    main()
