"""The suite's log audit: capture every log line the tests cause and remember every secret they use.

At start-up (see conftest.pytest_configure) a file handler on the root logger records every
in-process log line, and the places that mint or receive secrets are wrapped so the values are
remembered: passwords, API keys, refresh and access tokens, callback secrets, provider keys and
every secret setting. The last test of the session (tests/integration/test_zz_log_audit.py) then greps the
captured log, and every *.log an app server or worker wrote under the session's temp directory,
for each remembered value and for anything shaped like a credential.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITE_LOG = ROOT / "test-output" / "logs" / "suite.log"
HANDLER_NAME = "suite-log-audit"
MIN_SECRET_LENGTH = 8  # shorter "secrets" (test fixtures like "x") would match innocent text
# Credential shapes worth flagging even when the value was minted in another process.
CREDENTIAL_SHAPES = re.compile(
    r"vws[kr]_[A-Za-z0-9_-]{20,}"  # our API keys and refresh tokens
    r"|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"  # a JWT (header.payload.signature)
    r"|whsec_[A-Za-z0-9+/=]{16,}"  # webhook signing secrets
    r"|r8_[A-Za-z0-9]{20,}"  # Replicate tokens
    r"|(?i:authorization:\s*bearer\s+\S{8,})"
)

remembered: set[str] = set()


def remember(*values: object) -> None:
    for value in values:
        if isinstance(value, str) and len(value) >= MIN_SECRET_LENGTH:
            remembered.add(value)


def _recording(function: Callable, pick: Callable[[tuple, dict, object], Iterable[object]]) -> Callable:
    @functools.wraps(function)
    def wrapper(*args: object, **kwargs: object) -> object:
        result = function(*args, **kwargs)
        remember(*pick(args, kwargs, result))
        return result

    return wrapper


def start_capture() -> logging.Handler:
    """Send every log record of this process (INFO and up; ours from DEBUG) to SUITE_LOG."""
    SUITE_LOG.parent.mkdir(parents=True, exist_ok=True)
    SUITE_LOG.write_text("")
    # Append mode: uvicorn's dictConfig closes every handler, and a closed "a" handler reopens on the next line.
    handler = logging.FileHandler(SUITE_LOG, mode="a", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.DEBUG)
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    for ours in ("services", "api", "ui"):
        logging.getLogger(ours).setLevel(logging.DEBUG)
    return handler


@contextmanager
def paused() -> Iterator[None]:
    """Stop capturing for a block that leaks a secret on purpose (to prove the app's formatter masks it)."""
    handlers = [h for h in logging.getLogger().handlers if h.get_name() == HANDLER_NAME]
    for handler in handlers:
        logging.getLogger().removeHandler(handler)
    try:
        yield
    finally:
        for handler in handlers:
            logging.getLogger().addHandler(handler)


def watch_secrets() -> None:
    """Wrap every place that mints or accepts a secret, so the audit knows the values."""
    from services.accounts import access_tokens, api_keys, refresh_tokens, users
    from services.core import settings
    from services.core.log_setup import secret_values
    from services.providers import keys as provider_keys
    from services.webhooks import outgoing as outgoing_webhooks

    for module in (api_keys, refresh_tokens):
        module.new_secret = _recording(module.new_secret, lambda a, k, result: [result])  # type: ignore[attr-defined]
    access_tokens.AccessTokens.issue = _recording(access_tokens.AccessTokens.issue, lambda a, k, result: [result])
    users.UserService.register = _recording(users.UserService.register, lambda a, k, r: [k.get("password")])
    users.UserService.change_password = _recording(
        users.UserService.change_password, lambda a, k, r: [k.get("current_password"), k.get("new_password")]
    )
    provider_keys.ProviderKeyVault.store = _recording(
        provider_keys.ProviderKeyVault.store, lambda a, k, r: [k.get("api_key")]
    )
    outgoing_webhooks.OutgoingWebhooks.register = _recording(
        outgoing_webhooks.OutgoingWebhooks.register, lambda a, k, result: [result[1]]
    )
    original_init = settings.Settings.__init__

    def init_and_remember(self: settings.Settings, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)
        remember(*secret_values(self))

    settings.Settings.__init__ = init_and_remember  # type: ignore[method-assign]


def log_files(temp_root: Path) -> list[Path]:
    """The suite log and every log file a server, worker or database wrote under the session's temp dir."""
    files = [SUITE_LOG] if SUITE_LOG.exists() else []
    return files + sorted(path for path in temp_root.rglob("*.log") if path.is_file())


def findings(paths: Iterable[Path], secrets: Iterable[str]) -> list[str]:
    """Each place a known secret or a credential-shaped string appears, as 'file:line: what'."""
    found = []
    known = sorted(secrets, key=len, reverse=True)
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            hits = [f"a secret the tests used ({value[:4]}...)" for value in known if value in line]
            hits += [f"a credential-shaped string ({match.group(0)[:8]}...)" for match in CREDENTIAL_SHAPES.finditer(line)]
            found += [f"{path}:{number}: {hit}" for hit in hits]
    return found
