"""Typed forwarding for facades: a method that calls the same-named method of one of the instance's parts.

`refine_prompt = forwards(PromptRefinement.refine, "refinement")` gives the facade a method with refine's exact
signature (mypy checks callers against it) that calls `self.refinement.refine(...)`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def forwards(unbound: Callable[Concatenate[Any, P], R], part: str) -> Callable[Concatenate[Any, P], R]:
    """A method forwarding to `self.<part>.<unbound's name>`, with unbound's signature and docstring."""
    name = unbound.__name__

    @functools.wraps(unbound)
    def forward(self: Any, *args: P.args, **kwargs: P.kwargs) -> R:
        return getattr(getattr(self, part), name)(*args, **kwargs)

    return forward
