#!/usr/bin/env python3
"""Data and figures of scripts/bench-flower-deployment.sh.

    flower_deployment_data.py prepare EMBEDDINGS.jsonl DIR --lr 0.5 --batch-size 32
        one part<i>.npz per domain (sorted by name, its training records), test.npz (every domain's test records),
        initial.npy (a zero head), from the embeddings `cairn train demo --export-embeddings` writes
    flower_deployment_data.py summary DIR --label NAME
        one JSON object: rounds, seconds per round (first round's start to last round's end on the server's clock,
        over the rounds), accuracy of the final model on test.npz
"""
import argparse
import json
import os

import numpy as np


def prepare(args):
    rows = [json.loads(line) for line in open(args.embeddings)]
    domains = sorted({r["domain"] for r in rows})
    labels = max(r["label"] for r in rows) + 1
    for i, domain in enumerate(domains):
        train = [r for r in rows if r["domain"] == domain and r["split"] == "train"]
        np.savez(os.path.join(args.dir, f"part{i}.npz"), x=np.array([r["embedding"] for r in train], dtype=np.float64),
                 y=np.array([r["label"] for r in train]), labels=labels, lr=args.lr, batch=args.batch_size)
    test = [r for r in rows if r["split"] == "test"]
    np.savez(os.path.join(args.dir, "test.npz"), x=np.array([r["embedding"] for r in test], dtype=np.float64),
             y=np.array([r["label"] for r in test]), labels=labels)
    dim = len(rows[0]["embedding"])
    np.save(os.path.join(args.dir, "initial.npy"), np.zeros(labels * dim + labels))
    print(json.dumps({"domains": domains, "labels": labels, "test_records": len(test)}))


def summary(args):
    rounds = {int(k): v for k, v in json.load(open(os.path.join(args.dir, "rounds.json"))).items()}
    test = np.load(os.path.join(args.dir, "test.npz"))
    theta = np.load(os.path.join(args.dir, "final.npy"))
    x, y, labels = test["x"], test["y"], int(test["labels"])
    dim = x.shape[1]
    logits = x @ theta[: labels * dim].reshape(labels, dim).T + theta[labels * dim:]
    first, last = min(rounds), max(rounds)
    print(json.dumps({"run": args.label, "rounds": len(rounds), "contributors": [rounds[r][2] for r in sorted(rounds)],
                      "seconds_per_round": round((rounds[last][1] - rounds[first][0]) / len(rounds), 3),
                      "accuracy": round(float((logits.argmax(axis=1) == y).mean()), 4)}))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("embeddings")
    p.add_argument("dir")
    p.add_argument("--lr", type=float, default=0.5)
    p.add_argument("--batch-size", type=int, default=32)
    s = sub.add_parser("summary")
    s.add_argument("dir")
    s.add_argument("--label", required=True)
    args = parser.parse_args()
    prepare(args) if args.command == "prepare" else summary(args)


if __name__ == "__main__":
    main()
