"""Network figures of a real Cairn network in Linux network namespaces.

    python3 -m scripts.netns.bench [--seconds 30] [--block-time 1000] [--sync-blocks 300] [--partition-seconds 30]

Each figure gets a fresh network (4 validators unless said otherwise):

- commit latency p50/p99: a client's transfer from the node's answer to `POST /v1/txs` until the client sees the
  receipt (polled every 20 ms), with no added delay and with 50 ms one-way delay on every node's egress;
- % of heights decided in round 0, from a round in `/v1/blocks/{h}` or in `/metrics`, when the node shows one;
- transfers per second with 4 validators and with 1, in the same run (`cairn bench transfers`);
- a new full node block-syncing N blocks the chain made at a short block time (blocks/s); where the binary has
  no full nodes, the same for a validator that starts late (the other three make the chain);
- the first commit after a 2|2 partition of 30 s heals.

A figure whose piece is missing from the binary prints `skipped: <why>`. The last line is all figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import threading
import time
from pathlib import Path

from . import netns
from .campaign import _LIVE, _teardown_all, install_teardown, log
from .checker import liveness_after_heal
from .clients import read_bench_log, run_bench_transfers, start_clients, summary
from .cluster import Binary, Cluster, default_binary, http_text
from .faults import Faults


def network(binary: Binary, base: Path, name: str, validators: int, full_nodes: int = 0, block_time: int = 1000,
            start: bool = True) -> tuple[Cluster, Faults]:
    topology = netns.Topology(validators + full_nodes)
    _LIVE.append((None, None, topology))
    topology.create()
    cluster = Cluster(topology, base / f"{name}-{topology.run_id}", validators, full_nodes, block_time_ms=block_time, binary=binary)
    cluster.generate()
    faults = Faults(cluster)
    _LIVE[-1] = (cluster, faults, topology)
    if start:
        cluster.start_all()
        if not cluster.wait_height(2, timeout=120):
            raise RuntimeError(f"{name}: the network did not reach height 2: {cluster.heights()}")
    return cluster, faults


def rounds(cluster: Cluster, node: int, first: int, last: int) -> tuple[int, int] | None:
    """(heights decided in round 0, heights with a round) over first...last, or None when no round is shown."""
    zero = seen = 0
    for h in range(first, last + 1):
        b = cluster.get(node, f"/v1/blocks/{h}") or {}
        r = _find_round(b)
        if r is None:
            return None if seen == 0 else (zero, seen)
        seen += 1
        zero += r == 0
    return zero, seen


def _find_round(value: object) -> int | None:
    if isinstance(value, dict):
        for k, v in value.items():
            if k.lower() in ("round", "commitround", "decidedround") and isinstance(v, int):
                return v
            if (r := _find_round(v)) is not None:
                return r
    elif isinstance(value, list):
        for v in value:
            if (r := _find_round(v)) is not None:
                return r
    return None


def metrics_rounds(cluster: Cluster, node: int) -> tuple[float, float] | None:
    """(round-0 decisions, all decisions) from a Prometheus series with `round` in its name, when there is one."""
    text = http_text(cluster.nodes[node].url + "/metrics") or ""
    zero = total = 0.0
    for line in text.splitlines():
        m = re.match(r'^(cairn_\w*round\w*)(\{[^}]*\})?\s+([0-9.eE+-]+)$', line)
        if not m:
            continue
        labels, value = m.group(2) or "", float(m.group(3))
        if rm := re.search(r'round="(\d+)"', labels):
            total += value
            zero += value if rm.group(1) == "0" else 0
    return (zero, total) if total else None


def latency(binary: Binary, base: Path, seconds: float, delay_ms: float, block_time: int) -> dict:
    cluster, faults = network(binary, base, f"latency{int(delay_ms)}", 4, block_time=block_time)
    if delay_ms:
        for i in range(4):
            faults.set_link(i, delay_ms=delay_ms)
    first = max(h for h in cluster.heights().values() if h is not None)
    stop = threading.Event()
    clients = start_clients(cluster, [0, 1, 2, 3], [0, 1, 2, 3], f"bench/{cluster.topology.run_id}", stop, poll=0.02)
    time.sleep(seconds)
    stop.set()
    for c in clients:
        c.join(timeout=30)
    last = min(h for h in cluster.heights().values() if h is not None)
    out = summary([t for c in clients for t in c.transfers])
    out["link_faults"] = "netem" if faults.kernel_netem else "nfqueue"
    r = rounds(cluster, 0, first + 1, last)
    m = metrics_rounds(cluster, 0) if r is None else None
    if r:
        out["round0_pct"] = round(100 * r[0] / r[1], 1)
        out["round0_heights"] = r[1]
    elif m:
        out["round0_pct"] = round(100 * m[0] / m[1], 1)
        out["round0_heights"] = int(m[1])
    _teardown_all()
    return out


def throughput(binary: Binary, base: Path, seconds: float, block_time: int) -> dict | str:
    if not binary.has_bench_transfers:
        return "skipped: this cairn has no `bench transfers`"
    out = {}
    for validators in (4, 1):
        cluster, _ = network(binary, base, f"tps{validators}", validators, block_time=block_time)
        # One sender keeping 64 transfers in flight through node 0, the same load for both networks: with 4 validators
        # node 0 relays them to the other proposers.
        log_path = cluster.workdir / "transfers.jsonl"
        s = run_bench_transfers(cluster, 0, [0], log_path, count=100_000, duration=seconds, concurrency=64, timeout=seconds * 3 + 120)
        if s is None:
            out[f"{validators}v"] = "failed: see " + str(log_path)
        else:
            out[f"{validators}v"] = {"tps": s.get("tps"), "committed": s.get("committed"), "latency_ms": s.get("latency_ms")}
            done = read_bench_log(log_path)
            out[f"{validators}v"]["log_lines"] = len(done)
        _teardown_all()
    a, b = out.get("4v"), out.get("1v")
    if isinstance(a, dict) and isinstance(b, dict) and a.get("tps") and b.get("tps"):
        out["ratio_4v_over_1v"] = round(a["tps"] / b["tps"], 3)
    return out


def block_sync(binary: Binary, base: Path, blocks: int, block_time: int) -> dict | str:
    full = binary.has_full_nodes
    cluster, _ = network(binary, base, "sync", 4, full_nodes=1 if full else 0, block_time=block_time, start=False)
    late = 4 if full else 3
    makers = [i for i in range(len(cluster.nodes)) if i != late]
    for i in makers:
        cluster.start(i)
    if not cluster.wait_height(blocks, makers, timeout=blocks * block_time / 1000 * 6 + 120):
        _teardown_all()
        return f"failed: the chain did not reach {blocks} blocks ({cluster.heights(makers)})"
    # The chain made, the validators go on at one block a second: the figure is the new node's, not a race for the
    # two cores with validators making blocks every millisecond.
    for i in makers:
        cluster.stop(i)
        config_path = cluster.nodes[i].home / "config" / "node.json"
        config = json.loads(config_path.read_text())
        config["blockIntervalMilliseconds"] = 1000
        config_path.write_text(json.dumps(config, indent=2))
    for i in makers:
        cluster.start(i)
    cluster.wait_height(blocks, makers, timeout=120)
    target = max(h for h in cluster.heights(makers).values() if h is not None)
    started = time.monotonic()
    cluster.start(late)
    ok = cluster.wait_height(target, [late], timeout=600)
    took = time.monotonic() - started
    reached = cluster.height(late) or 0
    _teardown_all()
    out = {"node": "full node" if full else "validator started late (no --full-nodes in this cairn)",
           "blocks": reached, "seconds": round(took, 2), "blocks_per_s": round(reached / took, 1) if took else None,
           "made_at_block_time_ms": block_time, "while_validators_run_at_ms": 1000}
    if not ok:
        out["note"] = f"did not reach {target} within 600 s"
    return out


def partition_heal(binary: Binary, base: Path, seconds: float, block_time: int) -> dict:
    cluster, faults = network(binary, base, "partition", 4, block_time=block_time)
    before = max(h for h in cluster.heights().values() if h is not None)
    faults.partition([0, 1], [2, 3])
    time.sleep(seconds)
    during = max(h for h in cluster.heights().values() if h is not None)
    faults.heal_partitions()
    first = liveness_after_heal(cluster, list(range(4)), during, limit=60)
    all_caught = cluster.wait_height(during + 1, timeout=120)
    _teardown_all()
    return {"partition_s": seconds, "height_before": before, "height_at_heal": during,
            "first_commit_after_heal_s": None if first is None else round(first, 2), "all_nodes_past_it": all_caught}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m scripts.netns.bench", description="Network figures in namespaces.")
    p.add_argument("--seconds", type=float, default=30, help="length of each latency and throughput measurement")
    p.add_argument("--block-time", type=int, default=1000)
    p.add_argument("--sync-blocks", type=int, default=300)
    p.add_argument("--sync-block-time", type=int, default=100)
    p.add_argument("--partition-seconds", type=float, default=30)
    p.add_argument("--only", default="latency,throughput,sync,partition")
    p.add_argument("--delays", default="0,50", help="one-way delays (whole ms) of the latency figure")
    p.add_argument("--workdir", default="/tmp")
    p.add_argument("--keep", action="store_true", help="keep the homes and logs")
    a = p.parse_args(argv)
    install_teardown()
    binary = Binary(default_binary())
    base = Path(a.workdir) / f"cairn-netns-bench-{int(time.time())}"
    only = set(a.only.split(","))
    figures: dict = {"binary": binary.path, "block_time_ms": a.block_time}
    print(f"bench-network: binary {binary.path}, block time {a.block_time} ms", flush=True)
    if "latency" in only:
        for delay in (int(d) for d in a.delays.split(",")):
            log(f"commit latency, {delay} ms one-way delay, {a.seconds:.0f} s")
            r = latency(binary, base, a.seconds, delay, a.block_time)
            figures[f"latency_delay{delay}ms"] = r
            lat = r["latency_ms"]
            print(f"commit latency, {delay} ms one-way delay ({r['link_faults']}): p50 {lat['p50']} ms, p99 {lat['p99']} ms, "
                  f"max {lat['max']} ms over {r['committed']} transfers", flush=True)
            if "round0_pct" in r:
                print(f"heights decided in round 0, {delay} ms delay: {r['round0_pct']}% of {r['round0_heights']}", flush=True)
            else:
                print(f"heights decided in round 0, {delay} ms delay: skipped: neither /v1/blocks nor /metrics shows a round",
                      flush=True)
    if "throughput" in only:
        log("throughput, 4 validators and 1")
        r = throughput(binary, base, a.seconds, a.block_time)
        figures["throughput"] = r
        if isinstance(r, str):
            print(f"throughput 4 validators vs 1: {r}", flush=True)
        else:
            print(f"throughput: 4 validators {r.get('4v')}, 1 validator {r.get('1v')}, ratio {r.get('ratio_4v_over_1v')}", flush=True)
    if "sync" in only:
        log(f"block sync of {a.sync_blocks} blocks made at {a.sync_block_time} ms")
        r = block_sync(binary, base, a.sync_blocks, a.sync_block_time)
        figures["block_sync"] = r
        if isinstance(r, str):
            print(f"block sync: {r}", flush=True)
        else:
            if not binary.has_full_nodes:
                print("block sync, new full node: skipped: this cairn has no `testnet --full-nodes`", flush=True)
            print(f"block sync, {r['node']}: {r['blocks']} blocks in {r['seconds']} s = {r['blocks_per_s']} blocks/s", flush=True)
    if "partition" in only:
        log(f"2|2 partition for {a.partition_seconds:.0f} s")
        r = partition_heal(binary, base, a.partition_seconds, a.block_time)
        figures["partition_heal"] = r
        print(f"first commit after a 2|2 partition of {a.partition_seconds:.0f} s heals: {r['first_commit_after_heal_s']} s", flush=True)
    print(json.dumps(figures), flush=True)
    if not a.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
