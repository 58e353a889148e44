"""Absolute speed goals depend on the machine: always reported, failing a run only when asked for.

Ratios against a baseline measured in the same run may fail the default run (both sides share the machine);
an absolute figure (messages per second, microseconds) fails only with NAUTILUS_NODE_BENCHMARK_STRICT=1.
"""

from __future__ import annotations

import os
import warnings

import pytest

STRICT_ENV = "NAUTILUS_NODE_BENCHMARK_STRICT"


class AbsoluteGoalMissed(UserWarning):
    """An absolute speed goal was missed on this machine (a warning unless strict)."""


def check_absolute_goal(met: bool, description: str) -> None:
    """Fail when strict, otherwise warn, if the absolute goal `description` was not met."""
    if met:
        return
    if os.environ.get(STRICT_ENV) == "1":
        pytest.fail(f"absolute goal missed: {description}")
    warnings.warn(f"{description} (not failing the run; {STRICT_ENV}=1 enforces it)", AbsoluteGoalMissed, stacklevel=2)
