"""warm_start_from: a new run starts from another run's checkpoint or SavedModel."""

import numpy as np
import pytest
import tensorflow as tf

import modelmaker
from modelmaker.errors import ParamsError
from tests.conftest import FAST, TINY

# learning_rate 0: the warm-started variables stay exactly as loaded.
STILL = dict(FAST, train_max_steps=1, save_checkpoints_steps=1, learning_rate=0.0)


def variable(train_url, name):
    return tf.train.load_variable(tf.train.latest_checkpoint(str(train_url)), name)


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    out = tmp_path_factory.mktemp("pretrained")
    modelmaker.fit(TINY, FAST, train_url=str(out))
    return out


def test_warm_start_from_a_checkpoint_folder(tiny, pretrained, tmp_path):
    out = tmp_path / "warm"
    modelmaker.fit(tiny, dict(STILL, warm_start_from=str(pretrained)), train_url=str(out))
    np.testing.assert_array_equal(variable(out, "logits/kernel"), variable(pretrained, "logits/kernel"))
    assert variable(out, "global_step") == 1, "the step count starts over"


def test_warm_start_from_an_export_folder_with_a_variable_filter(tiny, pretrained, tmp_path):
    out = tmp_path / "warm"
    modelmaker.fit(tiny, dict(STILL, warm_start_from=str(pretrained / "export" / "model"),
                              warm_start_vars="logits/bias"), train_url=str(out))
    np.testing.assert_array_equal(variable(out, "logits/bias"), variable(pretrained, "logits/bias"))
    assert not np.array_equal(variable(out, "logits/kernel"), variable(pretrained, "logits/kernel"))


def test_warm_start_from_nothing_is_a_params_error(tiny, tmp_path):
    with pytest.raises(ParamsError, match=r"`warm_start_from` \('.*nowhere', from fit\(params=...\)\) "
                                          "holds no checkpoint or SavedModel"):
        modelmaker.fit(tiny, dict(STILL, warm_start_from=str(tmp_path / "nowhere")),
                       train_url=str(tmp_path / "out"))
    with pytest.raises(ParamsError, match=r"`warm_start_vars` \('\['.*is not a regular expression"):
        modelmaker.fit(tiny, dict(STILL, warm_start_from=str(tmp_path), warm_start_vars="["),
                       train_url=str(tmp_path / "out2"))
