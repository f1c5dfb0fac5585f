"""Transfer clients: one per funded key, each sending to its own fresh recipient, recording every transfer.

`TransferClient` signs with `cairn tx send --no-wait --json` (the node answers once its mempool holds the
transaction) and then polls `GET /v1/txs/{hash}` on that node until the receipt shows. One transfer is in flight
per client, so a client never has two transactions for one nonce in a mempool unless a node stops answering: then
it tries the next node and the old transaction, if it is ever included, still counts (the checker reads every
hash a client was given, and the sender's nonce).

`cairn bench transfers`, where the binary has it, does the same job in one process (`run_bench_transfers`).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .bech32 import address_of_seed
from .cluster import Cluster, http_json


@dataclass
class Transfer:
    hash: str
    nonce: int | None
    sender: str
    recipient: str
    amount: int
    node: int
    submitted: float  # monotonic seconds when the node accepted it
    committed: bool = False
    height: int | None = None
    latency_ms: float | None = None
    error: str | None = None


@dataclass
class ClientStats:
    submitted: int = 0
    committed: int = 0
    refused: int = 0
    timeouts: int = 0
    errors: list[str] = field(default_factory=list)


class TransferClient(threading.Thread):
    """Sends `amount` ucairn from home `home_index`'s `dev` key, one transfer at a time, to `recipient`."""

    def __init__(self, cluster: Cluster, home_index: int, nodes: list[int], run_label: str, amount: int,
                 stop: threading.Event, commit_timeout: float = 12.0, poll: float = 0.1, max_transfers: int | None = None) -> None:
        super().__init__(daemon=True, name=f"client{home_index}")
        self.c = cluster
        self.home_index = home_index
        self.home = cluster.nodes[home_index].home
        self.sender = cluster.nodes[home_index].dev_address or ""
        self.recipient = address_of_seed(f"{run_label}/recipient/{home_index}")
        self.nodes = nodes
        self.amount = amount
        self.stop_event = stop
        self.commit_timeout = commit_timeout
        self.poll = poll
        self.max_transfers = max_transfers
        self.transfers: list[Transfer] = []
        self._by_hash: dict[str, Transfer] = {}
        self.stats = ClientStats()
        self._next = nodes.index(home_index) if home_index in nodes else 0

    def _submit(self, node: int) -> tuple[str | None, str | None]:
        args = [self.c.binary.path, "tx", "send", "--no-wait", "--json", "--home", str(self.home), "--from", "dev",
                "--node", self.c.nodes[node].url, "--to", self.recipient, "--amount", f"{self.amount}ucairn"]
        try:
            r = subprocess.run(args, capture_output=True, text=True, timeout=10)
        except subprocess.TimeoutExpired:
            return None, "submit timed out"
        if r.returncode != 0:
            return None, (r.stderr.strip() or r.stdout.strip())[:200]
        try:
            return json.loads(r.stdout)["hash"], None
        except (ValueError, KeyError):
            return None, f"unreadable answer: {r.stdout[:200]}"

    def run(self) -> None:
        while not self.stop_event.is_set():
            if self.max_transfers is not None and len(self.transfers) >= self.max_transfers:
                return
            node = self.nodes[self._next % len(self.nodes)]
            tx_hash, error = self._submit(node)
            if tx_hash is None:
                self.stats.refused += 1
                if len(self.stats.errors) < 20:
                    self.stats.errors.append(f"node{node}: {error}")
                self._next += 1  # try the next node
                self.stop_event.wait(0.5)
                continue
            t = self._by_hash.get(tx_hash)
            if t is None:
                t = Transfer(hash=tx_hash, nonce=None, sender=self.sender, recipient=self.recipient, amount=self.amount,
                             node=node, submitted=time.monotonic())
                self._by_hash[tx_hash] = t
                self.transfers.append(t)
                self.stats.submitted += 1
            else:  # the same nonce and base fee sign to the same bytes: the node took the old transfer again
                t.node = node
            deadline = time.monotonic() + self.commit_timeout
            while time.monotonic() < deadline:
                r = http_json(f"{self.c.nodes[node].url}/v1/txs/{tx_hash}", timeout=2)
                if r is not None and "height" in r:
                    t.committed = True
                    t.height = int(r["height"])
                    t.nonce = r.get("nonce")
                    t.latency_ms = (time.monotonic() - t.submitted) * 1000
                    receipt = r.get("receipt") or {}
                    if receipt.get("success") is False:
                        t.error = json.dumps(receipt.get("error"))
                    self.stats.committed += 1
                    break
                time.sleep(self.poll)  # a stop still waits for the transfer in flight (bounded by the deadline)
            if not t.committed:
                self.stats.timeouts += 1
                self._next += 1


def start_clients(cluster: Cluster, homes: list[int], nodes: list[int], run_label: str, stop: threading.Event,
                  **kwargs: object) -> list[TransferClient]:
    clients = [TransferClient(cluster, h, nodes, run_label, amount=1000 + h, stop=stop, **kwargs) for h in homes]  # type: ignore[arg-type]
    for c in clients:
        c.start()
    return clients


def run_bench_transfers(cluster: Cluster, home_index: int, nodes: list[int], log: Path, count: int | None = None,
                        duration: float | None = None, concurrency: int = 4, to: str | None = None,
                        amount: int = 1, timeout: float = 600) -> dict | None:
    """`cairn bench transfers ... --json`: its summary, or None when it failed (its log is at `log`)."""
    args = [cluster.binary.path, "bench", "transfers", "--home", str(cluster.nodes[home_index].home), "--from", "dev",
            "--concurrency", str(concurrency), "--amount", str(amount), "--log", str(log), "--json"]
    for n in nodes:
        args += ["--node", cluster.nodes[n].url]
    if count is not None:
        args += ["--count", str(count)]
    if duration is not None:
        args += ["--duration", str(int(duration))]
    if to:
        args += ["--to", to]
    try:
        r = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    if r.returncode != 0:
        return None
    try:
        return json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def read_bench_log(log: Path, sender: str | None = None) -> list[Transfer]:
    """The transfers `cairn bench transfers --log` wrote (one JSON object a line)."""
    out = []
    if not log.exists():
        return out
    for line in log.read_text().splitlines():
        try:
            d = json.loads(line)
        except ValueError:
            continue
        out.append(Transfer(hash=d.get("hash", ""), nonce=d.get("nonce"), sender=d.get("from") or sender or "",
                            recipient=d.get("to", ""), amount=int(str(d.get("amount", "0")).rstrip("ucairn") or 0),
                            node=-1, submitted=0.0, committed=bool(d.get("committed")), height=d.get("height"),
                            latency_ms=d.get("latency_ms"), error=d.get("error")))
    return out


def summary(transfers: list[Transfer]) -> dict:
    lat = sorted(t.latency_ms for t in transfers if t.committed and t.latency_ms is not None)

    def pct(p: float) -> float | None:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None

    return {"submitted": len(transfers), "committed": sum(t.committed for t in transfers),
            "latency_ms": {"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "max": round(lat[-1], 1) if lat else None}}


def as_records(transfers: list[Transfer]) -> list[dict]:
    return [asdict(t) for t in transfers]
