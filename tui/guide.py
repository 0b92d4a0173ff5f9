"""The guide concviz runs ("Concurrency in Python"), section by section, in its own words: what the tour shows
beside each step. No Textual here.

Each section is its heading and its prose as the guide writes it (the code is the scenarios', on screen as lanes).
The scenarios that run a section say so themselves: their ``Scenario.guide`` is its heading. The tour
(tui/tour.py) walks these sections in order, running each one's scenarios, and ends on the guide's final
takeaways with the tour's own figures.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    heading: str  # as the guide heads it
    prose: tuple[str, ...]  # its paragraphs, in its words


GUIDE: tuple[Section, ...] = (
    Section("Overview and Section 1 - I/O-bound vs CPU-bound Work", (
        "Python programs spend most time waiting, not computing.",
        "Concurrency exists to hide latency \u2014 not just to add parallelism.",
        "I/O-bound work waits on external systems: network calls, disk reads, APIs, databases. CPU-bound work "
        "consumes processor time: heavy math, simulations, encoding, parsing large datasets.",
        "Threads help I/O. Processes help CPU. Async scales high-latency I/O. Choosing wrong model wastes "
        "performance.",
    )),
    Section("Exercise 1 - Threads (I/O-bound Shared State)", (
        "Download files concurrently and track shared progress.",
        "Threads overlap waiting. Shared memory requires synchronization.",
    )),
    Section("Section 2 - Async Event Loop", (
        "Async avoids blocking threads. One event loop coordinates many tasks.",
        "Total time \u2248 slowest task. Waiting overlaps automatically.",
    )),
    Section("Exercise 2 - Async High-Latency Fetch", (
        "Fetch hundreds of URLs without spawning hundreds of threads.",
        "Explain why async scales better.",
    )),
    Section("Section 3 - Futures Abstraction", (
        "Futures represent running tasks. They decouple execution from result handling.",
        "Futures centralize result handling.",
    )),
    Section("Section 4 - CPU-bound Work Needs Processes", (
        "Threads do not bypass the GIL. CPU-heavy work requires process isolation.",
        "True multi-core parallelism.",
    )),
    Section("Exercise 3 - Process Parallelism", (
        "Measure speedup for CPU-heavy computation.",
        "Explain why threads do not help here.",
    )),
    Section("Overview - mixed workloads -> futures + executors", (
        "Different waiting patterns require different models: mixed workloads -> futures + executors.",
        "Concurrency is an architectural decision.",
    )),
    Section("Final Takeaways", (
        "Concurrency is about latency hiding, responsiveness, architecture choices and workload classification.",
        "Correct model selection matters more than syntax.",
    )),
)
