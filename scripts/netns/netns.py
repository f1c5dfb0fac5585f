"""Network namespaces for a local Cairn network: one namespace per node on one Linux bridge.

Node i lives in namespace `cairn<run>-<i>` with address 10.77.<slot>.<i+1>/24 on a veth whose other end is
plugged into the bridge `cn<run>br` in the root namespace; the bridge itself holds 10.77.<slot>.254, so clients
in the root namespace reach every node's API directly. `<run>` is four hex digits chosen per run and `<slot>` a
third octet no other interface uses, so leftover or parallel runs never clash. Everything a run creates carries
its prefix, and `cleanup()` removes every leftover of any run whose creating process is gone (processes in the
namespaces included); `/run/cairn-netns/<run>` names that process.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import signal
import subprocess
import time
from pathlib import Path

NS_PATTERN = re.compile(r"^cairn([0-9a-f]{4})-(\d+)$")
LINK_PATTERN = re.compile(r"^cn([0-9a-f]{4})(br|v\d+p?)$")


def sh(*args: str, check: bool = True, capture: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Runs a command (no shell); raises with its stderr when `check` and it fails."""
    r = subprocess.run(list(args), text=True, capture_output=capture, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {r.returncode}: {(r.stderr or '').strip()}")
    return r


def namespaces() -> list[str]:
    out = sh("ip", "netns", "list", check=False).stdout or ""
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def links() -> list[str]:
    out = sh("ip", "-o", "link", "show", check=False).stdout or ""
    names = []
    for line in out.splitlines():
        parts = line.split(":", 2)
        if len(parts) >= 2:
            names.append(parts[1].strip().split("@")[0])
    return names


def ns_pids(ns: str) -> list[int]:
    out = sh("ip", "netns", "pids", ns, check=False).stdout or ""
    return [int(p) for p in out.split() if p.isdigit()]


def kill_ns_processes(ns: str, grace: float = 3.0) -> None:
    """Stops every process inside `ns`: SIGCONT (a paused one must see the signal), SIGTERM, then SIGKILL."""
    pids = ns_pids(ns)
    for sig in (signal.SIGCONT, signal.SIGTERM):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        time.sleep(0.1)
        pids = ns_pids(ns)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


OWNERS = Path("/run/cairn-netns")


def _owner_alive(run_id: str) -> bool:
    """Whether the process that created run `run_id` still runs (it tears its run down itself)."""
    try:
        pid = int((OWNERS / run_id).read_text())
    except (OSError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def cleanup(run_id: str | None = None) -> list[str]:
    """Removes the namespaces and links of run `run_id`, or of every run whose creator is gone (None); returns
    what it removed."""
    removed = []
    live = set()
    for ns in namespaces():
        m = NS_PATTERN.match(ns)
        if m and run_id is None and _owner_alive(m.group(1)):
            live.add(m.group(1))
            continue
        if m and (run_id is None or m.group(1) == run_id):
            kill_ns_processes(ns)
            sh("ip", "netns", "del", ns, check=False)
            removed.append(ns)
    for link in links():
        m = LINK_PATTERN.match(link)
        if m and m.group(1) not in live and (run_id is None or m.group(1) == run_id) and not _owner_alive(m.group(1)):
            sh("ip", "link", "del", link, check=False)
            removed.append(link)
    for marker in OWNERS.glob("*") if OWNERS.exists() else []:
        if (run_id is None or marker.name == run_id) and marker.name not in live and not _owner_alive(marker.name):
            marker.unlink(missing_ok=True)
    return removed


def _free_slot() -> int:
    """A third octet for 10.77.X.0/24 that no address on this machine's root namespace is in."""
    out = sh("ip", "-o", "-4", "addr", "show", check=False).stdout or ""
    used = set()
    for line in out.split():
        if line.startswith("10.77."):
            used.add(int(line.split(".")[2]))
    for slot in list(range(0, 256)):
        if slot not in used:
            return slot
    raise RuntimeError("no free 10.77.X.0/24 subnet")


class Topology:
    """The namespaces, veths and bridge of one run."""

    def __init__(self, nodes: int, run_id: str | None = None) -> None:
        if not 1 <= nodes <= 200:
            raise ValueError("1 to 200 nodes")
        taken = {m.group(1) for ns in namespaces() if (m := NS_PATTERN.match(ns))}
        self.run_id = run_id or next(r for r in (secrets.token_hex(2) for _ in range(100)) if r not in taken)
        self.nodes = nodes
        self.slot = _free_slot()
        self.subnet = ipaddress.ip_network(f"10.77.{self.slot}.0/24")
        self.host_address = f"10.77.{self.slot}.254"
        self.bridge = f"cn{self.run_id}br"
        self.up = False

    def ns(self, i: int) -> str:
        return f"cairn{self.run_id}-{i}"

    def address(self, i: int) -> str:
        return f"10.77.{self.slot}.{i + 1}"

    def veth(self, i: int) -> str:
        """The root-side end of node i's veth (inside the namespace the other end is `eth0`)."""
        return f"cn{self.run_id}v{i}"

    def create(self) -> None:
        self.up = True
        OWNERS.mkdir(parents=True, exist_ok=True)
        (OWNERS / self.run_id).write_text(str(os.getpid()))
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        sh("ip", "addr", "add", f"{self.host_address}/24", "dev", self.bridge)
        sh("ip", "link", "set", self.bridge, "up")
        for i in range(self.nodes):
            ns, veth = self.ns(i), self.veth(i)
            sh("ip", "netns", "add", ns)
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
            sh("ip", "link", "add", veth, "type", "veth", "peer", "name", f"{veth}p")
            sh("ip", "link", "set", f"{veth}p", "netns", ns)
            sh("ip", "netns", "exec", ns, "ip", "link", "set", f"{veth}p", "name", "eth0")
            sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{self.address(i)}/24", "dev", "eth0")
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up")
            sh("ip", "link", "set", veth, "master", self.bridge)
            sh("ip", "link", "set", veth, "up")

    def exec_args(self, i: int, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.ns(i), *args]

    def run_in(self, i: int, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return sh(*self.exec_args(i, *args), check=check)

    def teardown(self) -> None:
        if self.up:
            self.up = False
            cleanup(self.run_id)
