"""The gateway of `cairn devnet` through the official openai client: every kind of request, OpenAI's errors, the
usage ledger against the providers' on-chain prices, and the money on the chain: the gateway's channels claimed in
full, each claim split exactly between provider, model owner (royalty), treasury and burn."""

import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import json
import openai  # noqa: E402
from openai.types.chat import ChatCompletion  # noqa: E402

from devnet import Devnet, amount, cost, get, log, openai_client, run, wait_until  # noqa: E402

MODELS = ("smollm2", "minilm")
EMBEDDING_DIMS = 384
ROYALTY_BPS = 1000
# About 230 tokens: at the devnet's prices (0.2 ucairn a prompt token) the claim that pays for it is large enough for
# a non-zero protocol fee, burn and treasury part, so the split is checked on more than zeros.
LONG_PROMPT = "Summarise this text in one sentence. " + " ".join(
    ["The lighthouse keeper climbed the stairs every evening to light the lamp for the ships at sea."] * 12)


class Ledger:
    """What the test expects the gateway to have spent: one entry per successful request."""

    def __init__(self, prices, model_ids):
        self.prices = prices
        self.model_ids = model_ids
        self.entries = []  # (provider, model, prompt, completion, embedding, cost)

    def add(self, provider, model, prompt=0, completion=0, embedding=0):
        assert provider in self.prices, f"X-Cairn-Provider {provider!r} is not a listed provider ({sorted(self.prices)})"
        price = self.prices[provider].get(self.model_ids[model])
        assert price is not None, f"provider {provider} lists no price for {model}"
        c = cost(price, prompt, completion, embedding)
        self.entries.append((provider, model, prompt, completion, embedding, c))
        return c

    def total(self, provider=None):
        rows = [e for e in self.entries if provider is None or e[0] == provider]
        return {"requests": len(rows), "prompt_tokens": sum(e[2] for e in rows), "completion_tokens": sum(e[3] for e in rows),
                "embedding_tokens": sum(e[4] for e in rows), "spend": sum(e[5] for e in rows)}


def provider_of(response):
    provider = response.headers.get("x-cairn-provider")
    assert provider and provider.startswith("cairn1"), f"no X-Cairn-Provider header: {dict(response.headers)}"
    return provider


def check_cost_header(response, expected):
    header = response.headers.get("x-cairn-cost")
    assert header is not None, f"no X-Cairn-Cost header on a non-streamed answer: {dict(response.headers)}"
    assert amount(header) == expected, f"X-Cairn-Cost {header} but the provider's prices make it {expected}"


def check_usage(usage, embedding=False):
    assert usage is not None, "no usage"
    assert usage.prompt_tokens > 0, f"usage.prompt_tokens {usage.prompt_tokens}"
    if embedding:
        assert usage.total_tokens == usage.prompt_tokens, f"embedding usage {usage}"
    else:
        assert usage.completion_tokens > 0, f"usage.completion_tokens {usage.completion_tokens}"
        assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens, f"usage {usage}"


def requests(client, ledger):
    """Every kind of request once; each is entered into the ledger."""
    t = time.monotonic()
    raw = client.chat.completions.with_raw_response.create(
        model="smollm2", messages=[{"role": "user", "content": LONG_PROMPT}], max_tokens=12)
    chat = raw.parse()
    assert chat.choices and chat.choices[0].message.content, f"empty chat answer: {chat}"
    check_usage(chat.usage)
    check_cost_header(raw, ledger.add(provider_of(raw), "smollm2", chat.usage.prompt_tokens, chat.usage.completion_tokens))
    log(f"chat completion from {provider_of(raw)}: {chat.choices[0].message.content!r} ({chat.usage.prompt_tokens}+"
        f"{chat.usage.completion_tokens} tokens, cost {raw.headers.get('x-cairn-cost')}, {time.monotonic() - t:.1f}s)")

    t = time.monotonic()
    with client.chat.completions.with_streaming_response.create(
            model="smollm2", messages=[{"role": "user", "content": "Name a colour."}], max_tokens=12, stream=True,
            stream_options={"include_usage": True}) as response:
        provider = provider_of(response)
        deltas, text, usage, after_usage = 0, "", None, 0
        for chunk in response.parse():
            if usage is not None:
                after_usage += 1
            if chunk.usage is not None:
                usage = chunk.usage
            for choice in chunk.choices:
                if choice.delta and choice.delta.content:
                    deltas += 1
                    text += choice.delta.content
    assert deltas > 0, "the stream carried no content deltas"
    assert usage is not None, "the stream ended without a usage chunk (stream_options.include_usage)"
    assert after_usage == 0, f"{after_usage} chunks came after the usage chunk"
    check_usage(usage)
    ledger.add(provider, "smollm2", usage.prompt_tokens, usage.completion_tokens)
    log(f"streamed chat from {provider}: {deltas} deltas {text!r} ({usage.prompt_tokens}+{usage.completion_tokens} tokens, "
        f"{time.monotonic() - t:.1f}s)")

    t = time.monotonic()
    raw = client.completions.with_raw_response.create(model="smollm2", prompt="The capital of France is", max_tokens=8)
    completion = raw.parse()
    assert completion.choices and completion.choices[0].text, f"empty completion: {completion}"
    check_usage(completion.usage)
    check_cost_header(raw, ledger.add(provider_of(raw), "smollm2", completion.usage.prompt_tokens,
                                      completion.usage.completion_tokens))
    log(f"text completion from {provider_of(raw)}: {completion.choices[0].text!r} ({time.monotonic() - t:.1f}s)")

    t = time.monotonic()
    raw = client.embeddings.with_raw_response.create(model="minilm", input=["a cat sat on the mat", "the stock market fell"])
    embeddings = raw.parse()
    assert len(embeddings.data) == 2, f"{len(embeddings.data)} embeddings for 2 texts"
    for e in embeddings.data:
        assert len(e.embedding) == EMBEDDING_DIMS, f"an embedding of {len(e.embedding)} dimensions"
    check_usage(embeddings.usage, embedding=True)
    check_cost_header(raw, ledger.add(provider_of(raw), "minilm", embedding=embeddings.usage.prompt_tokens))
    log(f"embeddings from {provider_of(raw)}: 2 × {EMBEDDING_DIMS} dims, {embeddings.usage.prompt_tokens} tokens "
        f"({time.monotonic() - t:.1f}s)")


def logprob_requests(client, ledger):
    """`logprobs` and `top_logprobs` on chat (whole and streamed) and `logprobs` on completions, greedy: every billed token
    has its log-probability from the model, is the most likely of its step, and the tokens spell the text."""
    t = time.monotonic()
    ask = dict(model="smollm2", messages=[{"role": "user", "content": "Name three colours."}], max_tokens=6, temperature=0,
               logprobs=True, top_logprobs=3)
    raw = client.chat.completions.with_raw_response.create(**ask)
    chat = raw.parse()
    check_cost_header(raw, ledger.add(provider_of(raw), "smollm2", chat.usage.prompt_tokens, chat.usage.completion_tokens))
    entries = chat.choices[0].logprobs.content
    assert len(entries) == chat.usage.completion_tokens, f"{len(entries)} log-probabilities for {chat.usage.completion_tokens} tokens"
    for e in entries:
        assert e.logprob <= 0 and len(e.top_logprobs) == 3, f"entry {e}"
        tops = [c.logprob for c in e.top_logprobs]
        assert tops == sorted(tops, reverse=True) and sum(math.exp(x) for x in tops) <= 1 + 1e-6, f"top {tops}"
        assert e.top_logprobs[0].bytes == e.bytes and abs(e.top_logprobs[0].logprob - e.logprob) < 1e-9, f"greedy, not the top: {e}"
    spelled = b"".join(bytes(e.bytes) for e in entries).decode("utf-8", "replace")
    assert spelled == chat.choices[0].message.content, f"tokens spell {spelled!r}, content {chat.choices[0].message.content!r}"

    streamed = []
    with client.chat.completions.with_streaming_response.create(
            **ask, stream=True, stream_options={"include_usage": True}) as response:
        provider = provider_of(response)
        usage = None
        for chunk in response.parse():
            usage = chunk.usage or usage
            for choice in chunk.choices:
                if choice.logprobs and choice.logprobs.content:
                    streamed += choice.logprobs.content
    ledger.add(provider, "smollm2", usage.prompt_tokens, usage.completion_tokens)
    assert [(e.token, e.logprob) for e in streamed] == [(e.token, e.logprob) for e in entries], "streamed log-probabilities differ"

    raw = client.completions.with_raw_response.create(model="smollm2", prompt="The sky is", max_tokens=5, temperature=0, logprobs=2)
    completion = raw.parse()
    check_cost_header(raw, ledger.add(provider_of(raw), "smollm2", completion.usage.prompt_tokens, completion.usage.completion_tokens))
    lp = completion.choices[0].logprobs
    assert len(lp.tokens) == len(lp.token_logprobs) == len(lp.top_logprobs) == len(lp.text_offset) == completion.usage.completion_tokens
    assert "".join(lp.tokens) == completion.choices[0].text, f"{lp.tokens} against {completion.choices[0].text!r}"
    for token, top in zip(lp.tokens, lp.top_logprobs):
        assert len(top) == 2 and top[token] == max(top.values()), f"{token!r} is not the most likely of {top}"
    log(f"log-probabilities: chat {[round(e.logprob, 3) for e in entries]}, streamed the same, completion tokens {lp.tokens} "
        f"({time.monotonic() - t:.1f}s)")


def shared_prompts(devnet):
    """The providers' count of choices that took their prompt from their request's first choice."""
    total = 0
    for i in range(devnet.providers):
        status, body = get(f"http://127.0.0.1:{devnet.provider_port + i}/metrics")
        assert status == 200, f"provider {i} /metrics: {status}"
        for line in body.decode().splitlines():
            if line.startswith("cairn_provider_shared_prompts_total{"):
                total += int(line.rsplit(" ", 1)[1])
    return total


def choice_requests(client, ledger, devnet):
    """`n` = 3: three sampled choices decoded together, each with its index, billed as one request (the prompt once),
    and the prompt evaluated once for the three (the provider counts two choices that took it from the first)."""
    t = time.monotonic()
    shared_before = shared_prompts(devnet)
    raw = client.chat.completions.with_raw_response.create(
        model="smollm2", messages=[{"role": "user", "content": "Write a word."}], max_tokens=5, temperature=1.0, seed=4, n=3)
    chat = raw.parse()
    check_cost_header(raw, ledger.add(provider_of(raw), "smollm2", chat.usage.prompt_tokens, chat.usage.completion_tokens))
    assert [c.index for c in chat.choices] == [0, 1, 2], f"choices {chat.choices}"
    texts = [c.message.content for c in chat.choices]
    assert len(set(texts)) > 1, f"three sampled choices are all {texts[0]!r}"
    assert chat.usage.completion_tokens > 5, f"{chat.usage.completion_tokens} completion tokens for three choices of up to 5"
    shared = shared_prompts(devnet) - shared_before
    assert shared == 2, f"{shared} choices took their prompt from the first (expected 2)"
    log(f"n=3: {texts} ({chat.usage.prompt_tokens}+{chat.usage.completion_tokens} tokens, prompt evaluated once, "
        f"{time.monotonic() - t:.1f}s)")


def cached_prompt_requests(client, ledger):
    """The same prompt again at the same provider: taken whole from the prompt it kept (usage.prompt_tokens_details.
    cached_tokens is every prompt token) and answered with the same greedy text."""
    t = time.monotonic()
    messages = [{"role": "system", "content": "You are a careful assistant who answers in one short sentence."},
                {"role": "user", "content": "Name a colour of the sky."}]
    answers = {}
    for _ in range(8):
        raw = client.chat.completions.with_raw_response.create(model="smollm2", messages=messages, max_tokens=8, temperature=0)
        chat = raw.parse()
        provider = provider_of(raw)
        check_cost_header(raw, ledger.add(provider, "smollm2", chat.usage.prompt_tokens, chat.usage.completion_tokens))
        details = chat.usage.prompt_tokens_details
        assert details is not None and details.cached_tokens is not None, f"no prompt_tokens_details: {chat.usage}"
        if provider in answers:
            first = answers[provider]
            assert details.cached_tokens == chat.usage.prompt_tokens, f"the same prompt again: {chat.usage}"
            assert chat.choices[0].message.content == first, f"{chat.choices[0].message.content!r} after {first!r}"
            log(f"the same prompt again at {provider[:12]}…: {details.cached_tokens} of {chat.usage.prompt_tokens} prompt tokens "
                f"cached, the same answer ({time.monotonic() - t:.1f}s)")
            return
        answers[provider] = chat.choices[0].message.content
    raise AssertionError(f"no provider served the prompt twice in 8 requests: {sorted(answers)}")


def structured_requests(client, ledger):
    """`response_format`: a Pydantic model through the client's `parse` (json_schema, strict), and json_object; the
    output is decoded under the schema's grammar, so it parses and validates."""
    from pydantic import BaseModel, Field

    class City(BaseModel):
        name: str
        country: str

    class Person(BaseModel):
        name: str
        age: int
        city: City
        hobbies: list[str] = Field(max_length=3)

    t = time.monotonic()
    raw = client.beta.chat.completions.with_raw_response.parse(
        model="smollm2", messages=[{"role": "user", "content": "Describe Ann, 34, from Oslo in Norway, who likes skiing."}],
        response_format=Person, max_tokens=150, temperature=0)
    completion = raw.parse()
    check_cost_header(raw, ledger.add(provider_of(raw), "smollm2", completion.usage.prompt_tokens, completion.usage.completion_tokens))
    message = completion.choices[0].message
    assert completion.choices[0].finish_reason == "stop", f"finish {completion.choices[0].finish_reason}: {message.content!r}"
    person = message.parsed
    assert isinstance(person, Person), f"parsed {person!r} from {message.content!r}"
    assert len(person.hobbies) <= 3
    log(f"parse(response_format=Person): {person!r} ({completion.usage.completion_tokens} tokens, {time.monotonic() - t:.1f}s)")

    t = time.monotonic()
    raw = client.chat.completions.with_raw_response.create(
        model="smollm2", messages=[{"role": "user", "content": "Give the colours of the French flag as JSON."}],
        response_format={"type": "json_object"}, max_tokens=120, temperature=0.7, seed=3)
    chat = raw.parse()
    check_cost_header(raw, ledger.add(provider_of(raw), "smollm2", chat.usage.prompt_tokens, chat.usage.completion_tokens))
    if chat.choices[0].finish_reason == "stop":
        value = json.loads(chat.choices[0].message.content)
        assert isinstance(value, dict), f"json_object gave {value!r}"
    else:
        assert chat.choices[0].finish_reason == "length", chat.choices[0].finish_reason
    log(f"json_object [{chat.choices[0].finish_reason}]: {chat.choices[0].message.content!r} ({time.monotonic() - t:.1f}s)")


WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "The current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                   "required": ["city", "unit"], "additionalProperties": False}}}


def tool_requests(client, ledger):
    """`tools`: a required call whose arguments follow the function's schema, the same call streamed, then the
    conversation continued with the call and its result; every token is billed."""
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    t = time.monotonic()
    raw = client.chat.completions.with_raw_response.create(
        model="smollm2", messages=messages, tools=[WEATHER_TOOL], tool_choice="required", max_tokens=60, temperature=0)
    chat = raw.parse()
    check_cost_header(raw, ledger.add(provider_of(raw), "smollm2", chat.usage.prompt_tokens, chat.usage.completion_tokens))
    choice = chat.choices[0]
    assert choice.finish_reason == "tool_calls", f"finish {choice.finish_reason}: {choice.message}"
    assert choice.message.content is None and len(choice.message.tool_calls) == 1, f"{choice.message}"
    call = choice.message.tool_calls[0]
    arguments = json.loads(call.function.arguments)
    assert call.function.name == "get_weather" and call.id.startswith("call_"), f"{call}"
    assert set(arguments) == {"city", "unit"} and arguments["unit"] in ("celsius", "fahrenheit"), f"arguments {arguments}"
    log(f"tool call: {call.function.name}({call.function.arguments}) ({chat.usage.completion_tokens} tokens, {time.monotonic() - t:.1f}s)")

    t = time.monotonic()
    with client.chat.completions.with_streaming_response.create(
            model="smollm2", messages=messages, tools=[WEATHER_TOOL], tool_choice="required", max_tokens=60, temperature=0, stream=True,
            stream_options={"include_usage": True}) as response:
        provider = provider_of(response)
        calls, finish, usage = {}, None, None
        for chunk in response.parse():
            if chunk.usage is not None:
                usage = chunk.usage
            for c in chunk.choices:
                for delta in c.delta.tool_calls or []:
                    entry = calls.setdefault(delta.index, {"name": "", "arguments": ""})
                    entry["name"] += delta.function.name or ""
                    entry["arguments"] += delta.function.arguments or ""
                finish = c.finish_reason or finish
    ledger.add(provider, "smollm2", usage.prompt_tokens, usage.completion_tokens)
    assert finish == "tool_calls" and list(calls) == [0], f"streamed: finish {finish}, calls {calls}"
    assert calls[0]["name"] == "get_weather" and json.loads(calls[0]["arguments"]) == arguments, f"streamed {calls} against {arguments}"
    log(f"streamed tool call: the same call in one delta ({time.monotonic() - t:.1f}s)")

    t = time.monotonic()
    messages += [choice.message.model_dump(exclude_none=True), {"role": "tool", "tool_call_id": call.id, "content": "18 degrees and sunny"}]
    raw = client.chat.completions.with_raw_response.create(model="smollm2", messages=messages, tools=[WEATHER_TOOL], tool_choice="none",
                                                           max_tokens=24, temperature=0)
    answer = raw.parse()
    check_cost_header(raw, ledger.add(provider_of(raw), "smollm2", answer.usage.prompt_tokens, answer.usage.completion_tokens))
    assert answer.choices[0].message.content and not answer.choices[0].message.tool_calls, f"{answer.choices[0].message}"
    log(f"answer after the tool's result: {answer.choices[0].message.content!r} ({time.monotonic() - t:.1f}s)")


def invalid_requests(client):
    try:
        client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}], max_tokens=4)
        raise AssertionError("an unknown model was answered")
    except openai.NotFoundError as e:
        body = e.body if isinstance(e.body, dict) else {}
        assert e.code == "model_not_found" or body.get("code") == "model_not_found", f"unknown model: {e.code} {e.body}"
    try:
        client.post("/chat/completions", body={"model": "smollm2", "max_tokens": 4}, cast_to=ChatCompletion)
        raise AssertionError("a chat completion without messages was answered")
    except openai.BadRequestError as e:
        assert e.status_code == 400
        assert "invalid_request_error" in (e.type, e.code), f"chat without messages: type {e.type} code {e.code} {e.body}"
    try:
        client.chat.completions.create(model="smollm2", messages=[{"role": "wizard", "content": "hi"}], max_tokens=4)
        raise AssertionError("a message with an invalid role was answered")
    except openai.BadRequestError as e:
        assert e.status_code == 400 and "wizard" in str(e.body), f"invalid role: {e.status_code} {e.body}"
        assert (e.body or {}).get("param") == "messages.[0].role", f"invalid role: {e.body}"
    try:
        client.chat.completions.create(
            model="smollm2", messages=[{"role": "user", "content": "hi"}], max_tokens=4,
            response_format={"type": "json_schema", "json_schema": {"name": "Code", "schema": {"type": "string", "pattern": "^[A-Z]{3}$"}}})
        raise AssertionError("a schema with 'pattern' was answered")
    except openai.BadRequestError as e:
        assert e.status_code == 400 and "pattern" in str(e.body), f"pattern: {e.status_code} {e.body}"
    log("unknown model: 404 model_not_found; chat without messages, an invalid role and a schema keyword no grammar enforces (pattern): 400 invalid_request_error")


def usage_report(devnet):
    """{'keys': totals over every key, 'providers': {address: totals}} from /v1/cairn/usage."""
    report = devnet.gw("/v1/cairn/usage")
    fields = ("requests", "failed", "prompt_tokens", "completion_tokens", "embedding_tokens", "spend")

    def totals(line):
        return {f: amount(line.get(f, 0)) for f in fields}

    keys = {f: 0 for f in fields}
    for line in report.get("keys") or []:
        for f, v in totals(line).items():
            keys[f] += v
    providers = {line["provider"]: totals(line) for line in report.get("providers") or [] if line.get("provider")}
    return keys, providers


def check_usage_report(devnet, ledger, failures_allowed=False, within=10):
    """The usage report matches the ledger. A request may be recorded just after its answer went out (a stream's after
    its last event), so the report is read again for up to `within` seconds before a difference fails the test."""
    deadline = time.monotonic() + within
    while True:
        try:
            return _check_usage_report(devnet, ledger, failures_allowed)
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.25)


def _check_usage_report(devnet, ledger, failures_allowed):
    keys, providers = usage_report(devnet)

    def same(got, want, what):
        succeeded = got["requests"] - (got["failed"] if failures_allowed else 0)
        assert succeeded == want["requests"], f"{what}: {got['requests']} requests ({got['failed']} failed), expected {want['requests']}"
        for f in ("prompt_tokens", "completion_tokens", "embedding_tokens", "spend"):
            assert got[f] == want[f], f"{what}: {f} {got[f]}, expected {want[f]} (all: {got} vs {want})"

    same(keys, ledger.total(), "usage over all keys")
    for provider in {e[0] for e in ledger.entries}:
        assert provider in providers, f"no usage line for provider {provider}: {sorted(providers)}"
        same(providers[provider], ledger.total(provider), f"usage of provider {provider}")
    for provider, got in providers.items():
        if provider not in {e[0] for e in ledger.entries}:
            assert got["spend"] == 0, f"provider {provider} served nothing but has spend {got['spend']}"


def claimed_total(devnet, client_address):
    channels = devnet.node(f"/v1/market/channels?client={client_address}").get("channels") or []
    return sum(amount(c["claimed"]) for c in channels), channels


def attrs(event):
    a = event.get("attributes")
    if isinstance(a, list):
        return {x["key"]: x["value"] for x in a}
    return dict(a or {})


def find(value, key):
    """The first value under `key` anywhere in nested dicts and lists."""
    if isinstance(value, dict):
        if key in value:
            return value[key]
        value = list(value.values())
    if isinstance(value, list):
        for v in value:
            found = find(v, key)
            if found is not None:
                return found
    return None


def check_claims(devnet, ledger, owner, royalty_bps, channels, owner_before):
    params = devnet.node("/v1/params/market")
    fee_bps, burn_bps = int(params["protocolFeeBps"]), int(params["feeBurnBps"])
    escrow = module_address("market/escrow")
    treasury = module_address("treasury")
    treasury_api = devnet.node("/v1/treasury").get("address")
    assert treasury_api in (None, treasury), f"treasury address {treasury_api}, computed {treasury}"

    head = devnet.height()
    t = time.monotonic()
    claims = []  # (channel, provider, event attributes, {model: amount} of the voucher)
    transfers = {}  # recipient -> Σ from the escrow in claim transactions
    burned_from_escrow = 0
    for height in range(1, head + 1):
        for tx_hash in devnet.node(f"/v1/blocks/{height}").get("transactions") or []:
            tx = devnet.node(f"/v1/txs/{tx_hash}")
            receipt = tx.get("receipt") or tx
            events = receipt.get("events") or []
            claimed_events = [attrs(e) for e in events if e.get("type") == "market.claimed"]
            if not claimed_events:
                continue
            assert receipt.get("success", True), f"a failed claim transaction with events: {tx_hash}"
            messages = [m for m in tx.get("messages") or [] if m.get("type") == "market/claim"]
            assert len(messages) == len(claimed_events), f"tx {tx_hash}: {len(messages)} claims, {len(claimed_events)} events"
            for message, event in zip(messages, claimed_events):
                per_model = find(message, "perModel")
                assert per_model is not None, f"no perModel in the claim message {message}"
                claims.append((int(event["channel"] if "channel" in event else event["id"]), event["provider"], event,
                               {int(p["modelID"]): amount(p["amount"]) for p in per_model}))
            for e in events:
                a = attrs(e)
                if e.get("type") == "bank.transfer" and a.get("sender") == escrow:
                    transfers[a["recipient"]] = transfers.get(a["recipient"], 0) + amount(a["amount"])
                elif e.get("type") == "bank.burn" and a.get("from") == escrow:
                    burned_from_escrow += amount(a["amount"])
    log(f"walked blocks 1..{head} in {time.monotonic() - t:.1f}s: {len(claims)} claims")
    assert claims, "no claim transactions on the chain"

    # Each claim's split, recomputed from the voucher's increase per model (ClaimSplit.swift).
    before = {}  # channel -> {model: claimed}
    sums = {k: 0 for k in ("amount", "fee", "burned", "treasury", "royalties", "provider_amount")}
    per_provider_amount, per_provider_paid = {}, {}
    for channel, provider, event, voucher in claims:
        previous = before.get(channel, {})
        fee = royalties = to_provider = total = 0
        for model, cumulative in sorted(voucher.items()):
            d = cumulative - previous.get(model, 0)
            assert d >= 0, f"channel {channel} model {model}: the claimed amount went down"
            if d == 0:
                continue
            f = d * fee_bps // 10_000
            r = min(d * royalty_bps.get(model, ROYALTY_BPS) // 10_000, d - f)
            total, fee, royalties, to_provider = total + d, fee + f, royalties + r, to_provider + d - f - r
        burned = fee * burn_bps // 10_000
        expected = {"amount": total, "fee": fee, "burned": burned, "treasury": fee - burned, "royalties": royalties,
                    "provider_amount": to_provider}
        got = {k: amount(event[k]) for k in expected}
        assert got == expected, f"claim on channel {channel}: events {got}, recomputed {expected}"
        assert got["fee"] == got["burned"] + got["treasury"]
        assert got["provider_amount"] + got["royalties"] + got["fee"] == got["amount"]
        before[channel] = dict(voucher)
        for k in sums:
            sums[k] += got[k]
        per_provider_amount[provider] = per_provider_amount.get(provider, 0) + got["amount"]
        per_provider_paid[provider] = per_provider_paid.get(provider, 0) + got["provider_amount"]

    # The channels' on-chain per-model totals are where the claims left them.
    for c in channels:
        on_chain = {int(p["modelID"]): amount(p["amount"]) for p in c.get("claimedPerModel") or []}
        mine = {m: a for m, a in before.get(int(c["id"]), {}).items() if a}
        assert on_chain == mine, f"channel {c['id']}: claimedPerModel {on_chain}, claims add up to {mine}"

    for part, bps in (("fee", fee_bps), ("burned", fee_bps * burn_bps), ("treasury", fee_bps * (10_000 - burn_bps)),
                      ("royalties", max(royalty_bps.values(), default=0))):
        assert sums[part] > 0 or bps == 0, f"Σ {part} is 0: the claims are too small to check the split ({sums})"
    spend = ledger.total()["spend"]
    assert sums["amount"] == spend, f"Σ claimed {sums['amount']} != the gateway's spend {spend}"
    # What the claims paid for, as the chain records it: every token and request the gateway was billed for.
    served = ledger.total()
    claimed_tokens = sum(int(e.get("tokens", 0)) for _, _, e, _ in claims)
    claimed_requests = sum(int(e.get("requests", 0)) for _, _, e, _ in claims)
    billed_tokens = served["prompt_tokens"] + served["completion_tokens"] + served["embedding_tokens"]
    assert claimed_tokens == billed_tokens, f"the claims record {claimed_tokens} tokens, the gateway was billed for {billed_tokens}"
    assert claimed_requests == served["requests"], f"the claims record {claimed_requests} requests, the gateway made {served['requests']}"
    for c in channels:
        usage = {int(u["modelID"]): (int(u["tokens"]), int(u["requests"])) for u in c.get("claimedUsage") or []}
        assert all(t > 0 and n > 0 for t, n in usage.values()), f"channel {c['id']}: claimedUsage {usage}"
    assert sums["fee"] == sums["burned"] + sums["treasury"]
    assert sums["provider_amount"] + sums["royalties"] + sums["fee"] == sums["amount"]
    for provider in set(per_provider_amount) | {e[0] for e in ledger.entries}:
        want = ledger.total(provider)["spend"]
        assert per_provider_amount.get(provider, 0) == want, \
            f"provider {provider} claimed {per_provider_amount.get(provider, 0)}, served {want}"
        assert transfers.get(provider, 0) == per_provider_paid.get(provider, 0), \
            f"provider {provider} received {transfers.get(provider, 0)} from the escrow, its claims say {per_provider_paid.get(provider, 0)}"
    assert transfers.get(owner, 0) == sums["royalties"], \
        f"the owner received {transfers.get(owner, 0)} from the escrow, Σ royalties {sums['royalties']}"
    assert transfers.get(treasury, 0) == sums["treasury"], \
        f"the treasury received {transfers.get(treasury, 0)} from the escrow, Σ treasury {sums['treasury']}"
    assert burned_from_escrow == sums["burned"], f"the escrow burned {burned_from_escrow}, Σ burned {sums['burned']}"
    owner_after = devnet.balance(owner)
    assert owner_after - owner_before == sums["royalties"], \
        f"dev0's balance rose by {owner_after - owner_before}, Σ royalties {sums['royalties']}"
    log(f"claims: amount {sums['amount']} = provider {sums['provider_amount']} + royalties {sums['royalties']} + fee "
        f"{sums['fee']} (burned {sums['burned']}, treasury {sums['treasury']})")


def module_address(name):
    """A module account's address: bech32('cairn', SHA-256('cairn/module/' + name)[:20]) (ModuleAccount.swift)."""
    import hashlib
    return bech32("cairn", hashlib.sha256(f"cairn/module/{name}".encode()).digest()[:20])


def bech32(hrp, data):
    charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

    def polymod(values):
        gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
        chk = 1
        for v in values:
            top = chk >> 25
            chk = (chk & 0x1FFFFFF) << 5 ^ v
            for i in range(5):
                chk ^= gen[i] if (top >> i) & 1 else 0
        return chk

    words, acc, bits = [], 0, 0
    for byte in data:
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            words.append((acc >> bits) & 31)
    if bits:
        words.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    check = polymod(expanded + words + [0] * 6) ^ 1
    return hrp + "1" + "".join(charset[w] for w in words + [(check >> 5 * (5 - i)) & 31 for i in range(6)])


def main():
    with Devnet(providers=2) as d:
        def ready():
            listed = {m["id"] for m in d.gw("/v1/models").get("data") or []}
            return set(MODELS) <= listed and len(d.gateway_providers()) >= 2

        wait_until("the gateway to list both models and 2 providers", ready, 240, alive=d.process.check_running)
        log("gateway lists smollm2, minilm and 2 providers")
        owner, payer = d.address("dev0"), d.address("dev1")
        owner_before = d.balance(owner)
        model_ids = d.model_ids()
        assert all(m in model_ids for m in MODELS), f"registry: {model_ids}"
        royalty_bps = {int(m["id"]): int(m.get("royaltyBps", ROYALTY_BPS)) for m in d.node("/v1/registry/models")["models"]}
        prices = d.provider_prices()
        ledger = Ledger(prices, model_ids)

        client = openai_client(d)
        listed = {m.id for m in client.models.list()}
        assert set(MODELS) <= listed, f"models.list(): {sorted(listed)}"

        requests(client, ledger)
        logprob_requests(client, ledger)
        choice_requests(client, ledger, d)
        cached_prompt_requests(client, ledger)
        structured_requests(client, ledger)
        tool_requests(client, ledger)
        check_usage_report(d, ledger)
        invalid_requests(client)
        check_usage_report(d, ledger, failures_allowed=True)
        total = ledger.total()
        log(f"usage matches: {total}")
        status, metrics = get(d.gateway + "/metrics")
        assert status == 200 and b"cairn_gateway_requests_total" in metrics, f"/metrics: {status} {metrics[:300]!r}"

        t = time.monotonic()
        seen = {}

        def claimed_in_full():
            seen["claimed"], channels = claimed_total(d, payer)
            return channels if seen["claimed"] == total["spend"] else None

        try:
            channels = wait_until(f"dev1's channels to be claimed up to the spend {total['spend']}", claimed_in_full, 90,
                                  interval=1, alive=d.process.check_running)
        except AssertionError as e:
            _, channels = claimed_total(d, payer)
            detail = "; ".join(f"channel {c['id']} to {c['provider']}: claimed {c['claimed']}, its provider served "
                               f"{ledger.total(c['provider'])['spend']}" for c in channels)
            raise AssertionError(f"{e}; claimed {seen.get('claimed')} ({detail})") from None
        log(f"dev1's channels claimed {total['spend']} ucairn in {time.monotonic() - t:.1f}s")
        check_claims(d, ledger, owner, royalty_bps, channels, owner_before)


if __name__ == "__main__":
    run(main)
