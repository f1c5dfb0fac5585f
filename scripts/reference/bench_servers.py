"""Concurrent chat streams against two OpenAI-compatible servers, one after the other, with the same client and prompts:
llama.cpp's llama-server (continuous batching, one slot per stream) and Cairn's gateway in front of one provider on a
`cairn devnet` (payment channels, receipts and all).

    python bench_servers.py --llama-url http://127.0.0.1:PORT/v1 --cairn-url http://127.0.0.1:PORT/v1 [--streams 1,8,16]
        [--max-tokens 256]

For each server and stream count it prints the aggregate completion tokens per second (every stream's completion
tokens, from the usage chunk, over the wall time from the first request to the last stream's end) and the time to
first token p50/p99, then Cairn's figures as a ratio of llama-server's. Greedy decoding; the prompts mix lengths
(about 30 to 400 tokens). Each count first sends prompts neither server has seen (they name the count), then, with
--again, the same prompts once more: both servers keep evaluated prompts (llama-server in its slots, Cairn's engine
after each request), so the second run measures prompts served from what was kept.
"""
import argparse
import concurrent.futures
import json
import time

import openai

TOPICS = ["a lighthouse keeper", "a city under the sea", "the first winter on Mars", "a clockmaker's apprentice",
          "a lost letter", "a train that never stops", "a garden on a rooftop", "an old map"]
FILLER = ("The story should be vivid and concrete, with named characters, a clear beginning, a turn in the middle "
          "and an ending that answers the opening. ")


def prompt(i, run=0):
    return f"Write a long story about {TOPICS[i % len(TOPICS)]} (story {run}.{i}). " + FILLER * (1 + (i * 7) % 12)


def one_stream(client, model, i, max_tokens, start, run=0):
    first = None
    tokens = 0
    stream = client.chat.completions.create(model=model, messages=[{"role": "user", "content": prompt(i, run)}], max_tokens=max_tokens,
                                            temperature=0, stream=True, stream_options={"include_usage": True})
    for chunk in stream:
        if chunk.usage is not None:
            tokens = chunk.usage.completion_tokens
        for c in chunk.choices:
            if first is None and c.delta and c.delta.content:
                first = time.monotonic() - start
    return tokens, first if first is not None else time.monotonic() - start


def run(url, model, streams, max_tokens, warm_up=True):
    client = openai.OpenAI(base_url=url, api_key="bench", max_retries=0, timeout=600)
    if warm_up:
        one_stream(client, model, 99, 8, time.monotonic())
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=streams) as pool:
        results = list(pool.map(lambda i: one_stream(client, model, i, max_tokens, start, run=streams), range(streams)))
    wall = time.monotonic() - start
    ttft = sorted(r[1] for r in results)

    def pct(p):
        return ttft[min(len(ttft) - 1, max(0, int(round(len(ttft) * p + 0.5)) - 1))]

    return {"streams": streams, "completion_tokens": sum(r[0] for r in results), "seconds": round(wall, 2),
            "tokens_per_second": round(sum(r[0] for r in results) / wall, 1), "ttft_p50": round(pct(0.5), 3), "ttft_p99": round(pct(0.99), 3)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--llama-url", required=True)
    parser.add_argument("--cairn-url", required=True)
    parser.add_argument("--llama-model", default="smollm2")
    parser.add_argument("--cairn-model", default="smollm2")
    parser.add_argument("--streams", default="1,8,16")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--again", action="store_true", help="run each count a second time with the same prompts")
    args = parser.parse_args()
    counts = [int(x) for x in args.streams.split(",")]
    passes = ["new", "again"] if args.again else ["new"]
    figures = {}
    for name, url, model in [("llama-server", args.llama_url, args.llama_model), ("cairn", args.cairn_url, args.cairn_model)]:
        for n in counts:
            for p in passes:
                f = run(url, model, n, args.max_tokens, warm_up=p == "new")
                figures[(name, n, p)] = f
                print(f"{name:12s} {n:3d} streams, {p + ' prompts' if p == 'new' else 'same prompts again'}: "
                      f"{f['tokens_per_second']:7.1f} tokens/s ({f['completion_tokens']} tokens in {f['seconds']} s), "
                      f"time to first token p50 {f['ttft_p50']:.2f} s, p99 {f['ttft_p99']:.2f} s", flush=True)
    for p in passes:
        for n in counts:
            a, b = figures[("cairn", n, p)], figures[("llama-server", n, p)]
            print(f"{n:3d} streams ({p}): cairn / llama-server throughput {a['tokens_per_second'] / b['tokens_per_second']:.2f}; "
                  f"cairn {a['tokens_per_second'] / figures[('cairn', counts[0], p)]['tokens_per_second']:.2f}× its {counts[0]}-stream "
                  f"figure, llama-server {b['tokens_per_second'] / figures[('llama-server', counts[0], p)]['tokens_per_second']:.2f}×")
    print(json.dumps({f"{k[0]}_{k[1]}_{k[2]}": v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
