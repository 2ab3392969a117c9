"""Lab history as JSON (whole runs) or CSV (one row per result). Pure."""

from __future__ import annotations

import csv
import io
import json

from services.lab.domain import LabRun

CSV_COLUMNS = (
    "runId",
    "createdAt",
    "title",
    "brief",
    "additionalInfo",
    "workflowId",
    "model",
    "provider",
    "offline",
    "latencyMs",
    "promptTokens",
    "completionTokens",
    "estimateUsd",
    "costUsd",
    "starred",
    "note",
    "adoptedInto",
    "error",
    "refinedPrompt",
)


def runs_as_json(runs: list[LabRun]) -> str:
    """Every run with its results, ratings and costs (the user id left out: it is the reader's own)."""
    return json.dumps([run.model_dump(mode="json", by_alias=True, exclude={"user_id"}) for run in runs], indent=2)


def runs_as_csv(runs: list[LabRun]) -> str:
    """One row per result, so a spreadsheet can sort models by latency, cost or rating."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for run in runs:
        for result in run.results:
            writer.writerow(
                {
                    "runId": run.id,
                    "createdAt": run.created_at.isoformat(),
                    "title": run.title,
                    "brief": run.brief,
                    "additionalInfo": run.additional_info or "",
                    "workflowId": run.workflow_id or "",
                    "model": result.model,
                    "provider": result.provider,
                    "offline": "yes" if result.offline else "no",
                    "latencyMs": result.latency_ms,
                    "promptTokens": result.usage.get("prompt_tokens", ""),
                    "completionTokens": result.usage.get("completion_tokens", ""),
                    "estimateUsd": result.estimate_usd,
                    "costUsd": result.cost_usd,
                    "starred": "yes" if result.starred else "no",
                    "note": result.note,
                    "adoptedInto": " ".join(result.adopted_into),
                    "error": result.error or "",
                    "refinedPrompt": result.refined_prompt,
                }
            )
    return out.getvalue()
