#!/usr/bin/env python3
"""sentence-transformers throughput on the sentences `cairn bench inference` uses (EmbeddingBenchmark.swift).

    python scripts/reference/bench_sentence_transformers.py MODEL_DIR [--threads 2]

Prints `sentence-transformers batch1 N/s` and `sentence-transformers batch32 N/s` (best of 3 passes each).
"""
import argparse
import time

TOPICS = ["the weather today", "a cat on the mat", "machine learning", "the stock market", "a trip to Paris",
          "cooking pasta", "football results", "quantum computing"]


def sentence(index):
    """Must match EmbeddingBenchmark.sentence(_:) in Sources/CairnInference/BERT/EmbeddingBenchmark.swift."""
    return f"Sentence {index}: a short example about {TOPICS[index % len(TOPICS)]}."


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    model = SentenceTransformer(args.model_dir, device="cpu")
    singles = [sentence(i) for i in range(64)]
    many = [sentence(i) for i in range(256)]
    model.encode(many[:64], batch_size=32)
    best1 = best32 = float("inf")
    for _ in range(args.runs):
        start = time.perf_counter()
        for text in singles:
            model.encode([text], batch_size=1)
        middle = time.perf_counter()
        model.encode(many, batch_size=32)
        end = time.perf_counter()
        best1 = min(best1, middle - start)
        best32 = min(best32, end - middle)
    print(f"sentence-transformers batch1 {len(singles) / best1:.1f}/s")
    print(f"sentence-transformers batch32 {len(many) / best32:.1f}/s")


if __name__ == "__main__":
    main()
