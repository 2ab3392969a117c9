"""A raw URL value in the log context cannot forge log lines: it is escaped, or it is an id."""

from __future__ import annotations

import io
import logging

from services.core.log_setup import bound, configure_logging, log_safe
from services.core.settings import Settings


def _lines_logged(workflow_id: str) -> list[str]:
    stream = io.StringIO()
    handler = configure_logging(Settings(_env_file=None), stream=stream)  # type: ignore[call-arg]
    try:
        with bound(request_id="ui-1", workflow_id=workflow_id):
            logging.getLogger("studio.test").warning("opened")
    finally:
        logging.getLogger().removeHandler(handler)
    return [line for line in stream.getvalue().splitlines() if "studio.test" in line or "FORGED" in line]


def test_a_line_break_in_the_workflow_parameter_cannot_start_a_forged_line():
    lines = _lines_logged("abc\n2026-12-01 00:00:00 ERROR FORGED admin signed in")
    assert len(lines) == 1 and "workflow=!abc\\n2026-12-01" in lines[0], lines
    plain = _lines_logged("6650b1e2c0ffee0123456789")
    assert len(plain) == 1 and "workflow=6650b1e2c0ffee0123456789]" in plain[0]


def test_ids_pass_unchanged_and_anything_else_is_escaped_and_cut_short():
    assert log_safe("6650b1e2c0ffee0123456789") == "6650b1e2c0ffee0123456789"
    assert log_safe("ui-0123456789abcdef") == "ui-0123456789abcdef"
    escaped = log_safe("x" * 500 + "\r\n")
    assert escaped is not None and escaped.startswith("!") and "\n" not in escaped and len(escaped) < 80
