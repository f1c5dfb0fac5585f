"""A data owner: one domain's training embeddings (part<partition-id>.npz), one local epoch of minibatch SGD per
round on a linear softmax head, as scripts/reference/flower_baseline.py's clients do."""
import os

import numpy as np
from flwr.client import ClientApp, NumPyClient
from flwr.client.mod import secaggplus_mod
from flwr.common import Context


def train_epoch(theta, x, y, labels, lr, batch_size, rng):
    dim = x.shape[1]
    w = theta[: labels * dim].reshape(labels, dim)
    b = theta[labels * dim:]
    order = rng.permutation(len(x))
    for start in range(0, len(x), batch_size):
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


class Owner(NumPyClient):
    def __init__(self, x, y, labels, seed, lr, batch_size):
        self.x, self.y, self.labels, self.lr, self.batch_size = x, y, labels, lr, batch_size
        self.rng = np.random.default_rng(seed)

    def fit(self, parameters, config):
        theta = parameters[0].astype(np.float64).copy()
        train_epoch(theta, self.x, self.y, self.labels, self.lr, self.batch_size, self.rng)
        return [theta], len(self.x), {}


def client_fn(context: Context):
    part = int(context.node_config["partition-id"])
    data = np.load(os.path.join(context.run_config["data-dir"], f"part{part}.npz"))
    return Owner(data["x"], data["y"], int(data["labels"]), 1 + part, float(data["lr"]), int(data["batch"])).to_client()


# With the SecAgg+ mod, which answers the secure-aggregation stages (it refuses plain fit messages), and without.
secagg_app = ClientApp(client_fn=client_fn, mods=[secaggplus_mod])
plain_app = ClientApp(client_fn=client_fn)
