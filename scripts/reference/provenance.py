"""Provenance recorded in every fixture: package versions, model file hashes, date and command."""
import datetime
import hashlib
import json
import platform
import sys
from importlib import metadata

PACKAGES = ["torch", "transformers", "sentence-transformers", "tokenizers", "gguf", "accelerate", "numpy"]


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def provenance(model_files, method):
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "generator": "scripts/reference/make_fixtures.py",
        "command": " ".join(["python3"] + sys.argv),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python": platform.python_version(),
        "packages": versions,
        "modelFilesSHA256": model_files,
        "method": method,
    }


def write_fixture(path, payload):
    text = json.dumps(payload, ensure_ascii=False, indent=1)
    path.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {path} ({len(text.encode('utf-8'))} bytes)")
