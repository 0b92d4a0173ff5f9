"""``concviz serve``: the app in web browsers, through textual-serve; every browser tab runs a concviz of its own.

The page is textual-serve's terminal (xterm.js) on a page of ours (tui/web/index.html: nothing fetched from elsewhere).
Each websocket a tab opens starts ``python -m tui`` under this interpreter, the same concviz as this one, with
Textual's web driver: the tab's keys go to its stdin and its screen comes back on its stdout. A tab that closes, or
an app that quits (``q``), ends that app; the app ends its runs as it always does.

Processes. Each app runs in a session of its own, so that a Ctrl+C typed at the server reaches the server alone,
which then ends every app it started, in order: asked to quit, then SIGTERM, then SIGKILL, each after a grace period
(``GRACE_S``); on Linux an app also gets SIGTERM from the kernel should the server die without doing so (SIGKILL).

Who can connect. The server listens on 127.0.0.1 unless told otherwise, and there it answers only requests addressed
to a loopback name (a web page elsewhere cannot reach it by rebinding its own name to 127.0.0.1); wherever it
listens, a websocket opened from another site's page is refused. There is no authentication: anyone who can reach
the port can start apps, and so run scenarios, on this machine.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import logging
import shlex
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server as TextualServer

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_FONT_SIZE = 16  # textual-serve's own
FONT_SIZES = range(8, 65)  # pixels: 8 still reads on a laptop, 64 fits about 30 columns on a 1920-pixel projector
GRACE_S = 5.0  # an app asked to quit gets this long before SIGTERM, and as long again before SIGKILL
PAGE = Path(__file__).parent / "web"

log = logging.getLogger("concviz.serve")


class ServeError(Exception):
    """Bad --host, --port or --font-size, or an address that cannot be listened on: one line, exit status 2."""


def app_command(theme: str = "dark") -> list[str]:
    """What each tab runs: this interpreter's concviz (``python -m tui``), whatever venv it lives in, in ``theme``."""
    return [sys.executable, "-m", "tui", "--theme", theme]


def check_font_size(size: int) -> None:
    if size not in FONT_SIZES:
        raise ServeError(f"--font-size {size} is out of range: it takes {FONT_SIZES[0]} to {FONT_SIZES[-1]} pixels")


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: a free port), or ServeError saying why not."""
    if not host.strip():
        raise ServeError("--host takes an address or a name, e.g. 127.0.0.1 or 0.0.0.0")
    if not 0 <= port <= 65535:
        raise ServeError(f"--port {port} is out of range: it takes 0 (any free port) to 65535")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise ServeError(f"--host {host}: no such address or name ({getattr(exc, 'strerror', None) or exc})") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        in_use = port and exc.errno == errno.EADDRINUSE
        hint = ": choose another --port, or --port 0 for any free one" if in_use else ""
        raise ServeError(f"cannot listen on {host} port {port}: {exc.strerror or exc}{hint}") from None
    sock.setblocking(False)
    return sock


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return address.lower().rstrip(".") == "localhost"


def _url_host(address: str) -> str:
    return f"[{address}]" if ":" in address else address


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, font_size: int = DEFAULT_FONT_SIZE,
          theme: str = "dark") -> int:
    """Serve until Ctrl+C (SIGINT), SIGTERM or SIGHUP; then end every app started. ServeError for bad input."""
    check_font_size(font_size)
    sock = listen(host, port)
    server = Server(sock, font_size, app_command(theme))
    for line in listening(*sock.getsockname()[:2]):
        say(line)
    ended = asyncio.run(server.run())
    say(f"concviz serve: stopped; every app it started has ended ({ended} in all)")
    return 0


def listening(address: str, port: int) -> list[str]:
    """What the server says once it listens: where to open it, and what listening beyond this machine exposes."""
    if is_loopback(address):
        return [f"concviz serve: http://{_url_host(address)}:{port}", EACH_TAB]
    where = socket.gethostname() if ipaddress.ip_address(address).is_unspecified else _url_host(address)
    return [f"concviz serve: listening on {_url_host(address)} port {port}, e.g. http://{where}:{port}", EACH_TAB,
            "concviz serve: not on localhost: anyone who can reach this port can run scenarios on this machine, "
            "with no password"]


EACH_TAB = "concviz serve: each browser tab runs a concviz of its own; Ctrl+C stops the server and every one it started"


def say(line: str) -> None:
    """A line on stdout, for the presenter; none when stdout has gone (the server still ends its apps)."""
    try:
        print(line, flush=True)
    except OSError:
        pass


def _to_int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


class AppProcess(AppService):
    """One tab's concviz: textual-serve's app service, with the app in a session of its own and an ending that
    cannot hang (quit, then SIGTERM, then SIGKILL)."""

    def __init__(self, argv: list[str], **kwargs: Any) -> None:
        super().__init__(shlex.join(argv), **kwargs)
        self.argv = argv
        self._ending: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    async def _open_app_process(self, width: int = 80, height: int = 24) -> asyncio.subprocess.Process:
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=self._build_environment(width=width, height=height),
            start_new_session=True, preexec_fn=_end_with_parent if sys.platform == "linux" else None)
        assert process.stdin is not None
        self._stdin = process.stdin
        return process

    async def run(self) -> None:
        await super().run()  # relays the app's screen to the tab until the app's output ends
        await self.remote_close()  # then the tab says its concviz has ended, however it ended (quit, crash, signal)

    async def stop(self) -> None:
        """End the app (once, however many ask; a caller that is cancelled does not cancel the ending)."""
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._end())
        await asyncio.shield(self._ending)

    async def _end(self) -> None:
        try:
            await asyncio.wait_for(super().stop(), GRACE_S)  # asks it to quit, reads its output to the end
        except (TimeoutError, OSError):
            self._task = None
        process = self._process
        if process is None:
            return
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None and process.returncode is None:
                try:
                    process.send_signal(sig)
                except ProcessLookupError:
                    pass
            try:
                await asyncio.wait_for(process.wait(), GRACE_S)
                return
            except TimeoutError:
                log.warning("concviz serve: app %s did not end%s", process.pid, f" on {sig.name}" if sig else "")


def _end_with_parent() -> None:
    """In the app's process, before it runs (Linux): SIGTERM when the server's thread that started it dies."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Server(TextualServer):
    """textual-serve's server (its routes, static files and protocol) on a socket of ours, with our page, the font
    size chosen on the command line, the checks on who connects, and an ending that ends every app."""

    def __init__(self, sock: socket.socket, font_size: int, argv: list[str]) -> None:
        address, port = sock.getsockname()[:2]
        super().__init__(shlex.join(argv), host=address, port=port, title="concviz", templates_path=PAGE)
        self.sock = sock
        self.font_size = font_size
        self.argv = argv
        self.loopback = is_loopback(address)
        self.apps: set[AppProcess] = set()
        self.started = 0
        self.closing = False

    async def run(self) -> int:
        """Serve until a signal; then stop listening and end every app. Returns how many apps were started."""
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            loop.add_signal_handler(sig, stop.set)
        runner = web.AppRunner(await self._make_app(), handle_signals=False, shutdown_timeout=GRACE_S,
                               access_log=None)
        await runner.setup()
        await web.SockSite(runner, self.sock).start()
        await stop.wait()
        self.closing = True
        await runner.cleanup()  # stops listening, then on_shutdown ends the apps, then the handlers finish
        await self.end_apps()
        return self.started

    async def on_startup(self, app: web.Application) -> None:
        """(textual-serve prints its logo here; serve() has said where it listens.)"""

    async def on_shutdown(self, app: web.Application) -> None:
        await self.end_apps()

    async def end_apps(self) -> None:
        await asyncio.gather(*(app.stop() for app in list(self.apps)))

    def check_host(self, request: web.Request) -> None:
        """On loopback, only requests addressed to a loopback name (no DNS rebinding)."""
        if self.loopback and not is_loopback(request.url.host or ""):
            raise web.HTTPForbidden(text="concviz serve listens on localhost: open it as http://127.0.0.1:PORT\n")

    @aiohttp_jinja2.template("index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        self.check_host(request)
        size = _to_int(request.query.get("fontsize", ""))  # a tab may ask for its own, within the same range
        return {
            "font_size": size if size in FONT_SIZES else self.font_size,
            # the address the browser used, not the one listened on: 0.0.0.0 is no address to connect to
            "app_websocket_url": f"ws://{request.host}/ws",
            "config": {"static": {"url": "/static/"}},
            "application": {"name": "concviz"},
        }

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        self.check_host(request)
        origin = request.headers.get("Origin")
        if origin is not None and origin.lower() != f"http://{request.host}".lower():
            raise web.HTTPForbidden(text="concviz serve: a page from another site cannot start apps here\n")
        if self.closing:
            raise web.HTTPServiceUnavailable(text="concviz serve is stopping\n")
        websocket = web.WebSocketResponse(heartbeat=15)
        width = _to_int(request.query.get("width", "")) or 80
        height = _to_int(request.query.get("height", "")) or 24
        await websocket.prepare(request)
        app = AppProcess(self.argv, write_bytes=websocket.send_bytes, write_str=websocket.send_str, close=websocket.close,
                  download_manager=self.download_manager, debug=self.debug)
        self.apps.add(app)
        self.started += 1
        try:
            await app.start(width, height)
            await self._process_messages(websocket, app)
        except Exception:
            log.exception("concviz serve: a tab's connection failed")
        finally:
            await app.stop()
            self.apps.discard(app)
            await websocket.close()
        return websocket
