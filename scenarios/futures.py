"""Section 3: futures represent running tasks and decouple execution from result handling.

The guide's code, with a seeded delivery latency in ``send`` and more messages on request. A lane per future
(queued when submitted, running on a pool thread, done), the main thread's lane (waiting on results) and a
``handled`` counter for the moment each result was handled. ``collect`` picks how the results are handled: in
submission order (``f.result()`` in a loop, as the guide does) or as they complete (``as_completed``).
"""

from __future__ import annotations

import time

from scenarios import probe, seeding
from scenarios.catalog import Param, Scenario

TYPE_CHECKING = False  # typing-only imports below: the child never imports typing for them
if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

SCENARIO = Scenario(
    name="futures",
    module=__name__,
    title="Futures: submit now, handle results later",
    guide="Section 3 - Futures Abstraction",
    place=40,
    watch="each future is queued, runs, is done; see when its result is handled (try messages=4, as_completed)",
    lesson="Futures -> structured task management",
    params=(
        Param("messages", 2, "messages to send: email, sms, then push, webhook, ...", min=1, max=100),
        Param("collect", "submitted", "handle results in submission order, or as they complete",
              choices=("submitted", "as_completed")),
        Param("workers", 0, "pool threads (0: the pool's default, min(32, cores + 4))", min=0, max=64),
        Param("min_s", 0.1, "fastest delivery, seconds", min=0.0, max=10.0),
        Param("max_s", 0.5, "slowest delivery, seconds", min=0.0, max=10.0),
    ),
)

NAMES = ("email", "sms", "push", "webhook", "chat", "pager", "fax", "letter")


def send(msg: str, lane: probe.Task, latency_s: float) -> str:
    with lane:
        lane.state("cpu")  # a pool thread picked it up
        with probe.waiting("io"):
            time.sleep(latency_s)  # delivering it: the network
        return f"{msg} sent"


def submit(pool: ThreadPoolExecutor, msg: str, latency_s: float) -> Future[str]:
    """The guide's ``pool.submit(send, msg)``, with a lane for the future: queued until a thread takes it."""
    lane = probe.Task(f"send({msg!r})", kind="thread", state="queued")
    future = pool.submit(send, msg, lane, latency_s)
    future.lane = lane  # type: ignore[attr-defined]  # the future's lane, for handled()
    return future


def handled(f: Future[str], n: int) -> None:
    """The main thread has handled ``f``'s result, the ``n``-th one: when, and which future."""
    probe.count("handled", n)
    probe.note(handled={str(f.lane.id): time.monotonic_ns()})  # type: ignore[attr-defined]  # set by submit()


def run(messages: int = 2, collect: str = "submitted", workers: int = 0, min_s: float = 0.1,
        max_s: float = 0.5) -> None:
    from concurrent.futures import ThreadPoolExecutor, as_completed

    low, high = sorted((min_s, max_s))
    msgs = [NAMES[i] if i < len(NAMES) else f"message {i + 1}" for i in range(messages)]
    results: list[str] = []
    with probe.task("main", kind="main"):
        with ThreadPoolExecutor(max_workers=workers or None) as pool:
            futures = [submit(pool, msg, seeding.uniform(msg, low, high)) for msg in msgs]

            in_order = futures if collect == "submitted" else as_completed(futures)
            with probe.waiting("wait"):  # the main thread blocks until each result it asks for is ready
                for f in in_order:  # the guide: for f in futures:
                    print(f.result())
                    results.append(f.result())
                    handled(f, len(results))
    probe.note(results=results)
