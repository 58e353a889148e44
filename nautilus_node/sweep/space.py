"""The parameter space of a sweep, from `--param NAME=SPEC` options.

A SPEC is a list `V1,V2,…` (numbers or words) or an inclusive range `START:STOP:STEP` (`fast=5:20:5` is 5, 10, 15,
20). The grid is every combination; random search samples combinations; Optuna samples each parameter from the
same values (integers and float ranges as stepped distributions, lists as categories).
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from nautilus_node.errors import InputError

Value = int | float | str | bool
MAX_GRID = 100_000


@dataclass(frozen=True)
class Parameter:
    """One strategy config field and the values a sweep may give it."""

    name: str
    values: tuple[Value, ...]
    step_range: tuple[Value, Value, Value] | None = None  # (start, stop, step) when written as a range

    def suggest(self, trial: Any) -> Value:
        """This parameter's value for an Optuna trial."""
        if self.step_range is not None:
            start, _, step = self.step_range
            if all(isinstance(v, int) for v in self.step_range):
                return trial.suggest_int(self.name, start, self.values[-1], step=step)
            value = trial.suggest_float(self.name, start, self.values[-1], step=step)
            return min(self.values, key=lambda v: abs(v - value))  # the range's own value, free of float drift
        return trial.suggest_categorical(self.name, list(self.values))


@dataclass(frozen=True)
class Space:
    """The parameters a sweep varies, in the order given."""

    parameters: tuple[Parameter, ...]

    @property
    def names(self) -> list[str]:
        """Parameter names in order."""
        return [p.name for p in self.parameters]

    @property
    def size(self) -> int:
        """How many combinations the grid has."""
        size = 1
        for parameter in self.parameters:
            size *= len(parameter.values)
        return size

    def grid(self) -> list[dict[str, Value]]:
        """Every combination, the last parameter varying fastest."""
        if self.size > MAX_GRID:
            raise InputError(f"--param: the grid has {self.size:,} combinations (at most {MAX_GRID:,}); use --search")
        return [dict(zip(self.names, combo, strict=True)) for combo in itertools.product(*self._value_lists())]

    def sample(self, count: int, seed: int) -> list[dict[str, Value]]:
        """`count` distinct combinations drawn at random (all of them when the grid is smaller)."""
        if count >= self.size:
            return self.grid()
        rng = random.Random(seed)
        indices = rng.sample(range(self.size), count)
        return [self._combination(index) for index in indices]

    def suggest(self, trial: Any) -> dict[str, Value]:
        """One combination from an Optuna trial."""
        return {p.name: p.suggest(trial) for p in self.parameters}

    def _value_lists(self) -> list[tuple[Value, ...]]:
        return [p.values for p in self.parameters]

    def _combination(self, index: int) -> dict[str, Value]:
        chosen: dict[str, Value] = {}
        for parameter in reversed(self.parameters):
            index, position = divmod(index, len(parameter.values))
            chosen[parameter.name] = parameter.values[position]
        return {name: chosen[name] for name in self.names}


def parse_space(specs: tuple[str, ...] | list[str]) -> Space:
    """`["fast=5:20:5", "slow=60,120"]` → a `Space`; `InputError` naming the bad option."""
    if not specs:
        raise InputError("--param: give at least one parameter to sweep (e.g. --param fast_ema_period=10,20,30)")
    parameters = [parse_parameter(spec) for spec in specs]
    names = [p.name for p in parameters]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"--param: {', '.join(duplicates)} given more than once")
    return Space(tuple(parameters))


def parse_parameter(spec: str) -> Parameter:
    """`NAME=V1,V2,…` or `NAME=START:STOP:STEP` → a `Parameter`."""
    name, sep, text = spec.partition("=")
    name, text = name.strip(), text.strip()
    if not sep or not name.isidentifier() or not text:
        raise InputError(f"--param {spec!r}: expected NAME=V1,V2,... or NAME=START:STOP:STEP")
    if ":" in text:
        return _parse_range(name, text, spec)
    values = tuple(_scalar(v.strip()) for v in text.split(",") if v.strip())
    if len({(type(v), v) for v in values}) != len(values):
        raise InputError(f"--param {spec!r}: a value is listed twice")
    return Parameter(name, values)


def _parse_range(name: str, text: str, spec: str) -> Parameter:
    parts = text.split(":")
    if len(parts) != 3:
        raise InputError(f"--param {spec!r}: a range is START:STOP:STEP (e.g. 5:20:5)")
    try:
        start, stop, step = (Decimal(p) for p in parts)
    except InvalidOperation:
        raise InputError(f"--param {spec!r}: START, STOP and STEP must be numbers") from None
    if step <= 0 or stop < start:
        raise InputError(f"--param {spec!r}: needs STEP > 0 and STOP >= START")
    count = int((stop - start) / step) + 1
    if count > MAX_GRID:
        raise InputError(f"--param {spec!r}: {count:,} values (at most {MAX_GRID:,})")
    integral = all(p == p.to_integral_value() and "." not in t for p, t in zip((start, stop, step), parts, strict=True))
    convert = int if integral else float
    values = tuple(convert(start + i * step) for i in range(count))
    return Parameter(name, values, step_range=(convert(start), convert(stop), convert(step)))


def _scalar(text: str) -> Value:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            continue
    return text
