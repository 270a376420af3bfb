"""The tiny module on two logical CPUs: importing it splits the CPU in two before TensorFlow's runtime
starts, so that `distribute: mirrored` has two replicas in a process `modelmaker launch --local` started."""

import tensorflow as tf

_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(_cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from tests.modules.tiny import (eval_input_fn, model_fn, serving_input_receiver_fn,  # noqa: E402,F401
                                train_input_fn)
