"""Delay, jitter and loss for a network namespace where the kernel has no `netem` qdisc.

Packets that an iptables rule sends to NFQUEUE queue Q wait here for their verdict: each is accepted after
`delay ± jitter` milliseconds (in arrival order, so a stream is delayed, not reordered) or dropped with probability
`loss`. It speaks nfnetlink_queue directly over a netlink socket (Python standard library only) and must run inside
the namespace whose rule feeds the queue: `ip netns exec NS python3 nfqdelay.py --queue Q --delay-ms 50`.

On SIGTERM or SIGINT it accepts every packet still held and exits; remove the iptables rule first (packets that
meet a queue with no listener pass, because the rule uses `--queue-bypass`).
"""

from __future__ import annotations

import argparse
import heapq
import random
import select
import signal
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN = 1, 2, 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NF_DROP, NF_ACCEPT = 0, 1
NLM_F_REQUEST = 1
NLMSG_ERROR, NLMSG_DONE = 2, 3


def _attr(kind: int, payload: bytes) -> bytes:
    length = 4 + len(payload)
    return struct.pack("=HH", length, kind) + payload + b"\0" * ((4 - length % 4) % 4)


class NetfilterQueue:
    """One bound nfnetlink queue: receive packet ids, send verdicts."""

    def __init__(self, queue: int, maxlen: int = 20000) -> None:
        self.queue = queue
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind((0, 0))
        self.seq = 0
        self._config(_attr(NFQA_CFG_CMD, struct.pack("!BxH", NFQNL_CFG_CMD_BIND, socket.AF_INET)))
        self._config(_attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0xFFFF, NFQNL_COPY_META)))
        self._config(_attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", maxlen)))

    def _send(self, msg_type: int, payload: bytes) -> None:
        self.seq += 1
        body = struct.pack("!BBH", socket.AF_UNSPEC, 0, self.queue) + payload
        header = struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | msg_type, NLM_F_REQUEST, self.seq, 0)
        self.sock.send(header + body)

    def _config(self, attrs: bytes) -> None:
        self._send(NFQNL_MSG_CONFIG, attrs)

    def verdict(self, packet_id: int, verdict: int) -> None:
        self._send(NFQNL_MSG_VERDICT, _attr(NFQA_VERDICT_HDR, struct.pack("!II", verdict, packet_id)))

    def receive(self) -> list[int]:
        """Packet ids of every message in one read (configuration errors raise)."""
        try:
            data = self.sock.recv(1 << 16)
        except OSError:  # ENOBUFS: the kernel dropped messages; the packets behind them are lost like on a wire
            return []
        ids, offset = [], 0
        while offset + 16 <= len(data):
            length, msg_type, _flags, _seq, _pid = struct.unpack_from("=IHHII", data, offset)
            if length < 16:
                break
            if msg_type == NLMSG_ERROR:
                (code,) = struct.unpack_from("=i", data, offset + 16)
                if code != 0:
                    raise OSError(-code, "nfnetlink_queue refused the configuration")
            elif msg_type == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                pos, end = offset + 20, offset + length
                while pos + 4 <= end:
                    alen, akind = struct.unpack_from("=HH", data, pos)
                    if alen < 4:
                        break
                    if (akind & 0x7FFF) == NFQA_PACKET_HDR:
                        ids.append(struct.unpack_from("!I", data, pos + 4)[0])
                    pos += (alen + 3) & ~3
            offset += (length + 3) & ~3
        return ids


def run(queue: int, delay_ms: float, jitter_ms: float, loss: float, seed: int) -> None:
    rng = random.Random(seed)
    q = NetfilterQueue(queue)
    held: list[tuple[float, int, int]] = []  # (release time, arrival order, packet id)
    last_release = 0.0
    order = 0
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"nfqdelay: queue {queue} delay {delay_ms} ms jitter {jitter_ms} ms loss {loss}", flush=True)
    while not stopping:
        now = time.monotonic()
        while held and held[0][0] <= now:
            q.verdict(heapq.heappop(held)[2], NF_ACCEPT)
        wait = max(0.0, held[0][0] - now) if held else 0.5
        try:
            ready, _, _ = select.select([q.sock], [], [], wait)
        except InterruptedError:
            continue
        if not ready:
            continue
        now = time.monotonic()
        for packet_id in q.receive():
            if loss > 0 and rng.random() < loss:
                q.verdict(packet_id, NF_DROP)
                continue
            extra = delay_ms + (rng.uniform(-jitter_ms, jitter_ms) if jitter_ms > 0 else 0.0)
            release = max(now + max(0.0, extra) / 1000.0, last_release)
            last_release = release
            order += 1
            heapq.heappush(held, (release, order, packet_id))
    for _, _, packet_id in held:
        q.verdict(packet_id, NF_ACCEPT)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--queue", type=int, required=True)
    p.add_argument("--delay-ms", type=float, default=0.0)
    p.add_argument("--jitter-ms", type=float, default=0.0)
    p.add_argument("--loss", type=float, default=0.0, help="probability of dropping a packet, 0..1")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    run(a.queue, a.delay_ms, a.jitter_ms, a.loss, a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
