"""The event wire format shared by the probe (writer) and concviz (reader).

A stream is a sequence of frames. Every frame is written with one ``os.write`` of at most
``PIPE_BUF`` bytes, so frames from several processes sharing one pipe never interleave:

    frame  = FRAME_HEAD (body length, pid) + body
    body   = records, each RECORD (32 bytes); a TEXT record is followed by its payload bytes

Record fields are ``(type, a, b, id, x, y, z)``; their meaning depends on the type (below).
Times are ``time.monotonic_ns()``, one clock for every process on the machine.
"""

from __future__ import annotations

import struct

VERSION = 2  # 2: counted lock acquisitions (LOCK_SUM, LOCK_SUM_WAITS, LOCK_TAKEN)

FRAME_HEAD = struct.Struct("<II")
RECORD = struct.Struct("<BBHIqqq")
PIPE_BUF = 4096
MAX_BODY = PIPE_BUF - FRAME_HEAD.size

# record types                 a             b          id        x      y               z
# (TASK: b is the variant the task belongs to, 0 for none)
HELLO = 1  #                   -             -          -         t0     wire version    cpu count
TASK = 2  #                    task kind     -          task      t      native tid      parent task
STATE = 3  #                   state         -          task      t      on-cpu ns|-1    run-queue ns|-1
END = 4  #                     -             -          task      t      on-cpu ns|-1    run-queue ns|-1
LOCK = 5  #                    -             lock       -         t      -               -
LOCK_REQUEST = 6  #            -             lock       task      t      -               -
LOCK_ACQUIRED = 7  #           -             lock       task      t      -               -
LOCK_RELEASED = 8  #           -             lock       task      t      -               -
COUNT = 9  #                   -             counter    task      t      value           -
TEXT = 10  #                   text kind     last part  target    t      payload length  -
BIND = 11  #                   -             -          task      t      native tid      -
RUN_END = 12  #                -             -          -         t      -               -
VARIANT = 13  #                0 begin|1 end variant    -         t      -               -
LOCK_SUM = 14  #               -             lock       task      t from t to      acquisitions
LOCK_SUM_WAITS = 15  #         -             lock       task      longest wait ns  wait ns  how many waited
LOCK_TAKEN = 16  #             -             lock       task      t requested      acquired released
RECORD_TYPES = frozenset(range(HELLO, LOCK_TAKEN + 1))
FIRST_SUM_TYPE = LOCK_SUM  # the types from here on came with counted lock acquisitions (trace format 3)

# A busy traced lock is not sent one acquisition at a time (three records each): most of its acquisitions are
# counted per thread. LOCK_SUM says a task acquired (and released) the lock ``z`` times between ``x`` and ``y``,
# their holds not timed; the LOCK_SUM_WAITS that may follow it, from the same thread, says how many of them waited
# (``z``), for how long in all (``y`` ns) and at most (``x`` ns); the others did not wait. LOCK_TAKEN is one whole
# acquisition, timed, sent after its release: requested at ``x``, acquired at ``y``, released at ``z``.

# text kinds: what a TEXT record names or carries
TEXT_TASK = 1
TEXT_LOCK = 2
TEXT_COUNTER = 3
TEXT_INFO = 4  # a JSON object merged into the run's info (results, metrics, ...)
TEXT_ERROR = 5  # a JSON object describing the exception that ended the scenario
TEXT_VARIANT = 6  # the name of a variant (one model of a comparison run: serial, threads, processes)

TASK_KINDS = ("thread", "process", "async", "main", "interpreter")  # interpreter: a subinterpreter's own
STATES = (
    "queued",  # submitted, not yet started
    "startup",  # a worker process or pool starting
    "cpu",  # running Python (split by the model into cpu, gil_wait and core_wait)
    "io",  # sleeping or waiting on I/O with the GIL released
    "wait",  # waiting for another task's result (join, future.result, gather)
    "lock_wait",  # waiting to acquire a traced lock
    "lock_hold",  # holding a traced lock
    "gil_wait",  # ready to run Python, waiting for the GIL (derived, never sent)
    "core_wait",  # ready to run, waiting for a CPU core (derived, never sent)
    "done",
)
STATE_CODE = {name: i for i, name in enumerate(STATES)}
KIND_CODE = {name: i for i, name in enumerate(TASK_KINDS)}
