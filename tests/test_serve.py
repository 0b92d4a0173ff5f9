"""``concviz serve`` end to end: a real server on a free port, tabs that are websockets (aiohttp's client) or pages
in a real headless browser (Debian's chromium, driven by Playwright), and the processes it starts, watched with
psutil until every one has ended.

What a tab shows is read back as a terminal would draw it: the bytes the server sent the tab, fed to pyte (a
terminal emulator) at the tab's size. Every wait is for a condition, within a generous overall limit (``WAIT_S``):
nothing here depends on how fast the machine is.

The browser test runs wherever Playwright and /usr/bin/chromium are there; elsewhere it is skipped, saying what is
missing, except where ``CONCVIZ_BROWSER_TEST=required`` (.ci/run sets it, and installs both): there a missing one
fails the test, so that CI cannot pass without it.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

import aiohttp
import psutil
import pyte
import pytest

from tui import serve

CONCVIZ = os.path.join(os.path.dirname(sys.executable), "concviz")  # the one installed beside this Python
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WAIT_S = 90  # an overall limit for one condition (a server's first line, an app's first screen, every process gone)
HOME = "threads-download"  # the home screen's first scenario, highlighted when it opens: Enter runs it
RUN_SCREEN = ("download 0", "finished")  # its first lane and its status once done (it takes about 0.5 s)
END = "\x1b[F"  # the End key, as xterm.js sends it: the home screen's last scenario

pytestmark = pytest.mark.e2e


def until(condition, what: str, timeout: float = WAIT_S, poll=lambda: time.sleep(0.05)):
    """Wait for ``condition()`` to be true; fail saying ``what`` did not happen within ``timeout``."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s")
        poll()
    return value


class Served:
    """A running ``concviz serve --port 0``, in a session of its own as a terminal's foreground job would be, and
    every process it has been seen to start."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen([CONCVIZ, "serve", "--port", "0", *args], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: list[str] = []  # its stderr, read as it comes so that a full pipe never stops it
        self.readers = [threading.Thread(target=self._read, daemon=True),
                        threading.Thread(target=lambda: self.errors.extend(self.proc.stderr), daemon=True)]
        for reader in self.readers:
            reader.start()
        self.seen: dict[int, psutil.Process] = {}
        first = self.next_line()
        found = re.search(r"http://[^\s/]+:\d+", first)
        assert found, first
        self.url = found.group(0)
        self.port = int(self.url.rsplit(":", 1)[1])

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def next_line(self) -> str:
        try:
            return self.lines.get(timeout=WAIT_S)
        except queue.Empty:
            pytest.fail(f"concviz serve said nothing within {WAIT_S} s: {''.join(self.errors)}")

    def processes(self) -> list[psutil.Process]:
        """The server's processes now (its apps and what they started), each remembered to check its end later."""
        try:
            found = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        for p in found:
            self.seen.setdefault(p.pid, p)
        return found

    def apps(self) -> list[psutil.Process]:
        """The apps: the server's own children."""
        self.processes()
        try:
            return psutil.Process(self.proc.pid).children()
        except psutil.NoSuchProcess:
            return []

    def left_behind(self) -> list[psutil.Process]:
        return [p for p in self.seen.values() if _alive(p)]

    def ctrl_c(self) -> str:
        """Ctrl+C as a terminal sends it (SIGINT to the foreground process group); the server's exit status is 0, it
        wrote no traceback, and its last line says it stopped. Returns that line."""
        self.processes()
        os.killpg(self.proc.pid, signal.SIGINT)
        assert self.proc.wait(timeout=WAIT_S) == 0, "".join(self.errors)
        for reader in self.readers:  # to the end of its output
            reader.join(timeout=WAIT_S)
        said = [self.lines.get() for _ in range(self.lines.qsize())]  # and its apps' stderr, which it relays
        assert "Traceback" not in "".join(self.errors + said), "".join(self.errors + said)
        assert said and "stopped" in said[-1], said
        return said[-1]

    def close(self) -> None:
        """Whatever the test did: the server and everything seen ends (SIGKILL after the grace a Ctrl+C gets)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for p in self.left_behind():
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def served():
    started: list[Served] = []

    def start(*args: str) -> Served:
        started.append(Served(*args))
        return started[-1]

    yield start
    for s in started:
        s.close()


class Screen:
    """What a tab's terminal shows: the bytes the server sent it, drawn by pyte at the tab's size."""

    def __init__(self, width: int, height: int) -> None:
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.ByteStream(self.screen)

    def feed(self, data: bytes) -> None:
        self.stream.feed(data)

    def resize(self, width: int, height: int) -> None:
        self.screen.resize(lines=height, columns=width)

    @property
    def text(self) -> str:
        return "\n".join(self.screen.display)

    def shows(self, *texts: str) -> bool:
        text = self.text
        return all(t in text for t in texts)


async def until_async(condition, what: str, timeout: float = WAIT_S):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.05)
    return value


class Tab:
    """A browser tab without the browser: the websocket textual-serve's page opens, and its screen."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, width: int, height: int) -> None:
        self.ws = ws
        self.screen = Screen(width, height)
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.BINARY:
                self.screen.feed(message.data)

    async def press(self, keys: str) -> None:
        await self.ws.send_str(json.dumps(["stdin", keys]))

    async def showing(self, *texts: str) -> None:
        await until_async(lambda: self.screen.shows(*texts), f"the tab showing {texts}")


async def open_tab(session: aiohttp.ClientSession, url: str, width: int = 120, height: int = 40) -> Tab:
    ws = await session.ws_connect(f"{url.replace('http', 'ws', 1)}/ws?width={width}&height={height}")
    return Tab(ws, width, height)


# --- the command line


def concviz(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CONCVIZ, *args], capture_output=True, text=True, timeout=WAIT_S, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("args, says", [
    (["--port", "70000"], "--port 70000 is out of range"),
    (["--port", "-1"], "--port -1 is out of range"),
    (["--port", "eighty"], "invalid int value: 'eighty'"),
    (["--host", "bad host"], "--host bad host: no such address or name"),  # refused before any DNS query
    (["--host", "a..b"], "--host a..b: no such address or name"),
    (["--host", "   "], "--host takes an address or a name"),
    (["--host", "192.0.2.1"], "cannot listen on 192.0.2.1"),  # TEST-NET-1: an address this machine does not have
    (["--font-size", "7"], "--font-size 7 is out of range: it takes 8 to 64"),
    (["--font-size", "65"], "--font-size 65 is out of range"),
    (["--font-size", "big"], "invalid int value: 'big'"),
])
def test_bad_input_is_one_line_and_status_2(args, says):
    done = concviz("serve", *args)
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("concviz: "), done.stderr
    assert says in done.stderr


def test_a_port_in_use_is_one_line_that_says_what_to_do():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = concviz("serve", "--port", str(port))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert f"cannot listen on 127.0.0.1 port {port}" in done.stderr and "--port 0" in done.stderr


def test_the_command_line_defaults_are_the_servers():
    from tui.cli import build_parser

    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.font_size) == (serve.DEFAULT_HOST, serve.DEFAULT_PORT,
                                                      serve.DEFAULT_FONT_SIZE)
    assert serve.DEFAULT_FONT_SIZE in serve.FONT_SIZES


@pytest.mark.parametrize("address, exposed", [("127.0.0.1", False), ("::1", False), ("0.0.0.0", True),
                                              ("::", True), ("192.0.2.7", True)])
def test_listening_beyond_this_machine_says_what_that_exposes(address, exposed):
    said = serve.listening(address, 8000)
    assert ("anyone who can reach this port can run scenarios on this machine" in "\n".join(said)) == exposed
    if not exposed:
        assert said[0] == f"concviz serve: http://{'[::1]' if ':' in address else address}:8000"
    elif address == "192.0.2.7":
        assert "http://192.0.2.7:8000" in said[0]
    else:  # the wildcard is no address to open: the machine's name is
        assert f"http://{socket.gethostname()}:8000" in said[0]


def test_each_tab_runs_this_interpreters_concviz():
    assert serve.app_command() == [sys.executable, "-m", "tui", "--theme", "dark"]
    assert serve.app_command("light")[-2:] == ["--theme", "light"]  # concviz --theme light serve: every tab light
    done = subprocess.run([*serve.app_command(), "--version"], capture_output=True, text=True, timeout=WAIT_S)
    assert done.stdout.startswith("concviz ")


# --- the server, with websocket tabs


async def test_each_tab_is_its_own_app_and_ctrl_c_mid_run_ends_every_process(served):
    server = served()
    async with aiohttp.ClientSession() as session:
        first, second = await open_tab(session, server.url), await open_tab(session, server.url, 100, 30)
        await first.showing(HOME)
        await second.showing(HOME)
        apps = await until_async(lambda: len(server.apps()) == 2 and server.apps(), "two app processes")
        for app in apps:
            assert app.cmdline()[:5] == serve.app_command()  # this interpreter, this concviz
            assert os.getsid(app.pid) == app.pid  # a session of its own: a Ctrl+C reaches the server alone
        await first.press(END + "\r")  # the last scenario, convoy (about 6 s), in this tab only
        await until_async(lambda: any(_runs_a_scenario(p) for p in server.processes()), "a scenario's process")
        running = [app for app in apps if any(_runs_a_scenario(p) for p in _children(app))]
        assert len(running) == 1  # the first tab's app; the second is still on its home screen
        last = server.ctrl_c()  # mid-run
    assert "2 in all" in last
    await until_async(lambda: not server.left_behind(), "every process the server started ending")


def _children(p: psutil.Process) -> list[psutil.Process]:
    try:
        return p.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _runs_a_scenario(p: psutil.Process) -> bool:
    try:
        return "scenarios" in p.cmdline()
    except psutil.Error:
        return False


async def test_closing_a_tab_ends_its_app_and_quitting_an_app_closes_its_tab(served):
    server = served()
    async with aiohttp.ClientSession() as session:
        closing, quitting = await open_tab(session, server.url), await open_tab(session, server.url)
        await closing.showing(HOME)
        await quitting.showing(HOME)
        apps = await until_async(lambda: len(server.apps()) == 2 and server.apps(), "two app processes")
        await closing.ws.close()
        await until_async(lambda: len([a for a in apps if _alive(a)]) == 1, "the closed tab's app ending")
        await quitting.press("q")
        await asyncio.wait_for(quitting.reader, WAIT_S)  # the server closed the websocket
        await until_async(lambda: not any(_alive(a) for a in apps), "the quitting app ending")
        assert server.proc.poll() is None  # the server goes on
    server.ctrl_c()
    assert not server.left_behind()


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
async def test_a_server_killed_outright_still_leaves_no_app_behind(served):
    server = served()
    async with aiohttp.ClientSession() as session:
        tab = await open_tab(session, server.url)
        await tab.showing(HOME)
        await until_async(lambda: server.apps(), "the app process")
        server.proc.kill()  # SIGKILL: the server cannot end its apps, the kernel tells them
        server.proc.wait(timeout=WAIT_S)
    await until_async(lambda: not server.left_behind(), "the app ending after its server was killed")


async def test_the_page_is_served_from_here_at_the_chosen_font_size(served):
    server = served("--font-size", "28")
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url) as page:
            html = await page.text()
        assert page.status == 200
        assert 'data-font-size="28"' in html
        assert f'data-session-websocket-url="ws://127.0.0.1:{server.port}/ws"' in html
        assert "https://" not in html and "http://" not in html.replace("ws://", "")  # nothing from elsewhere
        async with session.get(f"{server.url}/?fontsize=40") as page:  # a tab may ask for its own size
            assert 'data-font-size="40"' in await page.text()
        async with session.get(f"{server.url}/?fontsize=400") as page:  # within the same range
            assert 'data-font-size="28"' in await page.text()
        async with session.get(f"{server.url}/static/fonts/RobotoMono-VariableFont_wght.ttf") as font:
            assert font.status == 200
    server.ctrl_c()


async def test_only_this_machine_and_this_page_can_start_apps(served):
    server = served()
    async with aiohttp.ClientSession() as session:
        # a page elsewhere whose name now resolves to 127.0.0.1 (DNS rebinding) asks with its own name
        async with session.get(server.url, headers={"Host": f"attacker.example:{server.port}"}) as page:
            assert page.status == 403
        async with session.get(f"http://localhost:{server.port}/") as page:
            assert page.status == 200
        # another site's page opening a websocket here: the browser says where the page came from
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(f"ws://127.0.0.1:{server.port}/ws",
                                     headers={"Origin": "http://attacker.example"})
        assert refused.value.status == 403
    assert not server.apps()
    server.ctrl_c()


# --- in a real browser


def _browser():
    """Playwright's sync API and Debian's chromium, or a skip saying what is missing (a failure under CI)."""
    def missing(why: str):
        if os.environ.get("CONCVIZ_BROWSER_TEST") == "required":
            pytest.fail(f"{why}, and CONCVIZ_BROWSER_TEST=required (.ci/run installs both)")
        pytest.skip(why)

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed (pip install -e '.[test]')")
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    return sync_playwright


def test_in_a_browser_a_tab_opens_concviz_runs_a_scenario_and_quits(served, tmp_path):
    sync_playwright = _browser()
    server = served()
    elsewhere: list[str] = []  # requests the page made to anywhere but the server: none expected
    screen: Screen | None = None

    def on_websocket(ws) -> None:
        nonlocal screen
        size = parse_qs(urlsplit(ws.url).query)
        screen = Screen(int(size["width"][0]), int(size["height"][0]))
        ws.on("framereceived", on_received)
        ws.on("framesent", on_sent)

    def on_received(payload) -> None:
        if isinstance(payload, bytes):  # the app's screen (text frames are textual-serve's pongs)
            screen.feed(payload)

    def on_sent(payload) -> None:  # the page's keys, pings, and its size as the terminal fits the window
        message = json.loads(payload)
        if message[0] == "resize":
            screen.resize(message[1]["width"], message[1]["height"])

    def only_here(route) -> None:
        if urlsplit(route.request.url).netloc == f"127.0.0.1:{server.port}":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800})
        try:
            page = browser.new_page()
            page.route("**/*", only_here)
            page.on("websocket", on_websocket)
            page.goto(server.url)
            def pump() -> None:  # waits, letting Playwright deliver the page's frames meanwhile
                page.wait_for_timeout(50)

            until(lambda: screen is not None and screen.shows(HOME), "the home screen in the page", poll=pump)
            app = until(lambda: server.apps(), "the tab's app process")[0]
            page.locator(".xterm-helper-textarea").focus()
            page.keyboard.press("Enter")
            until(lambda: screen.shows(*RUN_SCREEN), "the run screen in the page", poll=pump)
            page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
            shot = tmp_path / "run.png"
            page.screenshot(path=str(shot))
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
            server.processes()  # remember the scenario's processes too
            page.keyboard.press("q")
            until(lambda: page.evaluate("() => document.body.classList.contains('-closed')"),
                  "the page saying its concviz has ended", poll=pump)
            until(lambda: not _alive(app), "the app ending when it quit")
        finally:
            browser.close()
    assert elsewhere == []
    server.ctrl_c()
    until(lambda: not server.left_behind(), "every process the server started ending")
