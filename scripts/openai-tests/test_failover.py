"""Failover through the gateway of `cairn devnet`: a second, cheaper provider (its own process) is killed in the
middle of a stream it serves; that stream must end (an error or early end) instead of hanging, every later request
succeeds on the remaining provider, and the gateway takes the dead one out of its rotation."""

import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from devnet import CAIRN_MODELS, Devnet, free_port, get, log, openai_client, run, wait_until  # noqa: E402

STREAM_END_LIMIT = 60  # seconds a stream may take to end after its provider is killed
ATTEMPTS = 5


def provider_of(response):
    provider = response.headers.get("x-cairn-provider")
    assert provider and provider.startswith("cairn1"), f"no X-Cairn-Provider header: {dict(response.headers)}"
    return provider


def stream_and_kill(client, external, kill):
    """One streamed chat of up to 200 tokens. If the external provider serves it, `kill` is called after 3 content
    chunks and the stream drained; returns the outcome, or None when another provider served it (drained in full)."""
    result = {"provider": None, "chunks": 0, "error": None, "killed_at": None, "ended_at": None}
    killed, done = threading.Event(), threading.Event()

    def work():
        try:
            with client.chat.completions.with_streaming_response.create(
                    model="smollm2", messages=[{"role": "user", "content": "Tell me a long story about a lighthouse."}],
                    max_tokens=200, stream=True) as response:
                result["provider"] = provider_of(response)
                for chunk in response.parse():
                    if any(c.delta and c.delta.content for c in chunk.choices):
                        result["chunks"] += 1
                        if result["provider"] == external and result["chunks"] == 3:
                            kill()
                            result["killed_at"] = time.monotonic()
                            killed.set()
        except Exception as e:  # noqa: BLE001 - an error is an acceptable end after the kill; checked below
            result["error"] = e
        finally:
            result["ended_at"] = time.monotonic()
            done.set()

    thread = threading.Thread(target=work, daemon=True)
    started = time.monotonic()
    thread.start()
    while not (killed.is_set() or done.is_set()):
        assert time.monotonic() - started < 300, "a streamed chat of 200 tokens made no progress in 300s"
        time.sleep(0.05)
    if not killed.is_set():
        thread.join()
        if result["error"] is not None:
            raise AssertionError(f"a stream failed before any provider was killed: {result['error']!r}")
        if result["provider"] == external:
            raise AssertionError(f"the external provider's stream ended after {result['chunks']} content chunks, before 3")
        log(f"stream served by {result['provider']} ({result['chunks']} chunks, {time.monotonic() - started:.1f}s), "
            "not the external provider")
        return None
    thread.join(STREAM_END_LIMIT)
    assert not thread.is_alive(), f"the stream did not end within {STREAM_END_LIMIT}s of its provider's SIGKILL (it hangs)"
    result["after_kill"] = result["ended_at"] - result["killed_at"]
    return result


def main():
    with Devnet(providers=1) as d:
        wait_until("the gateway to list provider0", lambda: len(d.gateway_providers()) >= 1, 240, alive=d.process.check_running)
        provider0, external = d.address("provider0"), d.address("dev3")
        port = free_port()
        ext = d.spawn("external provider", [
            "provider", "start", "--home", d.home, "--node", d.rpc, "--key", "dev3", "--listen", f"127.0.0.1:{port}",
            "--models", "smollm2,minilm", "--models-dir", CAIRN_MODELS, "--self-bond", "1000cairn",
            "--price", "smollm2:100000:200000:0", "--price", "minilm:0:0:10000", "--moniker", "external"])
        log(f"started the external provider (dev3 {external}) on port {port}, pid {ext.pid}")

        def alive():
            d.process.check_running()
            ext.check_running()

        wait_until("the external provider's HTTP API", lambda: get(f"http://127.0.0.1:{port}/v1/models", timeout=5)[0] == 200,
                   240, alive=alive)

        def both_in_rotation():
            providers = {p["address"]: p for p in d.gateway_providers()}
            return {provider0, external} <= set(providers) and all(providers[a].get("in_rotation") for a in (provider0, external))

        wait_until("the gateway to have provider0 and the external provider in rotation", both_in_rotation, 240, alive=alive)
        log("the gateway has 2 providers in rotation")

        client = openai_client(d)

        def kill():
            ext.signal_group(signal.SIGKILL)
            log("SIGKILL sent to the external provider")

        outcome = None
        for attempt in range(1, ATTEMPTS + 1):
            outcome = stream_and_kill(client, external, kill)
            if outcome is not None:
                break
            alive()
        assert outcome is not None, f"the external provider served none of {ATTEMPTS} streams"
        ext.kill()
        how = f"an error ({type(outcome['error']).__name__}: {outcome['error']})" if outcome["error"] else "an early end"
        log(f"attempt {attempt}: the killed provider's stream ended with {how} after {outcome['chunks']} content chunks, "
            f"{outcome['after_kill']:.1f}s after the kill")

        for i in range(2):
            t = time.monotonic()
            raw = client.chat.completions.with_raw_response.create(
                model="smollm2", messages=[{"role": "user", "content": f"Say hello number {i}."}], max_tokens=8)
            chat = raw.parse()
            assert chat.choices and chat.choices[0].message.content, f"empty chat answer: {chat}"
            assert provider_of(raw) == provider0, f"chat {i} served by {provider_of(raw)}, not provider0 {provider0}"
            log(f"chat {i} from provider0 ({time.monotonic() - t:.1f}s)")
        for i in range(2):
            t = time.monotonic()
            with client.chat.completions.with_streaming_response.create(
                    model="smollm2", messages=[{"role": "user", "content": f"Count to {i + 3}."}], max_tokens=8,
                    stream=True) as response:
                provider = provider_of(response)
                deltas = sum(1 for chunk in response.parse() for c in chunk.choices if c.delta and c.delta.content)
            assert deltas > 0, f"streamed chat {i} carried no content"
            assert provider == provider0, f"streamed chat {i} served by {provider}, not provider0 {provider0}"
            log(f"streamed chat {i} from provider0: {deltas} deltas ({time.monotonic() - t:.1f}s)")
        for i in range(2):
            t = time.monotonic()
            raw = client.embeddings.with_raw_response.create(model="minilm", input=[f"text number {i}"])
            embeddings = raw.parse()
            assert len(embeddings.data) == 1 and len(embeddings.data[0].embedding) == 384, "a bad embedding"
            assert provider_of(raw) == provider0, f"embeddings {i} served by {provider_of(raw)}, not provider0 {provider0}"
            log(f"embeddings {i} from provider0 ({time.monotonic() - t:.1f}s)")

        listed = {p["address"]: p for p in d.gateway_providers()}
        if external in listed:
            assert listed[external].get("in_rotation") is False, f"the killed provider is still in rotation: {listed[external]}"
            log("the gateway lists the killed provider out of rotation")
        else:
            log("the gateway no longer lists the killed provider")


if __name__ == "__main__":
    run(main)
