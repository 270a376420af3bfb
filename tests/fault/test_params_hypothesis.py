"""Property tests of the parameter merge: any input either validates to a frozen RunParams or
raises ParamsError, never another exception."""

import dataclasses
import json
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from modelmaker import config as params_lib
from modelmaker.errors import ParamsError

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (st.none() | st.booleans() | st.integers(-10 ** 12, 10 ** 12)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)
reserved = st.sampled_from(sorted(params_lib.DEFAULTS))
typos = reserved.flatmap(lambda key: st.sampled_from([key[:-1], key + "s", key.upper(),
                                                      key.replace("_", "-"), key[1:]]))
keys = reserved | typos | st.text(max_size=20)


def valid_value(spec):
    """Values `spec` accepts (so that generated layers often validate)."""
    if spec.choices:
        found = st.sampled_from(spec.choices)
    elif spec.kind is int:
        found = st.integers(int(spec.minimum or 0), 10 ** 6)
    elif spec.kind is str:
        found = st.text(min_size=1, max_size=8)
    else:
        found = st.lists(st.text(max_size=4), max_size=3)
    return found | st.none() if spec.nullable else found


custom_keys = st.from_regex(r"\Amy_[a-z]{1,8}\Z")
valid_layer_values = st.fixed_dictionaries({}, optional={
    key: valid_value(spec) for key, spec in params_lib.DEFAULTS.items()
    if key != "save_checkpoints_secs"}).flatmap(
        lambda d: st.dictionaries(custom_keys, values, max_size=3).map(lambda c: {**d, **c}))
layer_values = st.dictionaries(keys, values, max_size=6) | valid_layer_values
layers = st.lists(st.builds(params_lib.Layer, st.text(max_size=10), layer_values), max_size=4)
valid_layers = st.lists(st.builds(params_lib.Layer, st.text(max_size=10), valid_layer_values),
                        max_size=3)


def resolve_or_params_error(layers):
    """The RunParams for `layers`, or None when resolve raised ParamsError (anything else fails)."""
    try:
        return params_lib.resolve(layers)
    except ParamsError:
        return None


def assert_valid(result):
    assert isinstance(result, params_lib.RunParams)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.values = {}
    with pytest.raises(TypeError):
        result.values["train_max_steps"] = 1
    for key, spec in params_lib.DEFAULTS.items():
        value = result[key]
        if value is None:
            assert spec.nullable
            continue
        assert isinstance(value, spec.kind) and not (spec.kind is int and isinstance(value, bool))
        if spec.minimum is not None:
            assert value >= spec.minimum
    cadences = (result["save_checkpoints_steps"], result["save_checkpoints_secs"])
    assert cadences.count(None) == 1, "exactly one checkpoint cadence is on"


@SETTINGS
@given(layers)
def test_any_layers_validate_or_raise_params_error(layers):
    result = resolve_or_params_error(layers)
    if result is None:
        return
    assert_valid(result)
    for layer in layers:  # the last layer that sets a custom key wins
        for key, value in layer.values.items():
            if key not in params_lib.DEFAULTS and layer is _last_setting(layers, key):
                assert json.dumps(result[key], default=str) == json.dumps(value, default=str)


def _last_setting(layers, key):
    return [layer for layer in layers if key in layer.values][-1]


@SETTINGS
@given(st.dictionaries(reserved, values, max_size=5))
def test_reserved_keys_with_any_values(values):
    result = resolve_or_params_error([params_lib.Layer("test", values)])
    if result is not None:
        assert_valid(result)


@SETTINGS
@given(values | st.dictionaries(st.integers() | st.none() | st.booleans(), values, min_size=1, max_size=3))
def test_a_layer_that_is_not_a_mapping_of_names_is_refused(values):
    assume(not (isinstance(values, dict) and all(isinstance(k, str) and k for k in values)))
    with pytest.raises(ParamsError):
        params_lib.resolve([params_lib.Layer("test", values)])


@SETTINGS
@given(st.lists(st.text(max_size=30) | reserved.map(lambda k: f"{k}=") | keys.map(lambda k: f"{k}={k}"),
                max_size=5),
       st.lists(st.tuples(reserved, st.text(max_size=12)), max_size=4))
def test_command_line_strings_validate_or_raise_params_error(assignments, flags):
    """--set KEY=VALUE strings and --key=VALUE flags, as the command line turns them into a layer."""
    try:
        overrides = dict(params_lib.parse_assignment(text) for text in assignments)
    except ParamsError:
        return
    overrides.update({key: params_lib.parse_value(text) for key, text in flags})
    result = resolve_or_params_error([params_lib.Layer("the command line", overrides)])
    if result is not None:
        assert_valid(result)


@SETTINGS
@given(st.text(max_size=80), st.sampled_from(["parameters.json", "parameters.yaml"]))
def test_any_parameters_file_loads_or_raises_params_error(tmp_path_factory, text, name):
    path = tmp_path_factory.mktemp("p") / name
    path.write_text(text, encoding="utf-8")
    try:
        data = params_lib.load_file(str(path))
    except ParamsError:
        return
    assert isinstance(data, dict)
    resolve_or_params_error([params_lib.Layer(str(path), data)])


@SETTINGS
@given(valid_layers)
def test_a_valid_result_revalidates_to_itself(layers):
    result = resolve_or_params_error(layers)
    assume(result is not None)
    assume(not _has_nan(dict(result.values)))
    again = params_lib.resolve([params_lib.Layer("params.json", dict(result.values))])
    assert dict(again.values) == dict(result.values)


def _has_nan(value):
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nan(v) for v in value)
    return False
