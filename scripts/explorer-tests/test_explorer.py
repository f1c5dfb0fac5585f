"""The node's HTML explorer (/explorer) in headless Chromium, against a `cairn devnet` with real activity: chat
completions and embeddings through the gateway (payment channels, provider claims), a token transfer and a voted
governance proposal from the CLI. Every page must load with HTTP 200, an <h1> and no problem the browser reports
(console errors, uncaught exceptions, failed sub-resources); search must land on the right page; the provider pages
must show the uptime the node probed; bad input must give a readable HTML error page and leave the node answering.
Full-page screenshots go to ${CAIRN_TEST_OUTPUT:-test-output}/explorer/.
"""

import json
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "openai-tests"))
sys.path.insert(0, HERE)

from browser import Browser  # noqa: E402
from devnet import CAIRN_BIN, Devnet, amount, get_json, log, run, wait_until  # noqa: E402

OUTPUT = os.path.join(os.environ.get("CAIRN_TEST_OUTPUT", "test-output"), "explorer")
MAX_PAGES = 60
CHATS = ("Name a colour.", "Say hello.", "Count to three.")
EMBEDDINGS = (["a cat sat on the mat", "the stock market fell"], ["lighthouse"])
NOT_FOUND_TEXT = re.compile(r"not found|nothing|no match|no result|unknown", re.IGNORECASE)


# --- activity ---------------------------------------------------------------------------------------------------

def post_json(url, body, timeout=180):
    """POST a JSON body: (the parsed JSON answer, the response headers). Fails on anything but 200."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as r:
            return json.load(r), r.headers
    except urllib.error.HTTPError as e:
        raise AssertionError(f"POST {url}: HTTP {e.code}: {e.read()[:500]!r}") from None


def gateway_requests(d):
    for prompt in CHATS:
        t = time.monotonic()
        answer, headers = post_json(d.gateway + "/v1/chat/completions",
                                    {"model": "smollm2", "messages": [{"role": "user", "content": prompt}], "max_tokens": 8})
        text = answer["choices"][0]["message"]["content"]
        log(f"chat from {headers.get('X-Cairn-Provider')}: {text!r} ({time.monotonic() - t:.1f}s)")
    for texts in EMBEDDINGS:
        t = time.monotonic()
        answer, headers = post_json(d.gateway + "/v1/embeddings", {"model": "minilm", "input": texts})
        assert len(answer["data"]) == len(texts), f"{len(answer['data'])} embeddings for {len(texts)} texts"
        log(f"{len(texts)} embeddings from {headers.get('X-Cairn-Provider')} ({time.monotonic() - t:.1f}s)")


def cli(d, *args):
    """Runs `cairn ARGS --home H --node N --json`, requires exit 0 and a successful receipt; returns the receipt."""
    command = [CAIRN_BIN, *args, "--home", d.home, "--node", d.rpc, "--json"]
    log("cairn " + shlex.join(args))
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"cairn {shlex.join(args)}: exit {done.returncode}\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    receipt = json.loads(done.stdout)
    assert receipt.get("success") is True, f"cairn {shlex.join(args)}: {done.stdout[:2000]}"
    return receipt


def chain_activity(d):
    """A transfer and a text proposal voted on; returns the transfer's receipt and the proposal's id."""
    transfer = cli(d, "tx", "send", "--from", "dev2", "--to", d.address("dev3"), "--amount", "12.5cairn",
                   "--memo", "explorer test transfer")
    submitted = cli(d, "tx", "gov", "submit-proposal", "--from", "dev0", "--title", "Explorer test proposal",
                    "--description", "A text proposal submitted and voted on by the explorer test.",
                    "--deposit", "10cairn")
    proposal = next(int(a["value"]) for e in submitted["events"] if e["type"] == "gov.submit"
                    for a in e["attributes"] if a["key"] == "proposal_id")
    # The devnet's voting period is short (30 blocks): vote at once.
    cli(d, "tx", "gov", "vote", "--from", "dev0", str(proposal), "yes")
    cli(d, "tx", "gov", "vote", "--from", "dev2", str(proposal), "no")
    votes = d.node(f"/v1/gov/proposals/{proposal}").get("votes") or []
    assert len(votes) == 2, f"proposal {proposal} has votes {votes}"
    # A pool of CAIRN against the dev accounts' usdc, traded both ways.
    cli(d, "tx", "exchange", "create-pool", "1000cairn", "2000000000uusdc", "--from", "dev3")
    cli(d, "tx", "exchange", "swap", "1", "--in", "10cairn", "--from", "dev2")
    cli(d, "tx", "exchange", "swap", "1", "--in", "30000000uusdc", "--from", "dev2")
    return transfer, proposal


def wait_for_claims(d, client):
    """Waits until a provider has claimed from one of `client`'s channels (providers claim every 10 s)."""
    def claimed():
        channels = d.node(f"/v1/market/channels?client={client}").get("channels") or []
        return channels if any(amount(c["claimed"]) > 0 for c in channels) else None

    t = time.monotonic()
    channels = wait_until("a provider's claim on chain", claimed, 90, interval=1, alive=d.process.check_running)
    log(f"claimed on chain after {time.monotonic() - t:.1f}s: "
        + ", ".join(f"channel {c['id']} {c['claimed']} ucairn" for c in channels))
    return channels


def transactions_by_type(d):
    """{first message type: (height, tx hash)} over the whole chain: one transaction of each kind."""
    kinds = {}
    for height in range(1, d.height() + 1):
        for tx_hash in d.node(f"/v1/blocks/{height}").get("transactions") or []:
            messages = d.node(f"/v1/txs/{tx_hash}").get("messages") or [{}]
            kinds.setdefault(messages[0].get("type", "?"), (height, tx_hash))
    return kinds


# --- pages ------------------------------------------------------------------------------------------------------

class Report:
    """Collects failures so one run shows every broken page."""

    def __init__(self, base):
        self.base = base
        self.failures = []
        self.visited = 0

    def path(self, url):
        return url[len(self.base):] if url.startswith(self.base) else url

    def line(self, page, problems):
        status = page.status if page.status is not None else "---"
        h1 = (page.h1 or "").strip().replace("\n", " ")[:60]
        mark = "ok  " if not problems else "FAIL"
        print(f"  {mark} {status} {page.load_s:5.2f}s {self.path(page.url)[:100]}  h1: {h1!r}", flush=True)
        for p in problems:
            print(f"         - {p}", flush=True)
            self.failures.append(f"{self.path(page.url)[:100]}: {p}")


def check_page(b, report, path, statuses=(200,), lands_on=None, refused=(), extra=None):
    """Visits `path` and checks: a status among `statuses` (an HTML page with an <h1>, no browser problems), or one
    of `refused` (the HTTP layer refusing the request; nothing more is checked). `lands_on`: the final path must be
    one of these; `extra(page)`: more problems."""
    page = b.visit(report.base + path)
    report.visited += 1
    problems = []
    if page.status in refused:
        report.line(page, problems)
        return page
    if page.status not in statuses:
        problems.append(f"HTTP {page.status}, expected {' or '.join(map(str, statuses))}")
    if page.status is not None and not page.mime_type.startswith("text/html"):
        problems.append(f"content type {page.headers.get('content-type', page.mime_type)!r}, expected text/html")
    if not (page.h1 or "").strip():
        problems.append("no <h1>")
    problems += page.problems
    if lands_on is not None:
        final = urllib.parse.unquote(report.path(page.final_url))
        if final not in lands_on:
            problems.append(f"landed on {final}, expected {' or '.join(lands_on)}")
    if extra is not None:
        problems += extra(page)
    report.line(page, problems)
    return page


def browse(b, report, pages):
    """Every page of `pages`, then the explorer links on the overview that are not among them, MAX_PAGES in all."""
    check_page(b, report, "/explorer")
    links = [report.path(u) for u in b.links('a[href^="/explorer"]') if u.startswith(report.base + "/explorer")]
    log(f"the overview links {len(links)} explorer pages")
    todo = list(dict.fromkeys(p for p in pages + links if p != "/explorer"))
    if len(todo) + 1 > MAX_PAGES:
        log(f"visiting {MAX_PAGES - 1} of {len(todo)} more pages")
        todo = todo[:MAX_PAGES - 1]
    for path in todo:
        check_page(b, report, path)


def check_search(b, report, height, block_hash, tx_hash, address, provider, models):
    def search(q, lands_on=None, statuses=(200,), extra=None):
        check_page(b, report, "/explorer/search?q=" + urllib.parse.quote(q), statuses=statuses, lands_on=lands_on,
                   extra=extra)

    def mentions_height(page):
        return [] if str(height) in (page.h1 or "") else [f"the <h1> {page.h1!r} does not mention height {height}"]

    def says_not_found(page):
        return [] if NOT_FOUND_TEXT.search(page.text) else [f"the page does not say nothing was found: {page.text[:200]!r}"]

    search(str(height), [f"/explorer/blocks/{height}"])
    search(block_hash, [f"/explorer/blocks/{height}", f"/explorer/blocks/{block_hash}"], extra=mentions_height)
    search(tx_hash, [f"/explorer/txs/{tx_hash}"])
    search(address, [f"/explorer/accounts/{address}"])
    search(provider, [f"/explorer/providers/{provider}", f"/explorer/accounts/{provider}"])
    for name, model_id in sorted(models.items()):
        search(name, [f"/explorer/models/{model_id}"])
    search("no-such-thing-42", statuses=(404,), extra=says_not_found)


def check_uptime(b, report, providers):
    """The node probes every provider's endpoint (every 5 s on the devnet): each provider page shows its uptime from
    those probes, and the providers list has a 24 h uptime column."""
    def probed(page):
        problems = []
        if "Uptime (as probed by this node)" not in page.text:
            problems.append("no uptime section")
        elif "probes answered" not in page.text:
            problems.append(f"the uptime section shows no probe: {page.text[page.text.find('Uptime'):][:200]!r}")
        return problems

    def has_column(page):
        return [] if "Uptime 24h" in page.text else ["the providers list has no 'Uptime 24h' column"]

    check_page(b, report, "/explorer/providers", extra=has_column)
    for p in providers:
        check_page(b, report, f"/explorer/providers/{p}", extra=probed)


def check_tokens(b, report, channels):
    """Tokens served come from the claims: the overview's total is at least what the client's claimed channels record
    on chain (claims only add), and each such channel's page lists its claimed tokens."""
    claimed = sum(int(u["tokens"]) for c in channels for u in c.get("claimedUsage") or [])
    requests = sum(int(u["requests"]) for c in channels for u in c.get("claimedUsage") or [])

    def served(page):
        m = re.search(r"Tokens served\s+([\d,]+) tokens? in ([\d,]+) requests?", page.text)
        if not m:
            return ["the overview shows no 'Tokens served' figure"]
        tokens, count = int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))
        if claimed == 0 or tokens < claimed or count < requests:
            return [f"the overview shows {tokens} tokens in {count} requests, the claimed channels {claimed} in {requests}"]
        return []

    def per_model(page):
        # Later claims may have raised the figures since: each model's row shows at least what was claimed then.
        problems = []
        for u in c.get("claimedUsage") or []:
            rows = [m for m in re.finditer(r"\t[\d.,]+ CAIRN\t([\d,]+)\t([\d,]+)", page.text)]
            if not rows or max(int(m.group(1).replace(",", "")) for m in rows) < int(u["tokens"]):
                problems.append(f"the channel page shows no row with at least {u['tokens']} tokens for model {u['modelID']}")
        return problems

    check_page(b, report, "/explorer", extra=served)
    for c in channels:
        check_page(b, report, f"/explorer/channels/{c['id']}", extra=per_model)


def check_bad_input(d, b, report):
    def has_text(page):
        return [] if page.text.strip() != (page.h1 or "").strip() else ["the error page says nothing beyond its <h1>"]

    long_component = "a" * 10_000
    cases = [
        ("/explorer/txs/zzzz", (400,)),
        ("/explorer/txs/" + "0" * 64, (404,)),
        ("/explorer/blocks/99999999999999999999999", (400, 404)),
        ("/explorer/blocks/18446744073709551615", (404,)),
        ("/explorer/blocks?before=99999999999999999999999", (400, 200)),
        ("/explorer/accounts/notanaddress", (400,)),
        ("/explorer/accounts/cairn1xxxx", (400,)),
        ("/explorer/providers/cairn1qqq", (400, 404)),
        ("/explorer/models/999999", (404,)),
        ("/explorer/channels/abc", (400,)),
        ("/explorer/proposals/0", (404,)),
        ("/explorer/accounts/cairn1%00", (400, 404)),
        ("/explorer/txs/%00", (400, 404)),
        ("/explorer/accounts/" + long_component, (400, 404)),
        ("/explorer/blocks/" + long_component, (400, 404)),
    ]
    for path, statuses in cases:
        check_page(b, report, path, statuses=statuses, refused=(414, 431), extra=has_text)
    d.process.check_running()
    status = get_json(d.rpc + "/v1/status")
    log(f"after the bad input the node still answers /v1/status (height {status['height']})")


def main():
    os.makedirs(OUTPUT, exist_ok=True)
    failures = []
    with Devnet(providers=2) as d:
        def gateway_ready():
            listed = {m["id"] for m in d.gw("/v1/models").get("data") or []}
            return {"smollm2", "minilm"} <= listed and len(d.gateway_providers()) >= 2

        wait_until("the gateway to list both models and 2 providers", gateway_ready, 240, alive=d.process.check_running)
        gateway_requests(d)
        transfer, proposal = chain_activity(d)
        channels = wait_for_claims(d, d.address("dev1"))

        t = time.monotonic()
        kinds = transactions_by_type(d)
        log(f"walked the chain in {time.monotonic() - t:.1f}s: transactions of kinds {sorted(kinds)}")
        block = d.node(f"/v1/blocks/{transfer['height']}")
        assert transfer["txHash"] in (block.get("transactions") or []), f"the transfer is not in block {transfer['height']}"
        providers = [p["address"] for p in d.node("/v1/market/providers").get("providers") or []]
        models = d.model_ids()
        validators = [o["address"] for o in d.node("/v1/staking/operators").get("operators") or []
                      if o.get("kind") != "provider"]
        accounts = [d.address(f"dev{i}") for i in range(4)] + providers[:1] + validators[:1]

        pages = ["/explorer/blocks", f"/explorer/blocks/{transfer['height']}", f"/explorer/blocks/{block['hash']}",
                 "/explorer/blocks/1", f"/explorer/txs/{transfer['txHash']}"]
        pages += [f"/explorer/txs/{tx_hash}" for _, (_, tx_hash) in sorted(kinds.items())]
        pages += [f"/explorer/accounts/{a}" for a in accounts]
        pages += ["/explorer/providers"] + [f"/explorer/providers/{p}" for p in providers]
        pages += ["/explorer/models"] + [f"/explorer/models/{i}" for i in sorted(models.values())]
        pages += ["/explorer/channels"] + [f"/explorer/channels/{c['id']}" for c in channels]
        pages += ["/explorer/proposals", f"/explorer/proposals/{proposal}"]
        pages += ["/explorer/pools", "/explorer/pools/1"]

        with Browser() as b:
            report = Report(d.rpc)
            t = time.monotonic()
            log("pages:")
            browse(b, report, pages)
            log("search:")
            check_search(b, report, transfer["height"], block["hash"], transfer["txHash"], d.address("dev3"),
                         providers[0], models)
            log("uptime:")
            check_uptime(b, report, providers)
            log("tokens served:")
            check_tokens(b, report, channels)
            log("bad input:")
            check_bad_input(d, b, report)
            log(f"{report.visited} pages in {time.monotonic() - t:.1f}s")

            b.visit(d.rpc + "/explorer")
            # The decentralization table counts every validator of the devnet (CAIRN_DEVNET_VALIDATORS of them).
            rows = b.evaluate("[...document.querySelectorAll('tr')].map(r => [...r.cells].map(c => c.textContent.trim()))")
            power = [r for r in rows or [] if r and r[0] == "Validators, voting power"]
            if not power or power[0][1] != str(d.validators):
                report.failures.append(f"the decentralization table should list {d.validators} validators by voting power: {power}")
            else:
                log(f"decentralization table: {d.validators} validators hold voting power")
            shots = [b.screenshot(os.path.join(OUTPUT, "overview.png"))]
            b.visit(f"{d.rpc}/explorer/providers/{providers[0]}")
            shots.append(b.screenshot(os.path.join(OUTPUT, "provider.png")))
            # The pool's price chart: a line through its three events.
            b.visit(f"{d.rpc}/explorer/pools/1")
            lines = b.evaluate("document.querySelectorAll('svg.chart polyline, svg.chart path').length")
            if not lines:
                report.failures.append("the pool page draws no price line")
            else:
                log("pool page: the price chart is drawn")
            shots.append(b.screenshot(os.path.join(OUTPUT, "pool.png")))
            for path in shots:
                log(f"screenshot {os.path.abspath(path)}")
        failures = report.failures
    if failures:
        raise AssertionError(f"{len(failures)} problems:\n" + "\n".join("  " + f for f in failures))


if __name__ == "__main__":
    run(main)
