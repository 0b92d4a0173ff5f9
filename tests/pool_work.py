"""Work for the probe's pool tests: importable by name, as spawn and forkserver need (a ``-c`` script is not)."""

import os

from scenarios import probe

lock = probe.Lock("shared state")  # made at import: in a forked worker a copy, in a spawned one made afresh


def item(i):
    with probe.work_item(f"item {i}"):
        probe.count("progress", i)
        with lock:
            pass
        return os.getpid()
