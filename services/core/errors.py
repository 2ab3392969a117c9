"""Typed errors raised by the services layer; entrypoints translate them for users."""

from __future__ import annotations


class StudioError(Exception):
    """Base class for every error the services layer raises on purpose."""

    code = "studio_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(StudioError):
    """Input the user can fix: an empty title, a duration over the cap, an unknown frame."""

    code = "validation_error"


class LimitReachedError(ValidationError):
    """A per-workflow cap (refinement rounds, frame regenerations) has been reached."""

    code = "limit_reached"


class NotFoundError(StudioError):
    """The workflow (or media) does not exist, or was deleted."""

    code = "not_found"


class ForbiddenError(StudioError):
    """The workflow belongs to another user."""

    code = "forbidden"


class InvalidTransitionError(StudioError):
    """The action is not allowed at the workflow's current step."""

    code = "invalid_transition"


class BusyError(StudioError):
    """Another generation is already running for this workflow; `job_id` names it (None: a refinement)."""

    code = "busy"

    def __init__(self, message: str, *, job_id: str | None = None) -> None:
        super().__init__(message)
        self.job_id = job_id


class ConflictError(StudioError):
    """A concurrent writer changed the workflow first; reload and try again."""

    code = "conflict"


class UnknownModelError(ValidationError):
    """A model id that the registry does not know."""

    code = "unknown_model"


class ProviderError(StudioError):
    """An AI provider call failed; `message` is safe to show to the user."""

    code = "provider_error"

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        retryable: bool = True,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after  # seconds the provider asked us to wait (Retry-After), if it said


class StepFailedError(StudioError):
    """A workflow step failed at the provider; the workflow records it and can be retried."""

    code = "step_failed"

    def __init__(self, message: str, *, step: str, provider: str) -> None:
        super().__init__(message)
        self.step = step
        self.provider = provider


class DatabaseUnavailableError(StudioError):
    """MongoDB could not be reached; retry shortly."""

    code = "database_unavailable"


class ConfigurationError(StudioError):
    """A setting has a bad value; the message names the variable."""

    code = "configuration_error"


class AuthenticationError(StudioError):
    """Wrong username or password, or an unusable credential."""

    code = "authentication_failed"


class JobCanceledError(StudioError):
    """The user canceled the job while it ran; the running worker stops without recording a failure."""

    code = "job_canceled"


class JobSupersededError(StudioError):
    """A resumed job whose workflow has moved on (retried, deleted); it is closed without running."""

    code = "job_superseded"


class ModelUnavailableError(ValidationError):
    """A known model id the provider no longer serves (retired, or found missing by the availability check)."""

    code = "model_unavailable"

    def __init__(self, message: str, *, model: str, successor: str | None) -> None:
        super().__init__(message)
        self.model = model
        self.successor = successor


class ProviderModelMissingError(ProviderError):
    """The provider says the model does not exist (Poe's 400 model_not_found, Replicate's 404)."""

    code = "provider_model_missing"


class MediaStoreError(StudioError):
    """The media store could not write or read a file (disk, GridFS); nothing half-written is visible."""

    code = "media_store_error"

    def __init__(self, message: str, *, condition: str = "unwritable") -> None:
        super().__init__(message)
        self.condition = condition  # full | read-only | unwritable: what /api/ready reports


class MediaLinkError(ForbiddenError):
    """A signed media URL that is expired, altered, or made for another file."""

    code = "media_link_invalid"


class LinkGoneError(StudioError):
    """A review link that was revoked or has expired (its workflow may be gone too)."""

    code = "link_gone"


class PasscodeRequiredError(StudioError):
    """A review link with a passcode, opened without it or with a wrong one."""

    code = "passcode_required"
