"""The properties a run must keep, checked over the nodes' HTTP APIs once every fault is healed.

- Liveness: the chain decides a new height within 10 s of the last heal, and every honest node catches up.
- Agreement: every honest node has the same block hash and state root at every height it has (all heights of a
  short chain, a sample plus the last 200 of a long one).
- No lost transfer: every transfer a client saw committed has its receipt on every honest node, at the same
  height, successful.
- No transfer applied twice: each client pays one fresh recipient a fixed amount, so the recipient's balance is
  that amount times the client's successful committed transfers (bounded by the sender's nonce when a node took
  a transfer whose answer never reached the client).
- Supply: the bank promises (Sources/CairnBank/README.md) that minted supply grows only by `bank.mint` (genesis,
  then emission at the end of each block) and the burned total only by burns, and that balances + burned = minted
  for every denomination (checked inside the ledger after every block in its tests). From outside, the node's
  reported supply and burned total at height H (the explorer's overview, read from state) must equal the
  genesis supply plus every `bank.mint` of blocks 1...H, and the base fees (gas used × base fee of each block)
  plus every `staking.slash` burn of blocks 1...H; each block's `staking.rewards` emission must equal its mints;
  and the bonded pool must equal the sum of the operators' tokens.
- No honest double signature: no honest validator is named by evidence or tombstoned.
- Equivocation: every byzantine validator appears in evidence (`staking.evidence`) and a double-sign slash
  (`staking.slash`) in some block, and the staking API shows it jailed and tombstoned.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field

from .clients import Transfer
from .cluster import Cluster, http_text

ZERO_HASH = "0" * 64


@dataclass
class Report:
    violations: list[str] = field(default_factory=list)
    facts: dict = field(default_factory=dict)

    def fail(self, text: str) -> None:
        self.violations.append(text)


def _events(block: dict, kind: str) -> list[dict[str, str]]:
    return [{a["key"]: a["value"] for a in e.get("attributes", [])} for e in block.get("blockEvents", []) if e.get("type") == kind]


def _ucairn(text: str) -> int:
    """`12ucairn` or `12ucairn,3foo` -> 12; a bare number -> itself."""
    total = 0
    for part in text.split(","):
        part = part.strip()
        if part.endswith("ucairn"):
            total += int(part[: -len("ucairn")])
        elif part.isdigit():
            total += int(part)
    return total


def _parse_cairn(text: str) -> int:
    whole, _, frac = text.replace(",", "").partition(".")
    return int(whole) * 1_000_000 + int((frac + "000000")[:6])


def liveness_after_heal(cluster: Cluster, honest: list[int], heal_height: int, limit: float = 10.0) -> float | None:
    """Seconds until some honest node is past `heal_height` (None past `limit` s, polled for up to 3×limit)."""
    start = time.monotonic()
    while time.monotonic() - start < 3 * limit:
        hs = [h for h in cluster.heights(honest).values() if h is not None]
        if hs and max(hs) > heal_height:
            return time.monotonic() - start
        time.sleep(0.1)
    return None


class Checker:
    def __init__(self, cluster: Cluster, honest: list[int], byzantine: list[int], seed: int = 0,
                 sample_all_up_to: int = 400, sample: int = 300) -> None:
        self.c = cluster
        self.honest = honest
        self.byzantine = byzantine
        self.rng = random.Random(seed)
        self.sample_all_up_to = sample_all_up_to
        self.sample = sample
        self.report = Report()
        self.ref = honest[0]

    # -- catching up ---------------------------------------------------------------------------------------------

    def catch_up(self, timeout: float = 90.0) -> None:
        """Waits until every honest node reaches the highest head seen when it started."""
        hs = self.c.heights(self.honest)
        target = max((h for h in hs.values() if h is not None), default=0)
        if not self.c.wait_height(target, self.honest, timeout=timeout):
            late = {i: h for i, h in self.c.heights(self.honest).items() if h is None or h < target}
            for i, h in late.items():
                self.report.fail(f"node{i} did not catch up within {timeout:.0f}s: at {h}, the chain at {target}")
        self.report.facts["head"] = target

    def wait_mempools_empty(self, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sizes = [(self.c.get(i, "/v1/status") or {}).get("mempoolSize") for i in self.honest]
            if all(s == 0 for s in sizes):
                return True
            time.sleep(0.5)
        return False

    # -- agreement -----------------------------------------------------------------------------------------------

    def agreement(self) -> dict[int, dict]:
        """Compares blocks across honest nodes; returns the reference node's blocks 1...min head."""
        heads = {i: h for i, h in self.c.heights(self.honest).items() if h is not None}
        if len(heads) < len(self.honest):
            self.report.fail(f"nodes without an answer: {sorted(set(self.honest) - set(heads))}")
        if not heads:
            return {}
        low, high = min(heads.values()), max(heads.values())
        if high <= self.sample_all_up_to:
            compare = list(range(1, high + 1))
        else:
            tail = range(max(1, low - 200), high + 1)
            compare = sorted(set(self.rng.sample(range(1, low), min(self.sample, low - 1))) | set(tail))
        compared = 0
        for h in compare:
            seen: dict[tuple[str, str], list[int]] = {}
            for i, head in heads.items():
                if head < h:
                    continue
                b = self.c.get(i, f"/v1/blocks/{h}", timeout=5)
                if b is None:
                    self.report.fail(f"node{i} has no block {h} below its head {head}")
                    continue
                seen.setdefault((b["hash"], b["header"]["stateRoot"]), []).append(i)
            if len(seen) > 1:
                self.report.fail(f"fork at height {h}: " + "; ".join(f"nodes {v} have block {k[0][:16]} root {k[1][:16]}"
                                                                     for k, v in seen.items()))
            compared += 1
        self.report.facts["heights_compared"] = compared
        blocks = {}
        for h in range(1, low + 1):
            b = self.c.get(self.ref, f"/v1/blocks/{h}", timeout=5)
            if b is not None:
                blocks[h] = b
        return blocks

    # -- transfers -----------------------------------------------------------------------------------------------

    def transfers(self, clients: dict[str, list[Transfer]]) -> None:
        """`clients` maps each client's recipient to its transfers (all from one sender, one amount)."""
        acked = lost = 0
        for recipient, transfers in clients.items():
            if not transfers:
                continue
            amount = transfers[0].amount
            sender = transfers[0].sender
            for t in transfers:
                if not t.committed:
                    r = self.c.get(self.ref, f"/v1/txs/{t.hash}")
                    if r is not None and "height" in r:
                        t.height = int(r["height"])
                        t.nonce = r.get("nonce")
                        t.committed = True  # included though the client never saw it
                        t.error = None if (r.get("receipt") or {}).get("success", True) else "failed"
                    continue
                acked += 1
                for i in self.honest:
                    r = self.c.get(i, f"/v1/txs/{t.hash}")
                    if r is None or "height" not in r:
                        lost += 1
                        self.report.fail(f"transfer {t.hash} committed at {t.height} (seen on node{t.node}) is missing on node{i}")
                    elif int(r["height"]) != t.height:
                        self.report.fail(f"transfer {t.hash} at height {t.height} on node{t.node} but {r['height']} on node{i}")
                    elif (r.get("receipt") or {}).get("success") is False:
                        self.report.fail(f"transfer {t.hash} failed on node{i}: {(r.get('receipt') or {}).get('error')}")
            ok = sum(1 for t in transfers if t.committed and not t.error)
            known = sum(1 for t in transfers if t.committed)
            for _ in range(5):  # balance and nonce from one height
                h1 = self.c.height(self.ref)
                acct_r = self.c.get(self.ref, f"/v1/accounts/{recipient}") or {}
                acct_s = self.c.get(self.ref, f"/v1/accounts/{sender}") or {}
                if h1 == self.c.height(self.ref):
                    break
            balance = sum(int(b["amount"]) for b in acct_r.get("balances", []) if b.get("denom") == "ucairn")
            nonce = int(acct_s.get("nonce", 0))
            unknown = max(0, nonce - known)  # included transfers whose hash no client holds
            if not ok * amount <= balance <= (ok + unknown) * amount or balance % amount:
                self.report.fail(f"recipient {recipient} holds {balance}ucairn; its client's {ok} committed transfers of "
                                 f"{amount} (sender nonce {nonce}) allow {ok * amount}..{(ok + unknown) * amount}")
            if nonce < known:
                self.report.fail(f"sender {sender} nonce {nonce} below its {known} committed transfers")
        self.report.facts["transfers_acknowledged"] = acked
        self.report.facts["transfers_lost"] = lost

    # -- supply --------------------------------------------------------------------------------------------------

    def _explorer_supply(self) -> tuple[int, int, int] | None:
        """(height, supply, burned) read between two equal heads."""
        for _ in range(20):
            h1 = self.c.height(self.ref)
            page = http_text(self.c.nodes[self.ref].url + "/explorer", timeout=10)
            h2 = self.c.height(self.ref)
            if page is None or h1 is None or h1 != h2:
                time.sleep(0.1)
                continue
            text = re.sub(r"<[^>]+>", " ", page)
            s = re.search(r"Supply\s+([\d,]+(?:\.\d+)?) CAIRN", text)
            b = re.search(r"Burned\s+([\d,]+(?:\.\d+)?) CAIRN", text)
            if s and b:
                return h1, _parse_cairn(s.group(1)), _parse_cairn(b.group(1))
        return None

    def supply(self, blocks: dict[int, dict]) -> None:
        read = self._explorer_supply()
        if read is None:
            self.report.fail(f"node{self.ref}: could not read supply and burned total at a stable height")
            return
        height, supply, burned = read
        for h in range(1, height + 1):
            if h not in blocks:
                b = self.c.get(self.ref, f"/v1/blocks/{h}", timeout=5)
                if b is None:
                    self.report.fail(f"node{self.ref}: block {h} missing for the supply check")
                    return
                blocks[h] = b
        minted = burnt = 0
        for h in range(1, height + 1):
            b = blocks[h]
            mints = sum(_ucairn(e.get("amount", "0")) for e in _events(b, "bank.mint"))
            for r in _events(b, "staking.rewards"):
                if int(r.get("emission", "0")) != mints:
                    self.report.fail(f"height {h}: emission {r.get('emission')} but minted {mints}")
            minted += mints
            burnt += int(b["header"].get("gasUsed", 0)) * int(b["header"].get("baseFee", "0"))
            burnt += sum(_ucairn(e.get("burned", "0")) for e in _events(b, "staking.slash"))
        want_supply = self.c.genesis_supply + minted
        if supply != want_supply:
            self.report.fail(f"supply at {height} is {supply}ucairn; genesis {self.c.genesis_supply} + minted {minted} = {want_supply}")
        if burned != burnt:
            self.report.fail(f"burned total at {height} is {burned}ucairn; base fees and slashes of blocks 1...{height} add to {burnt}")
        ops = self.c.get(self.ref, "/v1/staking/operators") or {}
        tokens = sum(int(o.get("tokens", "0")) for o in ops.get("operators", []))
        bonded = int((ops.get("pools") or {}).get("bonded", "-1"))
        if ops and tokens != bonded:
            self.report.fail(f"bonded pool {bonded} but operators hold {tokens}")
        self.report.facts.update({"supply_height": height, "supply": supply, "minted": minted, "burned": burned})

    # -- equivocation --------------------------------------------------------------------------------------------

    def equivocation(self, blocks: dict[int, dict]) -> None:
        for i in self.byzantine:
            v = self.c.nodes[i].validator_address
            evidence = [h for h, b in blocks.items() if any(e.get("operator") == v for e in _events(b, "staking.evidence"))]
            slashes = [h for h, b in blocks.items()
                       if any(e.get("operator") == v and "double" in e.get("reason", "double") for e in _events(b, "staking.slash"))]
            op = self.c.get(self.ref, f"/v1/staking/operators/{v}") or {}
            op = op.get("operator", op)
            if not evidence:
                self.report.fail(f"byzantine node{i} ({v}): no staking.evidence names it in blocks 1...{max(blocks, default=0)}")
            if not slashes:
                self.report.fail(f"byzantine node{i} ({v}): no double-sign staking.slash")
            if not (op.get("jailed") and op.get("tombstoned")):
                self.report.fail(f"byzantine node{i} ({v}): staking shows jailed={op.get('jailed')} tombstoned={op.get('tombstoned')}")
            self.report.facts.setdefault("evidence_heights", {})[f"node{i}"] = evidence[:10]

    def no_honest_double_signs(self, blocks: dict[int, dict]) -> None:
        """No honest validator signed twice: none is named by evidence in the blocks read, and none is tombstoned (the
        ledger tombstones every validator it punishes for double-signing, in any block)."""
        byzantine = {self.c.nodes[i].validator_address for i in self.byzantine}
        for h, b in blocks.items():
            for e in _events(b, "staking.evidence"):
                if e.get("operator") not in byzantine:
                    self.report.fail(f"block {h}: evidence against {e.get('operator')}, an honest validator: it signed twice")
        honest = [n.validator_address for n in self.c.nodes if n.validator and n.validator_address not in byzantine]
        for v in honest:
            op = self.c.get(self.ref, f"/v1/staking/operators/{v}") or {}
            op = op.get("operator", op)
            if op.get("tombstoned"):
                self.report.fail(f"honest validator {v} is tombstoned: it was punished for signing twice")
        self.report.facts["honest_double_signs_checked"] = len(honest)

    def run_all(self, clients: dict[str, list[Transfer]]) -> Report:
        self.catch_up()
        self.wait_mempools_empty()
        blocks = self.agreement()
        self.transfers(clients)
        self.supply(blocks)
        self.no_honest_double_signs(blocks)
        if self.byzantine:
            self.equivocation(blocks)
        return self.report
