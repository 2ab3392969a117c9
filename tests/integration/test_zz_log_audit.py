"""No log line of the whole suite holds a secret: the audit runs last and reads everything logged."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.support import log_audit


@pytest.mark.runs_last
def test_no_log_line_of_the_whole_suite_holds_a_key_or_token(tmp_path_factory: pytest.TempPathFactory):
    for handler in logging.getLogger().handlers:
        handler.flush()
    files = log_audit.log_files(tmp_path_factory.getbasetemp())
    assert log_audit.SUITE_LOG in files and log_audit.SUITE_LOG.stat().st_size > 0, "the capture recorded nothing"
    problems = log_audit.findings(files, log_audit.remembered)
    assert not problems, f"{len(problems)} secret(s) in the logs:\n" + "\n".join(problems[:20])


def test_the_audit_flags_a_remembered_secret_and_a_token_it_never_saw(tmp_path: Path):
    leaky = tmp_path / "leaky.txt"  # not *.log: the suite-wide audit must not read this sample
    leaky.write_text(
        "INFO signed in with 'correct horse battery'\n"
        "INFO fine line\n"
        "DEBUG got eyJhbGciOiJIUzI1NiJ9x.eyJzdWIiOiJ1c2VyLTEifQx.c2lnbmF0dXJlLWJ5dGVz back\n"
    )
    problems = log_audit.findings([leaky], {"correct horse battery"})
    assert [p.split(":")[1] for p in problems] == ["1", "3"], problems
