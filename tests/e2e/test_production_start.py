"""Production refuses to start unsafe: the real `streamlit run app.py` exits naming the setting at fault."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import pytest
from streamlit import config as st_config

from services.core.errors import ConfigurationError
from services.core.settings import load_settings
from tests.support.network import free_port

ROOT = Path(__file__).resolve().parents[2]
SAFE = {
    "ENVIRONMENT": "production",
    "JWT_SIGNING_KEYS": f"k1:{secrets.token_urlsafe(32)}",
    "METRICS_TOKEN": secrets.token_urlsafe(32),
}


def _start(tmp_path: Path, env: dict[str, str], *extra: str) -> tuple[int | None, str]:
    """Start the app as the README does; returns its exit code (None: still serving after 40 s) and its output."""
    environment = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", *SAFE)}
    environment.update(env, DATA_DIR=str(tmp_path / "data"), EMBEDDED_DB_PORT=str(free_port()))
    command = [str(ROOT / ".venv/bin/streamlit"), "run", "app.py", "--server.port", str(free_port()), *extra]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=40)
        return process.returncode, output
    except subprocess.TimeoutExpired:
        process.terminate()
        output, _ = process.communicate(timeout=30)
        return None, output


@pytest.mark.timeout(200)
@pytest.mark.parametrize(
    ("change", "named"),
    [({"METRICS_TOKEN": ""}, "METRICS_TOKEN"), ({"JWT_SIGNING_KEYS": f"k1:{'a' * 32}"}, "JWT_SIGNING_KEYS")],
)
def test_an_unsafe_production_setting_stops_the_app_naming_it(tmp_path: Path, change: dict, named: str):
    env = {k: v for k, v in {**SAFE, **change}.items() if v}
    code, output = _start(tmp_path, env)
    assert code not in (None, 0), output[-2000:]
    assert named in output, output[-2000:]


@pytest.mark.timeout(200)
def test_production_refuses_to_listen_on_every_interface_without_server_address(tmp_path: Path):
    code, output = _start(tmp_path, SAFE, "--server.address", "0.0.0.0")
    assert code not in (None, 0) and "SERVER_ADDRESS" in output, output[-2000:]


def test_production_hides_error_details_and_accepts_the_address_it_was_given(tmp_path: Path):
    from app import apply_browser_safety  # importing app.py applies nothing outside production

    before = {k: st_config.get_option(k) for k in ("client.showErrorDetails", "server.address")}
    try:
        st_config.set_option("server.address", "0.0.0.0")
        with pytest.raises(ConfigurationError, match="SERVER_ADDRESS"):
            apply_browser_safety(load_settings(_env_file=None, DATA_DIR=tmp_path, **SAFE))
        apply_browser_safety(load_settings(_env_file=None, DATA_DIR=tmp_path, SERVER_ADDRESS="0.0.0.0", **SAFE))
        assert st_config.get_option("client.showErrorDetails") == "none"
    finally:
        for key, value in before.items():
            st_config.set_option(key, value)
