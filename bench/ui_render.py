"""Time the UI: the server-side render of each wizard step page (AppTest) and first paint of each in Chromium.

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
from services.storage.embedded_db import EmbeddedDatabase
from services.studio.service import NewWorkflow
from services.workflows.rules import FrameReview
from tests.support.browser import CHROMIUM, chromium, running_app, settle, sign_in
from tests.support.network import free_port
from tests.support.ui_fixtures import signed_in_session
from ui.auth import SESSION_KEY
from ui.wizard_view import WizardStep

BRIEF = NewWorkflow(title="Bench", initial_prompt="A runner crosses the city at dawn", duration=2)
PASSWORD = "bench password"
BEFORE_MS = 31.0  # the one-page wizard's slowest step (Frames, 3 to review) in bench/RESULTS.md before issue 14
TARGET_MS = 1.2 * BEFORE_MS
Steps = dict[str, tuple[WizardStep, str | None]]


def workflows_at_each_step(runtime: Runtime, user: User) -> Steps:
    """Each step page and the workflow it opens (the same data the one-page wizard was timed on)."""
    service, uid = runtime.service, user.id
    refined = service.create_workflow(user_id=uid, brief=BRIEF).id
    service.refine_prompt(user_id=uid, workflow_id=refined)
    framed = service.create_workflow(user_id=uid, brief=BRIEF).id
    service.refine_prompt(user_id=uid, workflow_id=framed)
    service.generate_frames(user_id=uid, workflow_id=framed, frame_count=3)
    numbers = [f.frame_number for f in service.get_workflow(user_id=uid, workflow_id=framed).generated_frames]
    service.review_frames(user_id=uid, workflow_id=framed, reviews=[FrameReview(n, True) for n in numbers])
    done = service.create_workflow(user_id=uid, brief=BRIEF).id
    service.refine_prompt(user_id=uid, workflow_id=done)
    service.generate_frames(user_id=uid, workflow_id=done, frame_count=3)
    numbers = [f.frame_number for f in service.get_workflow(user_id=uid, workflow_id=done).generated_frames]
    service.review_frames(user_id=uid, workflow_id=done, reviews=[FrameReview(n, True) for n in numbers])
    service.generate_video(user_id=uid, workflow_id=done, fps=12)
    return {
        "1 Brief": (WizardStep.BRIEF, None),
        "2 Refine": (WizardStep.REFINE, refined),
        "3 Frames (3 frames)": (WizardStep.FRAMES, framed),
        "4 Video": (WizardStep.VIDEO, framed),
        "5 Result": (WizardStep.RESULT, done),
    }


def time_step_renders(user: User, step: WizardStep, workflow_id: str | None, runs: int) -> list[float]:
    """Seconds per full rerun of one step page on this workflow (after a warm-up run)."""
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state[SESSION_KEY] = signed_in_session(user)
    if workflow_id:
        at.query_params["workflow"] = workflow_id
    at.run()
    at.switch_page(step.page).run()
    assert not at.exception, at.exception
    assert at.progress[0].text.startswith(f"Step {step.number} of 5"), at.progress[0].text
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
    """Median milliseconds of a full rerun of each step page."""
    medians = {}
    with in_memory_database() as uri, tempfile.TemporaryDirectory() as scratch:
        runtime = bench_runtime(uri, Path(scratch) / "data", MONGODB_DATABASE="bench_ui")
        try:
            st.cache_resource.clear()
            install_runtime(runtime)
            user = runtime.users.register(username="bench", password=PASSWORD, name="Bench")
            print(f"Server-side render of each wizard step page (AppTest, full rerun, {runs} runs each):")
            for name, (step, workflow_id) in workflows_at_each_step(runtime, user).items():
                timings = time_step_renders(user, step, workflow_id, runs)
                medians[name] = statistics.median(timings) * 1000
                print(f"  {name:<24} median {medians[name]:7.1f} ms   max {max(timings) * 1000:7.1f} ms")
        finally:
            install_runtime(None)
            runtime.close()
    return medians


def seed_app_data(data_dir: Path) -> Steps:
    """The app's own database and media under data_dir, holding a user and a workflow at each step."""
    data_dir.mkdir(parents=True, exist_ok=True)
    server = EmbeddedDatabase(storage_path=(data_dir / "db").resolve(), port=free_port(), log_path=data_dir / "seed-db.log")
    uri = server.start()
    try:
        runtime = bench_runtime(uri, data_dir)
        try:
            user = runtime.users.register(username="bench", password=PASSWORD, name="Bench")
            return workflows_at_each_step(runtime, user)
        finally:
            runtime.close()
    finally:
        server.stop()


def browser_side(runs: int) -> dict[str, tuple[float, float]] | None:
    """Per step page: median seconds to first contentful paint and to the step on screen; None without Chromium."""
    if shutil.which(CHROMIUM) is None:
        print("Chromium first paint: skipped (no /usr/bin/chromium; apt-get install chromium)")
        return None
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        steps = seed_app_data(Path(scratch) / "data")
        with running_app(Path(scratch) / "data") as app, chromium() as browser:
            page = browser.new_page()
            sign_in(page, app.url, username="bench", password=PASSWORD)
            print(f"Chromium on loopback, signed in, each step page ({runs} loads each):")
            for name, (step, workflow_id) in steps.items():
                url = f"{app.url}/{step.value}" + (f"?workflow={workflow_id}" if workflow_id else "")
                paints, ready = [], []
                for _ in range(runs):
                    started = time.perf_counter()
                    page.goto(url)
                    page.get_by_text(f"Step {step.number} of 5: {step.label}", exact=True).wait_for()
                    ready.append(time.perf_counter() - started)
                    fcp = "() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1"
                    paints.append(page.evaluate(fcp) / 1000)
                    settle(page)
                results[name] = (statistics.median(paints), statistics.median(ready))
                print(
                    f"  {name:<24} first paint median {results[name][0] * 1000:7.1f} ms   "
                    f"step on screen median {results[name][1] * 1000:7.1f} ms"
                )
    return results


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--skip-browser", action="store_true", help="only the server-side renders")
    args = parser.parse_args()
    print(machine_line())
    steps = server_side(args.runs)
    bare = statistics.median(time_bare_script(args.runs)) * 1000
    print(f"  bare one-widget script   median {bare:7.1f} ms")
    browser = None if args.skip_browser else browser_side(args.runs)
    slowest = max(steps, key=steps.__getitem__)
    verdict = "within" if steps[slowest] <= TARGET_MS else "OVER"
    print(f"Slowest step page {slowest}: {steps[slowest]:.1f} ms, {verdict} 1.2 x {BEFORE_MS:.0f} ms = {TARGET_MS:.1f} ms")
    figures = [
        Figure(
            f"Wizard step page rerun, slowest ({slowest}), median",
            steps[slowest],
            "ms",
            baseline=bare,
            baseline_is="AppTest rerun of a one-widget Streamlit script",
            target=f"<= 1.2 x {BEFORE_MS:.0f} ms (the one-page wizard's slowest step) = {TARGET_MS:.1f} ms",
            notes="pages: " + ", ".join(f"{name.split()[0]}: {ms:.0f}" for name, ms in steps.items()),
        )
    ]
    if browser:
        slowest_paint = max(browser, key=lambda name: browser[name][0])
        figures.append(
            Figure(
                f"Chromium first contentful paint, signed in, slowest step page ({slowest_paint})",
                browser[slowest_paint][0] * 1000,
                "ms",
                notes="first paint / step on screen, ms: "
                + ", ".join(f"{n.split()[0]}: {p * 1000:.0f}/{r * 1000:.0f}" for n, (p, r) in browser.items()),
            )
        )
    write_results("ui_render", figures, started=started, parameters=vars(args))


if __name__ == "__main__":
    main()
