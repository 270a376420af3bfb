"""The engine names the `engine` parameter offers are the engines `modelmaker.engine.build` makes."""

from modelmaker import config, engine
from modelmaker.engine import names


def test_every_engine_name_has_an_implementation_and_is_a_parameter_choice():
    assert tuple(engine.ENGINES) == names.NAMES
    assert config.DEFAULTS["engine"].choices == names.NAMES
    assert config.DEFAULTS["engine"].default == names.DEFAULT == engine.DEFAULT
