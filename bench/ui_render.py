"""Time the UI: the server-side render of each wizard step (AppTest) and first paint in Chromium on loopback.

Run: .venv/bin/python bench/ui_render.py [--runs N]   (needs /usr/bin/chromium for the browser half)
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import streamlit as st
from _common import ROOT, Figure, bench_runtime, in_memory_database, machine_line, write_results
from streamlit.testing.v1 import AppTest

from services.accounts.users import User
from services.bootstrap import Runtime, install_runtime
from services.workflows.rules import FrameReview
from services.workflows.service import NewWorkflow
from tests.ui.browser import CHROMIUM, chromium, running_app, settle, sign_up_and_in
from tests.ui.conftest import signed_in_session
from ui.auth import SESSION_KEY

BRIEF = NewWorkflow(title="Bench", initial_prompt="A runner crosses the city at dawn", duration=2)


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
    at.session_state[SESSION_KEY] = signed_in_session(user)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    at.switch_page("app_pages/wizard.py").run()
    assert not at.exception, at.exception
    return rerun_timings(at, runs)


def time_bare_script(runs: int) -> list[float]:
    """Seconds per rerun of a one-widget Streamlit script: what any page costs before our code runs."""
    at = AppTest.from_string("import streamlit as st\nst.title('Hello')", default_timeout=60)
    at.run()
    return rerun_timings(at, runs)


def rerun_timings(at: AppTest, runs: int) -> list[float]:
    """Seconds of each of `runs` full reruns of an app that has already run once."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        at.run()
        timings.append(time.perf_counter() - started)
    return timings


def server_side(runs: int) -> dict[str, float]:
    """Median milliseconds of a full rerun of the wizard at each step."""
    medians = {}
    with in_memory_database() as uri, tempfile.TemporaryDirectory() as scratch:
        runtime = bench_runtime(uri, Path(scratch) / "data", MONGODB_DATABASE="bench_ui")
        try:
            st.cache_resource.clear()
            install_runtime(runtime)
            user = runtime.users.register(username="bench", password="bench password", name="Bench")
            print(f"Server-side render of each wizard step (AppTest, full rerun, {runs} runs each):")
            for step, params in workflows_at_each_step(runtime, user).items():
                timings = time_step_renders(user, params, runs)
                medians[step] = statistics.median(timings) * 1000
                print(f"  {step:<24} median {medians[step]:7.1f} ms   max {max(timings) * 1000:7.1f} ms")
        finally:
            install_runtime(None)
            runtime.close()
    return medians


def browser_side(runs: int) -> tuple[float, float] | None:
    """Median seconds to first contentful paint and to the brief form on screen; None without Chromium."""
    if shutil.which(CHROMIUM) is None:
        print("Chromium first paint: skipped (no /usr/bin/chromium; apt-get install chromium)")
        return None
    with tempfile.TemporaryDirectory() as scratch, running_app(Path(scratch) / "data") as app, chromium() as browser:
        page = browser.new_page()
        sign_up_and_in(page, app.url, username="bench", password="bench password", name="Bench")
        paints, ready = [], []
        for _ in range(runs):
            started = time.perf_counter()
            page.goto(f"{app.url}/wizard")
            page.get_by_text("Step 0 of 4: Brief").wait_for()
            ready.append(time.perf_counter() - started)
            paints.append(
                page.evaluate("() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1") / 1000
            )
            settle(page)
        print(f"Chromium on loopback, signed in, /wizard ({runs} loads):")
        print(
            f"  first contentful paint   median {statistics.median(paints) * 1000:7.1f} ms   "
            f"max {max(paints) * 1000:7.1f} ms"
        )
        print(
            f"  brief form on screen     median {statistics.median(ready) * 1000:7.1f} ms   max {max(ready) * 1000:7.1f} ms"
        )
    return statistics.median(paints), statistics.median(ready)


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(machine_line())
    steps = server_side(args.runs)
    bare = statistics.median(time_bare_script(args.runs)) * 1000
    print(f"  bare one-widget script   median {bare:7.1f} ms")
    browser = browser_side(args.runs)
    slowest = max(steps, key=steps.__getitem__)
    figures = [
        Figure(
            f"Wizard rerun, slowest step ({slowest}), median",
            steps[slowest],
            "ms",
            baseline=bare,
            baseline_is="AppTest rerun of a one-widget Streamlit script",
            notes="steps: " + ", ".join(f"{step.split()[0]}: {ms:.0f}" for step, ms in steps.items()),
        )
    ]
    if browser:
        figures.append(
            Figure(
                "Chromium first contentful paint, signed in, /wizard",
                browser[0] * 1000,
                "ms",
                notes=f"brief form on screen after {browser[1] * 1000:.0f} ms (median)",
            )
        )
    write_results("ui_render", figures, started=started, parameters=vars(args))


if __name__ == "__main__":
    main()
