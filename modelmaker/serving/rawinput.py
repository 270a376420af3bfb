"""Provides `read`: the input files of `modelmaker predict` as requests or raw items.

    *.json  a TF Serving request ({"instances": [...]} or {"inputs": ...}) or a bare list
            of instances
    *.csv   one instance per row: with a header naming the inputs, each column feeds its
            input; otherwise (one-input signatures) each row is that input's numbers,
            reshaped to the input's shape when it is fully known
    other   a raw file (an image, audio, ...) for the user's `preprocess` hook

A folder stands for the files directly inside it, in name order (hidden files skipped).
"""

import csv
import dataclasses
import io
import os
from typing import Any, Optional

import orjson

from modelmaker.errors import DataError


@dataclasses.dataclass(frozen=True)
class Source:
    """One input: `request` (a parsed TF Serving request) or `raw` bytes, from `label`."""

    label: str
    request: Optional[dict] = None
    raw: Optional[bytes] = None
    filename: str = ""


def expand(paths):
    """The files named by `paths` (folders expand to their files, in name order).

    Raises:
      DataError: a path does not exist, or a folder holds no files.
    """
    files = []
    for path in paths:
        if os.path.isdir(path):
            inside = sorted(n for n in os.listdir(path) if not n.startswith("."))
            found = [os.path.join(path, n) for n in inside if os.path.isfile(os.path.join(path, n))]
            if not found:
                raise DataError(f"--input folder {path!r} holds no files. Put the inputs there, "
                                "or name the files themselves.")
            files.extend(found)
        elif os.path.isfile(path):
            files.append(path)
        else:
            raise DataError(f"--input {path!r} does not exist. Give a JSON, CSV or image file, "
                            "or a folder of them.")
    return files


def read(paths, signature):
    """The `Source`s of the files in `paths`, for `signature` (used to read CSV columns).

    Raises:
      DataError: a file cannot be read or is not a valid JSON / CSV input.
    """
    sources = []
    for path in expand(paths):
        data = _read_bytes(path)
        extension = os.path.splitext(path)[1].lower()
        if extension == ".json":
            sources.append(Source(label=path, request=_json_request(data, path)))
        elif extension == ".csv":
            sources.append(Source(label=path, request=_csv_request(data, path, signature)))
        else:
            sources.append(Source(label=path, raw=data, filename=os.path.basename(path)))
    return sources


def _read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise DataError(f"cannot read --input {path!r}: {e.strerror}.") from None


def _json_request(data, path):
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise DataError(f"--input {path} is not valid JSON: {e}. Fix the file, or give it "
                        "another extension to send it as a raw file.") from None
    if isinstance(doc, list):
        return {"instances": doc}
    if isinstance(doc, dict) and ("instances" in doc or "inputs" in doc):
        return doc
    raise DataError(f"--input {path} holds a JSON {type(doc).__name__}; expected a list of "
                    'instances or a request such as {"instances": [...]} or {"inputs": {...}}.')


def _csv_request(data, path, signature):
    try:
        rows = [r for r in csv.reader(io.StringIO(data.decode("utf-8-sig")))
                if any(c.strip() for c in r)]
    except (UnicodeDecodeError, csv.Error) as e:
        raise DataError(f"--input {path} is not a readable CSV file: {e}.") from None
    if not rows:
        raise DataError(f"--input {path} is empty.")
    header = rows[0] if not all(_is_number(c) for c in rows[0]) else None
    body = rows[1:] if header else rows
    names = sorted(signature.inputs)
    if header and sorted(c.strip() for c in header) == names:
        keys = [c.strip() for c in header]
        return {"instances": [{k: _cell(c) for k, c in zip(keys, row)} for row in body]}
    if len(names) != 1:
        raise DataError(f"--input {path}: signature '{signature.key}' has inputs {names}; the "
                        "CSV needs a header row naming exactly those columns.")
    spec = signature.inputs[names[0]]
    return {"instances": [_shaped([_cell(c) for c in row], spec) for row in body]}


def _shaped(values, spec):
    """One row's values in the input's per-instance shape when it is fully known."""
    dims = spec.shape[1:] if spec.shape else None
    if not dims or -1 in dims:
        return values if len(values) != 1 or (spec.shape and len(spec.shape) > 1) else values[0]
    size = 1
    for d in dims:
        size *= d
    if size != len(values):
        return values  # the model will say what it expects
    for d in reversed(dims[1:]):
        values = [values[i:i + d] for i in range(0, len(values), d)]
    return values


def _is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


def _cell(text) -> Any:
    text = text.strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
