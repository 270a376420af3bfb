"""Reads MNIST in the IDX layout (the four files, `.gz` or not), or downloads it with tfds.

IDX format: a 4-byte magic (0x0000, dtype code, number of dims), one big-endian uint32 per
dim, then the data. Labels are `idx1` (uint8 [n]), images are `idx3` (uint8 [n, 28, 28]).
"""

import gzip
import os

import numpy as np

FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path):
    """The array stored in one IDX file (gzip-compressed when the name ends in .gz)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {data[:4].hex()}).")
    ndim = data[3]
    dims = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_DTYPES[data[2]])
    body = np.frombuffer(data, dtype=dtype, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path} holds {body.size} values, its header says {dims}.")
    return body.reshape(dims)


def find(folder, name):
    """The path of IDX file `name` in `folder`, plain or .gz, or None."""
    for candidate in (name, name + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    return None


def has_split(folder, split):
    """True when `folder` holds both IDX files of `split` ('train' or 'test')."""
    return bool(folder) and all(find(folder, name) for name in FILES[split])


def load_split(folder, split):
    """(images uint8 [n, 28, 28], labels uint8 [n]) of `split` from the IDX files in `folder`."""
    images_name, labels_name = FILES[split]
    images, labels = read_idx(find(folder, images_name)), read_idx(find(folder, labels_name))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(f"MNIST {split} files in {folder} do not match: images {images.shape}, "
                         f"labels {labels.shape}.")
    return images, labels


# Where tensorflow-datasets fetches MNIST from; probed first so that an offline machine gets a
# clear message at once instead of minutes of retries.
_MNIST_HOST = ("storage.googleapis.com", 443)


def download_split(split, data_dir=None):
    """The `split` of MNIST from tensorflow-datasets (downloads it once; needs the internet)."""
    import socket
    import tensorflow_datasets as tfds
    try:
        socket.create_connection(_MNIST_HOST, timeout=10).close()
    except OSError as e:
        raise RuntimeError(f"downloading MNIST with tensorflow-datasets failed: {_MNIST_HOST[0]} "
                           f"is unreachable ({e}); this machine looks offline") from None
    try:
        ds = tfds.load("mnist", split="train" if split == "train" else "test",
                       batch_size=-1, as_supervised=True, data_dir=data_dir)
    except Exception as e:  # tfds raises many kinds of network and download errors
        raise RuntimeError(f"downloading MNIST with tensorflow-datasets failed ({type(e).__name__}: "
                           f"{str(e).splitlines()[0] if str(e) else ''})") from e
    images, labels = tfds.as_numpy(ds)
    return images.reshape(-1, 28, 28).astype(np.uint8), labels.astype(np.uint8)


def write_idx(path, array):
    """Writes `array` (uint8) as an IDX file; `.gz` names are compressed. Used by tests and tools."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + array.tobytes())
