"""The HTTP server async-fetch fetches from: aiohttp on 127.0.0.1, on a free port, in a process of its own.

``GET /delay/{ms}/{n}`` waits ``ms`` milliseconds (``asyncio.sleep``: the server holds no thread per request)
and answers ``n``. Being another process, it shares neither the client's event loop, nor its GIL, nor its
thread count.

    with FetchServer() as server:
        urllib.request.urlopen(server.url(5, delay_ms=120))
    server.answered        # requests the server answered, counted on its side
"""

from __future__ import annotations

import multiprocessing
import os
import socket

TYPE_CHECKING = False  # typing-only imports below: the child never imports typing for them
if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from typing import Any

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
BACKLOG = 4096  # a thread per URL connects all at once


class FetchServer:
    def __init__(self) -> None:
        self.port: int | None = None
        self.pid: int | None = None
        self.answered: int | None = None
        self._process: multiprocessing.Process | None = None
        self._control: Connection[Any, Any] | None = None

    def url(self, n: int, delay_ms: int) -> str:
        return f"http://127.0.0.1:{self.port}/delay/{delay_ms}/{n}"

    def __enter__(self) -> "FetchServer":
        self._control, theirs = multiprocessing.Pipe()
        self._process = multiprocessing.Process(target=serve, args=(theirs,), name="fetch server", daemon=True)
        try:
            self._process.start()
            theirs.close()
            if not self._control.poll(START_TIMEOUT_S):
                raise RuntimeError(f"the HTTP server did not start within {START_TIMEOUT_S:g} s")
            self.port, self.pid = self._control.recv()
        except BaseException:
            self._end()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        control = self._control
        assert control is not None  # made by __enter__
        try:
            control.send("stop")
            if control.poll(STOP_TIMEOUT_S):
                self.answered = control.recv()
        except (OSError, EOFError):  # it is gone already: nothing more to hear from it
            pass
        finally:
            self._end()

    def _end(self) -> None:
        """Never leave the server behind: ask, then insist."""
        process = self._process
        if process is not None and process.pid is not None:
            process.join(STOP_TIMEOUT_S)
            if process.is_alive():
                process.terminate()
                process.join(STOP_TIMEOUT_S)
            if process.is_alive():
                process.kill()
                process.join()
        if self._control is not None:
            self._control.close()


def serve(control: Connection[Any, Any]) -> None:
    """The server process: answer until ``control`` says stop (or closes), then report how many it answered."""
    import asyncio

    asyncio.run(_serve(control))


async def _serve(control: Connection[Any, Any]) -> None:
    import asyncio

    from aiohttp import web

    answered = 0

    async def delay(request: web.Request) -> web.Response:
        nonlocal answered
        await asyncio.sleep(int(request.match_info["ms"]) / 1000)
        answered += 1
        return web.Response(text=request.match_info["n"])

    app = web.Application()
    app.router.add_get("/delay/{ms}/{n}", delay)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    sock = socket.create_server(("127.0.0.1", 0), backlog=BACKLOG)
    await web.SockSite(runner, sock, backlog=BACKLOG).start()
    control.send((sock.getsockname()[1], os.getpid()))

    stop = asyncio.Event()
    asyncio.get_running_loop().add_reader(control.fileno(), stop.set)
    await stop.wait()
    await runner.cleanup()
    try:
        control.recv()
        control.send(answered)
    except (OSError, EOFError):  # the client is gone: nobody to tell
        pass
