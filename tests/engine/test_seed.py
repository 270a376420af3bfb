"""random_seed: two CPU runs with the same seed end with the same loss; another seed differs.

The runs happen in a child process: seeding turns on op determinism for the whole process.
"""

import json
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import FAST, REPO, TINY

RUNS = textwrap.dedent("""
    import json, sys
    import modelmaker
    params, out = json.loads(sys.argv[1]), sys.argv[2]
    losses = [modelmaker.fit(sys.argv[3], dict(params, random_seed=seed), train_url=f"{out}/{i}").metrics["loss"]
              for i, seed in enumerate([7, 7, 8])]
    print(json.dumps(losses))
""")


@pytest.mark.slow
def test_the_same_seed_gives_the_same_loss_and_another_seed_another(tmp_path):
    done = subprocess.run([sys.executable, "-c", RUNS, json.dumps(FAST), str(tmp_path), TINY],
                          capture_output=True, text=True, timeout=600, cwd=REPO,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-2000:]
    first, second, other = json.loads(done.stdout.strip().splitlines()[-1])
    assert first == second
    assert first != other
