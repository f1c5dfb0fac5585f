"""Faults on a running `Cluster`: slow or lossy links, partitions, crashes, pauses, restarts, a shifted clock, a
byzantine validator.

- Link faults act on what node i sends out of its namespace's `eth0` (peer traffic and API answers alike, as
  netem on its veth would): `tc qdisc ... netem` where the kernel has netem, otherwise an iptables NFQUEUE rule
  feeding `nfqdelay.py` inside the namespace (the same delay, jitter and loss, in userspace).
- Partitions are iptables DROP rules inside the namespaces between node addresses, in both directions, so TCP
  between the two sides really stops (nothing is reset: links die by their own timeouts). Client traffic from the
  root namespace is not touched.
- Process faults are signals to the node's own pid (SIGKILL, SIGSTOP/SIGCONT, SIGTERM and a fresh start).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from itertools import combinations
from pathlib import Path

from .cluster import Cluster

PART_CHAIN = "CAIRN-PART"
DELAY_CHAIN = "CAIRN-DELAY"
NFQDELAY = Path(__file__).resolve().parent / "nfqdelay.py"
TEST_HOOKS = "CAIRN_ENABLE_TEST_HOOKS"



def stop_delayer(p: subprocess.Popen) -> None:
    """Stops a packet delayer: SIGTERM, then SIGKILL. Its queue's rule is already gone (packets bypass a queue nobody
    reads), so one slow to die on a loaded machine is left to exit by itself rather than failing the run."""
    p.terminate()
    try:
        p.wait(timeout=5)
        return
    except subprocess.TimeoutExpired:
        p.kill()
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        print(f"a packet delayer (pid {p.pid}) has not exited 35 s after SIGTERM and SIGKILL; going on", flush=True)

class Unsupported(Exception):
    """A fault this binary or kernel cannot inject; the caller reports it as skipped."""


class Faults:
    def __init__(self, cluster: Cluster, seed: int = 0) -> None:
        self.c = cluster
        self.topology = cluster.topology
        self.seed = seed
        self.cut: set[frozenset[int]] = set()
        self.link: dict[int, tuple[float, float, float]] = {}  # node -> (delay ms, jitter ms, loss)
        self.delayers: dict[int, subprocess.Popen[bytes]] = {}
        self.down: set[int] = set()  # killed, not yet restarted
        self.byzantine: set[int] = set()
        self._netem: bool | None = None
        for i in range(len(cluster.nodes)):
            for chain, hooks in ((PART_CHAIN, ("INPUT", "OUTPUT")), (DELAY_CHAIN, ("OUTPUT",))):
                self._ipt(i, "-N", chain)
                for hook in hooks:
                    self._ipt(i, "-A", hook, "-j", chain)

    def _ipt(self, i: int, *args: str, check: bool = True) -> None:
        self.topology.run_in(i, "iptables", "-w", *args, check=check)

    # -- links ---------------------------------------------------------------------------------------------------

    @property
    def kernel_netem(self) -> bool:
        if self._netem is None:
            r = self.topology.run_in(0, "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms", check=False)
            self._netem = r.returncode == 0
            if self._netem:
                self.topology.run_in(0, "tc", "qdisc", "del", "dev", "lo", "root", check=False)
        return self._netem

    def set_link(self, i: int, delay_ms: float = 0, jitter_ms: float = 0, loss: float = 0) -> None:
        """Delay (± jitter) and loss on everything node i sends; all zero removes them."""
        self.clear_link(i)
        if delay_ms <= 0 and jitter_ms <= 0 and loss <= 0:
            return
        if self.kernel_netem:
            args = ["tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", f"{delay_ms}ms"]
            if jitter_ms > 0:
                args.append(f"{jitter_ms}ms")
            if loss > 0:
                args += ["loss", f"{loss * 100:.3f}%"]
            self.topology.run_in(i, *args)
        else:
            queue = 100 + i
            p = subprocess.Popen(self.topology.exec_args(i, sys.executable, str(NFQDELAY), "--queue", str(queue),
                                                         "--delay-ms", str(delay_ms), "--jitter-ms", str(jitter_ms),
                                                         "--loss", str(loss), "--seed", str(self.seed * 1000 + i)),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            self.delayers[i] = p
            time.sleep(0.2)  # bound before the rule sends it packets (--queue-bypass covers the gap anyway)
            self._ipt(i, "-A", DELAY_CHAIN, "-o", "eth0", "-j", "NFQUEUE", "--queue-num", str(queue), "--queue-bypass")
        self.link[i] = (delay_ms, jitter_ms, loss)

    def clear_link(self, i: int) -> None:
        if i not in self.link:
            return
        del self.link[i]
        if self.kernel_netem:
            self.topology.run_in(i, "tc", "qdisc", "del", "dev", "eth0", "root", check=False)
            return
        self._ipt(i, "-F", DELAY_CHAIN, check=False)
        p = self.delayers.pop(i, None)
        if p is not None:
            stop_delayer(p)

    # -- partitions ----------------------------------------------------------------------------------------------

    def _apply_cuts(self) -> None:
        for i in range(len(self.c.nodes)):
            self._ipt(i, "-F", PART_CHAIN)
            for pair in self.cut:
                if i in pair:
                    (j,) = pair - {i}
                    peer = self.topology.address(j)
                    self._ipt(i, "-A", PART_CHAIN, "-s", peer, "-j", "DROP")
                    self._ipt(i, "-A", PART_CHAIN, "-d", peer, "-j", "DROP")

    def partition(self, *groups: list[int]) -> None:
        """Cuts every link between nodes of different groups (nodes in no group keep all their links)."""
        cut = set()
        for a, b in combinations(range(len(groups)), 2):
            for i in groups[a]:
                for j in groups[b]:
                    cut.add(frozenset((i, j)))
        self.cut |= cut
        self._apply_cuts()

    def cut_links(self, pairs: list[tuple[int, int]]) -> None:
        self.cut |= {frozenset(p) for p in pairs}
        self._apply_cuts()

    def heal_partitions(self) -> None:
        if self.cut:
            self.cut.clear()
            self._apply_cuts()

    # -- processes -----------------------------------------------------------------------------------------------

    def kill(self, i: int) -> None:
        self.c.kill(i)
        self.down.add(i)

    def pause(self, i: int) -> None:
        self.c.pause(i)

    def resume(self, i: int) -> None:
        self.c.resume(i)

    def restart(self, i: int, env: dict[str, str] | None = None) -> None:
        """Graceful stop (SIGTERM) and start; a byzantine node stays byzantine unless `env` says otherwise."""
        keep = {k: v for k, v in self.c.nodes[i].env.items() if k == "CAIRN_TEST_BYZANTINE" or k == TEST_HOOKS}
        self.c.restart(i, {**keep, **(env or {})})
        self.down.discard(i)

    def revive(self, i: int) -> None:
        """Starts a killed node again with the environment it had."""
        self.c.start(i, self.c.nodes[i].env)
        self.down.discard(i)

    def restart_with_clock_offset(self, i: int, offset_ms: int) -> None:
        if not self.c.binary.has_clock_offset:
            raise Unsupported("the node binary has no CAIRN_TEST_CLOCK_OFFSET_MS switch")
        self.restart(i, {TEST_HOOKS: "1", "CAIRN_TEST_CLOCK_OFFSET_MS": str(offset_ms)})

    def clear_clock_offset(self, i: int) -> None:
        if "CAIRN_TEST_CLOCK_OFFSET_MS" in self.c.nodes[i].env:
            env = {k: v for k, v in self.c.nodes[i].env.items() if k != "CAIRN_TEST_CLOCK_OFFSET_MS"}
            self.c.restart(i, env)

    def byzantine_env(self) -> dict[str, str]:
        if not self.c.binary.has_byzantine:
            raise Unsupported("the node binary has no CAIRN_TEST_BYZANTINE switch")
        return {TEST_HOOKS: "1", "CAIRN_TEST_BYZANTINE": "equivocate"}

    def make_byzantine(self, i: int) -> None:
        """Restarts validator i signing two conflicting votes each step."""
        if not self.c.nodes[i].validator:
            raise ValueError(f"node {i} is not a validator")
        self.c.restart(i, self.byzantine_env())
        self.byzantine.add(i)

    # -- all at once ---------------------------------------------------------------------------------------------

    def heal_all(self) -> None:
        """Removes every fault: links, partitions, pauses, clock offsets; starts killed nodes. Byzantine nodes stay."""
        for i in list(self.link):
            self.clear_link(i)
        self.heal_partitions()
        for i, node in enumerate(self.c.nodes):
            if node.paused:
                self.resume(i)
        for i in list(self.down):
            self.revive(i)
        for i in range(len(self.c.nodes)):
            self.clear_clock_offset(i)
        for i, node in enumerate(self.c.nodes):
            if not node.running:
                self.c.start(i, node.env)

    def close(self) -> None:
        for i in list(self.delayers):
            stop_delayer(self.delayers.pop(i))

