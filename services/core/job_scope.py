"""The job the current code runs under, as provider code sees it, without importing the jobs package above it.

The jobs package makes its `ActiveJob` current (`current`, from `jobs.context.running_job`) and names the part being
made (`job_part`); provider calls then reuse a recorded prediction, record a new one the moment it exists, report
progress and check for a cancel through the functions here. With no job current (plain calls) they just run.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar, copy_context
from typing import Any, Protocol, TypeVar

T = TypeVar("T")
V = TypeVar("V")


class JobScope(Protocol):
    """What provider code may ask of the running job (jobs.context.ActiveJob is the one implementation)."""

    def prediction_id(self, part: str) -> str | None: ...
    def intent_for(self, part: str) -> tuple[str, bool]: ...
    def intent_detail(self, part: str) -> dict[str, Any] | None: ...
    def record_intent_detail(self, part: str, detail: dict[str, Any]) -> None: ...
    def record_prediction(self, part: str, prediction_id: str) -> None: ...
    def is_canceled(self) -> bool: ...
    def report_fraction(
        self, part: str | None, fraction: float, message: str, *, eta_seconds: float | None = None
    ) -> None: ...
    def expected_seconds(self, model: str, seconds: float, default: float) -> float: ...
    def record_timing(self, model: str, seconds: float, took: float) -> None: ...


_active: ContextVar[JobScope | None] = ContextVar("active_job", default=None)
_part: ContextVar[str | None] = ContextVar("job_part", default=None)


def current(job: JobScope) -> AbstractContextManager[None]:
    """Make `job` the one the code in this block (and the pool threads it hands work to) runs under."""
    return _bound(_active, job)


def job_part(part: str) -> AbstractContextManager[None]:
    """Name the part of the job (a frame, the video) that the provider calls inside this block produce."""
    return _bound(_part, part)


@contextmanager
def _bound(variable: ContextVar[V], value: V) -> Iterator[None]:
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


def resumable_prediction(*, create: Callable[[str], str], find: Callable[[], str | None], sub: str = "") -> str:
    """The id of the prediction for the current job part: recorded, found, or created exactly once.

    Outside a job it simply creates. Inside one, the intent is persisted before the paid create
    call, so a worker that died between the create and recording its id leaves a trace: its
    successor asks the provider (`find`) for the prediction it already paid for.
    """
    active, part = _active.get(), _part.get()
    if active is None or part is None:
        return create(uuid.uuid4().hex)
    key = f"{part}/{sub}" if sub else part
    prediction_id = active.prediction_id(key)
    if prediction_id is not None:
        return prediction_id
    intent, is_new = active.intent_for(key)
    found = None if is_new else find()
    prediction_id = found or create(intent)
    active.record_prediction(key, prediction_id)
    return prediction_id


def resumable_intent_prediction(
    *,
    prepare: Callable[[str], dict[str, Any]],
    create: Callable[[str, dict[str, Any]], str],
    find: Callable[[str, dict[str, Any]], str | None],
    sub: str = "",
) -> str:
    """Like resumable_prediction, but the intent carries what marks its prediction, recorded before the create.

    `prepare(intent)` does the unpaid groundwork (uploads a large first frame) and returns the markers;
    they are persisted with the intent, so a successor reuses them (no second upload) and `find` looks
    the earlier prediction up by them, never by comparing whole input payloads.
    """
    active, part = _active.get(), _part.get()
    if active is None or part is None:
        intent = uuid.uuid4().hex
        return create(intent, prepare(intent))
    key = f"{part}/{sub}" if sub else part
    prediction_id = active.prediction_id(key)
    if prediction_id is not None:
        return prediction_id
    intent, is_new = active.intent_for(key)
    detail = active.intent_detail(key)
    if detail is None:
        detail = prepare(intent)
        active.record_intent_detail(key, detail)
    found = None if is_new else find(intent, detail)
    prediction_id = found or create(intent, detail)
    active.record_prediction(key, prediction_id)
    return prediction_id


def cancel_requested() -> bool:
    """True when the job the current code runs under was canceled (providers check it while polling)."""
    active = _active.get()
    return active is not None and active.is_canceled()


def progress(percent: int, message: str) -> None:
    """Report the current job part's percent, if any (providers call this while polling)."""
    report_progress(percent, 100, message)


def report_progress(done: int, total: int, message: str, *, eta_seconds: float | None = None) -> None:
    """`done` of `total` units of the current job part are finished (no-op outside a job)."""
    active = _active.get()
    if active is not None:
        active.report_fraction(_part.get(), done / max(1, total), message, eta_seconds=eta_seconds)


def in_current_context(function: Callable[..., T]) -> Callable[..., T]:
    """Wrap a function so a pool thread runs it with the caller's active job."""
    context = copy_context()
    return lambda *args, **kwargs: context.copy().run(function, *args, **kwargs)


def expected_seconds(model: str, seconds: float, default: float) -> float:
    """How long a call of `model` making `seconds` of output should take: its recent median, else `default`."""
    active = _active.get()
    return default if active is None else active.expected_seconds(model, seconds, default)


def record_timing(model: str, seconds: float, took: float) -> None:
    """Remember how long a finished call took (inside a job; the history feeds the next ETA)."""
    active = _active.get()
    if active is not None:
        active.record_timing(model, seconds, took)
