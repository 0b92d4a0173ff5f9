"""The guide's Section 4 code, run as a learner would: as written it needs the fork start method.

Under forkserver (Linux's default from Python 3.14) and spawn (macOS, Windows) every worker imports the main
module afresh, so a pool at the top of a script starts again in each worker, and Python refuses. The lesson says
so (tui/lessons/cpu_processes.py); these tests keep that claim true on whichever Python runs them.
"""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap

import pytest

from scenarios.catalog import START_METHODS
from scenarios.workers import default_start_method

GUIDE = textwrap.dedent("""\
    from concurrent.futures import ProcessPoolExecutor
    import math

    def heavy(n):
        return sum(math.sqrt(i) for i in range(n))

    with ProcessPoolExecutor() as pool:
        results = pool.map(heavy, [1_000_000] * 4)
        print(list(results))
""")

GUARDED = textwrap.dedent("""\
    from concurrent.futures import ProcessPoolExecutor
    import math
    import multiprocessing

    def heavy(n):
        return sum(math.sqrt(i) for i in range(n))

    if __name__ == "__main__":
        multiprocessing.set_start_method({method!r})
        with ProcessPoolExecutor() as pool:
            results = pool.map(heavy, [1_000] * 4)
            print(list(results))
""")


def _run(tmp_path, code: str) -> subprocess.CompletedProcess:
    script = tmp_path / "section4.py"
    script.write_text(code)
    return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                          stdin=subprocess.DEVNULL)


def test_the_guides_code_as_written_runs_only_where_workers_are_forked(tmp_path):
    done = _run(tmp_path, GUIDE)
    if default_start_method() == "fork":
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("[666666166.45")
    else:
        assert done.returncode != 0
        assert "bootstrapping phase" in done.stderr  # multiprocessing's own words for the missing guard


@pytest.mark.parametrize("method", START_METHODS)
def test_under_the_main_guard_it_runs_whatever_the_start_method(tmp_path, method):
    done = _run(tmp_path, GUARDED.format(method=method))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str([sum(math.sqrt(i) for i in range(1_000))] * 4)
