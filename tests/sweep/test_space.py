"""The parameter space as `--param` options write it: lists, inclusive ranges, the grid, random samples."""

from __future__ import annotations

import optuna
import pytest

from nautilus_node.errors import InputError
from nautilus_node.sweep.space import parse_parameter, parse_space


def test_a_range_includes_its_stop_and_keeps_integers() -> None:
    assert parse_parameter("fast=5:20:5").values == (5, 10, 15, 20)


def test_a_float_range_has_exact_steps() -> None:
    assert parse_parameter("gap=0:0.3:0.1").values == (0.0, 0.1, 0.2, 0.3)


def test_a_list_takes_numbers_booleans_and_words() -> None:
    assert parse_parameter("x=1,2.5,true,ask").values == (1, 2.5, True, "ask")


def test_the_grid_is_every_combination_with_the_last_parameter_fastest() -> None:
    space = parse_space(["a=1,2", "b=x,y"])
    assert space.grid() == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]


def test_random_samples_are_distinct_grid_points_fixed_by_the_seed() -> None:
    space = parse_space(["a=1:10:1", "b=1:10:1"])
    first = space.sample(7, seed=3)
    assert first == space.sample(7, seed=3) != space.sample(7, seed=4)
    assert len({tuple(c.values()) for c in first}) == 7
    assert all(c in space.grid() for c in first)


def test_optuna_suggests_only_values_of_the_space() -> None:
    space = parse_space(["fast=5:20:5", "gap=0:0.3:0.1", "side=bid,ask"])
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    for _ in range(20):
        combo = space.suggest(study.ask())
        assert combo["fast"] in (5, 10, 15, 20)
        assert combo["gap"] in (0.0, 0.1, 0.2, 0.3)
        assert combo["side"] in ("bid", "ask")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("fast", "expected NAME=V1,V2"),
        ("fast=", "expected NAME=V1,V2"),
        ("fast=1:5", "START:STOP:STEP"),
        ("fast=a:5:1", "must be numbers"),
        ("fast=5:1:1", "STOP >= START"),
        ("fast=1:5:0", "STEP > 0"),
        ("fast=1,1", "listed twice"),
    ],
)
def test_a_bad_spec_is_one_line_naming_it(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        parse_space([spec])
    assert spec in str(caught.value) and "\n" not in str(caught.value)


def test_a_parameter_given_twice_is_refused() -> None:
    with pytest.raises(InputError, match="fast given more than once"):
        parse_space(["fast=1,2", "fast=3"])
