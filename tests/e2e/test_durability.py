"""The embedded database keeps acknowledged writes through a kill -9, and the app finds a running server."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from services.bootstrap import bootstrap
from services.core.settings import Settings
from tests.support.briefs import a_brief
from tests.support.network import free_port

USER = "user-alice"


def embedded_settings(data_dir: Path, port: int) -> Settings:
    return Settings(_env_file=None, DATA_DIR=data_dir, EMBEDDED_DB_PORT=port)  # type: ignore[call-arg]


def test_a_workflow_survives_kill_9_of_the_database_right_after_the_write(tmp_path: Path):
    settings = embedded_settings(tmp_path / "data", free_port())
    runtime = bootstrap(settings)
    try:
        workflow = runtime.service.create_workflow(user_id=USER, brief=a_brief())
        refined = runtime.service.refine_prompt(user_id=USER, workflow_id=workflow.id, additional_info="rain")
        os.kill(runtime.embedded.process.pid, signal.SIGKILL)  # the write above was acknowledged
        runtime.embedded.process.wait(timeout=10)
        runtime.embedded.process = None
    finally:
        runtime.close()

    restarted = bootstrap(settings)
    try:
        assert restarted.embedded.owned, "a new server was started on the same data directory"
        again = restarted.service.get_workflow(user_id=USER, workflow_id=workflow.id)
        assert again.to_document() == refined.to_document()
    finally:
        restarted.close()


def test_a_second_app_connects_to_the_server_already_running_and_leaves_it_running(tmp_path: Path):
    settings = embedded_settings(tmp_path / "data", free_port())
    first = bootstrap(settings)
    try:
        workflow = first.service.create_workflow(user_id=USER, brief=a_brief())
        second = bootstrap(settings)
        assert not second.embedded.owned
        assert second.service.get_workflow(user_id=USER, workflow_id=workflow.id).title == workflow.title
        second.close()
        assert first.database_ok(), "closing the second app must not stop the first app's server"
    finally:
        first.close()
    assert not first.database_ok()
