"""Answers the verification benchmark's jobs with an OpenAI-compatible server (llama.cpp's llama-server).

Reads the jobs (JSON Lines from `cairn bench verification --list-jobs`) on stdin and writes one answer per line on
stdout: prompt, temperature, output, finish_reason, completion_tokens, max_tokens. Each request carries the body a
Cairn provider's external backend sends (OpenAIProxyBackend): temperature, top_p 1, top_k 0 and min_p 0 (the whole
distribution, as the OpenAI API defines sampling), the seed and max_tokens.

    python3 llama_answers.py http://127.0.0.1:PORT < jobs.jsonl > answers.jsonl
"""
import json
import sys
import urllib.request


def main():
    base = sys.argv[1].rstrip("/")
    for n, line in enumerate(sys.stdin):
        if not line.strip():
            continue
        job = json.loads(line)
        body = {
            "model": "smollm2",
            "messages": [{"role": "user", "content": job["prompt"]}],
            "max_tokens": job["max_tokens"],
            "temperature": job["temperature"],
            "top_p": 1,
            "top_k": 0,
            "min_p": 0,
            "seed": job["seed"],
        }
        request = urllib.request.Request(base + "/v1/chat/completions", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            reply = json.load(response)
        choice = reply["choices"][0]
        print(json.dumps({
            "prompt": job["prompt"], "temperature": job["temperature"], "output": choice["message"]["content"],
            "finish_reason": choice["finish_reason"], "completion_tokens": reply["usage"]["completion_tokens"],
            "max_tokens": job["max_tokens"],
        }), flush=True)
        if (n + 1) % 100 == 0:
            print(f"{n + 1} answers", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
