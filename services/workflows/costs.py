"""Cost estimates and actuals from the registry's prices. Pure: no I/O."""

from __future__ import annotations

from services.core.errors import ValidationError
from services.providers.catalog import ModelSpec, Price, plan_video
from services.providers.registry import ModelRegistry
from services.workflows.domain import CostEstimate, VideoWorkflow, WorkflowStep

CHARS_PER_TOKEN = 4  # a common rule of thumb for English text with GPT-style tokenisers
EXPECTED_OUTPUT_TOKENS = 600  # a production prompt is a few hundred words
PROMPT_OVERHEAD_CHARS = 1500  # system prompt and brief labels sent with every round
FREE = Price()


def _price(spec: ModelSpec | None) -> Price:
    return spec.price if spec is not None else FREE


def refinement_estimate(spec: ModelSpec | None, *, model: str, provider: str, input_chars: int) -> CostEstimate:
    """Input tokens from the text sent, output tokens from a typical answer."""
    price = _price(spec)
    tokens_in = max(1, input_chars // CHARS_PER_TOKEN)
    amount = tokens_in / 1000 * price.per_1k_input_tokens + EXPECTED_OUTPUT_TOKENS / 1000 * price.per_1k_output_tokens
    return CostEstimate(
        step=WorkflowStep.PROMPT_REFINEMENT,
        model=model,
        provider=provider,
        amount_usd=round(amount, 6),
        basis=_provenance(
            f"~{tokens_in} input tokens x ${price.per_1k_input_tokens}/1k + ~{EXPECTED_OUTPUT_TOKENS} "
            f"output tokens x ${price.per_1k_output_tokens}/1k",
            price,
        ),
    )


def refinement_actual(spec: ModelSpec | None, usage: dict[str, int]) -> float:
    """What a round cost, from the tokens the provider reported."""
    price = _price(spec)
    amount = (
        usage.get("prompt_tokens", 0) / 1000 * price.per_1k_input_tokens
        + usage.get("completion_tokens", 0) / 1000 * price.per_1k_output_tokens
    )
    return round(amount, 6)


def frames_estimate(
    spec: ModelSpec | None, *, model: str, provider: str, count: int, step: WorkflowStep = WorkflowStep.FRAME_GENERATION
) -> CostEstimate:
    """Images times the price per image."""
    per_image = _price(spec).per_image
    return CostEstimate(
        step=step,
        model=model,
        provider=provider,
        amount_usd=round(count * per_image, 6),
        basis=_provenance(f"{count} image(s) x ${per_image}", _price(spec)),
    )


def frame_actual(spec: ModelSpec | None) -> float:
    """What one generated image cost."""
    return round(_price(spec).per_image, 6)


def video_estimate(spec: ModelSpec | None, *, model: str, provider: str, seconds: int, sound: bool = False) -> CostEstimate:
    """Seconds of video times the price per second (with or without sound, as the provider prices them)."""
    price = _price(spec)
    with_sound = sound and spec is not None and spec.sound
    per_second = price.video_per_second(sound=with_sound)
    amount = seconds * per_second + price.per_message
    audio = (" with sound" if with_sound else " without sound") if spec is not None and spec.sound else ""
    basis = f"{seconds} s x ${per_second}/s{audio}" + (f" + ${price.per_message} per reply" if price.per_message else "")
    return CostEstimate(
        step=WorkflowStep.VIDEO_GENERATION,
        model=model,
        provider=provider,
        amount_usd=round(amount, 6),
        basis=_provenance(basis, price),
    )


def video_actual(spec: ModelSpec | None, seconds: int, *, sound: bool = False) -> float:
    """What a rendered video cost, by the configured price (providers report no charge we could read)."""
    price = _price(spec)
    return round(seconds * price.video_per_second(sound=sound and spec is not None and spec.sound) + price.per_message, 6)


def _provenance(basis: str, price: Price) -> str:
    """The basis, with where the price comes from (or that it is unknown)."""
    if not price.known:
        return f"price unknown (none configured; {price.source or 'no source'}): {basis}"
    if not price.source:
        return basis
    return f"{basis} (price: {price.source}{', ' + price.checked if price.checked else ''})"


def add_cost(workflow: VideoWorkflow, amount: float) -> None:
    """Add a step's actual cost to the workflow's running total."""
    workflow.total_cost_usd = round(workflow.total_cost_usd + amount, 6)


def estimate_step(
    workflow: VideoWorkflow,
    models: ModelRegistry,
    *,
    step: WorkflowStep,
    model: str | None,
    default_fps: int,
    frame_count: int,
    frame_numbers: list[int] | None,
    duration: int | None,
    fps: int | None,
) -> CostEstimate:
    """The estimate for the next run of step on this workflow (video: refused if the model can't make it)."""
    chosen = workflow.model_selections
    if step is WorkflowStep.PROMPT_REFINEMENT:
        refiner = models.refiner(model or chosen.refinement)
        sent = (
            PROMPT_OVERHEAD_CHARS
            + len(workflow.initial_prompt)
            + sum(len(i.refined_prompt) + len(i.additional_info or "") for i in workflow.refinement_iterations)
        )
        return refinement_estimate(refiner.spec, model=refiner.model_id, provider=refiner.provider_name, input_chars=sent)
    if step in (WorkflowStep.FRAME_GENERATION, WorkflowStep.FRAME_REVIEW):
        frames = models.frame_generator(model or chosen.frames)
        count = len(frame_numbers) if frame_numbers is not None else frame_count
        return frames_estimate(frames.spec, model=frames.model_id, provider=frames.provider_name, count=count, step=step)
    if step is WorkflowStep.VIDEO_GENERATION:
        video = models.video_generator(model or chosen.video)
        seconds = duration if duration is not None else workflow.metadata.duration
        if video.spec is not None:
            seconds = plan_video(
                video.spec, seconds=seconds, fps=fps or default_fps, aspect_ratio=workflow.metadata.aspect_ratio
            ).seconds
        return video_estimate(
            video.spec, model=video.model_id, provider=video.provider_name, seconds=seconds, sound=workflow.metadata.sound
        )
    raise ValidationError(f"{step.value} has no provider cost to estimate.")
