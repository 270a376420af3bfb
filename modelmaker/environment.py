"""Provides `read`: what the process was given in its environment, read once, at the edge.

The command line (and `fit()` for a library caller that gives none) builds one frozen
`Environment` at start-up and hands it down; nothing below reads `os.environ`. This module is
also the one place that changes the environment, each time for the narrowest scope:
TensorFlow's native log level before TensorFlow is imported, and the normalised TF_CONFIG
that TensorFlow's RunConfig and distribute coordinator read themselves, for the length of
each call that needs it.

    env = environment.read()
    cluster = env.cluster()                     # TF_CONFIG (or Vertex AI's CLUSTER_SPEC), validated
    env.platform                                # SageMaker, Vertex AI, ModelArts: `platforms.Platform`
    stage_data(url, settings=env.storage)       # endpoints, credentials, MODELMAKER_CACHE_DIR
"""

import contextlib
import dataclasses
import json
import os
from typing import Mapping, Optional

from modelmaker import faults, platforms
from modelmaker.cluster import tf_config
from modelmaker.storage import urls

TF_CONFIG = "TF_CONFIG"
FAULT = faults.ENV                         # fault injection (tests only)
NATIVE_LOG_LEVEL = "TF_CPP_MIN_LOG_LEVEL"  # TensorFlow's C++ logging; read when it is imported


@dataclasses.dataclass(frozen=True)
class Environment:
    """What the environment told this process.

    Attributes:
      tf_config: TF_CONFIG's text (else the one Vertex AI's CLUSTER_SPEC gives), or None.
      tf_config_source: the variable `tf_config` came from.
      storage: the storage endpoints, credentials and cache folder (`storage.urls.Settings`).
      fault: MODELMAKER_FAULT's text, or None.
      variables: every variable, for the processes a launcher starts.
      platform: the `platforms.Platform` the variables describe (SageMaker, Vertex AI, ModelArts).
    """

    tf_config: Optional[str] = None
    tf_config_source: str = TF_CONFIG
    storage: urls.Settings = urls.Settings({})
    fault: Optional[str] = None
    variables: Mapping[str, str] = dataclasses.field(default_factory=dict, repr=False)
    platform: platforms.Platform = platforms.LOCAL_PLATFORM

    def cluster(self):
        """The validated `cluster.tf_config.Cluster` of TF_CONFIG (`LOCAL` when unset).

        Raises:
          ParamsError: TF_CONFIG is malformed; the message names the problem.
        """
        return tf_config.parse(self.tf_config, source=self.tf_config_source)


def read(environ=None):
    """The `Environment` of `environ` (default: this process's environment).

    Raises:
      ParamsError: a platform variable (SM_HPS, CLUSTER_SPEC) is malformed.
    """
    environ = dict(os.environ if environ is None else environ)
    platform = platforms.recognise(environ)
    text, source = environ.get(TF_CONFIG), TF_CONFIG
    if text is None and platform.tf_config:
        text, source = platform.tf_config, "CLUSTER_SPEC"
    return Environment(tf_config=text, tf_config_source=source, storage=urls.from_environ(environ),
                       fault=environ.get(FAULT) or None, variables=environ, platform=platform)


def quiet_native_logs(verbose):
    """Sets TensorFlow's C++ log level for this process and its children; the command line's
    first step, before TensorFlow is imported.

    Unless `verbose`, the level is 3 whatever the shell exported: a `TF_CPP_MIN_LOG_LEVEL=2`
    left in a profile would otherwise let through start-up E-lines ("Unable to register
    cuDNN factory") that say nothing a user can act on. With `verbose`, the shell's value
    (or TensorFlow's default, everything) applies.
    """
    if not verbose:
        os.environ[NATIVE_LOG_LEVEL] = "3"


@contextlib.contextmanager
def tf_config_scope(cluster):
    """Shows TensorFlow `cluster`'s normalised TF_CONFIG while the block runs, then restores."""
    before = os.environ.get(TF_CONFIG)
    shown = cluster.tf_config()
    if shown:
        os.environ[TF_CONFIG] = json.dumps(shown)
    else:
        os.environ.pop(TF_CONFIG, None)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(TF_CONFIG, None)
        else:
            os.environ[TF_CONFIG] = before
