"""Inputs for the tokenizer and embedding fixtures: accents, CJK, emoji, code, whitespace runs, numbers."""

_COMMON = [
    "",
    " ",
    "Hello world",
    "Hello, world! How are you today?",
    "  leading and trailing spaces  ",
    "multiple   internal    spaces and a  1 digit",
    "tabs\tand\t\ttabs\n\nnewlines\r\nmixed \t \n end",
    "I'm sure they'll say it's fine, don't you think? We've seen it. I'D SAY YOU'RE RIGHT",
    "Café naïve résumé façade Ångström Øresund",
    "e\u0301 combining acute, and precomposed \u00e9",
    "你好，世界！这是一个测试。",
    "日本語のテキストとカタカナ ー",
    "한국어 텍스트입니다",
    "Россия и Українa",
    "مرحبا بالعالم",
    "Καλημέρα κόσμε",
    "नमस्ते दुनिया",
    "Emoji: 😀👍🏽🇺🇸 and ❤️ 🎉",
    "Numbers 12345 and 3.14159 and 1,000,000 and -42e10",
    "x=1;y=22;z=333; 2024-01-15T10:30:00Z",
    "def foo(x):\n    return x ** 2  # square\n",
    "for (int i = 0; i < 10; i++) {\n\tprintf(\"%d\\n\", i);\n}",
    "https://example.com/path?query=value&other=123#anchor",
    "Punctuation!!! ??? ... --- (parens) [brackets] {braces} <angles>",
    "$100 + 50% = ? @user #tag ~tilde `code` ^caret |pipe|",
    "zero\u200bwidth and\u00a0nbsp and\u3000ideographic space",
    "   \n  \n\n   ",
    "ÀÉÎÕÜ àéîõü ß İstanbul ŁÓDŹ ﬁne",
]

BPE_TEXTS = [(text, True) for text in _COMMON] + [
    ("<|im_start|>user\nHello there<|im_end|>\n<|im_start|>assistant\n", True),
    ("<|endoftext|>", True),
    ("text<|im_end|>more <|im_start|> spaced", True),
    ("<repo_name>cairn<file_sep>main.swift", True),
    ("<|im_start|>user\nnot special<|im_end|>", False),
    ("<|im_start", True),
    ("The quick brown fox jumps over the lazy dog. " * 3, True),
]

WORDPIECE_TEXTS = _COMMON + [
    "unaffable unbelievably tokenization",
    "[CLS] [SEP] [MASK] [PAD] [UNK] literal brackets",
    "control\u0000chars\u0007and\ufffdreplacement\u00adsoft hyphen",
    "a" * 101 + " long word then short",
    "a" * 100 + " exactly one hundred",
    "supercalifragilisticexpialidocious",
    "我爱北京天安门 and 𠀀 extension B",
    ("The quick brown fox jumps over the lazy dog while the cat watches. " * 30).strip(),
]

_SHORT = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A man is riding a horse.",
    "A woman is playing violin.",
    "Two men pushed carts through the woods.",
    "A man is riding a white horse on an enclosed ground.",
    "A monkey is playing drums.",
    "Someone in a gorilla costume is playing a set of drums.",
    "The new movie is awesome",
    "The cat sits outside",
    "I love pasta",
    "Do you like pizza?",
    "Café naïve résumé: accents are stripped by the uncased tokenizer.",
    "你好，世界！这是一个测试。",
    "Emoji 😀 and symbols $100 + 50% = ?",
    "def foo(x):\n    return x ** 2",
    "",
    "a",
    "Cairn is an open compute network for AI with its own ledger.",
]

_PARAGRAPH = ("Providers on the network serve AI models, and the engine they serve them with is written in Swift. "
              "It must run real models, produce the same answers as the reference implementations, and be fast "
              "on an ordinary two-core CPU. ")

MINILM_SENTENCES = _SHORT + [
    _PARAGRAPH,
    _PARAGRAPH * 6,
    " ".join(f"token{i}" for i in range(300)),
    ("In the beginning the universe was created. This has made a lot of people very angry and been widely "
     "regarded as a bad move. ") * 12,
]

CHATS = [
    ([{"role": "user", "content": "What is the capital of France?"}], True),
    ([{"role": "user", "content": "What is the capital of France?"}], False),
    ([{"role": "system", "content": "You are a pirate."}, {"role": "user", "content": "Hello!"}], True),
    ([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"},
      {"role": "user", "content": "Write\n  two lines,\tplease: café 日本 🎉"}], True),
    ([{"role": "assistant", "content": "I start."}, {"role": "system", "content": "late system"}], True),
    ([], True),
    ([], False),
    ([{"role": "user", "content": ""}], True),
]
