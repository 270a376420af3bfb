"""Reads TensorBoard event files written by a test run."""

import tensorflow as tf


def summaries(folder, tag):
    """(step, value) of every scalar `tag` in the event files of `folder`, in step order."""
    found = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            found += [(event.step, v.simple_value) for v in event.summary.value if v.tag == tag]
    return sorted(found)
