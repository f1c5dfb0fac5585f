#!/usr/bin/env python3
"""Convert the VADER human-rated sentence corpora into one JSONL file.

Source: the four ``*_GroundTruth.txt`` files of Hutto & Gilbert, "VADER: A
Parsimonious Rule-based Model for Sentiment Analysis of Social Media Text",
ICWSM 2014. They ship in the vaderSentiment 3.3.2 source distribution on PyPI,
inside ``additional_resources/hutto_ICWSM_2014.tar.gz``. Each line is
``ID<TAB>MEAN-RATING<TAB>TEXT`` (CRLF, UTF-8), the mean of at least 20 raters
on a -4..4 scale.

Output, one object per line:
  {"id": "<domain>/<original id>", "domain": ..., "text": ..., "rating": float,
   "label": "negative"|"positive", "split": "train"|"test"}

Sentences with a mean rating of exactly 0 carry no polarity and are dropped.
The split is a pure function of the id (first SHA-256 byte < 52, about 20%
test) so that every data owner and every reimplementation agrees on it without
sharing a seed.

Usage: vader_dataset.py SRC_DIR OUT.jsonl   (summary goes to stderr)
"""

import hashlib
import json
import os
import sys

# Domain name -> file prefix inside hutto_ICWSM_2014/.
DOMAINS = {
    "tweets": "tweets",
    "movies": "movieReviewSnippets",
    "products": "amazonReviewSnippets",
    "editorials": "nytEditorialSnippets",
}
TEST_BYTE_LIMIT = 52  # 52/256 = 20.3% of ids land in test


def split_of(record_id):
    return "test" if hashlib.sha256(record_id.encode("utf-8")).digest()[0] < TEST_BYTE_LIMIT else "train"


def read_domain(src_dir, domain):
    path = os.path.join(src_dir, DOMAINS[domain] + "_GroundTruth.txt")
    with open(path, encoding="utf-8", newline="") as f:
        for lineno, line in enumerate(f.read().splitlines(), 1):
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                raise ValueError(f"{path}:{lineno}: expected 3 tab-separated fields, got {len(parts)}")
            yield parts[0].strip(), float(parts[1]), parts[2].strip()


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    src_dir, out_path = argv[1], argv[2]
    tmp_path = out_path + ".tmp"
    total = dropped_total = 0
    with open(tmp_path, "w", encoding="utf-8") as out:
        for domain in DOMAINS:
            counts = {"train": 0, "test": 0}
            positive = dropped = 0
            for orig_id, rating, text in read_domain(src_dir, domain):
                if rating == 0:
                    dropped += 1
                    continue
                rid = f"{domain}/{orig_id}"
                split = split_of(rid)
                label = "positive" if rating > 0 else "negative"
                counts[split] += 1
                positive += label == "positive"
                out.write(json.dumps({"id": rid, "domain": domain, "text": text, "rating": rating,
                                      "label": label, "split": split}, ensure_ascii=False) + "\n")
            kept = counts["train"] + counts["test"]
            total += kept
            dropped_total += dropped
            print(f"{domain:<11} train {counts['train']:>5}  test {counts['test']:>5}  "
                  f"positive {positive / kept:6.1%}  zero-rated dropped {dropped}", file=sys.stderr)
    # Rename last so an interrupted run never leaves a truncated file that looks finished.
    os.replace(tmp_path, out_path)
    print(f"{'total':<11} {total} records, {dropped_total} zero-rated dropped -> {out_path}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
