"""SmolLM2 reference outputs: last-position logits and a 32-token greedy continuation with margins."""
import jinja2
import torch

GREEDY_STEPS = 32
TOP_LOGITS = 10


def _chat(template, messages):
    rendered = jinja2.Environment().from_string(template).render(messages=messages, add_generation_prompt=True)
    return rendered


def prompts(template):
    """Six or more prompts: plain text, code, other languages, numbers and ChatML chats."""
    return [
        ("plain", "The capital of France is"),
        ("story", "Once upon a time, in a small village by the sea, there lived"),
        ("code", "def fibonacci(n):\n    \"\"\"Return the n-th Fibonacci number.\"\"\"\n"),
        ("french", "La tour Eiffel est un monument situé à Paris. Elle a été construite"),
        ("numbers", "1, 2, 3, 5, 8, 13,"),
        ("chat", _chat(template, [{"role": "user", "content": "What is the capital of France?"}])),
        ("chat-system", _chat(template, [
            {"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": "Name three primary colors."},
        ])),
    ]


def _top(logits, count):
    values, indices = torch.topk(logits, count)
    return [{"id": int(i), "logit": round(float(v), 5)} for i, v in zip(indices, values)]


@torch.no_grad()
def reference_cases(model_dir, gguf_name, tokenizer, template):
    from transformers import AutoModelForCausalLM

    torch.set_num_threads(2)
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), gguf_file=gguf_name, dtype=torch.float32)
    model.eval()
    cases = []
    for name, text in prompts(template):
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        output = model(torch.tensor([ids]), use_cache=True)
        last = output.logits[0, -1].float()
        past = output.past_key_values
        greedy, margins = [], []
        logits = last
        for _ in range(GREEDY_STEPS):
            top2 = torch.topk(logits, 2)
            token = int(top2.indices[0])
            greedy.append(token)
            margins.append(round(float(top2.values[0] - top2.values[1]), 5))
            step = model(torch.tensor([[token]]), past_key_values=past, use_cache=True)
            past = step.past_key_values
            logits = step.logits[0, -1].float()
        cases.append({
            "name": name,
            "prompt": text,
            "promptIDs": ids,
            "lastTopLogits": _top(last, TOP_LOGITS),
            "greedyIDs": greedy,
            "greedyTop2Margins": margins,
            "greedyText": tokenizer.decode(greedy, skip_special_tokens=False),
        })
        print(f"  {name}: {len(ids)} prompt tokens -> {cases[-1]['greedyText']!r}")
    return cases
