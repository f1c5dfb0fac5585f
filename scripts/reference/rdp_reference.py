#!/usr/bin/env python3
"""Reference epsilons for the Swift RDP accountant (RDPAccountantTests.swift).

Computes (epsilon, optimal order) of the Poisson-sampled Gaussian mechanism
with Google's dp-accounting RdpAccountant, using the same orders as
RDPAccountant.defaultOrders, and prints them both as a table and as Swift
literals to paste into the test's reference table.

Usage:
    python3 -m venv /tmp/dpacct-venv
    /tmp/dpacct-venv/bin/pip install dp-accounting
    /tmp/dpacct-venv/bin/python rdp_reference.py
"""

import importlib.metadata
import logging

import dp_accounting
from dp_accounting.rdp import rdp_privacy_accountant

# Must equal RDPAccountant.defaultOrders.
ORDERS = (
    [1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 4.5]
    + [float(a) for a in range(5, 65)]
    + [128.0, 256.0]
)

# (name, sampling rate q, noise multiplier sigma, steps, delta)
CASES = [
    ("abadi q=0.01 sigma=1.1 1000 steps", 0.01, 1.1, 1000, 1e-5),
    # 60 epochs over 60000 examples at batch 256: ceil(60 * 60000 / 256) steps.
    ("mnist q=256/60000 sigma=1.1 60 epochs", 256 / 60000, 1.1, 14063, 1e-5),
    ("q=0.05 sigma=0.8 200 steps", 0.05, 0.8, 200, 1e-5),
    ("full batch q=1 sigma=2 10 steps", 1.0, 2.0, 10, 1e-5),
    ("cairn-like q=0.032 sigma=1.0 160 steps", 0.032, 1.0, 160, 1e-5),
    ("high order q=0.001 sigma=4 100 steps", 0.001, 4.0, 100, 1e-5),
    # The optimal orders of the next two are fractional (2.5 and 1.75).
    ("fractional q=0.02 sigma=0.8 3000 steps", 0.02, 0.8, 3000, 1e-5),
    # Here orders 1.25 and 1.5 do not converge within 1000 series terms and are
    # dropped by the reference; the Swift port must drop them the same way.
    ("fractional q=0.1 sigma=0.7 500 steps", 0.1, 0.7, 500, 1e-5),
    ("abadi q=0.01 sigma=1.1 1000 steps delta=1e-6", 0.01, 1.1, 1000, 1e-6),
]


def epsilon(q, sigma, steps, delta):
    accountant = rdp_privacy_accountant.RdpAccountant(ORDERS)
    event = dp_accounting.PoissonSampledDpEvent(
        q, dp_accounting.GaussianDpEvent(sigma))
    accountant.compose(dp_accounting.SelfComposedDpEvent(event, steps))
    eps, order = accountant.get_epsilon_and_optimal_order(delta)
    return float(eps), float(order)


def main():
    logging.getLogger("absl").setLevel(logging.ERROR)
    version = importlib.metadata.version("dp-accounting")
    print(f"# dp-accounting {version}")
    print(f"{'case':48} {'q':>12} {'sigma':>6} {'steps':>6} {'delta':>6}"
          f" {'epsilon':>20} {'order':>6}")
    rows = []
    for name, q, sigma, steps, delta in CASES:
        eps, order = epsilon(q, sigma, steps, delta)
        rows.append((q, sigma, steps, delta, eps, order))
        print(f"{name:48} {q:12.10g} {sigma:6g} {steps:6d} {delta:6g}"
              f" {eps:20.15g} {order:6g}")
    print()
    print("// Swift literals: (q, sigma, steps, delta, epsilon, order)")
    for q, sigma, steps, delta, eps, order in rows:
        print(f"    ({q!r}, {sigma!r}, {steps}, {delta!r}, {eps!r}, {order!r}),")


if __name__ == "__main__":
    main()
