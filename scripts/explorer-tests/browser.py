"""A small Chrome DevTools Protocol driver for headless Chromium: load a page, report what the browser saw (final URL,
the main document's HTTP status, title, first <h1>, text) and every problem it noticed (console errors and warnings,
uncaught exceptions, failed sub-resource loads, failed requests), and take screenshots.

    with Browser() as b:
        page = b.visit("http://127.0.0.1:8000/")
        assert page.status == 200 and not page.problems, page.problems
        b.screenshot("page.png")

The browser is $CHROMIUM, else the first of chromium, chromium-browser, google-chrome on PATH. It runs in its own
process group with a temporary profile: the group is killed and the profile removed when the Browser closes (leaving
the `with` block, also by an exception) or at interpreter exit; on Linux the browser is also killed when this process
dies without cleaning up. Needs the `websocket-client` package.
"""

import atexit
import base64
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import websocket

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--disable-background-networking", "--disable-sync",
         "--disable-component-update", "--disable-default-apps", "--metrics-recording-only", "--mute-audio",
         "--hide-scrollbars", "--password-store=basic", "--remote-allow-origins=*", "--remote-debugging-port=0"]
CONSOLE_PROBLEMS = ("error", "assert", "warning")
# Requests that stay open for the page's life; waiting for them to finish would never settle.
STREAMS = ("EventSource", "WebSocket")
# The tallest full-page screenshot taken, in CSS pixels: a runaway page should not make a gigabyte PNG.
MAX_SCREENSHOT_HEIGHT = 16_384


class BrowserError(RuntimeError):
    pass


@dataclass
class Page:
    """What one `visit` saw."""
    url: str                 # the URL asked for
    final_url: str = ""      # location.href once loaded (after redirects)
    status: int = None       # the main document's HTTP status (None when no response came)
    mime_type: str = ""      # the main document's MIME type, e.g. text/html
    headers: dict = field(default_factory=dict)  # the main document's response headers, names lower-cased
    title: str = ""
    h1: str = None           # the text of the first <h1>, None when there is none
    text: str = ""           # document.body.innerText
    problems: list = field(default_factory=list)  # one readable line per problem
    load_s: float = 0.0      # navigation start to the load event
    total_s: float = 0.0     # including the settle time after it


def find_browser():
    explicit = os.environ.get("CHROMIUM")
    if explicit:
        return explicit
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise BrowserError(f"no browser found: install chromium or set $CHROMIUM (looked for {', '.join(BROWSERS)})")


class Browser:
    def __init__(self, width=1280, height=900, start_timeout=60):
        self.width, self.height = width, height
        self.start_timeout = start_timeout
        self.profile = None
        self.proc = None
        self.ws = None
        self._next_id = 0
        self._events = []

    # --- lifecycle --------------------------------------------------------------------------------------------

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def start(self):
        self.profile = tempfile.mkdtemp(prefix="cairn-chromium-")
        self._log = open(os.path.join(self.profile, "chromium.log"), "wb")
        atexit.register(self.close)
        self.proc = subprocess.Popen([find_browser(), *FLAGS, f"--user-data-dir={self.profile}",
                                      f"--window-size={self.width},{self.height}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                     preexec_fn=_own_group_dying_with_parent)
        port = self._devtools_port()
        page_socket = self._page_target(port)
        self.ws = websocket.create_connection(page_socket, timeout=self.start_timeout, suppress_origin=True,
                                              enable_multithread=False)
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable")
        # No cache, so each visit measures and checks the real responses.
        self.call("Network.setCacheDisabled", cacheDisabled=True)
        self.call("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height, deviceScaleFactor=1,
                  mobile=False)

    def _devtools_port(self):
        """The port Chromium chose, from the DevToolsActivePort file it writes into its profile."""
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrowserError(f"the browser exited with {self.proc.returncode} at start:\n{self.log_tail()}")
            try:
                with open(path) as f:
                    first = f.readline().strip()
                if first:
                    return int(first)
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise BrowserError(f"the browser wrote no DevToolsActivePort within {self.start_timeout}s:\n{self.log_tail()}")

    def _page_target(self, port):
        deadline = time.monotonic() + self.start_timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as r:
                    targets = json.load(r)
                pages = [t for t in targets if t.get("type") == "page" and t.get("webSocketDebuggerUrl")]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except OSError:
                pass
            if time.monotonic() >= deadline:
                raise BrowserError(f"no page target on DevTools port {port}:\n{self.log_tail()}")
            time.sleep(0.1)

    def close(self):
        """Closes the connection, kills the browser's whole process group and removes the profile. Idempotent."""
        if self.ws is not None:
            try:
                self.ws.close(timeout=1)
            except Exception:  # noqa: BLE001 - the browser may be gone already
                pass
            self.ws = None
        if self.proc is not None:
            # SIGKILL to the whole group: the launcher, the browser and its renderer, GPU and zygote processes.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        if self.profile is not None:
            self._log.close()
            shutil.rmtree(self.profile, ignore_errors=True)
            self.profile = None
        atexit.unregister(self.close)

    def log_tail(self, lines=30):
        try:
            with open(os.path.join(self.profile, "chromium.log"), "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-lines:])
        except (OSError, TypeError):
            return "(no browser log)"

    # --- protocol ---------------------------------------------------------------------------------------------

    def _receive(self, timeout):
        """The next message, or None after `timeout` seconds without one."""
        self.ws.settimeout(max(timeout, 0.001))
        try:
            raw = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            return None
        except (websocket.WebSocketException, OSError) as e:
            raise BrowserError(f"lost the DevTools connection ({e}):\n{self.log_tail()}") from None
        return json.loads(raw)

    def call(self, method, timeout=30, **params):
        """Sends a command and returns its result; events that arrive meanwhile are kept for `_next_event`."""
        self._next_id += 1
        ident = self._next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"{method}: no answer within {timeout}s")
            message = self._receive(left)
            if message is None:
                continue
            if message.get("id") == ident:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error'].get('message')} {message['error'].get('data', '')}")
                return message.get("result", {})
            if "method" in message:
                self._events.append(message)

    def _next_event(self, timeout):
        if self._events:
            return self._events.pop(0)
        message = self._receive(timeout)
        return message if message is not None and "method" in message else None

    def evaluate(self, expression, timeout=30):
        """The JSON value of a JavaScript expression in the page (awaited when it is a promise)."""
        result = self.call("Runtime.evaluate", timeout=timeout, expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise BrowserError(f"evaluate: {(details.get('exception') or {}).get('description') or details.get('text')}")
        return result["result"].get("value")

    # --- pages ------------------------------------------------------------------------------------------------

    def visit(self, url, timeout=30, settle=0.3):
        """Loads `url`, waits for its load event and then until no request has been pending for `settle` seconds,
        and returns a Page. The main document's own HTTP status is reported in `status`, not as a problem."""
        # Drop what an earlier page may still have been saying.
        self._events.clear()
        while self._receive(0.001) is not None:
            pass
        page = Page(url=url)
        network_failures = []   # (request id, resource type, url, line)
        log_errors = []         # (source, url, line)
        urls = {}               # request id -> url, of every request
        pending = set()         # request ids still loading, but for long-lived streams
        responses = {}          # request id -> response of a request
        started = time.monotonic()
        navigation = self.call("Page.navigate", timeout=timeout, url=url)
        document = navigation.get("loaderId")  # a navigation's request id is its loader id
        if navigation.get("errorText"):
            page.problems.append(f"navigation failed: {navigation['errorText']}")
        deadline = started + timeout
        loaded = False
        quiet_since = None
        while True:
            now = time.monotonic()
            if loaded:
                if pending:
                    quiet_since = None
                elif quiet_since is None:
                    quiet_since = now
                elif now - quiet_since >= settle:
                    break
            if now >= deadline:
                if not loaded:
                    page.problems.append(f"no load event within {timeout}s")
                else:
                    page.problems.append(f"requests still pending after {timeout}s: {sorted(urls[r] for r in pending)}")
                break
            event = self._next_event(min(0.05, deadline - now) if loaded else deadline - now)
            if event is None:
                continue
            method, params = event["method"], event.get("params", {})
            if method == "Page.loadEventFired":
                loaded = True
                page.load_s = time.monotonic() - started
            elif method == "Network.requestWillBeSent":
                urls[params["requestId"]] = params["request"]["url"]
                if params.get("type") not in STREAMS:
                    pending.add(params["requestId"])
            elif method == "Network.responseReceived":
                responses[params["requestId"]] = params["response"]
            elif method in ("Network.loadingFinished", "Network.loadingFailed"):
                pending.discard(params["requestId"])
                request_url = urls.get(params["requestId"], "?")
                if method == "Network.loadingFailed":
                    reason = params.get("blockedReason") or params.get("errorText")
                    network_failures.append((params["requestId"], params.get("type"), request_url,
                                             f"request failed: {request_url} ({params.get('type')}: {reason})"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in CONSOLE_PROBLEMS:
                page.problems.append(f"console.{params['type']}: {' '.join(_remote_text(a) for a in params.get('args', []))}")
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                text = (details.get("exception") or {}).get("description") or details.get("text")
                page.problems.append(f"uncaught exception: {text}")
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                entry = params["entry"]
                log_errors.append((entry.get("source"), entry.get("url"),
                                   f"{entry.get('source')} error: {entry.get('text')} {entry.get('url', '')}".strip()))
        page.total_s = time.monotonic() - started
        response = responses.get(document)
        if response is not None:
            page.status = response.get("status")
            page.mime_type = response.get("mimeType", "")
            page.headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
        info = self.evaluate("({url: location.href, title: document.title,"
                             " h1: document.querySelector('h1') ? document.querySelector('h1').innerText : null,"
                             " text: document.body ? document.body.innerText : ''})")
        page.final_url, page.title, page.h1, page.text = info["url"], info["title"], info["h1"], info["text"]
        if navigation.get("errorText"):
            # The failed navigation is the one problem worth a line; the error page's own requests are noise.
            network_failures = [f for f in network_failures if f[1] != "Document"]
        page.problems += self._resource_problems(document, responses, network_failures, log_errors)
        return page

    @staticmethod
    def _resource_problems(document, responses, network_failures, log_errors):
        """One line per sub-resource that failed: an HTTP error status, else a failed request, plus the browser's
        own error log lines about anything else. The main document's status is the caller's to judge, and the
        browser's implicit /favicon.ico request is nobody's sub-resource."""
        def ignored(url):
            return urllib.parse.urlsplit(url or "").path == "/favicon.ico"

        problems, reported = [], set()
        for request, response in responses.items():
            if request != document and response.get("status", 0) >= 400 and not ignored(response.get("url")):
                problems.append(f"HTTP {response['status']} for {response.get('url')}")
                reported.add(response.get("url"))
        for request, _, url, line in network_failures:
            if request != document and url not in reported and not ignored(url):
                problems.append(line)
                reported.add(url)
        document_url = (responses.get(document) or {}).get("url")
        for source, url, line in log_errors:
            if source == "network" and (url in reported or url == document_url or ignored(url)):
                continue
            problems.append(line)
        return problems

    def links(self, selector="a[href]"):
        """The absolute URLs of the links matching a CSS selector, in page order, without duplicates."""
        hrefs = self.evaluate(f"Array.from(document.querySelectorAll({json.dumps(selector)}), a => a.href)")
        return list(dict.fromkeys(hrefs or []))

    def screenshot(self, path, full_page=True):
        """A PNG of the page at the desktop viewport; `full_page` takes the whole scrollable height."""
        params = {"format": "png"}
        if full_page:
            metrics = self.call("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            width = max(self.width, int(size["width"] + 0.999))
            height = min(max(self.height, int(size["height"] + 0.999)), MAX_SCREENSHOT_HEIGHT)
            params.update(captureBeyondViewport=True, clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        data = self.call("Page.captureScreenshot", timeout=60, **params)["data"]
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path


def _own_group_dying_with_parent():
    """In the child before exec: a session and process group of its own, and (Linux) SIGKILL when the parent dies."""
    os.setsid()
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _remote_text(arg):
    """A console argument (a Runtime.RemoteObject) as text."""
    if "value" in arg:
        return arg["value"] if isinstance(arg["value"], str) else json.dumps(arg["value"])
    return arg.get("description") or arg.get("unserializableValue") or arg.get("type", "?")
