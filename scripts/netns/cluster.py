"""A Cairn network of real `cairn node start` processes, one per network namespace.

`Cluster` writes the homes with `cairn testnet`, points every node at its namespace address (API and p2p) and its
peers at theirs, and starts, stops, kills, pauses and restarts the processes. Each node logs to
`<dir>/logs/node<i>.log` (appended across restarts).
"""

from __future__ import annotations

import json
import mmap
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .netns import Topology

REPO = Path(__file__).resolve().parents[2]


def default_binary() -> str:
    """`CAIRN_BIN`, else the repository's debug build."""
    if os.environ.get("CAIRN_BIN"):
        return os.path.abspath(os.environ["CAIRN_BIN"])
    return str(REPO / ".build" / "debug" / "cairn")


class Binary:
    """What the `cairn` binary at `path` offers: subcommands, flags and test switches are looked up, never assumed."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._help: dict[tuple[str, ...], str] = {}
        self._strings: dict[bytes, bool] = {}

    def help(self, *command: str) -> str:
        if command not in self._help:
            r = subprocess.run([self.path, *command, "--help"], capture_output=True, text=True, timeout=60)
            self._help[command] = r.stdout + r.stderr
        return self._help[command]

    def contains(self, text: str) -> bool:
        """Whether the binary holds the string (how a test switch read from the environment is detected)."""
        key = text.encode()
        if key not in self._strings:
            with open(self.path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                self._strings[key] = m.find(key) >= 0
        return self._strings[key]

    @property
    def has_full_nodes(self) -> bool:
        return "--full-nodes" in self.help("testnet")

    @property
    def has_bench_transfers(self) -> bool:
        return "transfers" in self.help("bench")

    @property
    def has_clock_offset(self) -> bool:
        return self.contains("CAIRN_TEST_CLOCK_OFFSET_MS") and self.contains("CAIRN_ENABLE_TEST_HOOKS")

    @property
    def has_byzantine(self) -> bool:
        return self.contains("CAIRN_TEST_BYZANTINE") and self.contains("CAIRN_ENABLE_TEST_HOOKS")


def http_json(url: str, timeout: float = 3.0, body: dict | None = None) -> dict | None:
    """GET (or POST `body`) and decode JSON; None when the node does not answer or answers an error."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read().decode())
    except (urllib.error.URLError, OSError, ValueError, TimeoutError):
        return None


def http_text(url: str, timeout: float = 3.0) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.read().decode()
    except (urllib.error.URLError, OSError, ValueError, TimeoutError):
        return None


@dataclass
class Node:
    index: int
    home: Path
    validator: bool
    address: str  # namespace IP
    rpc_port: int
    p2p_port: int
    validator_address: str | None = None  # cairn1... of its validator key
    dev_address: str | None = None  # cairn1... of its funded `dev` key
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    paused: bool = False

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.rpc_port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Cluster:
    """`validators` validators and `full_nodes` full nodes on `topology`, homes under `workdir`."""

    def __init__(self, topology: Topology, workdir: Path, validators: int, full_nodes: int = 0,
                 block_time_ms: int = 1000, binary: Binary | None = None, chain_id: str = "cairn-netns") -> None:
        if topology.nodes != validators + full_nodes:
            raise ValueError("the topology needs one namespace per node")
        self.topology = topology
        self.workdir = workdir
        self.validators = validators
        self.full_nodes = full_nodes
        self.block_time_ms = block_time_ms
        self.binary = binary or Binary(default_binary())
        self.chain_id = chain_id
        self.nodes: list[Node] = []
        self.genesis_supply = 0
        (workdir / "logs").mkdir(parents=True, exist_ok=True)

    # -- homes ---------------------------------------------------------------------------------------------------

    def generate(self) -> None:
        """Runs `cairn testnet` and rewrites every config for the namespaces."""
        args = [self.binary.path, "testnet", "--validators", str(self.validators), "--dir", str(self.workdir / "homes"),
                "--chain-id", self.chain_id, "--block-time", str(self.block_time_ms)]
        if self.full_nodes:
            if not self.binary.has_full_nodes:
                raise RuntimeError("this cairn has no `testnet --full-nodes`")
            args += ["--full-nodes", str(self.full_nodes)]
        r = subprocess.run(args, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"cairn testnet failed: {r.stderr.strip()}")
        homes = self.workdir / "homes"
        configs = []
        for i in range(self.topology.nodes):
            home = homes / f"node{i}"
            config = json.loads((home / "config" / "node.json").read_text())
            configs.append(config)
            vkey = home / "config" / "validator_key.json"
            node = Node(index=i, home=home, validator=vkey.exists(), address=self.topology.address(i),
                        rpc_port=int(config["rpcPort"]), p2p_port=int(config["p2pPort"]))
            if node.validator:
                node.validator_address = json.loads(vkey.read_text()).get("address")
            dev = home / "keys" / "dev.json"
            if dev.exists():
                node.dev_address = json.loads(dev.read_text()).get("address")
            self.nodes.append(node)
        by_port = {n.p2p_port: n for n in self.nodes}
        for node, config in zip(self.nodes, configs):
            config["rpcHost"] = node.address
            config["p2pHost"] = node.address
            peers = []
            for peer in config.get("persistentPeers", []):
                node_id, _, hostport = peer.partition("@")
                port = int(hostport.rsplit(":", 1)[1])
                target = by_port[port]
                peers.append(f"{node_id}@{target.address}:{port}")
            config["persistentPeers"] = peers
            config["probeIntervalSeconds"] = 0
            (node.home / "config" / "node.json").write_text(json.dumps(config, indent=2))
        genesis = json.loads((homes / "node0" / "config" / "genesis.json").read_text())
        self.genesis_supply = sum(int(c["amount"]) for b in genesis["modules"]["bank"]["balances"] for c in b["coins"]
                                  if c["denom"] == "ucairn")

    # -- processes -----------------------------------------------------------------------------------------------

    def start(self, i: int, env: dict[str, str] | None = None) -> None:
        node = self.nodes[i]
        if node.running:
            return
        node.env = dict(env or {})
        log = open(self.workdir / "logs" / f"node{i}.log", "ab")
        log.write(f"\n=== start {time.strftime('%H:%M:%S')} env {node.env} ===\n".encode())
        log.flush()
        full_env = {**os.environ, **node.env}
        # `ip netns exec` execs the node, so the Popen's pid is the node's own.
        node.process = subprocess.Popen(self.topology.exec_args(i, self.binary.path, "node", "start", "--home", str(node.home)),
                                        stdout=log, stderr=subprocess.STDOUT, env=full_env, start_new_session=True)
        log.close()
        node.paused = False

    def start_all(self, envs: dict[int, dict[str, str]] | None = None) -> None:
        for i in range(len(self.nodes)):
            self.start(i, (envs or {}).get(i))

    def signal(self, i: int, sig: signal.Signals) -> None:
        node = self.nodes[i]
        if node.running and node.process is not None:
            os.kill(node.process.pid, sig)

    def kill(self, i: int) -> None:
        node = self.nodes[i]
        if node.running and node.process is not None:
            node.process.kill()
            node.process.wait(timeout=10)
        node.paused = False

    def stop(self, i: int, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL after `timeout` seconds."""
        node = self.nodes[i]
        if not node.running or node.process is None:
            return
        if node.paused:
            self.resume(i)
        node.process.terminate()
        try:
            node.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            node.process.kill()
            node.process.wait(timeout=10)

    def pause(self, i: int) -> None:
        self.signal(i, signal.SIGSTOP)
        self.nodes[i].paused = True

    def resume(self, i: int) -> None:
        self.signal(i, signal.SIGCONT)
        self.nodes[i].paused = False

    def restart(self, i: int, env: dict[str, str] | None = None) -> None:
        self.stop(i)
        self.start(i, env)

    def stop_all(self) -> None:
        for i, node in enumerate(self.nodes):
            if node.paused:
                self.resume(i)
        for node in self.nodes:
            if node.running and node.process is not None:
                node.process.terminate()
        for i in range(len(self.nodes)):
            self.stop(i, timeout=10)

    # -- API -----------------------------------------------------------------------------------------------------

    def get(self, i: int, path: str, timeout: float = 3.0) -> dict | None:
        return http_json(self.nodes[i].url + path, timeout=timeout)

    def height(self, i: int, timeout: float = 2.0) -> int | None:
        s = self.get(i, "/v1/status", timeout=timeout)
        return int(s["height"]) if s else None

    def heights(self, nodes: list[int] | None = None) -> dict[int, int | None]:
        return {i: self.height(i) for i in (nodes if nodes is not None else range(len(self.nodes)))}

    def wait_height(self, height: int, nodes: list[int] | None = None, timeout: float = 60.0) -> bool:
        """Waits until every node in `nodes` (default all) is at `height` or above."""
        deadline = time.monotonic() + timeout
        nodes = nodes if nodes is not None else list(range(len(self.nodes)))
        while time.monotonic() < deadline:
            hs = self.heights(nodes)
            if all(h is not None and h >= height for h in hs.values()):
                return True
            time.sleep(0.25)
        return False

    def log_tail(self, i: int, lines: int = 20) -> str:
        path = self.workdir / "logs" / f"node{i}.log"
        try:
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
