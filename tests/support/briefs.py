"""A valid brief for tests, changed only where a test is about it."""

from __future__ import annotations

from services.studio.service import NewWorkflow


def a_brief(**changes: object) -> NewWorkflow:
    """A valid brief; tests change only what they are about."""
    fields: dict = dict(
        title="Sneaker launch",
        initial_prompt="A runner crosses the city at dawn in our new sneakers",
        target_audience="Gen Z runners",
        tone="energetic",
        duration=6,
        style="cinematic",
        aspect_ratio="16:9",
    )
    fields.update(changes)
    return NewWorkflow(**fields)
