#!/usr/bin/env python3
"""Flower FedAvg baseline for the federated sentiment head.

Trains the same model as Cairn's federated training (a linear softmax head over frozen sentence embeddings, one
data owner per domain) with Flower's FedAvg, so the two can be compared in one run: accuracy of the final global
model on the union of all test records, and wall time per round.

Every participant is its own OS process: one Flower server (flwr.server.start_server, FedAvg, every client in
every round) and one client per domain (flwr.compat.client.app.start_client), talking gRPC on 127.0.0.1. This
process only prepares the data, supervises the others under one deadline, and evaluates the final model.

Input: JSONL, one {"domain": str, "split": "train"|"test", "label": int, "embedding": [float, ...]} per line.
Output: one JSON object on stdout. Needs flwr and numpy (scripts/lib/flower-venv.sh makes such a virtualenv).
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import traceback

# Flower posts usage telemetry to an outside host unless told not to; it reads this once, at import.
os.environ["FLWR_TELEMETRY_ENABLED"] = "0"

import numpy as np  # noqa: E402


def train_epochs(theta, x, y, labels, epochs, lr, batch_size, rng):
    """Minibatch SGD on softmax cross-entropy; theta is [W (labels x dim, row-major), b (labels)], in place."""
    dim = x.shape[1]
    w = theta[: labels * dim].reshape(labels, dim)
    b = theta[labels * dim:]
    n = len(x)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            xb = x[idx]
            z = xb @ w.T + b
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(idx)), y[idx]] -= 1.0
            p /= len(idx)
            w -= lr * (p.T @ xb)
            b -= lr * p.sum(axis=0)
    return theta


def accuracy(theta, x, y, labels):
    dim = x.shape[1]
    logits = x @ theta[: labels * dim].reshape(labels, dim).T + theta[labels * dim:]
    return float((logits.argmax(axis=1) == y).mean())


# ---------------------------------------------------------------------------------------------------------------
# Server process


def run_server(args):
    import flwr
    from flwr.server import Server, ServerConfig, SimpleClientManager, start_server
    from flwr.server.strategy import FedAvg

    n_params = args.labels * args.dim + args.labels
    marks = {}

    class TimedFedAvg(FedAvg):
        # configure_fit blocks in client sampling until all clients are connected, so the clock for round 1
        # starts when it returns: process start-up and connection set-up stay outside the measured rounds.
        def configure_fit(self, server_round, parameters, client_manager):
            instructions = super().configure_fit(server_round, parameters, client_manager)
            if server_round == 1:
                marks["start"] = time.perf_counter()
            return instructions

        def aggregate_fit(self, server_round, results, failures):
            if failures or len(results) != args.clients:
                raise RuntimeError(f"round {server_round}: {len(results)} results, {len(failures)} failures")
            # What each client put into Flower's Parameters message: the float32 vector as .npy bytes (4 bytes a
            # parameter plus the .npy header), before protobuf and gRPC framing.
            marks["payload"] = max(sum(len(t) for t in res.parameters.tensors) for _, res in results)
            aggregated = super().aggregate_fit(server_round, results, failures)
            if server_round == args.rounds:
                marks["end"] = time.perf_counter()
            return aggregated

    strategy = TimedFedAvg(
        fraction_fit=1.0,
        fraction_evaluate=0.0,  # the final model is evaluated centrally, outside the timed rounds
        min_fit_clients=args.clients,
        min_evaluate_clients=0,
        min_available_clients=args.clients,
        accept_failures=False,
        initial_parameters=flwr.common.ndarrays_to_parameters([np.zeros(n_params, dtype=np.float32)]),
        on_fit_config_fn=lambda rnd: {"server_round": rnd, "local_epochs": args.local_epochs, "lr": args.lr,
                                      "batch_size": args.batch_size},
    )
    server = Server(client_manager=SimpleClientManager(), strategy=strategy)
    start_server(server_address=f"127.0.0.1:{args.port}", server=server,
                 config=ServerConfig(num_rounds=args.rounds, round_timeout=args.round_timeout))
    if "end" not in marks:
        raise RuntimeError("the server stopped before the last round ended")
    theta = flwr.common.parameters_to_ndarrays(server.parameters)[0]
    np.savez(os.path.join(args.workdir, "result.npz"), theta=theta, start=marks["start"], end=marks["end"],
             payload=marks["payload"])


# ---------------------------------------------------------------------------------------------------------------
# Client process


def run_client(args):
    from flwr.client import NumPyClient
    from flwr.compat.client.app import start_client

    data = np.load(os.path.join(args.workdir, f"client{args.index}.npz"))
    x, y = data["x"], data["y"]

    class HeadClient(NumPyClient):
        def get_parameters(self, config):
            return [np.zeros(args.labels * args.dim + args.labels, dtype=np.float32)]

        def fit(self, parameters, config):
            theta = np.array(parameters[0], dtype=np.float32, copy=True)
            rng = np.random.default_rng([args.seed, args.index, int(config["server_round"])])
            train_epochs(theta, x, y, args.labels, int(config["local_epochs"]), float(config["lr"]),
                         int(config["batch_size"]), rng)
            return [theta], len(x), {}

        def evaluate(self, parameters, config):
            return 0.0, len(x), {"accuracy": accuracy(parameters[0], x, y, args.labels)}

    start_client(server_address=f"127.0.0.1:{args.port}", client=HeadClient().to_client(), insecure=True,
                 max_wait_time=args.connect_timeout)


# ---------------------------------------------------------------------------------------------------------------
# Supervisor


def load_embeddings(path):
    domains, records = [], []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            r = json.loads(line)
            if r["split"] not in ("train", "test"):
                raise ValueError(f"{path}:{lineno}: split must be train or test")
            if r["domain"] not in domains:
                domains.append(r["domain"])
            records.append((r["domain"], r["split"], int(r["label"]), r["embedding"]))
    if not records:
        raise ValueError(f"{path}: no records")
    dim = len(records[0][3])
    if any(len(r[3]) != dim for r in records) or any(r[2] < 0 for r in records):
        raise ValueError(f"{path}: embeddings must all have {dim} floats and labels must be >= 0")
    labels = max(2, 1 + max(r[2] for r in records))
    return sorted(domains), records, dim, labels


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env():
    env = dict(os.environ)
    # A proxy variable would route the clients' gRPC channel off the machine; the traffic must stay on loopback.
    for key in ("http_proxy", "https_proxy", "all_proxy", "grpc_proxy"):
        env.pop(key, None)
        env.pop(key.upper(), None)
    env["FLWR_TELEMETRY_ENABLED"] = "0"
    env["PYTHONUNBUFFERED"] = "1"
    # Four clients share the machine's cores; one BLAS thread each avoids oversubscription slowing Flower down.
    for key in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(key, "1")
    return env


def stop_all(procs):
    for p, _, _ in procs:
        if p.poll() is None:
            p.terminate()
    limit = time.monotonic() + 5
    for p, _, _ in procs:
        try:
            p.wait(timeout=max(0.1, limit - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)


def fail(message, procs):
    stop_all(procs)
    print(f"flower_baseline: {message}", file=sys.stderr)
    for _, name, log in procs:
        log.flush()
        with open(log.name, encoding="utf-8", errors="replace") as f:
            tail = f.read()[-3000:]
        print(f"--- {name} log (tail) ---\n{tail}", file=sys.stderr)
    sys.exit(1)


def supervise(args):
    domains, records, dim, labels = load_embeddings(args.embeddings)
    test_x = np.array([r[3] for r in records if r[1] == "test"], dtype=np.float32)
    test_y = np.array([r[2] for r in records if r[1] == "test"], dtype=np.int64)
    if len(test_x) == 0:
        raise ValueError("no test records")

    with tempfile.TemporaryDirectory(prefix="flower-baseline-") as workdir:
        for i, d in enumerate(domains):
            train = [r for r in records if r[0] == d and r[1] == "train"]
            if not train:
                raise ValueError(f"domain {d} has no train records")
            np.savez(os.path.join(workdir, f"client{i}.npz"), x=np.array([r[3] for r in train], dtype=np.float32),
                     y=np.array([r[2] for r in train], dtype=np.int64))
        del records

        port = free_port()
        common = [sys.executable, os.path.abspath(__file__), "--workdir", workdir, "--port", str(port),
                  "--dim", str(dim), "--labels", str(labels), "--clients", str(len(domains)),
                  "--rounds", str(args.rounds), "--local-epochs", str(args.local_epochs), "--lr", str(args.lr),
                  "--batch-size", str(args.batch_size), "--seed", str(args.seed),
                  "--round-timeout", str(args.round_timeout), "--connect-timeout", str(args.connect_timeout)]
        env = child_env()
        log_dir = args.log_dir or workdir
        os.makedirs(log_dir, exist_ok=True)
        procs = []

        def launch(name, extra):
            log = open(os.path.join(log_dir, f"{name}.log"), "w", encoding="utf-8")
            procs.append((subprocess.Popen(common + extra, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                           stderr=subprocess.STDOUT), name, log))

        began = time.perf_counter()
        deadline = time.monotonic() + args.timeout
        try:
            launch("server", ["--role", "server"])
            for i, d in enumerate(domains):
                launch(f"client-{d}", ["--role", "client", "--index", str(i)])
            server = procs[0][0]
            while server.poll() is None:
                if time.monotonic() > deadline:
                    fail(f"no result within {args.timeout} s", procs)
                for p, name, _ in procs[1:]:
                    if p.poll() not in (None, 0):
                        fail(f"{name} exited with status {p.returncode}", procs)
                time.sleep(0.05)
            if server.returncode != 0:
                fail(f"server exited with status {server.returncode}", procs)
            # The server tells every client to disconnect at the end; they must leave on their own.
            grace = min(deadline, time.monotonic() + 30)
            for p, name, _ in procs[1:]:
                try:
                    p.wait(timeout=max(0.1, grace - time.monotonic()))
                except subprocess.TimeoutExpired:
                    fail(f"{name} did not exit after the last round", procs)
                if p.returncode != 0:
                    fail(f"{name} exited with status {p.returncode}", procs)
        except BaseException:
            stop_all(procs)
            raise
        finally:
            for _, _, log in procs:
                log.close()
        seconds_total = time.perf_counter() - began
        result = np.load(os.path.join(workdir, "result.npz"))
        theta = result["theta"]
        round_seconds = float(result["end"] - result["start"])
        payload = int(result["payload"])

    from importlib.metadata import version
    print(json.dumps({
        "framework": "flower",
        "flwr_version": version("flwr"),
        "rounds": args.rounds,
        "clients": len(domains),
        "accuracy": accuracy(theta, test_x, test_y, labels),
        # Server clock: from the moment round 1's clients are sampled (all connected) to the end of the last
        # round's aggregation, over the number of rounds.
        "seconds_per_round": round_seconds / args.rounds,
        # Supervisor clock: from launching the server process until every process has exited.
        "seconds_total": seconds_total,
        "bytes_per_client_per_round": payload,
    }))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--embeddings", help="JSONL of {domain, split, label, embedding}")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--local-epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.5)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=900, help="seconds for the whole federated run")
    ap.add_argument("--round-timeout", type=float, default=300, help="seconds the server waits for one round")
    ap.add_argument("--connect-timeout", type=float, default=60, help="seconds a client retries connecting")
    ap.add_argument("--log-dir", help="keep the server and client logs here")
    # Used by the child processes only.
    ap.add_argument("--role", choices=("server", "client"), help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--dim", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--labels", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--clients", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--index", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rounds < 1 or args.local_epochs < 1 or args.batch_size < 1:
        ap.error("--rounds, --local-epochs and --batch-size must be at least 1")

    if args.role is None:
        if not args.embeddings:
            ap.error("--embeddings is required")
        supervise(args)
        return
    try:
        (run_server if args.role == "server" else run_client)(args)
    except BaseException:
        traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        # gRPC's non-daemon threads would keep a failed process alive; leave at once.
        os._exit(1)


if __name__ == "__main__":
    main()
