"""Exercise 2: fetch hundreds of URLs without spawning hundreds of threads; see why async scales better.

A real HTTP server (scenarios.fetch_server, its own process) answers every URL after a seeded latency. The
client fetches them all with one of three models, or with each in turn (``compare``):
    asyncio   one thread, one event loop, aiohttp
    threads   a thread per URL, each blocking in urllib
    pool      a ThreadPoolExecutor of ``workers`` threads, each blocking in urllib
For each model this process measures its own figures (the server is not counted): wall time, the most OS
threads it had, its peak memory, its context switches and the most requests it had in flight.
"""

from __future__ import annotations

import asyncio
import resource
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

from scenarios import probe, probe_asyncio, seeding
from scenarios.catalog import Param, Scenario
from scenarios.fetch_server import FetchServer

TYPE_CHECKING = False  # typing-only imports below: the child never imports typing (nor aiohttp) for them
if TYPE_CHECKING:
    from http.client import HTTPResponse

    import aiohttp

MODELS = ("asyncio", "threads", "pool")

SCENARIO = Scenario(
    name="async-fetch",
    module=__name__,
    title="Fetch hundreds of URLs: asyncio, threads, a pool",
    guide="Exercise 2 - Async High-Latency Fetch",
    place=30,
    watch="asyncio keeps every request in flight on one thread; threads need an OS thread per waiting request",
    lesson="Async -> scalable network systems",
    needs=("aiohttp",),  # the server always, the asyncio model too
    params=(
        Param("urls", 200, "URLs to fetch", min=1, max=5000),
        Param("model", "asyncio", "how to fetch them", choices=(*MODELS, "compare")),
        Param("workers", 20, "threads in the pool (model pool)", min=1, max=500),
        Param("min_ms", 50, "shortest server latency, ms", min=0, max=5000),
        Param("max_ms", 300, "longest server latency, ms", min=0, max=5000),
    ),
)


# ------------------------------------------------------------------------------------------------ asyncio


async def fetch(n: int, url: str, session: aiohttp.ClientSession, in_flight: InFlight) -> bool:
    with in_flight:
        async with session.get(url) as response:
            body = await response.text()
    return response.status == 200 and body == str(n)


async def fetch_all(urls: list[str], in_flight: InFlight) -> list[bool]:
    import aiohttp

    probe_asyncio.trace_tasks()  # a lane per task
    connector = aiohttp.TCPConnector(limit=len(urls))  # every request may be open at once
    async with aiohttp.ClientSession(connector=connector) as session:
        results = await asyncio.gather(*(fetch(n, url, session, in_flight) for n, url in enumerate(urls)))
        asyncio.get_running_loop().set_task_factory(None)  # no lanes for aiohttp's and asyncio's tidying up
        return results


def with_asyncio(urls: list[str], in_flight: InFlight, workers: int) -> list[bool]:
    return asyncio.run(fetch_all(urls, in_flight))


# ------------------------------------------------------------------------------------------------ threads


def fetch_blocking(n: int, url: str, in_flight: InFlight) -> bool:
    response: HTTPResponse  # what urlopen gives for an http:// URL
    with probe.task(f"fetch({n})"), in_flight:
        with probe.waiting("io"):
            with urllib.request.urlopen(url, timeout=60) as response:
                body = response.read().decode()
        return response.status == 200 and body == str(n)


def with_threads(urls: list[str], in_flight: InFlight, workers: int) -> list[bool]:
    ok = [False] * len(urls)

    def fetch_into(n: int, url: str) -> None:
        ok[n] = fetch_blocking(n, url, in_flight)

    threads = [threading.Thread(target=fetch_into, args=(n, url)) for n, url in enumerate(urls)]
    for t in threads:
        t.start()
    in_flight.look()  # every thread started
    for t in threads:
        t.join()
    return ok


def with_pool(urls: list[str], in_flight: InFlight, workers: int) -> list[bool]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(fetch_blocking, range(len(urls)), urls, [in_flight] * len(urls)))


FETCH = {"asyncio": with_asyncio, "threads": with_threads, "pool": with_pool}


# ---------------------------------------------------------------------------------------------- measuring


class InFlight:
    """Requests sent and not yet answered (concviz plots it); at each new request, this process's thread count."""

    def __init__(self) -> None:
        self.now = self.most = 0
        self.peak_threads = os_threads()
        self._lock = threading.Lock()

    def look(self) -> None:
        with self._lock:
            self.peak_threads = max(self.peak_threads, os_threads())

    def __enter__(self) -> None:
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
            probe.count("in_flight", self.now)
            self.peak_threads = max(self.peak_threads, os_threads())

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.now -= 1
            probe.count("in_flight", self.now)


def os_threads() -> int:
    """The kernel's count of this process's threads."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return threading.active_count()


def reset_peak_memory() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # the kernel restarts this process's peak RSS (VmHWM) from now
    except OSError:
        pass


def peak_memory_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def context_switches_and_cpu() -> tuple[int, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process, ended ones included
    return usage.ru_nvcsw + usage.ru_nivcsw, usage.ru_utime + usage.ru_stime


def fetch_measured(model: str, urls: list[str], workers: int) -> None:
    """Fetch every URL with ``model``; report this process's own figures for it."""
    reset_peak_memory()
    switches, cpu = context_switches_and_cpu()
    in_flight = InFlight()
    start = time.perf_counter()
    ok = FETCH[model](urls, in_flight, workers)
    wall = time.perf_counter() - start
    switches_after, cpu_after = context_switches_and_cpu()
    figures = {
        "wall_s": round(wall, 4),
        "peak_threads": in_flight.peak_threads,
        "peak_rss_mb": round(peak_memory_mb(), 1),
        "ctx_switches": switches_after - switches,
        "cpu_s": round(cpu_after - cpu, 4),
        "in_flight_max": in_flight.most,
        "requests": len(urls),
        "ok": sum(ok),
    }
    probe.note(client={model: figures})
    print(f"{model}: {figures['ok']} of {len(urls)} answered 200 OK in {wall:.2f} s, "
          f"{figures['peak_threads']} threads at most")


def open_files_for(urls: int) -> None:
    """Every request in flight holds a socket (a file) in the client and one in the server: raise this process's
    soft limit (inherited by the server) as far as the system allows, or say plainly why the run cannot go on."""
    import resource

    needed = urls + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise OSError(f"{urls} URLs need about {needed} open files, and this system allows {hard} "
                          "(ulimit -n): fetch fewer URLs")
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


def run(urls: int = 200, model: str = "asyncio", workers: int = 20, min_ms: int = 50, max_ms: int = 300) -> None:
    open_files_for(urls)
    low, high = sorted((min_ms, max_ms))
    delays = [round(seeding.uniform(("url", n), low, high)) for n in range(urls)]
    models = MODELS if model == "compare" else (model,)
    if "asyncio" in models:
        import aiohttp  # noqa: F401 - imported before any clock starts: importing is no model's cost
    probe.note(latency={"sum_s": sum(delays) / 1000, "max_s": max(delays) / 1000}, threads_before=os_threads())
    if model == "compare":
        probe.note(models={name: urls for name in models})  # each model's tasks, for concviz's layout
    with FetchServer() as server:
        links = [server.url(n, ms) for n, ms in enumerate(delays)]
        for name in models:
            with probe.variant(name) if model == "compare" else nullcontext():
                fetch_measured(name, links, workers)
    probe.note(server={"answered": server.answered, "pid": server.pid, "port": server.port})
