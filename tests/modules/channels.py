"""The storage tests' file-reading classifier, whose evaluation reads the platform's evaluation
channel when there is one: `eval.csv` under `params["eval_data_url"]`, else under `path`.

    SM_CHANNEL_TRAINING=data/train SM_CHANNEL_EVAL=data/eval \\
        python -m modelmaker.train --user_module tests/modules/channels.py
"""

import tensorflow as tf

from tests.storage.files_module import (  # noqa: F401 (the user module's other functions)
    _read, model_fn, serving_input_receiver_fn, train_input_fn, write_csv)


def eval_input_fn(path, params):
    return tf.data.Dataset.from_tensor_slices(_read(params.get("eval_data_url") or path, "eval.csv")).batch(16)
