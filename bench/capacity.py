"""Recompute docs/CAPACITY.md from bench/results/*.json: what serves 10, 100 and 1,000 creative users.

    .venv/bin/python bench/capacity.py      # `make bench` runs it after report.py

The workload (a brief every 10 minutes per user, 3 frames each, 1 video an hour) and the providers' published
limits are constants below; every per-request and per-job cost comes from this run's benchmark results, so the
document moves with the code. Little's law turns rates and durations into concurrency.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
RESULTS_DIR = BENCH / "results"
DOC = BENCH.parent / "docs" / "CAPACITY.md"
USERS = (10, 100, 1000)

# The workload, per active creative user (issue 16).
BRIEFS_PER_HOUR = 6  # a brief every 10 minutes
REFINEMENTS_PER_BRIEF = 2  # the first round and one with additional notes
FRAMES_PER_BRIEF = 3
VIDEOS_PER_HOUR = 1
API_REQUESTS_PER_BRIEF = 40  # create, 2 refines, frames + job polls, review, regenerate, reads, list views
UI_RERUNS_PER_MINUTE = 6  # a Streamlit rerun every 10 s while the user works
# The spec's provider timings (midpoints): a frame 15-30 s, a video 2-10 minutes.
FRAME_SECONDS, VIDEO_SECONDS, REFINEMENT_SECONDS = 22.5, 360.0, 3.5
# Media written per brief and per video (offline renderer sizes at 1024x576; real providers are similar or larger).
FRAME_MB, VIDEO_MB = 0.6, 6.0

# Published limits (docs/CAPACITY.md cites them; /work/shared/reference/PROVIDERS.md).
POE_REQUESTS_PER_MINUTE = 500
REPLICATE_CREATES_PER_MINUTE = 600
REPLICATE_OTHER_PER_MINUTE = 3000  # polling a prediction counts here
POLL_SECONDS = 2.0  # PREDICTION_POLL_SECONDS default
WEBHOOK_POLL_SECONDS = 30.0  # with REPLICATE_WEBHOOK_SECRET the poll is only a fallback; assumed slowed to this
WORKER_THREADS = 16  # JOB_WORKER_THREADS a worker process is given in the model (jobs wait on I/O)
APP_CORES = 2  # an app server in the model is a 2-core machine like the bench's
HEADROOM = 0.6  # plan each resource to 60% of what it measured


@dataclass(frozen=True)
class Measured:
    """Per-request and per-job costs from this run's results (None when a script did not run)."""

    api_rps: float | None  # one uvicorn process, reads (by id and list averaged)
    list_p99_ms: float | None
    list_figure: str
    job_overhead_ms: float | None  # our own per-job overhead, embedded mode, provider answering at once
    redis_jobs_per_s: float | None
    webhooks_per_s: float | None
    ui_rerun_ms: float | None
    app_rss_mb: float | None
    db_rss_mb: float | None
    load_average: str


def _figures(name: str) -> tuple[dict[str, dict], dict]:
    path = RESULTS_DIR / f"{name}.json"
    if not path.exists():
        return {}, {}
    record = json.loads(path.read_text())
    return {figure["figure"]: figure for figure in record["figures"]}, record


def _find(figures: dict[str, dict], *words: str) -> dict | None:
    return next((f for name, f in figures.items() if all(word in name for word in words)), None)


def measured() -> Measured:
    api, api_record = _figures("api_load")
    jobs, _ = _figures("jobs")
    lists, _ = _figures("list_query")
    ui, _ = _figures("ui_render")
    soak, _ = _figures("soak")
    reads = [f["ours"] for f in (_find(api, "{id}", "throughput"), _find(api, "workflows,", "throughput")) if f]
    embedded = _find(jobs, "embedded")
    redis = _find(jobs, "redis")
    webhook = _find(jobs, "Webhook")
    listing = _find(lists, "List page")
    rerun = _find(ui, "rerun")
    app_rss = _find(soak, "App server RSS")
    db_rss = _find(soak, "database RSS")
    loads = []
    for name in ("api_load", "jobs", "list_query", "soak"):
        _, record = _figures(name)
        if record:
            loads.append(f"{name} {record['machine']['load_average'][0]:.1f}")
    return Measured(
        api_rps=sum(reads) / len(reads) if reads else None,
        list_p99_ms=listing["ours"] if listing else None,
        list_figure=listing["figure"] if listing else "",
        job_overhead_ms=1000 / embedded["ours"] if embedded else None,
        redis_jobs_per_s=redis["ours"] if redis else None,
        webhooks_per_s=webhook["ours"] if webhook else None,
        ui_rerun_ms=rerun["ours"] if rerun else None,
        app_rss_mb=app_rss["ours"] if app_rss else None,
        db_rss_mb=db_rss["ours"] if db_rss else None,
        load_average=", ".join(loads) or "unknown",
    )


def model(users: int, m: Measured) -> dict[str, float]:
    """Rates, concurrency and the servers each resource needs, for this many users."""
    briefs_per_s = users * BRIEFS_PER_HOUR / 3600
    frames_per_s = briefs_per_s * FRAMES_PER_BRIEF
    videos_per_s = users * VIDEOS_PER_HOUR / 3600
    predictions = frames_per_s * FRAME_SECONDS + videos_per_s * VIDEO_SECONDS  # running at once (Little)
    jobs_running = briefs_per_s * FRAME_SECONDS + videos_per_s * VIDEO_SECONDS  # a frames job runs its frames at once
    api_rps = briefs_per_s * API_REQUESTS_PER_BRIEF
    ui_cores = users * UI_RERUNS_PER_MINUTE / 60 * (m.ui_rerun_ms or 30) / 1000
    api_processes = api_rps / ((m.api_rps or 100) * HEADROOM)
    return {
        "api_rps": api_rps,
        "app_servers": max(1, math.ceil(max(api_processes / APP_CORES, ui_cores / (APP_CORES * HEADROOM)))),
        "ui_cores": ui_cores,
        "poe_per_min": briefs_per_s * REFINEMENTS_PER_BRIEF * 60,
        "creates_per_min": (frames_per_s + videos_per_s) * 60,
        "polls_per_min": predictions * 60 / POLL_SECONDS,
        "polls_webhooks_per_min": predictions * 60 / WEBHOOK_POLL_SECONDS,
        "predictions": predictions,
        "jobs_running": jobs_running,
        "workers": max(1, math.ceil(jobs_running / (WORKER_THREADS * HEADROOM))),
        "webhooks_per_s": (frames_per_s + videos_per_s) * 2,  # start + completed
        "media_gb_per_day": (frames_per_s * FRAME_MB + videos_per_s * VIDEO_MB) * 86400 / 1024,
    }


def _saturation(rows: dict[int, dict[str, float]]) -> list[tuple[str, float]]:
    """Each shared limit and the number of users at which it is reached, first-reached first."""
    per_user = rows[USERS[0]]
    scale = USERS[0]
    limits = [
        (
            "Replicate's 3,000 other requests a minute, polling every 2 s",
            per_user["polls_per_min"],
            REPLICATE_OTHER_PER_MINUTE,
        ),
        ("Poe's ~500 requests a minute (one server key)", per_user["poe_per_min"], POE_REQUESTS_PER_MINUTE),
        ("Replicate's 600 prediction creates a minute", per_user["creates_per_min"], REPLICATE_CREATES_PER_MINUTE),
        ("Replicate's 3,000 a minute with webhooks (30 s fallback polls)", per_user["polls_webhooks_per_min"], 3000),
    ]
    return sorted(((name, limit / (rate / scale)) for name, rate, limit in limits), key=lambda item: item[1])


def render(m: Measured) -> str:
    rows = {users: model(users, m) for users in USERS}

    def line(label: str, key: str, digits: int = 0) -> str:
        return f"| {label} | " + " | ".join(f"{rows[u][key]:,.{digits}f}" for u in USERS) + " |"

    saturation = _saturation(rows)
    measured_lines = [
        f"- API reads, one uvicorn process, 50 clients: **{m.api_rps:,.0f} req/s**" if m.api_rps else "- API: not measured",
        f"- {m.list_figure}: **{m.list_p99_ms:,.1f} ms**" if m.list_p99_ms else "- List: not measured",
        f"- Our own overhead per generation job (embedded mode): **{m.job_overhead_ms:,.0f} ms**; redis mode "
        f"{m.redis_jobs_per_s or 0:,.1f} jobs/s with two workers"
        if m.job_overhead_ms
        else "- Jobs: not measured",
        f"- Webhook ingestion: **{m.webhooks_per_s:,.0f} events/s** per process" if m.webhooks_per_s else "",
        f"- Wizard rerun (slowest step): **{m.ui_rerun_ms:,.0f} ms** of server CPU" if m.ui_rerun_ms else "",
        f"- Soak RSS: app **{m.app_rss_mb:,.0f} MB**, embedded database **{m.db_rss_mb:,.0f} MB**" if m.app_rss_mb else "",
    ]
    return "\n".join(
        [
            "# Capacity model",
            "",
            "Written by `bench/capacity.py` from `bench/results/*.json` (the run behind [bench/RESULTS.md]"
            "(../bench/RESULTS.md); 1-minute load average as the scripts started: "
            f"{m.load_average}). Rerun it after `make bench`; the workload and the providers' limits are constants "
            "at the top of the script.",
            "",
            f"**Workload per creative user:** a brief every 10 minutes ({BRIEFS_PER_HOUR} an hour), "
            f"{REFINEMENTS_PER_BRIEF} refinement rounds and {FRAMES_PER_BRIEF} frames each, "
            f"{VIDEOS_PER_HOUR} video an hour; about {API_REQUESTS_PER_BRIEF} API requests per brief (with job polls "
            f"and reads) and a Streamlit rerun every 10 s. Provider times from the spec: a frame {FRAME_SECONDS:.1f} s, "
            f"a video {VIDEO_SECONDS / 60:.0f} minutes (midpoints). Little's law: running at once = rate × duration.",
            "",
            "## Measured in this run (the costs the model uses)",
            "",
            *[text for text in measured_lines if text],
            "",
            "Figures from one 2-core machine that also runs the load generator and the database: per-process rates "
            "are lower than on a dedicated server, so the server counts below err on the high side.",
            "",
            "## What serves 10, 100 and 1,000 users",
            "",
            "| | 10 users | 100 users | 1,000 users |",
            "|---|---|---|---|",
            line("API requests per second", "api_rps", 1),
            line("App servers (2 cores; API + Streamlit, 60% headroom)", "app_servers"),
            line("Streamlit rerun CPU (cores)", "ui_cores", 2),
            line("Poe refinement requests per minute (limit ~500)", "poe_per_min"),
            line("Replicate prediction creates per minute (limit 600)", "creates_per_min"),
            line("Replicate predictions running at once", "predictions", 1),
            line("Replicate polls per minute at 2 s (limit 3,000 for all other endpoints)", "polls_per_min"),
            line("... with webhooks, fallback polls every 30 s", "polls_webhooks_per_min"),
            line("Generation jobs running at once", "jobs_running", 1),
            line(f"Job worker processes ({WORKER_THREADS} threads each, 60% headroom)", "workers"),
            line("Webhook deliveries per second (start + completed)", "webhooks_per_s", 2),
            line("Media written to MongoDB, GB per day", "media_gb_per_day", 1),
            "",
            "## What saturates first",
            "",
            *[f"{rank}. {name}: at about **{users:,.0f} users**." for rank, (name, users) in enumerate(saturation, 1)],
            "",
            "Our own processes are not the first limit: the API, the workers and the database scale out (below), the "
            "providers' account limits do not. Replicate's limit on everything but prediction creates is reached first, "
            "by polling: each running prediction is polled every `PREDICTION_POLL_SECONDS` (2 s). Set "
            "`REPLICATE_WEBHOOK_SECRET` and `PUBLIC_BASE_URL` so Replicate's `start`/`completed` webhooks carry the "
            "status, and raise `PREDICTION_POLL_SECONDS` to a fallback of 30 s or more; then prediction creates (600 a "
            "minute) and Poe's requests a minute are the limits, and both grow only by asking the providers (or by "
            "users' own keys, which count against their own accounts).",
            "",
            "## How the pieces scale out",
            "",
            "- **App servers** are stateless apart from Streamlit's session (sticky: route a user's websocket to the "
            "same server). Rate limits shared across servers need `RATE_LIMIT_STORAGE_URI=redis://...`. "
            "Add servers behind a load balancer as the table says; the API and the UI run in the same process.",
            "- **Jobs** (`JOB_BACKEND=redis`): Dramatiq puts each generation on Redis; any number of `make worker` "
            "processes take them, at least once, and a dead worker's jobs are re-delivered. A job mostly waits on a "
            "provider, so a worker runs many threads; Redis carries a few small messages per job and is far from its "
            "limits at 1,000 users. The job's state and lease live in MongoDB, so workers stay interchangeable.",
            "- **MongoDB:** the embedded SecantusDB is for one machine (`EMBEDDED_DB_CACHE_SIZE` bounds its memory). "
            "From about 100 users use a MongoDB replica set (`MONGODB_URI`): writes per brief are a few dozen small "
            "updates, job heartbeats every 5 s per running job, and the list is one index range per page. At 1,000 "
            "users the media dominate: with media in MongoDB (`MEDIA_STORE=gridfs`, the scale-out default) the "
            "chunks collection grows by the GB a day above, so size disks and the working set for it, shard "
            "`media.chunks` on `files_id` when one "
            "replica set's disk is not enough, and expire or archive old media; lists and reads do not touch the "
            "chunks, so their cost does not grow with it.",
            "",
        ]
    )


def main() -> None:
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(render(measured()))
    print(f"wrote {DOC.relative_to(BENCH.parent)}")


if __name__ == "__main__":
    main()
