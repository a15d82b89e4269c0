"""mdpo._dataclass_build.build_dataclass: the one builder of config dataclasses from YAML."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Literal

import pytest

from mdpo._dataclass_build import build_dataclass, check_keys


@dataclasses.dataclass
class Inner:
    name: str
    size: int = 1


@dataclasses.dataclass
class Outer:
    inner: Inner
    items: list[Inner] = dataclasses.field(default_factory=list)
    rate: float = 0.5
    flag: bool = False
    label: str | None = None
    names: str | list[str] = "x"
    mode: Literal["a", "b"] = "a"
    extra: dict[str, int] = dataclasses.field(default_factory=dict)
    anything: Any = None

    def __post_init__(self) -> None:
        if self.rate > 1:
            raise ValueError(f"rate must be <= 1, got {self.rate}")


def test_builds_nested_dataclasses_and_lists_of_them():
    out = build_dataclass(
        Outer,
        {"inner": {"name": "n"}, "items": [{"name": "a", "size": 2}], "rate": 1, "anything": {}},
        "the config",
    )
    assert out.inner == Inner("n") and out.items == [Inner("a", 2)]
    assert out.rate == 1 and isinstance(out.rate, int)  # checked, not converted
    given = Inner("kept")
    assert build_dataclass(Outer, {"inner": given}, "the config").inner is given


@pytest.mark.parametrize(
    ("data", "error", "match"),
    [
        (
            {"inner": {"name": "n"}, "colour": 1},
            ValueError,
            "unknown key 'colour' in the config; allowed keys: anything, extra, flag",
        ),
        (
            {"inner": {"name": "n", "sise": 2}},
            ValueError,
            "unknown key 'sise' in inner; allowed keys: name, size",
        ),
        (
            {"inner": {"name": "n"}, "items": [{"size": 2}]},
            ValueError,
            r"missing key 'name' in items\[0\]",
        ),
        ({}, ValueError, "missing key 'inner' in the config"),
        ([1], ValueError, "the config must be a mapping, got list"),
        ({"inner": 3}, ValueError, "inner must be a mapping, got int 3"),
        ({"inner": {"name": 3}}, TypeError, "inner: name must be a str, got int 3"),
        (
            {"inner": {"name": "n", "size": True}},
            TypeError,
            "inner: size must be an int, got bool True",
        ),
        (
            {"inner": {"name": "n"}, "rate": "0.1"},
            TypeError,
            "rate must be a real number, got str '0.1'",
        ),
        ({"inner": {"name": "n"}, "rate": math.nan}, ValueError, "rate must be a real number"),
        ({"inner": {"name": "n"}, "rate": 2.0}, ValueError, "rate must be <= 1, got 2.0"),
        ({"inner": {"name": "n"}, "flag": 1}, TypeError, "flag must be a bool, got int 1"),
        ({"inner": {"name": "n"}, "label": 3}, TypeError, "label must be a str or None, got int 3"),
        ({"inner": {"name": "n"}, "names": [1]}, TypeError, r"names\[0\] must be a str, got int 1"),
        (
            {"inner": {"name": "n"}, "names": 1},
            TypeError,
            "names must be a str or a list of str, got int",
        ),
        (
            {"inner": {"name": "n"}, "mode": "c"},
            ValueError,
            r"mode must be one of \['a', 'b'\], got 'c'",
        ),
        ({"inner": {"name": "n"}, "extra": []}, TypeError, "extra must be a mapping, got list"),
        ({"inner": {"name": "n"}, "extra": {"k": "v"}}, TypeError, r"extra\['k'\] must be an int"),
        (
            {"inner": {"name": "n"}, "items": {}},
            TypeError,
            r"items must be a list of mappings \(Inner\)",
        ),
    ],
)
def test_refusals_name_the_section_the_key_and_what_is_allowed(data, error, match):
    with pytest.raises(error, match=match):
        build_dataclass(Outer, data, "the config")


def test_type_errors_can_be_value_errors():
    with pytest.raises(ValueError, match="rate must be a real number, got str"):
        build_dataclass(Outer, {"inner": {"name": "n"}, "rate": "x"}, "s", type_error=ValueError)


def test_the_unknown_key_message_and_unchecked_values():
    words = "{where} has unknown key {key!r}; allowed keys: {fields}"
    with pytest.raises(
        ValueError, match=r"s has unknown key 'x'; allowed keys: \['name', 'size'\]"
    ):
        build_dataclass(Inner, {"x": 1}, "s", unknown_key=words)
    # Unchecked: the value reaches the class as given (its __post_init__ is the only check),
    # but the keys are checked all the same.
    assert build_dataclass(Inner, {"name": 3}, "s", check_values=False) == Inner(3)
    with pytest.raises(TypeError, match="name must be a str, got int 3"):
        build_dataclass(Inner, {"name": 3}, "s")
    with pytest.raises(ValueError, match="missing key 'name' in s"):
        build_dataclass(Inner, {"size": 2}, "s", check_values=False)
    with pytest.raises(ValueError, match="unknown key 'x' in s; allowed keys: name, size"):
        build_dataclass(Inner, {"name": "n", "x": 1}, "s", check_values=False)


def test_check_keys_refuses_what_is_no_field():
    check_keys(Inner, {"name": "n", "size": 2}, "s")
    with pytest.raises(ValueError, match="unknown key 'sise' in s; allowed keys: name, size"):
        check_keys(Inner, {"sise": 2}, "s")
    with pytest.raises(ValueError, match=r"^s: 'sise' not in \['name', 'size'\]$"):
        check_keys(Inner, {"sise": 2}, "s", unknown_key="{where}: {key!r} not in {fields}")


def test_the_run_config_reads_through_it():
    from mdpo.training import TrainRunConfig

    dims = [{"name": "a", "objective": "sft", "data": "d.jsonl"}]
    with pytest.raises(TypeError, match="seed must be an int, got str 'x'"):
        TrainRunConfig.from_dict({"dimensions": dims, "seed": "x"})
    with pytest.raises(TypeError, match=r"dimensions\[0\]: data must be a str or None, got int 3"):
        TrainRunConfig.from_dict({"dimensions": [{**dims[0], "data": 3}]})
    with pytest.raises(ValueError, match="missing key 'dimensions' in the run config"):
        TrainRunConfig.from_dict({"model": "smollm2"})
    cfg = TrainRunConfig.from_dict({"dimensions": dims, "adapter": None, "model": "x"})
    assert cfg.model.name_or_path == "x" and cfg.adapter.r == 8
