"""Object storage for `data_url` and `train_url`: s3://, obs://, ks3:// and gs://.

Data is staged to a local cache before training (`stage_data`); training writes to a local
model directory that is mirrored to the remote `train_url` (`open_train_url`). Local paths
never come here: `modelmaker.api.fit` keeps them as they are.
"""

from modelmaker.storage.stage import stage_data
from modelmaker.storage.sync import open_train_url
from modelmaker.storage.urls import is_remote

__all__ = ["stage_data", "open_train_url", "is_remote"]
