"""The package's structure, enforced: no import cycle, tf.estimator only in the engine and the
tensorflow-estimator package named in one module of it, the environment read at the edge, every
train_url name defined once, the Layout in docs/contributing.md true."""

import ast
import os
import re

import pytest

from modelmaker import layout
from modelmaker.engine.estimator import real
from tests.conftest import REPO

PACKAGE = os.path.join(REPO, "modelmaker")
TEMPLATES = os.path.join(PACKAGE, "templates")   # user modules shipped as data, not modelmaker code
ENGINE_DIRS = ("modelmaker/engine/", "modelmaker/estimator/")  # the tf.estimator names live here
ENVIRONMENT_MODULES = ("modelmaker/environment.py",)
# Where the tensorflow-estimator package may be named: the engine's one module for it, the packaging, the docs.
REAL_ESTIMATOR_FILES = ("modelmaker/engine/estimator/real.py", "setup.py")
REAL_ESTIMATOR_SUFFIXES = (".md",)
NOT_SOURCES = ("__pycache__", "build", "dist", "output", "tmp")  # build outputs, run outputs, venvs (.venv*)


def _modules():
    """{dotted name: (relative path, parsed tree)} of every module of the package."""
    found = {}
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and os.path.join(folder, d) != TEMPLATES)
        for name in sorted(f for f in files if f.endswith(".py")):
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, REPO).replace(os.sep, "/")
            dotted = rel[:-3].replace("/", ".").removesuffix(".__init__")
            with open(path, encoding="utf-8") as f:
                found[dotted] = (rel, ast.parse(f.read(), rel))
    return found


MODULES = _modules()


def _imports(dotted, tree):
    """The package modules `dotted` imports, anywhere in it (deferred imports count too)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                out.add(sub if sub in MODULES else node.module)
    return {m for m in out if m in MODULES and m != dotted}


def _cycle(graph):
    """One import cycle as a list of modules, or None."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt, path + [nxt])
                if found:
                    return found
        state[node] = "done"
        return None
    for start in sorted(graph):
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def test_no_import_cycle_inside_the_package():
    graph = {name: _imports(name, tree) for name, (_, tree) in MODULES.items()}
    graph["modelmaker"] -= {"modelmaker.api"}  # fit() forwards to api.fit: the package's front door
    assert _cycle(graph) is None


def _attribute(node):
    """`a.b.c` for an Attribute/Name chain, else ''."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return ""


def _references(tree):
    """Every dotted name and imported module named in `tree` (strings and comments excluded)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            yield _attribute(node)
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)


def test_tf_estimator_is_referenced_only_in_the_engine():
    estimator = re.compile(rf"^(tf|tensorflow)(\.compat\.v1)?\.estimator\b|^{real.PACKAGE}\b")
    outside = sorted({rel for rel, tree in MODULES.values() if not rel.startswith(ENGINE_DIRS)
                      for name in _references(tree) if estimator.match(name)})
    assert outside == [], "tf.estimator outside modelmaker/engine/: go through the Engine interface"


def _repository_files():
    """Paths (relative, /-separated) of the repository's own files: not .git, venvs or build outputs."""
    for folder, dirs, files in os.walk(REPO):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") or d == ".ci")
        dirs[:] = [d for d in dirs if d not in NOT_SOURCES and not d.endswith(".egg-info")]
        for name in sorted(files):
            yield os.path.relpath(os.path.join(folder, name), REPO).replace(os.sep, "/")


def _names_real_estimator(rel):
    with open(os.path.join(REPO, rel), "rb") as f:
        return real.PACKAGE.encode() in f.read()


def test_the_estimator_package_is_named_only_in_its_module_packaging_and_docs():
    allowed = [rel for rel in _repository_files()
               if rel in REAL_ESTIMATOR_FILES or rel.endswith(REAL_ESTIMATOR_SUFFIXES)
               or re.fullmatch(r"requirements[^/]*\.txt", rel)]
    naming = sorted(rel for rel in _repository_files() if rel not in allowed and _names_real_estimator(rel))
    assert naming == [], (f"{real.PACKAGE} is named outside {REAL_ESTIMATOR_FILES[0]}: call its functions "
                          "(has_real_estimator, api, is_real_estimator_object), or mark the test `estimator`")
    assert _names_real_estimator(REAL_ESTIMATOR_FILES[0]), "the check looks for the package's import name"


def test_the_environment_is_read_only_at_the_edge():
    reading = {"os.environ", "os.getenv", "os.putenv", "os.unsetenv", "os.environb"}
    outside = sorted({rel for rel, tree in MODULES.values() if rel not in ENVIRONMENT_MODULES
                      for name in _references(tree) if name in reading or name in
                      {"os." + n.split(".")[-1] for n in reading}})
    assert outside == [], "read the environment in modelmaker/environment.py and pass values down"


def _layout_names():
    return {value for key, value in vars(layout).items() if key.isupper() and isinstance(value, str)}


def test_every_train_url_name_is_defined_once():
    files = {name for name in _layout_names() if "." in name}        # params.json, model.ckpt, ...
    folders = _layout_names() - files                                 # export, eval, analysis, best
    found = []
    for rel, tree in MODULES.values():
        if rel == "modelmaker/layout.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if node.value in files or any(node.value.startswith(n) for n in files if n.startswith(".")):
                    found.append(f"{rel}:{node.lineno} {node.value!r}")
            elif isinstance(node, ast.Call) and _attribute(node.func) == "os.path.join":
                found += [f"{rel}:{a.lineno} {a.value!r}" for a in node.args
                          if isinstance(a, ast.Constant) and a.value in folders]
    assert found == [], "name train_url files and folders in modelmaker/layout.py only"


def _documented_layout():
    with open(os.path.join(REPO, "docs", "contributing.md"), encoding="utf-8") as f:
        text = f.read()
    block = re.search(r"^## Layout\n.*?```\n(.*?)```", text, re.S | re.M).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_the_documented_layout_names_every_folder_of_the_package():
    lines = _documented_layout()
    listed = {line.split()[0] for line in lines if line.startswith("  ") and line.split()[0].endswith("/")}
    folders = {d + "/" for d in os.listdir(PACKAGE)
               if os.path.isdir(os.path.join(PACKAGE, d)) and d != "__pycache__"}
    assert listed == folders, "docs/contributing.md's Layout must list each folder of modelmaker/, one line each"
    described = [line for line in lines if line.split()[0] in folders]
    assert all(len(line.split()) > 1 for line in described), "each folder line says what it owns"


def test_tests_mirror_the_package():
    packages = {d for d in os.listdir(PACKAGE) if os.path.isfile(os.path.join(PACKAGE, d, "__init__.py"))}
    missing = sorted(p for p in packages if not os.path.isdir(os.path.join(REPO, "tests", p)))
    assert missing == [], "one test folder per package"


@pytest.mark.parametrize("limit", [400])
def test_no_module_is_far_over_the_size_guideline(limit):
    # STYLE.md: modules < ~300 lines. Tables are the exception; 400 is the hard stop.
    big = sorted(f"{rel} ({len(open(os.path.join(REPO, rel)).read().splitlines())})"
                 for rel, _ in MODULES.values()
                 if len(open(os.path.join(REPO, rel)).read().splitlines()) > limit)
    assert big == []


def test_the_library_never_imports_a_command_module():
    entry_points = {"modelmaker.train", "modelmaker.cli"}  # `python -m` shims onto commands/
    importing = sorted(name for name, (_, tree) in MODULES.items()
                       if not name.startswith("modelmaker.commands") and name not in entry_points
                       and any(m.startswith("modelmaker.commands") for m in _imports(name, tree)))
    assert importing == [], "argv code lives in modelmaker/commands/; the library must not need it"


def test_no_function_is_far_over_the_size_guideline():
    # STYLE.md: functions < ~40-50 lines (tables are data, not functions).
    long = sorted(f"{rel}:{node.name} ({node.end_lineno - node.lineno + 1})"
                  for rel, tree in MODULES.values() for node in ast.walk(tree)
                  if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.end_lineno - node.lineno + 1 > 50)
    assert long == []
