"""The guide's plain code, without concviz: the baseline each scenario's probe overhead is measured against.

A scenario's plain version is the function named like it (``threads-download``: ``threads_download``), registered
by ``@plain`` (``plain_version`` finds it), taking the scenario's parameters, with the same seeded randomness as the
scenario module (``scenarios.seeding``, same keys), so that both do the same work. ``@plain`` also says whether it
is the guide's own code: the code the guide prints (Exercise 1, Sections 2, 3 and 4), or the timing an exercise
asks for of it (Exercise 3: Section 4's ``heavy`` serially, on threads, on processes). bench_probe holds those
scenarios to its budget and states the others' figures, whose plain versions are concviz's own code: for what the
guide only names (Exercise 2, the overview's mixed workloads) or for what a lesson adds to it (lost-updates'
read-pause-write window). A scenario with no plain version (convoy, beyond the guide) is skipped, saying so.

They follow the scenario modules' parameters and seeded keys as written on 2026-12-07; when a module changes,
update its plain version (bench_probe skips a scenario whose parameters its plain version does not take, and notes
when the printed output of plain and module differ; tests/test_bench_plan.py checks the parameters).
"""

from __future__ import annotations

import math
import threading
import time

from scenarios import seeding

_PLAIN = {}  # scenario name -> its plain version


def plain(guides_code: bool):
    """Register the function as the plain version of the scenario named like it (``threads_download``:
    ``threads-download``); ``guides_code``: whether it is the guide's own code (see the module's docstring)."""

    def register(run):
        run.guides_code = guides_code
        _PLAIN[run.__name__.replace("_", "-")] = run
        return run

    return register


def plain_version(name: str):
    """The plain version of the scenario ``name``, or None where there is none."""
    return _PLAIN.get(name)


def is_guides_code(run) -> bool:
    return run.guides_code


def pool_context(start: str):
    """The ``mp_context`` of a process pool whose workers start by ``start`` (a scenario's ``start`` parameter):
    None for this Python's default, as the guide's code has it."""
    import multiprocessing

    return None if start == "default" else multiprocessing.get_context(start)


# ------------------------------------------------------------------ Exercise 1: threads-download (checked)

progress = 0


@plain(guides_code=True)
def threads_download(tasks=10, min_s=0.1, max_s=0.5, updates=1):
    global progress
    progress = 0
    lock = threading.Lock()
    low, high = sorted((min_s, max_s))

    def download(file_id):
        global progress
        time.sleep(seeding.uniform(file_id, low, high))
        for _ in range(updates - 1):  # the scenario's hot-lock knob (the guide: updates=1)
            with lock:
                progress += 1
        with lock:
            progress += 1
            print("Downloaded", file_id, "progress:", progress)

    threads = [threading.Thread(target=download, args=(i,)) for i in range(tasks)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# ------------------------------------------------ Exercise 1's second claim: lost-updates (concviz's window)


@plain(guides_code=False)
def lost_updates(threads=10, updates=1000):
    """The guide's ``progress += 1`` without its lock; the same update with a pause between its read and its
    write (concviz's: where another thread slips in); and that window inside the guide's lock. Each model's
    threads start at once (a barrier), as the scenario's do."""
    global progress

    lock = threading.Lock()

    def unlocked(count):
        global progress
        for _ in range(count):
            progress += 1

    def windowed(count):
        global progress
        for _ in range(count):
            value = progress
            time.sleep(0)
            progress = value + 1

    def locked(count):
        global progress
        for _ in range(count):
            with lock:
                value = progress
                time.sleep(0)
                progress = value + 1

    def worker(update, start):
        start.wait()
        update(updates)

    for name, update in (("no lock", unlocked), ("no lock, a window", windowed), ("lock", locked)):
        progress = 0
        start = threading.Barrier(threads)
        pool = [threading.Thread(target=worker, args=(update, start)) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        expected = threads * updates
        print(f"{name}: progress {progress:,} of {expected:,} ({expected - progress:,} lost)")


# ---------------------------------------------------------------------- Section 2: async-dashboard


@plain(guides_code=True)
def async_dashboard(min_s=0.5, max_s=1.5):
    import asyncio

    low, high = sorted((min_s, max_s))

    async def fetch(name):
        delay = seeding.uniform(name, low, high)
        await asyncio.sleep(delay)
        return f"{name} ready"

    async def dashboard():
        results = await asyncio.gather(fetch("profile"), fetch("orders"), fetch("notifications"))
        print(results)

    asyncio.run(dashboard())


# ------------------------------------------------------------------------------ Exercise 2: async-fetch


@plain(guides_code=False)
def async_fetch(urls=200, model="asyncio", workers=20, min_ms=50, max_ms=300):
    """Fetch every URL from the scenario's own server (scenarios.fetch_server), without any probe call."""
    import asyncio
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    from scenarios.fetch_server import FetchServer

    low, high = sorted((min_ms, max_ms))
    delays = [round(seeding.uniform(("url", n), low, high)) for n in range(urls)]

    async def fetch_all(links):
        import aiohttp

        async def fetch(n, url, session):
            async with session.get(url) as response:
                return response.status == 200 and await response.text() == str(n)

        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=len(links))) as session:
            return await asyncio.gather(*(fetch(n, url, session) for n, url in enumerate(links)))

    def fetch_blocking(n, url):
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status == 200 and response.read().decode() == str(n)

    def with_threads(links):
        ok = [False] * len(links)

        def into(n, url):
            ok[n] = fetch_blocking(n, url)

        threads = [threading.Thread(target=into, args=(n, url)) for n, url in enumerate(links)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return ok

    models = ("asyncio", "threads", "pool") if model == "compare" else (model,)
    with FetchServer() as server:
        links = [server.url(n, ms) for n, ms in enumerate(delays)]
        for name in models:
            start = time.perf_counter()
            if name == "asyncio":
                ok = asyncio.run(fetch_all(links))
            elif name == "threads":
                ok = with_threads(links)
            else:
                with ThreadPoolExecutor(workers) as pool:
                    ok = list(pool.map(fetch_blocking, range(len(links)), links))
            print(f"{name}: {sum(ok)} of {len(links)} answered 200 OK in {time.perf_counter() - start:.2f} s")


# ------------------------------------------------------------------------------- Section 3: futures

MESSAGES = ("email", "sms", "push", "webhook", "chat", "pager", "fax", "letter")  # scenarios.futures.NAMES


@plain(guides_code=True)
def futures(messages=2, collect="submitted", workers=0, min_s=0.1, max_s=0.5):
    from concurrent.futures import ThreadPoolExecutor, as_completed

    low, high = sorted((min_s, max_s))
    msgs = [MESSAGES[i] if i < len(MESSAGES) else f"message {i + 1}" for i in range(messages)]

    def send(msg):
        time.sleep(seeding.uniform(msg, low, high))
        return f"{msg} sent"

    with ThreadPoolExecutor(max_workers=workers or None) as pool:
        fs = [pool.submit(send, msg) for msg in msgs]
        for f in fs if collect == "submitted" else as_completed(fs):
            print(f.result())


# ------------------------------------------------------------------------- Section 4: cpu-processes


def heavy(n):
    return sum(math.sqrt(i) for i in range(n))


@plain(guides_code=True)
def cpu_processes(n=1_000_000, items=4, workers=0, start="default"):
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers or None, mp_context=pool_context(start)) as pool:
        results = pool.map(heavy, [n] * items)
        print(list(results))


# ---------------------------------------------------------------------------- Exercise 3: cpu-speedup


def _pid(_):
    import os

    return os.getpid()


@plain(guides_code=True)
def cpu_speedup(n=1_000_000, items=4, workers=0, start="default"):
    """Serial, then a thread pool, then a process pool (and, where Python has it, 3.14+, a pool of
    subinterpreters, as the scenario runs one); each pool started (every worker answered once) first, as the
    scenario does to time start-up apart."""
    import os
    from concurrent import futures as cf

    workers = workers or os.cpu_count() or 1
    print("serial:", [heavy(n) for _ in range(items)])
    pools = [("threads", cf.ThreadPoolExecutor, {}), ("processes", cf.ProcessPoolExecutor,
                                                      {"mp_context": pool_context(start)})]
    if hasattr(cf, "InterpreterPoolExecutor"):
        pools.append(("interpreters", cf.InterpreterPoolExecutor, {}))
    for name, pool_class, options in pools:
        with pool_class(workers, **options) as pool:
            list(pool.map(_pid, range(workers)))
            print(f"{name}:", list(pool.map(heavy, [n] * items)))


# --------------------------------------------------------------------------- overview: mixed-loop


@plain(guides_code=False)
def mixed_loop(model="loop", jobs=4, n=1_000_000, every_s=0.25, start="default"):
    import asyncio
    from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

    async def heartbeat():
        while True:
            await asyncio.sleep(0.01)

    async def job(n, pool):
        if model == "loop":
            return heavy(n)
        return await asyncio.get_running_loop().run_in_executor(pool, heavy, n)

    async def service(pool):
        beat = asyncio.create_task(heartbeat())
        work = []
        for _ in range(jobs):
            await asyncio.sleep(every_s)
            work.append(asyncio.create_task(job(n, pool)))
        results = await asyncio.gather(*work)
        beat.cancel()
        return results

    pool = ThreadPoolExecutor() if model == "threads" else \
        ProcessPoolExecutor(mp_context=pool_context(start)) if model == "processes" else None
    try:
        results = asyncio.run(service(pool))
    finally:
        if pool is not None:
            pool.shutdown()
    print(results)

