"""asyncio lanes (scenarios.probe_asyncio): watched with sys.monitoring on 3.12+, wrapped on 3.11; the lanes are the
same either way, and on 3.14+ ``python -m asyncio pstree`` sees the scenario's own coroutines and lane names.

Each case runs in a fresh child Python (sys.monitoring is the interpreter's, not the test's); the end-to-end case
starts a real scenario child through a Session.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from conftest import run_probe
from scenarios import catalog, wire
from tui.model import Trace
from tui.session import Session

WATCHING = sys.version_info >= (3, 12)
WAYS = ["wrapped", "watched"] if WATCHING else ["wrapped"]
needs_monitoring = pytest.mark.skipif(not WATCHING, reason="sys.monitoring is new in Python 3.12")


def lanes(run) -> dict[str, dict]:
    """Each lane by name: its kind, its states in order, whether it ended, and the type of the record right after
    its last state change (what followed it in the loop thread's buffer)."""
    names = {r[4]: r[8] for r in run.texts(wire.TEXT_TASK)}
    out = {name: {"kind": None, "states": [], "ended": False} for name in names.values()}
    for i, r in enumerate(run.records):
        lane = out.get(names.get(r[4])) if r[1] in (wire.TASK, wire.STATE, wire.END) else None
        if lane is None:
            continue
        if r[1] == wire.TASK:
            lane["kind"] = wire.TASK_KINDS[r[2]]
        elif r[1] == wire.STATE:
            lane["states"].append(wire.STATES[r[2]])
            lane["next"] = run.records[i + 1][1] if i + 1 < len(run.records) else None
        else:
            lane["ended"] = True
    return out


# ------------------------------------------------------------------------------------ the lanes, either way

TASKS_SCRIPT = """
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from scenarios import probe_asyncio

    async def sleeper(n, delay=0.001):
        await asyncio.sleep(delay)
        return n

    async def spin(n):
        return sum(range(10_000))

    async def waiter(n):
        return await asyncio.create_task(sleeper(n + 100))

    async def direct(n):  # awaits the same coroutine function as the sleeper tasks, itself, not as a task
        await sleeper(n)
        return await sleeper(n + 1)

    async def offloaded(n, pool):
        loop, go = asyncio.get_running_loop(), threading.Event()
        work = loop.run_in_executor(pool, go.wait)  # the pool's thread waits until this task awaits it
        loop.call_soon(go.set)
        return await probe.waits(work)

    async def yielder(n):
        for _ in range(n):
            await asyncio.sleep(0)

    async def failing(n):
        await asyncio.sleep(0.001)
        raise ValueError(n)

    async def sleepy(n):
        await asyncio.sleep(60)

    async def catcher(n):
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            await asyncio.sleep(0.001)
            return n

    async def swallowing(n):  # the cancellation is caught below its own frame, which then awaits again
        return await catcher(n)

    async def group(n):  # a child fails: the TaskGroup cancels its parent, catches that in __aexit__, waits on
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(failing(n + 1))
                tg.create_task(sleepy(n + 2))
        except* ValueError:
            pass
        return n

    async def main():
        probe_asyncio.trace_tasks(wrap=WRAP)
        with ThreadPoolExecutor(1) as pool:
            cancelled = [asyncio.create_task(coro) for coro in (sleepy(9), catcher(10), swallowing(11))]
            results = await asyncio.gather(sleeper(1), sleeper(2), spin(3), waiter(4), direct(5), offloaded(6, pool),
                                           yielder(3), failing(8), group(12), return_exceptions=True)
            for task in cancelled:
                task.cancel()
            results += await asyncio.gather(*cancelled, return_exceptions=True)
        print([type(r).__name__ if isinstance(r, BaseException) else r for r in results])
        asyncio.get_running_loop().set_task_factory(None)  # as the scenarios do: no lanes for asyncio's clean-up

    asyncio.run(main())
"""

EXPECTED = {
    "sleeper(1)": ["queued", "cpu", "io", "cpu"],
    "sleeper(2)": ["queued", "cpu", "io", "cpu"],  # the same coroutine function in two tasks at once
    "spin(3)": ["queued", "cpu"],
    "waiter(4)": ["queued", "cpu", "wait", "cpu"],  # awaits a task
    "sleeper(104)": ["queued", "cpu", "io", "cpu"],
    "direct(5)": ["queued", "cpu", "io", "cpu", "io", "cpu"],  # sleeper's frames inside it are not lanes
    "offloaded(6)": ["queued", "cpu", "wait", "cpu"],  # an executor's future, marked with probe.waits
    "yielder(3)": ["queued", "cpu", "io", "cpu", "io", "cpu", "io", "cpu"],  # asyncio.sleep(0): a bare yield
    "failing(8)": ["queued", "cpu", "io", "cpu"],
    "sleepy(9)": ["queued", "cpu", "io", "cpu"],  # cancelled: the CancelledError thrown in runs it once more
    "catcher(10)": ["queued", "cpu", "io", "cpu", "io", "cpu"],  # catches the cancellation and sleeps again
    "swallowing(11)": ["queued", "cpu", "io", "cpu", "io", "cpu"],  # the same, one frame down
    "group(12)": ["queued", "cpu", "io", "cpu", "io", "cpu"],
    "failing(13)": ["queued", "cpu", "io", "cpu"],
    "sleepy(14)": ["queued", "cpu", "io", "cpu"],
}


@functools.cache
def run_tasks(way: str):
    return run_probe(f"WRAP = {way == 'wrapped'}\n" + textwrap.dedent(TASKS_SCRIPT))


@pytest.fixture(scope="module", params=WAYS)
def tasks_run(request):
    return request.param, run_tasks(request.param)


def test_every_task_gets_its_lane_with_its_states(tasks_run):
    way, run = tasks_run
    results = [1, 2, 49995000, 104, 6, True, None, "ValueError", 12, "CancelledError", 10, 11]
    assert run.proc.stdout.splitlines() == [str(results)]  # results come through the lanes unchanged
    found = lanes(run)
    assert set(found) == set(EXPECTED)  # the scenario's tasks only: none for asyncio's own, none for direct awaits
    for name, states in EXPECTED.items():
        assert found[name]["states"] == states, (way, name)
        assert found[name]["kind"] == "async" and found[name]["ended"], (way, name)
    measured = [r for r in run.of(wire.STATE) if wire.STATES[r[2]] != "queued"]
    assert measured and all(r[6] >= 0 for r in measured)  # states on the loop's thread are measured


def test_a_task_ending_by_an_exception_ends_its_lane_where_it_raises(tasks_run):
    """Not later, when the loop gets round to the task's done callbacks: the end follows the last step at once."""
    way, run = tasks_run
    found = lanes(run)
    for name in ("failing(8)", "sleepy(9)"):
        assert found[name]["next"] == wire.END, (way, name)


@needs_monitoring
def test_watched_and_wrapped_lanes_are_the_same():
    watched, wrapped = lanes(run_tasks("watched")), lanes(run_tasks("wrapped"))
    assert {name: (lane["kind"], lane["states"], lane["ended"]) for name, lane in watched.items()} == {
        name: (lane["kind"], lane["states"], lane["ended"]) for name, lane in wrapped.items()}


@needs_monitoring
def test_a_task_cancelled_before_its_first_step_ends_its_lane():
    """Its coroutine never starts: the cancellation thrown into it ends it at once (the wrapper left it queued)."""
    run = run_probe("""
        import asyncio
        from scenarios import probe_asyncio

        async def sleeper(n):
            await asyncio.sleep(60)

        async def main():
            probe_asyncio.trace_tasks()
            task = asyncio.create_task(sleeper(1))
            task.cancel()
            print(await asyncio.gather(task, return_exceptions=True))
            asyncio.get_running_loop().set_task_factory(None)

        asyncio.run(main())
    """)
    assert lanes(run)["sleeper(1)"] == {"kind": "async", "states": ["queued", "cpu"], "ended": True, "next": wire.END}


# ------------------------------------------------------------------------------- what Python's tools see

@pytest.mark.parametrize("way", WAYS)
def test_tasks_are_named_as_their_lanes_unless_the_scenario_named_them(way):
    run = run_probe(f"""
        import asyncio
        from scenarios import probe_asyncio

        async def fetch(name):
            await asyncio.sleep(0)

        async def main():
            probe_asyncio.trace_tasks(wrap={way == "wrapped"})
            tasks = [asyncio.create_task(fetch("profile")), asyncio.create_task(fetch("orders"), name="mine")]
            await asyncio.gather(*tasks)
            print([task.get_name() for task in tasks])
            print([task.get_coro().__qualname__ for task in tasks])
            asyncio.get_running_loop().set_task_factory(None)

        asyncio.run(main())
    """)
    names, coroutines = run.proc.stdout.splitlines()
    if sys.version_info[:3] != (3, 13, 0):  # 3.13.0 names every task of a task factory "None" (fixed in 3.13.1)
        assert names == str(["fetch('profile')", "mine"])
    assert set(lanes(run)) == {"fetch('profile')", "fetch('orders')"}  # lanes are named by their coroutines
    assert coroutines == str(["fetch"] * 2 if way == "watched" else ["_traced"] * 2)


# ----------------------------------------------------------------------------- the sys.monitoring tool id

@needs_monitoring
def test_taken_tool_ids_leave_the_wrapper_and_a_freed_one_is_taken_again():
    run = run_probe("""
        import asyncio, gc
        from scenarios import probe_asyncio
        mon = sys.monitoring

        async def sleeper(n):
            await asyncio.sleep(0.001)

        async def main(n):
            probe_asyncio.trace_tasks()
            task = asyncio.create_task(sleeper(n))
            await task
            print(n, task.get_coro().__qualname__, mon.get_tool(3), mon.get_tool(4))
            asyncio.get_running_loop().set_task_factory(None)

        for tool in probe_asyncio.FREE_TOOL_IDS:
            mon.use_tool_id(tool, f"another tool {tool}")
        asyncio.run(main(1))  # every free id taken: the wrapper
        mon.free_tool_id(4)
        asyncio.run(main(2))  # one given back: watched
        gc.collect()  # the loops are gone: the id is given back, its events cleared
        print(mon.get_tool(4), mon.get_events(4), mon.get_local_events(4, sleeper.__code__))
    """)
    assert run.proc.stdout.splitlines() == ["1 _traced another tool 3 another tool 4",
                                            "2 sleeper another tool 3 concviz", "None 0 0"]
    assert [lane["states"] for lane in lanes(run).values()] == [["queued", "cpu", "io", "cpu"]] * 2


@needs_monitoring
def test_a_tool_id_taken_away_during_a_run_is_noticed_by_the_next_task():
    run = run_probe("""
        import asyncio
        from scenarios import probe_asyncio
        mon = sys.monitoring

        async def sleeper(n):
            await asyncio.sleep(0.001)

        async def main():
            probe_asyncio.trace_tasks()
            await asyncio.create_task(sleeper(1))
            mon.free_tool_id(3)  # another tool takes the id: concviz's events and callbacks are its now
            mon.use_tool_id(3, "another tool")
            mon.register_callback(3, mon.events.PY_START, None)
            task = asyncio.create_task(sleeper(2))
            await task
            print(task.get_coro().__qualname__, mon.get_tool(3), mon.get_tool(4))
            asyncio.get_running_loop().set_task_factory(None)

        asyncio.run(main())
    """)
    assert run.proc.stdout.splitlines() == ["sleeper another tool concviz"]
    assert lanes(run)["sleeper(2)"]["states"] == ["queued", "cpu", "io", "cpu"]


@needs_monitoring
def test_a_forked_child_gives_the_tool_id_back():
    run = run_probe("""
        import asyncio
        from scenarios import probe_asyncio

        async def main():
            probe_asyncio.trace_tasks()
            pid = os.fork()
            if pid == 0:
                print("child", sys.monitoring.get_tool(3), flush=True)
                os._exit(0)
            os.waitpid(pid, 0)
            print("parent", sys.monitoring.get_tool(3))
            asyncio.get_running_loop().set_task_factory(None)

        asyncio.run(main())
    """)
    assert run.proc.stdout.splitlines() == ["child None", "parent concviz"]


# ------------------------------------------------------------------------ end to end: python -m asyncio pstree

def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def sleeping_dashboard():
    """async-dashboard running in its own child, its three fetches asleep for a long while; cancelled after."""
    scenario = catalog.get("async-dashboard")
    trace, lock = Trace(), threading.Lock()

    def sink(batch):
        with lock:
            batch.apply_to(trace)

    def all_asleep():
        with lock:
            fetches = [lane for lane in trace.ordered_lanes() if lane.name.startswith("fetch(")]
            return len(fetches) == 3 and all(lane.segments and lane.segments[-1].state == "io" for lane in fetches)

    session = Session(scenario, scenario.resolve({"min_s": 9.0, "max_s": 10.0}), 1, sink, time_limit_s=60)
    session.start()
    pump = threading.Thread(target=session.pump, daemon=True)
    pump.start()
    try:
        wait_for(all_asleep, 30, "the three fetches to be asleep")
        yield session.proc.pid
    finally:
        session.cancel()
        pump.join(15)
    assert not pump.is_alive()


def asyncio_tool(command: str, pid: int, timeout: float = 20) -> str:
    """``python -m asyncio COMMAND PID``'s output, asked again until it succeeds (a read of the child's memory can
    race the child's step); skips where this process may not read another's memory."""
    deadline = time.monotonic() + timeout
    while True:
        done = subprocess.run([sys.executable, "-m", "asyncio", command, str(pid)], capture_output=True, text=True,
                              timeout=30)
        out = done.stdout + done.stderr
        if done.returncode == 0:
            return out
        if "insufficient permissions" in out or "Operation not permitted" in out:
            pytest.skip(f"ptrace not permitted here: {out.strip().splitlines()[0]}")
        assert time.monotonic() < deadline, out
        time.sleep(0.05)


@pytest.mark.e2e
@pytest.mark.skipif(sys.version_info < (3, 14), reason="python -m asyncio ps/pstree are new in Python 3.14")
def test_asyncio_pstree_shows_the_scenarios_coroutines_and_lane_names(sleeping_dashboard):
    pid = sleeping_dashboard
    tree = asyncio_tool("pstree", pid)
    for task in ("(T) dashboard()", "(T) fetch('profile')", "(T) fetch('orders')", "(T) fetch('notifications')"):
        assert task in tree, tree
    for frame in ("dashboard ", "fetch ", "sleep "):
        assert frame in tree, tree
    assert "_traced" not in tree and "Task-" not in tree, tree
    table = asyncio_tool("ps", pid)
    fetches = [line for line in table.splitlines() if "fetch('" in line]
    assert len(fetches) == 3 and all("sleep -> fetch" in line and "dashboard()" in line for line in fetches), table
