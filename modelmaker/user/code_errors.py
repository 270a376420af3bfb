"""Provides `UserCodeError`: an exception raised in the user's own code, shown as theirs.

The four functions run inside Estimator, so an error in them (a KeyError in model_fn, labels
of a dtype an op refuses, an input folder without files) surfaces under dozens of TensorFlow
frames. Here it becomes a few lines: what modelmaker was doing, the user's frames
(file:line), the exception line and, for dtype and shape errors, the structure of what the
input handed to model_fn. It is a `ModelmakerError`: the command line exits 2 and
`--verbose` prints the full traceback too.

An exception is the user's when the innermost frame outside TensorFlow, the standard
library and installed packages is not in modelmaker (or, for a TensorFlow op that fails
when run, when the op was created in user code, or reads the user's input). Anything else
stays a modelmaker bug: traceback, exit 1.
"""

import contextlib
import linecache
import os
import sysconfig
import traceback
import weakref

from modelmaker.errors import Interrupted, ModelmakerError

_OURS = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep  # the package
_TEMPLATES = os.path.join(_OURS, "templates") + os.sep  # user modules, though shipped with modelmaker
_CONTRACT = os.path.join(_OURS, "estimator") + os.sep  # tf.estimator's names: a library to the user's code
_LIBRARIES = tuple(sorted({os.path.realpath(sysconfig.get_paths()[key]) + os.sep
                           for key in ("stdlib", "platstdlib", "purelib", "platlib")}))
_FRAMES_SHOWN = 2
# Errors that usually mean the input is not what model_fn expects (AttributeError: Keras 3's losses on
# labels None), shown with the structure of what the input gives.
_STRUCTURE_ERRORS = ("KeyError", "TypeError", "ValueError", "AttributeError", "InvalidArgumentError")
_HINT = "This error is in your code or data: fix it and run again (--verbose shows the full traceback)."
_GRAPHS = weakref.WeakKeyDictionary()  # tf.Graph -> _Input: what each graph reads


class UserCodeError(ModelmakerError):
    """An exception raised in the user's code; `error` is the original exception."""

    def __init__(self, error, *, doing, frames, structure=()):
        self.error, self.doing, self.frames = error, doing, list(frames)
        self.structure = list(structure) if _name(error) in _STRUCTURE_ERRORS else []
        lines = [f"your code raised {_name(error)} while {doing}:"]
        for frame in self.frames[-_FRAMES_SHOWN:]:
            lines.append(f"  {frame.filename}:{frame.lineno} in {frame.name}")
            if frame.line:
                lines.append(f"    {frame.line.strip()}")
        lines.append(f"  {exception_line(error)}")
        lines += [f"  {line}" for line in self.structure]
        super().__init__("\n".join(lines + [_HINT]))

    @property
    def summary(self):
        """One line, for `modelmaker check`'s table."""
        where = f" at {self.frames[-1].filename}:{self.frames[-1].lineno}" if self.frames else ""
        return f"{exception_line(self.error)}{where} (while {self.doing})"


class _Input:
    """What a graph reads: the function's name, the data path, its structure, batches read."""

    def __init__(self, name, path, fn=None, structure=()):
        self.name, self.path, self.fn, self.structure, self.runs = name, path, fn, list(structure), 0

    def describe(self):
        return f"{self.name} from {self.path}" if self.path else self.name


def from_exception(error, *, doing, structure=()):
    """A UserCodeError for `error` if it was raised in the user's code, else None."""
    frames = user_frames(traceback.extract_tb(error.__traceback__))
    if frames is None:
        return None
    return UserCodeError(error, doing=doing, frames=frames, structure=structure)


def calling(doing, structure=lambda: ()):
    """A context that turns an exception raised in user code within it into a UserCodeError.

    `structure` is called only on such an error; it returns lines describing the inputs.
    """
    return _converting(lambda e: from_exception(e, doing=doing, structure=structure()))


def translated():
    """A context that turns an error from running the graph (a TensorFlow op that fails in a
    session) into a UserCodeError when the op was made in user code or reads the user's input."""
    return _converting(explain)


@contextlib.contextmanager
def _converting(convert):
    try:
        yield
    except (ModelmakerError, Interrupted, KeyboardInterrupt, SystemExit):
        raise
    except Exception as e:  # noqa: BLE001 -- the user's code may raise anything
        found = convert(e)
        if found is None:
            raise
        raise found from None


def explain(error):
    """A UserCodeError for any exception that is the user's (see the module doc), else None."""
    if isinstance(error, UserCodeError):
        return error
    op = getattr(error, "op", None)
    if op is None or not getattr(op, "traceback", None):
        return from_exception(error, doing="running your code")
    read, stack = _GRAPHS.get(op.graph), [_with_line(f) for f in op.traceback]
    reading = read is not None and ("IteratorGetNext" in op.type or _made_by(stack, read.fn))
    frames = _definition(read.fn) if reading and "IteratorGetNext" in op.type else user_frames(stack)
    if frames is None:
        return None
    if reading:
        batch = "the first batch" if read.runs == 0 else f"batch {read.runs + 1}"
        doing = f"reading {batch} of {read.describe()}"
    else:
        doing = f"running model_fn's graph on {read.describe()}" if read else "running the graph"
    return UserCodeError(error, doing=doing, frames=frames, structure=read.structure if read else ())


def building_model_fn(features, labels, mode):
    """`calling` for the user's model_fn on `features` and `labels` in `mode`."""
    read = graph_input()
    doing = f"building model_fn in mode {mode}" + (f" on {read.describe()}" if read else "")
    return calling(doing, lambda: describe_pair((features, labels), source=read.name if read else "the input",
                                                labels=mode != "infer"))


def one_line(error):
    """`error` on one line; a user's error keeps its file:line."""
    found = explain(error) if not isinstance(error, ModelmakerError) else error
    if isinstance(found, UserCodeError):
        return found.summary
    return str(error) if isinstance(error, ModelmakerError) else exception_line(error)


def full_traceback(error):
    """The original traceback of a UserCodeError, for --verbose ('' for other errors)."""
    if not isinstance(error, UserCodeError):
        return ""
    return "".join(traceback.format_exception(error.error))


def user_frames(frames):
    """The user's frames (outermost first), or None when the innermost frame outside the
    libraries is modelmaker's (or there is none): then the error is not the user's."""
    own = [f for f in frames if not _is_library(f.filename)]
    if not own or _is_ours(own[-1].filename):
        return None
    after = max((i for i, f in enumerate(own) if _is_ours(f.filename)), default=-1)
    return [f for f in own[after + 1:] if not _is_ours(f.filename)]


def import_frame(frames):
    """The frame an import failure is shown at: the innermost of the user's own frames (neither
    modelmaker's nor a library's), else the innermost that is not modelmaker's; None when none is."""
    theirs = [f for f in frames if not _is_ours(f.filename) and "importlib" not in f.filename]
    own = [f for f in theirs if not _is_library(f.filename)]
    return (own or theirs or [None])[-1]


def note_input(name, path, result, fn=None):
    """Records, for the current graph, that it reads `result` of the input function `name`."""
    import tensorflow as tf
    graph = tf.compat.v1.get_default_graph()
    spec = getattr(result, "element_spec", result)
    _GRAPHS[graph] = _Input(name, path, fn, describe_pair(spec, source=name, labels=fn is not None))


def graph_input(graph=None):
    """The `_Input` noted for `graph` (default: the current graph), or None."""
    import tensorflow as tf
    return _GRAPHS.get(graph or tf.compat.v1.get_default_graph())


def describe_pair(value, *, source, labels=True):
    """Lines naming the features and (unless not `labels`) labels in `value`: a (features,
    labels) pair of tensors or specs, or features alone."""
    features, given = _pair(value)
    lines = [f"{source} gives features {describe(features)}"]
    if labels:
        lines.append(f"{source} gives labels {'None: no labels' if given is None else describe(given)}")
    return lines


def describe_element(value):
    """`features {x: float32 [None, 4]}, labels int32 [None]` for a dataset's element_spec or a
    (features, labels) pair."""
    features, labels = _pair(getattr(value, "element_spec", value))
    return f"features {describe(features)}, labels {'None' if labels is None else describe(labels)}"


def _pair(value):
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return value
    return value, None


def describe(value):
    """`{x: float32 [None, 4]}` for a dict of tensors or specs; `int32 [None]` for one."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {describe(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(describe(v) for v in value) + ")"
    dtype, shape = getattr(value, "dtype", None), getattr(value, "shape", None)
    if dtype is None:
        return type(value).__name__
    return f"{getattr(dtype, 'name', dtype)} {_dims(shape)}"


def _dims(shape):
    """`[None, 4]` for a TensorShape or a numpy shape tuple; `unknown` without a rank."""
    if isinstance(shape, tuple):
        return str(list(shape))
    return "unknown" if shape is None or shape.rank is None else str(shape.as_list())


def count_runs_hook():
    """A SessionRunHook that counts the session runs of the current graph (for 'the first
    batch'); None when the graph reads no noted input."""
    import tensorflow as tf

    read = graph_input()
    if read is None:
        return None

    class _Count(tf.compat.v1.train.SessionRunHook):
        def after_run(self, run_context, run_values):
            read.runs += 1
    return _Count()


def exception_line(error):
    """`Type: message`, the message cut to its meaningful first line (TensorFlow's op errors
    carry a stack listing and node names around it)."""
    text = getattr(error, "message", None) or str(error)
    lines = [line.strip() for line in text.split("Original stack trace")[0].splitlines()]
    skip = ("Graph execution error", "Detected at node", "File ", "Node:", "[[")
    kept = [line for line in lines if line and not line.startswith(skip)]
    message = kept[0] if kept else ""
    message = message if len(message) <= 300 else message[:297] + "..."
    return f"{_name(error)}: {message}" if message else _name(error)


def _made_by(stack, fn):
    """Whether `fn` (an input function) is on `stack`: the op was made while calling it."""
    code = getattr(fn, "__code__", None)
    return code is not None and any(f.filename == code.co_filename and f.name == code.co_name
                                    for f in stack)


def _with_line(frame):
    """A FrameSummary of `frame` (TensorFlow's op stacks may lack the source line)."""
    line = getattr(frame, "line", None) or linecache.getline(frame.filename, frame.lineno)
    return traceback.FrameSummary(frame.filename, frame.lineno, frame.name, line=line.strip())


def _definition(fn):
    """The frame of `fn`'s def line, as a FrameSummary."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return []
    return [traceback.FrameSummary(code.co_filename, code.co_firstlineno, code.co_name, line="")]


def _is_ours(filename):
    return filename.startswith(_OURS) and not filename.startswith(_TEMPLATES)


def _is_library(filename):
    return (filename.startswith("<") or filename.startswith(_CONTRACT)
            or os.path.realpath(filename).startswith(_LIBRARIES))


def _name(error):
    return type(error).__name__
