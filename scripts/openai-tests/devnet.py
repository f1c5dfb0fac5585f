"""Helpers shared by the gateway's integration tests: a `cairn devnet` (node, providers and gateway in one process)
run as a subprocess, extra processes beside it, and the node's and the gateway's own JSON endpoints.

The cairn binary is $CAIRN_BIN (default .build/debug/cairn), the models folder $CAIRN_MODELS (default ./.models).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

CAIRN_BIN = os.path.abspath(os.environ.get("CAIRN_BIN", ".build/debug/cairn"))
CAIRN_MODELS = os.path.abspath(os.environ.get("CAIRN_MODELS", os.path.join(os.getcwd(), ".models")))

_start = time.monotonic()


def log(message):
    """A progress line with the seconds since the test began."""
    print(f"[{time.monotonic() - _start:6.1f}s] {message}", flush=True)


# --- HTTP -------------------------------------------------------------------------------------------------------

def get(url, timeout=10):
    """GET `url`: (status, body bytes); HTTP error statuses are returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def get_json(url, timeout=10):
    """GET `url` and parse its JSON; raises unless the status is 200."""
    status, body = get(url, timeout)
    if status != 200:
        raise AssertionError(f"GET {url}: HTTP {status}: {body[:500]!r}")
    return json.loads(body)


def try_get_json(url, timeout=5):
    """The JSON at `url`, or None when it cannot be had (not listening yet, an error status, bad JSON)."""
    try:
        return get_json(url, timeout)
    except (OSError, AssertionError, ValueError):
        return None


def amount(value):
    """An amount as the APIs write it ("123", "123ucairn", 123) as an int."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("ucairn"):
        text = text[: -len("ucairn")]
    return int(text)


def wait_until(what, check, timeout, interval=0.5, alive=None):
    """Calls `check` until it returns something truthy (returned); fails after `timeout` seconds, or at once when
    `alive` (a callable) says the process under test has gone."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = check()
        except Exception as e:  # noqa: BLE001 - a check that cannot answer yet is simply not ready
            last = None
            error = e
        else:
            error = None
        if last:
            return last
        if alive is not None:
            alive()
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {error})" if error else ""))
        time.sleep(interval)


# --- ports ------------------------------------------------------------------------------------------------------

_given_ports = set()


def free_port(count=1):
    """A port P such that P .. P+count-1 are free on 127.0.0.1 (checked by binding them) and were not given out
    before by this function."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        wanted = set(range(port, port + count))
        if port + count - 1 > 65535 or wanted & _given_ports:
            continue
        held = []
        try:
            for p in range(port, port + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                held.append(s)
                s.bind(("127.0.0.1", p))
            _given_ports.update(wanted)
            return port
        except OSError:
            continue
        finally:
            for s in held:
                s.close()
    raise RuntimeError(f"no {count} consecutive free ports")


# --- processes --------------------------------------------------------------------------------------------------

def tail(path, lines=60):
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError as e:
        return f"(no log: {e})"
    return "\n".join(text.splitlines()[-lines:])


class Process:
    """A cairn subprocess in its own process group, stdout and stderr to `log_path`."""

    def __init__(self, name, args, log_path):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen([CAIRN_BIN, *args], stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     env={**os.environ, "CAIRN_MODELS": CAIRN_MODELS})

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc.poll() is None

    def check_running(self):
        """Fails when the process has exited."""
        if not self.running():
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{tail(self.log_path)}")

    def signal_group(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def kill(self):
        """SIGKILL the whole group and reap the process."""
        self.signal_group(signal.SIGKILL)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()

    def stop(self, timeout=30):
        """SIGINT (as Ctrl-C would send it to the group); the process must exit 0 within `timeout` seconds,
        else the group is killed, the log's tail printed and an AssertionError raised."""
        started = time.monotonic()
        self.signal_group(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            print(f"--- {self.name} log tail ({self.log_path}) ---\n{tail(self.log_path)}", file=sys.stderr)
            raise AssertionError(f"{self.name} did not exit within {timeout}s of SIGINT")
        self._log.close()
        if code != 0:
            print(f"--- {self.name} log tail ({self.log_path}) ---\n{tail(self.log_path)}", file=sys.stderr)
            raise AssertionError(f"{self.name} exited with {code} after SIGINT")
        log(f"{self.name} stopped with SIGINT, exit 0, in {time.monotonic() - started:.1f}s")


class Devnet:
    """`cairn devnet` in a temporary home with `--reset` and free ports. Use as a context manager: leaving it normally
    stops the devnet with SIGINT and requires exit 0 within 30 s; leaving it with an exception kills the process
    group and prints the log's tail. The temporary folder is removed after a clean stop, kept otherwise."""

    def __init__(self, providers=2, gateway=True, block_time=200, validators=None):
        # CAIRN_DEVNET_VALIDATORS=N runs the suites against a devnet of N validator processes.
        self.validators = validators or int(os.environ.get("CAIRN_DEVNET_VALIDATORS", "1"))
        self.dir = tempfile.mkdtemp(prefix="cairn-openai-")
        self.home = os.path.join(self.dir, "devnet")
        self.log_path = os.path.join(self.dir, "devnet.log")
        self.rpc_port = free_port(self.validators)
        self.provider_port = free_port(max(providers, 1))
        self.gateway_port = free_port() if gateway else None
        self.providers = providers
        self.rpc = f"http://127.0.0.1:{self.rpc_port}"
        self.gateway = f"http://127.0.0.1:{self.gateway_port}" if gateway else None
        args = ["devnet", "--home", self.home, "--reset", "--rpc-port", str(self.rpc_port), "--block-time", str(block_time),
                "--providers", str(providers), "--provider-port", str(self.provider_port), "--models-dir", CAIRN_MODELS]
        args += ["--gateway-port", str(self.gateway_port)] if gateway else ["--no-gateway"]
        if self.validators > 1:
            args += ["--validators", str(self.validators), "--p2p-port", str(free_port(self.validators))]
        self.args = args
        self.process = None
        self.others = []
        self._keys = None

    # lifecycle

    def start(self, timeout=240):
        log(f"starting cairn devnet (validators {self.validators}, providers {self.providers}, rpc {self.rpc_port}, gateway {self.gateway_port}, "
            f"log {self.log_path})")
        self.process = Process("cairn devnet", self.args, self.log_path)
        wait_until("the node's /v1/status", lambda: (try_get_json(self.rpc + "/v1/status") or {}).get("height", 0) >= 1,
                   timeout, alive=self.process.check_running)
        if self.gateway:
            wait_until("the gateway's /v1/models", lambda: try_get_json(self.gateway + "/v1/models") is not None,
                       timeout, alive=self.process.check_running)
        log("devnet answering")
        return self

    def spawn(self, name, args):
        """Another cairn process beside the devnet (killed with it on failure), logging into the temp folder."""
        path = os.path.join(self.dir, name.replace(" ", "-") + ".log")
        p = Process(name, args, path)
        self.others.append(p)
        return p

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self._fail()
            raise

    def __exit__(self, kind, error, tb):
        if kind is not None:
            self._fail()
            return False
        for p in self.others:
            if p.running():
                p.kill()
        try:
            self.process.stop(timeout=30)
        except BaseException:
            print(f"kept {self.dir}", file=sys.stderr)
            raise
        shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def _fail(self):
        for p in [*self.others, self.process]:
            if p is None:
                continue
            p.kill()
            print(f"--- {p.name} log tail ({p.log_path}) ---\n{tail(p.log_path)}", file=sys.stderr)
        print(f"kept {self.dir}", file=sys.stderr)

    # node

    def node(self, path):
        return get_json(self.rpc + path)

    def height(self):
        return int(self.node("/v1/status")["height"])

    def balance(self, address, denom="ucairn"):
        account = self.node(f"/v1/accounts/{address}")
        for coin in account.get("balances") or []:
            if coin.get("denom") == denom:
                return amount(coin["amount"])
        return 0

    def keys(self):
        """{name: address} from `cairn keys list --json`."""
        if self._keys is None:
            out = subprocess.run([CAIRN_BIN, "keys", "list", "--home", self.home, "--node", self.rpc, "--json"],
                                 check=True, capture_output=True, text=True, timeout=60).stdout
            data = json.loads(out)
            if isinstance(data, dict):
                data = data.get("keys") or data.get("data") or []
            self._keys = {k["name"]: k["address"] for k in data if isinstance(k, dict) and "name" in k and "address" in k}
        return self._keys

    def address(self, name):
        keys = self.keys()
        if name not in keys:
            raise AssertionError(f"no key {name} in {sorted(keys)}")
        return keys[name]

    def model_ids(self):
        """{name: registry id}, from /v1/registry/models."""
        models = self.node("/v1/registry/models").get("models") or []
        return {m["name"]: int(m["id"]) for m in models}

    def provider_prices(self):
        """{provider address: {model id: (prompt, completion, embedding) ucairn per million tokens}} from the chain."""
        out = {}
        for p in self.node("/v1/market/providers").get("providers") or []:
            out[p["address"]] = {int(m["modelID"]): (amount(m["promptPerMillion"]), amount(m["completionPerMillion"]),
                                                     amount(m["embeddingPerMillion"])) for m in p.get("models") or []}
        return out

    # gateway

    def gw(self, path):
        return get_json(self.gateway + path)

    def gateway_providers(self):
        return self.gw("/v1/cairn/providers").get("providers") or []


def cost(price, prompt=0, completion=0, embedding=0):
    """A request's cost as MarketPricing.swift computes it: tokens × prices / 1e6, rounded up."""
    p, c, e = price
    return (prompt * p + completion * c + embedding * e + 999_999) // 1_000_000


def openai_client(devnet, timeout=120):
    import openai
    return openai.OpenAI(base_url=devnet.gateway + "/v1", api_key="devnet", max_retries=0, timeout=timeout)


def run(main):
    """Runs a test's `main`, printing its outcome; exits 1 on failure."""
    started = time.monotonic()

    def terminated(signum, frame):
        # A SIGTERM (the test command's timeout) unwinds like an error, so the devnet's process group is killed.
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, terminated)
    try:
        main()
    except BaseException as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        log(f"FAILED after {time.monotonic() - started:.1f}s: {type(e).__name__}: {e}")
        sys.exit(1)
    log(f"passed in {time.monotonic() - started:.1f}s")
