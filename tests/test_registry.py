"""mdpo._registry.Registry: the table behind every registry of mdpo."""

from __future__ import annotations

import pytest

from mdpo._registry import Registry


def test_keys_are_normalised_and_kept_in_order():
    reg: Registry[int] = Registry("colour")
    reg.register(" Red ", 1)
    reg.register("green", 2)
    assert reg.names() == ["red", "green"]
    assert reg.get("RED") == 1 and "Green" in reg and "blue" not in reg and 3 not in reg
    assert list(reg) == ["red", "green"]


def test_register_works_as_a_decorator_and_checks_the_name_at_once():
    reg: Registry[object] = Registry("colour")
    decorate = reg.register("blue")

    @decorate
    def blue() -> int:
        return 3

    assert reg.get("blue") is blue
    with pytest.raises(TypeError, match="colour name must be a str, got int 3"):
        reg.register(3)


def test_unknown_names_list_the_registered_ones():
    reg: Registry[int] = Registry("colour")
    reg.register("red", 1)
    reg.register("green", 2)
    with pytest.raises(ValueError, match="unknown colour 'blue'; valid names are red, green"):
        reg.get("blue")
    sorted_list = Registry("colour", unknown="no {what} {name!r} in {keys}")
    sorted_list.register("b", 1)
    sorted_list.register("a", 2)
    with pytest.raises(ValueError, match=r"no colour 'c' in \['a', 'b'\]"):
        sorted_list.get("c")


def test_taken_keys_need_overwrite_and_equal_entries_are_a_no_op_unless_refused():
    reg: Registry[int] = Registry("aggregator")
    reg.register("x", 1)
    reg.register("x", 1)  # the same entry again
    with pytest.raises(ValueError, match=r"an aggregator is already registered as 'x' \(1\)"):
        reg.register("x", 2)
    reg.register("x", 2, overwrite=True)
    assert reg.get("x") == 2
    strict: Registry[int] = Registry("scorer", allow_same=False)
    strict.register("x", 1)
    with pytest.raises(ValueError, match="a scorer is already registered as 'x'"):
        strict.register("x", 1)


def test_check_runs_before_storing():
    reg: Registry[object] = Registry("loader")

    def callable_only(entry: object) -> None:
        if not callable(entry):
            raise TypeError(f"not callable: {entry!r}")

    with pytest.raises(TypeError, match="not callable: 3"):
        reg.register("x", 3, check=callable_only)
    assert "x" not in reg


def test_builtins_cannot_be_unregistered():
    reg: Registry[int] = Registry("colour")
    reg.register("red", 1, builtin=True)
    reg.register("mine", 2)
    assert reg.unregister("MINE") == 2
    with pytest.raises(ValueError, match="built-in colour name='red' cannot be unregistered"):
        reg.unregister("red")
    with pytest.raises(ValueError, match="no colour is registered as name='mine'; registered: red"):
        reg.unregister("mine")


def test_a_key_function_other_than_lower_case():
    reg: Registry[int] = Registry("layout", key=str)
    reg.register("Lora", 1)
    assert reg.names() == ["Lora"] and "lora" not in reg


def test_a_subclass_changes_the_words_and_refuses_malformed_keys():
    class Shapes(Registry[int]):
        not_str_message = "{what} kind must be a str, got {type}"
        missing_message = "no {what} kind {name!r}; registered: {listed}"

        def check_key(self, key: str) -> None:
            if not key.isalpha():
                raise ValueError(f"{self.what} kind must be letters, got {key!r}")

    reg = Shapes("shape", key=str)
    reg.register("Square", 4)
    reg.register("line", 2)
    assert reg.items() == [("Square", 4), ("line", 2)]
    with pytest.raises(ValueError, match="shape kind must be letters, got '2d'"):
        reg.register("2d", 2)
    assert "2d" not in reg
    with pytest.raises(TypeError, match="shape kind must be a str, got int"):
        reg.get(3)
    with pytest.raises(ValueError, match=r"no shape kind 'x'; registered: \['Square', 'line'\]"):
        reg.unregister("x")
