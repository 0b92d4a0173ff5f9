"""The guide's plain code, without concviz: the baseline each scenario's probe overhead is measured against.

Each function is the guide's code for one scenario, taking the scenario's parameters, with the same seeded
randomness as the scenario module (``scenarios.seeding``, same keys), so both do the same work;
they follow the scenario modules' parameters and seeded keys as written on 2026-11-25; when a module changes,
update its plain version (the harness skips a row whose scenario takes a parameter the plain version does not
know, and flags a run whose printed output differs).
"""

from __future__ import annotations

import math
import threading
import time

from scenarios import seeding

# ------------------------------------------------------------------ Exercise 1: threads-download (checked)

progress = 0


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


# ---------------------------------------------------------------------- Section 2: async-dashboard


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


def cpu_processes(n=1_000_000, items=4, workers=0):
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers or None) as pool:
        results = pool.map(heavy, [n] * items)
        print(list(results))


# ---------------------------------------------------------------------------- Exercise 3: cpu-speedup


def _pid(_):
    import os

    return os.getpid()


def cpu_speedup(n=1_000_000, items=4, workers=0):
    """Serial, then a thread pool, then a process pool; each pool started (every worker answered once) first,
    as the scenario does to time start-up apart."""
    import os
    from concurrent import futures as cf

    workers = workers or os.cpu_count() or 1
    print("serial:", [heavy(n) for _ in range(items)])
    for name, pool_class in (("threads", cf.ThreadPoolExecutor), ("processes", cf.ProcessPoolExecutor)):
        with pool_class(workers) as pool:
            list(pool.map(_pid, range(workers)))
            print(f"{name}:", list(pool.map(heavy, [n] * items)))


# --------------------------------------------------------------------------- overview: mixed-loop


def mixed_loop(model="loop", jobs=4, n=1_000_000, every_s=0.25):
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

    pool = ThreadPoolExecutor() if model == "threads" else ProcessPoolExecutor() if model == "processes" else None
    try:
        results = asyncio.run(service(pool))
    finally:
        if pool is not None:
            pool.shutdown()
    print(results)


PLAIN = {
    "async-fetch": async_fetch,
    "threads-download": threads_download,
    "async-dashboard": async_dashboard,
    "futures": futures,
    "cpu-processes": cpu_processes,
    "cpu-speedup": cpu_speedup,
    "mixed-loop": mixed_loop,
}
