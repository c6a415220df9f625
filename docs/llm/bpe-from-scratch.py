# %% [markdown]
# ---
# description: 从零实现字节级 BPE：在自写的中英文小语料上训练，验证按 rank 编码与逐条回放合并的结果相同、任意 Unicode 字符串都能无损往返，并画出词表大小与每字符 token 数的关系（中文从 3 降到约 1.3，英文从 1 降到约 0.37）。
# tags:
#   - 分词
#   - BPE
#   - tokenizer
#   - 动手验证
# ---
# # 从零实现字节级 BPE
#
# 对应问题：[BPE 是怎么训练和编码的？](tokenization.md#bpe-training-encoding)、
# [词表大小怎么选？](tokenization.md#vocab-size-tradeoff)
#
# ## 语料与字节映射 {#bpe-nb-setup}
#
# 语料是本站自写的 20 句英文、20 句中文（`snippets/llm/tok_corpus.py`），另有各 8 句留出文本，只用来测压缩率。
# 字节级 BPE 的基础符号是 256 个字节；GPT-2 为了把合并表写成文本，把每个字节映射成一个可见字符。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.llm.bpe import (build_vocab, bytes_to_unicode, decode, encode, encode_byte_fallback,
                              encode_longest_match, encode_replay, gpt2_regex, pretokenize,
                              stream_decode, tokens_per_char, train_bpe)
from snippets.llm.model_zoo import CONFIGS, param_count
from snippets.llm.tok_corpus import EN_HELDOUT, EN_TRAIN, ZH_HELDOUT, ZH_TRAIN

rng = np.random.default_rng(0)
corpus = EN_TRAIN + ZH_TRAIN
n_bytes = sum(len(t.encode("utf-8")) for t in corpus)
print(f"training corpus: {len(corpus)} lines, {sum(map(len, corpus))} characters, {n_bytes} bytes")

table = bytes_to_unicode()
shifted = [b for b, c in table.items() if ord(c) != b]
print("bytes kept as themselves:", 256 - len(shifted), "| shifted to U+0100+:", len(shifted))
print("space ->", table[0x20], " newline ->", table[0x0A], " 0xE4 (first byte of most CJK) ->", table[0xE4])
assert len(shifted) == 68 and table[0x20] == "Ġ"
assert len(set(table.values())) == 256

# %% [markdown]
# ## 预分词扫描器与 GPT-2 正则一致 {#bpe-nb-regex}
#
# Python 的 `re` 没有 `\p{L}`、`\p{N}`，这里用 `unicodedata` 把它们展开成字符类，拼出 GPT-2 的正则
# （以及数字改成 `\p{N}{1,3}`、`\p{N}` 的两个变体），与 `pretokenize` 在随机字符串上逐个片段比较。

# %%
pool = list("abc tokenizer 的字节词 12345 ,.!'\n\t") + ["😀", "👩\u200d💻", "e\u0301", "\x00", "\ufffd", "'s", "'ll", "١٢", "½"]
samples = ["".join(rng.choice(pool, int(rng.integers(0, 40)))) for _ in range(300)]
for mode in ("gpt2", "group3", "single"):
    pat = gpt2_regex(mode)
    agree = sum(pretokenize(s, mode) == pat.findall(s) for s in samples)
    print(f"{mode:7s}: scanner == regex on {agree}/{len(samples)} random strings")
    assert agree == len(samples)

# %% [markdown]
# ## 训练：统计相邻对、合并最频繁的一对 {#bpe-nb-train}
#
# 先用 GPT-2 的规则预分词（合并不跨越片段），再从字节出发反复合并。目标词表设为 2000，
# 这份小语料在每个片段都合并成一个 token 之后就没有相邻对可合并，训练提前停止。

# %%
merges, splits = train_bpe(corpus, 2000)
vocab = build_vocab(merges)
show = lambda t: "".join(table[b] for b in vocab[t])
print(f"{len(merges)} merges, vocab = {len(vocab)}")
print("first 16 merges:", [show(256 + r) for r in range(16)])
zh_char_rank = next(r for r in range(len(merges)) if vocab[256 + r].decode("utf-8", "ignore") == "词")
print(f"'词' (3 bytes) becomes one token at merge {zh_char_rank}")
assert 256 + len(merges) < 2000            # 语料太小，提前停止
assert all(len(ids) == 1 for ids in splits.values())
assert all(encode(w, merges) == ids for w, ids in splits.items())

# %% [markdown]
# ## 按 rank 编码 = 逐条回放合并 {#bpe-nb-rank}
#
# 编码新文本时，每个片段反复合并“rank 最小”的相邻对；朴素做法是把训练时的合并按顺序逐条回放。
# 两者对随机字符串（含表情、组合符号、控制字符）完全一致；训练结束时每个片段的切分也等于重新编码的结果。

# %%
pool = list("abc tokenizer 的字节词 12345 ,.!'\n\t") + ["😀", "👩\u200d💻", "e\u0301", "\x00", "\ufffd", "'s", "'ll"]
samples = ["".join(rng.choice(pool, int(rng.integers(0, 40)))) for _ in range(300)]
same = sum(encode(s, merges) == encode_replay(s, merges) for s in samples)
print(f"rank-order == replay on {same}/{len(samples)} random strings")
assert same == len(samples)

# %% [markdown]
# 换成“每次取最长的 token”（WordPiece 的编码方式）会得到训练时没出现过的切分。在留出文本里找出两者不同的片段：

# %%
held = [p for t in EN_HELDOUT + ZH_HELDOUT for p in pretokenize(t)]
diff = [p for p in held if encode(p, merges) != encode_longest_match(p, merges)]
print(f"{len(diff)}/{len(held)} held-out pieces differ, e.g. {diff[0]!r}:")
print("  BPE (rank order):", [vocab[t].decode("utf-8", "replace") for t in encode(diff[0], merges)])
print("  longest match   :", [vocab[t].decode("utf-8", "replace") for t in encode_longest_match(diff[0], merges)])
assert diff

# %% [markdown]
# ## 无损往返与流式解码 {#bpe-nb-roundtrip}
#
# 任何合法的 Unicode 字符串都能编码再还原；只有孤立代理项（lone surrogate，不是合法的 Unicode 标量值）会被拒绝。
# 一个 token 可能只含某个字符的一部分字节，所以流式输出必须先缓存不完整的 UTF-8。

# %%
assert all(decode(encode(s, merges), vocab) == s for s in samples)
emoji = "分词器 😀 ok"
ids = encode(emoji, merges)
print("tokens:", [vocab[t] for t in ids])
chunks = stream_decode(ids, vocab)
print("stream chunks:", chunks)
assert "".join(chunks) == emoji
partial = [decode(ids[:k], vocab, errors="replace") for k in range(1, len(ids) + 1)]
assert any("\ufffd" in p for p in partial)          # 直接解码前缀会出现替换符
try:
    encode("bad \ud800 text", merges)
except ValueError as e:
    print("rejected:", e)

# %% [markdown]
# ## 词表大小与每字符 token 数 {#bpe-nb-vocab-curve}
#
# 只用前 k 个合并（词表 256 + k）去编码留出文本。256 个字节时，英文每字符 1 个 token、
# 中文每字符 3 个 token（UTF-8 三字节）；合并越多，两者都下降，并且下降永远单调。

# %%
ks = np.arange(0, len(merges) + 1, 25)
en = np.array([tokens_per_char(EN_HELDOUT, merges[:k]) for k in ks])
zh = np.array([tokens_per_char(ZH_HELDOUT, merges[:k]) for k in ks])
zh_train = np.array([tokens_per_char(ZH_TRAIN, merges[:k]) for k in ks])
assert en[0] == 1.0 and np.isclose(zh[0], 3.0)
assert np.all(np.diff(en) <= 0) and np.all(np.diff(zh) <= 0)
print(f"vocab {256 + ks[-1]}: EN {en[-1]:.3f} tok/char, ZH {zh[-1]:.3f} tok/char (held-out), "
      f"ZH {zh_train[-1]:.3f} on training text")
assert zh[-1] < 1.5 and en[-1] < 0.45

#| alt: 折线图，横轴是词表大小（256 到约 1400），纵轴是每个字符的平均 token 数：中文留出文本从 3 降到约 1.3，中文训练文本降到约 0.2，英文留出文本从 1 降到约 0.37，三条线都单调下降，中文留出文本后段变平，说明小语料学到的中文词很难推广
fig, ax = plt.subplots()
ax.plot(256 + ks, zh, label="Chinese (held-out)")
ax.plot(256 + ks, zh_train, "--", label="Chinese (training text)")
ax.plot(256 + ks, en, label="English (held-out)")
ax.set_xlabel("vocabulary size")
ax.set_ylabel("tokens per character")
ax.set_title("Byte-level BPE on a 3.7 KB corpus")
ax.legend()
plt.show()

# %% [markdown]
# 词表变大的代价在 embedding 与输出层：它们各有 $V\times d$ 个参数。把 Llama 2 7B 与 Llama 3 8B 的公开配置代进去：

# %%
for name in ["Llama-2-7B", "Llama-3-8B"]:
    c, p = CONFIGS[name], param_count(CONFIGS[name])
    share = (p["embedding"] + p["lm_head"]) / p["total"]
    head_flops = 2 * c["hidden_size"] * c["vocab_size"] / (2 * p["active"])
    print(f"{name}: V = {c['vocab_size']}, total {p['total'] / 1e9:.2f}B, embedding + head {share:.1%}, "
          f"output-layer share of per-token FLOPs {head_flops:.1%}")
s2 = param_count(CONFIGS["Llama-2-7B"])
s3 = param_count(CONFIGS["Llama-3-8B"])
assert (s3["embedding"] + s3["lm_head"]) / s3["total"] > 3 * (s2["embedding"] + s2["lm_head"]) / s2["total"]

# %% [markdown]
# ## 数字的三种切法 {#bpe-nb-digits}
#
# 预分词决定数字能被合并成多长的 token：GPT-2 允许任意长的数字串，cl100k_base 与 Llama 3 的正则每段最多 3 位，
# Qwen2 与 Llama 2 逐位切分。

# %%
expr = "12345678 + 987 = 12346665"
for mode in ["gpt2", "group3", "single"]:
    print(f"{mode:7s}", pretokenize(expr, mode))
assert max(len(p) for p in pretokenize(expr, "group3") if p.isdigit()) == 3
assert all(len(p) == 1 for p in pretokenize(expr, "single") if p.isdigit())

# %% [markdown]
# ## 字节回退 {#bpe-nb-byte-fallback}
#
# SentencePiece 的 BPE（如 Llama 2）基础符号是字符而不是字节。遇到词表外的字符，开启 byte fallback 时
# 拆成 UTF-8 字节 token `<0xNN>`，否则只能输出 `<unk>`，信息丢失。

# %%
pieces = set("".join(ZH_TRAIN))
text = "龘是一个很少见的字"
toks = encode_byte_fallback(text, pieces)
print(toks)
assert toks[:3] == ["<0xE9>", "<0xBE>", "<0x98>"]
