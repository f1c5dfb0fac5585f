"""Seeded fault campaigns against a real Cairn network in Linux network namespaces.

    python3 -m scripts.netns.campaign --seed 7 --perturbations 20 --validators 4 --full-nodes 1
    python3 -m scripts.netns.campaign --perturbations 1000 --per-run 50         # the long form
    python3 -m scripts.netns.campaign --kinds kill --perturbations 200            # 200 kills and restarts
    python3 -m scripts.netns.campaign --byzantine --byzantine-heights 1000       # one equivocating validator
    python3 -m scripts.netns.campaign cleanup                                     # remove leftovers of any run

A schedule is a pure function of the seed and the options: the same seed gives the same faults, in the same order,
at the same offsets. Perturbations are split into runs of `--per-run`; each run starts a fresh network, sends
transfers from every validator's funded key while it perturbs, heals everything, checks (checker.py) and prints
one JSON line. The exit status is 1 when any property was violated (the line names the seed and the violation),
2 when the network could not be set up.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import random
import secrets
import shutil
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import netns
from .checker import Checker, liveness_after_heal
from .clients import as_records, start_clients
from .cluster import Binary, Cluster, default_binary
from .faults import Faults, Unsupported

KINDS = {"delay": 3, "loss": 2, "partition": 4, "isolate": 2, "kill": 3, "pause": 2, "restart": 1, "clock": 1}


@dataclass
class Fault:
    kind: str
    node: int = 0
    hold: float = 1.0
    groups: list[list[int]] = field(default_factory=list)
    delay_ms: float = 0
    jitter_ms: float = 0
    loss: float = 0
    offset_ms: int = 0

    def describe(self) -> dict:
        d: dict = {"kind": self.kind, "hold_s": round(self.hold, 2)}
        if self.kind == "partition":
            d["groups"] = self.groups
        else:
            d["node"] = self.node
        if self.kind == "delay":
            d.update(delay_ms=self.delay_ms, jitter_ms=self.jitter_ms)
        if self.kind == "loss":
            d["loss"] = self.loss
        if self.kind == "clock":
            d["offset_ms"] = self.offset_ms
        return d


@dataclass
class Step:
    faults: list[Fault]
    gap: float  # seconds of calm after the faults are reverted


def draw_schedule(seed: int, run: int, steps: int, validators: int, nodes: int, kinds: list[str]) -> list[Step]:
    """`steps` steps of one or two simultaneous faults, drawn only from `random.Random(seed, run)`."""
    rng = random.Random(f"{seed}/{run}")
    weights = [KINDS[k] for k in kinds]
    schedule = []
    for _ in range(steps):
        faults: list[Fault] = []
        for _ in range(2 if rng.random() < 0.25 else 1):
            kind = rng.choices(kinds, weights)[0]
            node = rng.randrange(nodes)
            f = Fault(kind=kind, node=node, hold=rng.uniform(1.0, 5.0))
            if kind == "delay":
                f.delay_ms = rng.choice([20, 50, 100, 200, 400])
                f.jitter_ms = round(f.delay_ms * rng.choice([0, 0.1, 0.3]), 1)
            elif kind == "loss":
                f.loss = rng.choice([0.05, 0.1, 0.3])
            elif kind in ("partition", "isolate"):
                order = list(range(nodes))
                rng.shuffle(order)
                cut = 1 if kind == "isolate" else rng.randint(1, nodes // 2)
                f.kind = "partition"
                f.groups = [sorted(order[:cut]), sorted(order[cut:])]
                f.hold = rng.uniform(2.0, 8.0)
            elif kind == "clock":
                f.node = rng.randrange(validators)
                f.offset_ms = rng.choice([-1, 1]) * rng.choice([200, 1000, 3000])
                f.hold = rng.uniform(3.0, 6.0)
            if any(g.kind == f.kind or (g.kind != "partition" and f.kind != "partition" and g.node == f.node) for g in faults):
                continue  # one fault per kind and per node in a step
            faults.append(f)
        schedule.append(Step(faults=faults, gap=rng.uniform(0.5, 2.0)))
    return schedule


# -- teardown on every exit path -------------------------------------------------------------------------------------

_LIVE: list[tuple[Cluster | None, Faults | None, netns.Topology]] = []


def _teardown_all() -> None:
    while _LIVE:
        cluster, faults, topology = _LIVE.pop()
        try:
            if faults:
                faults.close()
            if cluster:
                cluster.stop_all()
        finally:
            topology.teardown()


def _on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def install_teardown() -> None:
    atexit.register(_teardown_all)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- one run -------------------------------------------------------------------------------------------------------

class Run:
    def __init__(self, args: argparse.Namespace, run: int, schedule: list[Step], binary: Binary, base: Path) -> None:
        self.args = args
        self.run = run
        self.schedule = schedule
        self.binary = binary
        self.base = base
        self.skipped: set[str] = set()
        self.counts: dict[str, int] = {}

    def apply(self, faults: Faults, f: Fault) -> bool:
        try:
            if f.kind == "delay":
                faults.set_link(f.node, f.delay_ms, f.jitter_ms)
            elif f.kind == "loss":
                faults.set_link(f.node, loss=f.loss)
            elif f.kind == "partition":
                faults.partition(*f.groups)
            elif f.kind == "kill":
                faults.kill(f.node)
            elif f.kind == "pause":
                faults.pause(f.node)
            elif f.kind == "restart":
                faults.restart(f.node)
            elif f.kind == "clock":
                faults.restart_with_clock_offset(f.node, f.offset_ms)
        except Unsupported as e:
            self.skipped.add(f"{f.kind}: {e}")
            return False
        self.counts[f.kind] = self.counts.get(f.kind, 0) + 1
        return True

    def revert(self, faults: Faults, f: Fault) -> None:
        if f.kind in ("delay", "loss"):
            faults.clear_link(f.node)
        elif f.kind == "partition":
            faults.heal_partitions()
        elif f.kind == "kill":
            faults.revive(f.node)
        elif f.kind == "pause":
            faults.resume(f.node)
        elif f.kind == "clock":
            faults.clear_clock_offset(f.node)

    def execute(self) -> dict:
        a = self.args
        full = a.full_nodes
        if full and not self.binary.has_full_nodes:
            self.skipped.add(f"full nodes: this cairn has no `testnet --full-nodes` ({full} requested)")
            full = 0
        nodes = a.validators + full
        topology = netns.Topology(nodes)
        workdir = self.base / f"run{self.run}-{topology.run_id}"
        _LIVE.append((None, None, topology))
        started = time.monotonic()
        topology.create()
        cluster = Cluster(topology, workdir, a.validators, full, block_time_ms=a.block_time, binary=self.binary)
        _LIVE[-1] = (cluster, None, topology)
        cluster.generate()
        faults = Faults(cluster, seed=a.seed)
        _LIVE[-1] = (cluster, faults, topology)
        byzantine: list[int] = []
        envs = {}
        if a.byzantine:
            b = random.Random(f"{a.seed}/{self.run}/byzantine").randrange(a.validators)
            try:
                envs[b] = faults.byzantine_env()
                byzantine = [b]
                faults.byzantine.add(b)
            except Unsupported as e:
                self.skipped.add(f"byzantine: {e}")
        cluster.start_all(envs)
        if not cluster.wait_height(2, timeout=a.start_timeout):
            tails = {i: cluster.log_tail(i, 5) for i in range(nodes)}
            raise RuntimeError(f"the network did not reach height 2 in {a.start_timeout}s: heights {cluster.heights()} logs {tails}")
        log(f"run {self.run}: {nodes} nodes up in {time.monotonic() - started:.1f}s ({topology.ns(0)}...), workdir {workdir}")

        stop = threading.Event()
        validators = list(range(a.validators))
        honest_validators = [v for v in validators if v not in byzantine]
        clients = start_clients(cluster, validators, honest_validators or validators, f"{a.seed}/{self.run}/{topology.run_id}", stop)

        # Faults use node indices drawn over all nodes the schedule was drawn for; full nodes missing here map back.
        for n, step in enumerate(self.schedule):
            applied = []
            for f in step.faults:
                f = Fault(**{**f.__dict__, "node": f.node % nodes,
                             "groups": [[i for i in g if i < nodes] for g in f.groups]})
                if f.kind == "partition" and not all(f.groups):
                    self.skipped.add("partition: a side held only full nodes this binary cannot start")
                    continue
                if self.apply(faults, f):
                    applied.append(f)
            if applied:
                log(f"run {self.run} step {n + 1}/{len(self.schedule)}: " + ", ".join(json.dumps(f.describe()) for f in applied))
            time.sleep(max((f.hold for f in applied), default=0.0))
            for f in reversed(applied):
                self.revert(faults, f)
            time.sleep(step.gap)

        if a.byzantine_heights and byzantine:
            log(f"run {self.run}: waiting for height {a.byzantine_heights} with byzantine node{byzantine[0]}")
            cluster.wait_height(a.byzantine_heights, honest_validators, timeout=a.byzantine_heights * a.block_time / 1000 * 4 + 60)

        faults.heal_all()
        honest = [i for i in range(nodes) if i not in byzantine]
        heal_height = max((h for h in cluster.heights(honest).values() if h is not None), default=0)
        liveness = liveness_after_heal(cluster, honest, heal_height)
        stop.set()
        for c in clients:
            c.join(timeout=30)
        checker = Checker(cluster, honest, byzantine, seed=a.seed)
        if liveness is None or liveness > 10.0:
            checker.report.fail(f"no new height within 10 s of the last heal (height {heal_height}; "
                                f"{'none in 30 s' if liveness is None else f'{liveness:.1f}s'})")
        by_recipient = {c.recipient: c.transfers for c in clients}
        report = checker.run_all(by_recipient)
        transfers = [t for c in clients for t in c.transfers]
        (workdir / "transfers.json").write_text(json.dumps(as_records(transfers), indent=1))
        lat = sorted(t.latency_ms for t in transfers if t.latency_ms is not None)
        summary = {
            "seed": a.seed, "run": self.run, "run_id": topology.run_id, "nodes": nodes, "validators": a.validators,
            "full_nodes": full, "byzantine": byzantine, "perturbations": sum(self.counts.values()), "by_kind": self.counts,
            "head": report.facts.get("head"), "heights_compared": report.facts.get("heights_compared"),
            "transfers": {"submitted": len(transfers), "acknowledged": sum(1 for c in clients for t in c.transfers if t.latency_ms is not None),
                          "committed": sum(t.committed for t in transfers), "refused": sum(c.stats.refused for c in clients),
                          "p50_ms": round(lat[len(lat) // 2]) if lat else None},
            "supply": {k: report.facts.get(k) for k in ("supply_height", "supply", "minted", "burned")},
            "evidence_heights": report.facts.get("evidence_heights"),
            "first_commit_after_heal_s": None if liveness is None else round(liveness, 2),
            "link_faults": "netem" if faults.kernel_netem else "nfqueue",
            "skipped": sorted(self.skipped), "violations": report.violations,
            "wall_s": round(time.monotonic() - started, 1),
        }
        if report.violations:
            summary["logs"] = str(workdir / "logs")
        _teardown_all()
        if not report.violations and not a.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        return summary


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["cleanup"]:
        removed = netns.cleanup()
        print(f"removed {len(removed)} leftovers" + (f": {' '.join(removed)}" if removed else ""))
        return 0
    p = argparse.ArgumentParser(prog="python3 -m scripts.netns.campaign", description="Seeded fault campaigns in network namespaces.")
    p.add_argument("--seed", type=int, default=None, help="schedule seed (default: random, printed)")
    p.add_argument("--perturbations", type=int, default=20)
    p.add_argument("--per-run", type=int, default=25, help="perturbations per fresh network")
    p.add_argument("--validators", type=int, default=4)
    p.add_argument("--full-nodes", type=int, default=0)
    p.add_argument("--kinds", default=",".join(KINDS), help=f"fault kinds to draw from ({','.join(KINDS)})")
    p.add_argument("--byzantine", action="store_true", help="start one validator equivocating (CAIRN_TEST_BYZANTINE)")
    p.add_argument("--byzantine-heights", type=int, default=0, help="with --byzantine: run until this height")
    p.add_argument("--block-time", type=int, default=1000, help="milliseconds between blocks")
    p.add_argument("--start-timeout", type=float, default=120)
    p.add_argument("--workdir", default=os.environ.get("TMPDIR", "/tmp"), help="folder for run homes and logs")
    p.add_argument("--keep", action="store_true", help="keep homes and logs of passing runs")
    a = p.parse_args(argv)
    if a.seed is None:
        a.seed = secrets.randbelow(2**31)
    kinds = [k for k in a.kinds.split(",") if k]
    if unknown := [k for k in kinds if k not in KINDS]:
        p.error(f"unknown kinds {unknown}")
    if a.byzantine_heights:
        a.byzantine = True
    if os.geteuid() != 0:
        print("campaign: needs root (network namespaces)", file=sys.stderr)
        return 2
    install_teardown()
    binary = Binary(default_binary())
    if a.byzantine and not binary.has_byzantine:
        print(f"campaign: skipped: --byzantine needs CAIRN_TEST_BYZANTINE, which {binary.path} does not have", flush=True)
        return 0
    print(f"campaign: seed {a.seed}, {a.perturbations} perturbations, {a.validators} validators, {a.full_nodes} full nodes, "
          f"binary {binary.path}", flush=True)
    base = Path(a.workdir) / f"cairn-netns-{a.seed}"
    base.mkdir(parents=True, exist_ok=True)
    runs = max(1, -(-a.perturbations // a.per_run))
    failed = []
    for r in range(runs):
        steps = min(a.per_run, a.perturbations - r * a.per_run) if a.perturbations else 0
        schedule = draw_schedule(a.seed, r, steps, a.validators, a.validators + a.full_nodes, kinds)
        try:
            summary = Run(a, r, schedule, binary, base).execute()
        except (RuntimeError, OSError) as e:
            _teardown_all()
            print(json.dumps({"seed": a.seed, "run": r, "error": str(e)[:2000]}), flush=True)
            return 2
        print(json.dumps(summary), flush=True)
        if summary["violations"]:
            failed.append((r, summary["violations"]))
    if failed:
        for r, v in failed:
            print(f"campaign: seed {a.seed} run {r} violated: {'; '.join(v)}", file=sys.stderr)
        return 1
    if not any(base.iterdir()):
        base.rmdir()
    print(f"campaign: seed {a.seed}: {runs} runs, every property held", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
