"""Structured logs: text or JSON (LOG_FORMAT), a request id and workflow id on every line, no secrets.

The request id, workflow id and job id live in context variables. The API's middleware binds the
first two for the request; a job binds the workflow and job while it runs. Worker threads that
start from a copied context (request thread pools, the frame pool) inherit them.

Secrets are kept out at the source (nothing logs a token or key), and the formatter masks
anything shaped like one as a second line of defence: our own key prefixes, JWTs, bearer
headers, webhook secrets, and the exact values of every secret setting.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from urllib.parse import urlsplit

from pydantic import SecretStr
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from services.core.settings import Settings

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
workflow_id_var: ContextVar[str | None] = ContextVar("workflow_id", default=None)
job_id_var: ContextVar[str | None] = ContextVar("job_id", default=None)
_CONTEXT = {"request_id": request_id_var, "workflow_id": workflow_id_var, "job_id": job_id_var}

MASK = "[redacted]"
# Shapes of credentials: our API keys and refresh tokens, JWTs, bearer headers, webhook secrets,
# Replicate and Poe-style keys. The exact secret values from the settings are added at configure time.
SECRET_SHAPES = re.compile(
    r"vws[krsh]_[A-Za-z0-9_-]{8,}"
    r"|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"
    r"|whsec_[A-Za-z0-9+/=]{8,}"
    r"|r8_[A-Za-z0-9]{8,}"
    r"|(?i:api[_-]?key|password|secret|token)[\"']?\s*[:=]\s*[\"']?[^\s\"',}]{4,}"
)
KEY_LIST_SETTINGS = ("JWT_SIGNING_KEYS", "PROVIDER_KEY_MASTER_KEYS")
SAFE_CONTEXT_VALUE = re.compile(r"^[A-Za-z0-9._:-]{1,64}\Z")
MAX_CONTEXT_LENGTH = 64
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [request=%(request_id)s workflow=%(workflow_id)s]: %(message)s"
JSON_FIELDS = ["asctime", "levelname", "name", "message", "request_id", "workflow_id", "job_id"]
# Loggers that ship their own handler and do not propagate; routed through ours so every line has one format.
# (uvicorn.access stays as the server left it: our middleware writes one access line per API request.)
OWN_HANDLER_LOGGERS = ("uvicorn", "uvicorn.error", "dramatiq")


@contextmanager
def bound(**values: str | None) -> Iterator[None]:
    """Put request_id / workflow_id / job_id on every log line written inside the block (values made log-safe)."""
    tokens = [(_CONTEXT[name], _CONTEXT[name].set(log_safe(value))) for name, value in values.items()]
    try:
        yield
    finally:
        for variable, token in reversed(tokens):
            variable.reset(token)


def log_safe(value: str | None) -> str | None:
    """A context value as it may appear in a log line: ids pass as they are; anything else (a raw URL parameter
    with a line break, say) is escaped and cut short, so it can never start a forged line of its own."""
    if value is None or SAFE_CONTEXT_VALUE.match(value):
        return value
    return "!" + value[:MAX_CONTEXT_LENGTH].encode("unicode_escape").decode("ascii").replace(" ", "\\x20")


class ContextFilter(logging.Filter):
    """Copies the context variables onto each record ('-' when unset, so the text format never breaks)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, variable in _CONTEXT.items():
            if not hasattr(record, name):
                setattr(record, name, variable.get() or "-")
        return True


class Redactor:
    """Masks secret-shaped text and the exact values of known secrets."""

    def __init__(self, known_secrets: Iterable[str] = ()) -> None:
        # Longest first, so a secret that contains another is masked whole.
        self.known = sorted({s for s in known_secrets if len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.known:
            text = text.replace(secret, MASK)
        return SECRET_SHAPES.sub(MASK, text)


class RedactingTextFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__(TEXT_FORMAT)
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


class RedactingJsonFormatter(JsonFormatter):
    """One JSON object per line; the rendered line is redacted like the text one."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__(
            JSON_FIELDS,
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        )  # uvicorn's ANSI-coloured copy
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


def secret_values(settings: Settings) -> list[str]:
    """The plain secret in every secret setting: each key of a key list, the password of a URL."""
    values: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if not isinstance(value, SecretStr):
            continue
        plain = value.get_secret_value()
        if name in KEY_LIST_SETTINGS:  # "id:secret,id:secret": the ids are not secret, and appear in tokens
            values.extend(entry.partition(":")[2].strip() for entry in plain.split(","))
        elif "://" in plain:  # a server address is not secret; its password is
            password = urlsplit(plain).password
            values.extend([password] if password else [])
        else:
            values.append(plain)
    return [v for v in values if v]


def configure_logging(settings: Settings, *, stream=None) -> logging.Handler:  # type: ignore[no-untyped-def]
    """One handler on the root logger in the configured format; safe to call again (it replaces its own)."""
    redact = Redactor(secret_values(settings))
    formatter: logging.Formatter = (
        RedactingJsonFormatter(redact) if settings.LOG_FORMAT == "json" else RedactingTextFormatter(redact)
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    handler.set_name("video-workflow-studio")
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == handler.get_name() or type(existing) is logging.StreamHandler:
            root.removeHandler(existing)  # ours from an earlier call, or a basicConfig default
    root.addHandler(handler)
    root.setLevel(settings.LOG_LEVEL)
    route_own_handlers_to_root()
    return handler


def route_own_handlers_to_root() -> None:
    """Uvicorn and Dramatiq configure their own handlers when they start; send their lines through ours."""
    for name in OWN_HANDLER_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
