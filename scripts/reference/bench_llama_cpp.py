#!/usr/bin/env python3
"""llama.cpp (llama-cpp-python) prefill and decode speed on the GGUF `cairn bench inference` measures.

    python scripts/reference/bench_llama_cpp.py MODEL.gguf [--threads 2] [--prompt-tokens 400] [--decode-tokens 128]

Prefill: one 400-token prompt evaluated in one batch. Decode: 128 greedy tokens one at a time after it.
Each figure is the best of `--runs` passes. Prints `llama.cpp prefill N tok/s` and `llama.cpp decode N tok/s`.
"""
import argparse
import time

# The same paragraph BenchInferenceCommand repeats for its prompt.
PARAGRAPH = ("The history of computing is a story of people who wanted to calculate faster. "
             "From the abacus to mechanical calculators, from vacuum tubes to transistors, each step made "
             "machines smaller, cheaper and more capable, and each one changed how we work and live. ")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("gguf")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prompt-tokens", type=int, default=400)
    parser.add_argument("--decode-tokens", type=int, default=128)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import numpy as np
    from llama_cpp import Llama

    context = args.prompt_tokens + args.decode_tokens + 16
    # Without logits_all, llama-cpp-python keeps n_batch rows of scores but indexes them by position, so
    # n_batch must cover every position; the prompt is still evaluated in ubatches of 512.
    llm = Llama(model_path=args.gguf, n_ctx=context, n_batch=context, n_ubatch=512, n_threads=args.threads,
                n_threads_batch=args.threads, logits_all=False, verbose=False)
    prompt = []
    while len(prompt) < args.prompt_tokens:
        prompt += llm.tokenize(PARAGRAPH.encode("utf-8"), add_bos=False, special=False)
    prompt = prompt[:args.prompt_tokens]
    best_prefill = best_decode = float("inf")
    for _ in range(args.runs):
        llm.reset()
        start = time.perf_counter()
        llm.eval(prompt)
        middle = time.perf_counter()
        for _ in range(args.decode_tokens):
            token = int(np.argmax(llm.scores[llm.n_tokens - 1]))
            llm.eval([token])
        end = time.perf_counter()
        best_prefill = min(best_prefill, middle - start)
        best_decode = min(best_decode, end - middle)
    print(f"llama.cpp prefill {args.prompt_tokens / best_prefill:.1f} tok/s")
    print(f"llama.cpp decode {args.decode_tokens / best_decode:.1f} tok/s")


if __name__ == "__main__":
    main()
