# %% [markdown]
# ---
# description: 在一条 token 流上实现 BERT 的 15% 选取与 80/10/10 替换，检查比例落在二项分布置信区间内，比较 BERT 的静态掩码（10 份副本、40 个 epoch）与 RoBERTa 的动态掩码在各 epoch 间的重合度，并由配置数出 BERT、RoBERTa、ALBERT、ModernBERT 的参数量。
# tags:
#   - BERT
#   - MLM
#   - RoBERTa
#   - ALBERT
#   - ModernBERT
#   - 动手验证
# ---
# # 动手验证：BERT 的 80/10/10 掩码、静态与动态掩码
#
# 对应问题：[BERT 怎么预训练？](bert.md#bert-mlm)、[动态掩码和静态掩码](bert.md#dynamic-masking)、
# [RoBERTa、ALBERT、ELECTRA、DeBERTa 各改了什么？](bert.md#bert-variants)
#
# ## 实验设置 {#setup}
#
# 词表 30522（BERT-base 的 WordPiece 词表大小），序列长 128，每条序列首尾是 [CLS] 和 [SEP]，共 2000 条序列。
# 特殊 token 不参与选取。每个普通 token 以 15% 的概率被选中；选中的 token 80% 换成 [MASK]，10% 换成随机 token，10% 保持不变。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.attention.bert import (
    KEPT, MASKED, NONE, RANDOM, bert_params, epoch_masks, jaccard, mlm_mask, modernbert_params,
)

rng = np.random.default_rng(0)
V, CLS, SEP, MASK = 30522, 101, 102, 103          # ids as in the BERT-base uncased vocabulary
n_seq, L = 2000, 128
tokens = rng.integers(1000, V, size=(n_seq, L))
tokens[:, 0], tokens[:, -1] = CLS, SEP
inputs, labels, kind = mlm_mask(tokens, rng, V, MASK, special_ids=(CLS, SEP))

# %% [markdown]
# ## 比例与二项分布置信区间 {#proportions}
#
# n 个候选 token 中被选中的个数服从 Binomial(n, 0.15)，99.99% 置信区间约为 ±3.9 个标准差。
# 被选中的 token 中三种处理的个数同样服从二项分布（以被选中的个数为 n）。

# %%
eligible = ~np.isin(tokens, [CLS, SEP])
sel = kind != NONE
n, k = int(eligible.sum()), int(sel.sum())
z = 3.9
rows = [("selected / eligible", k / n, 0.15, n)]
rows += [(name, np.mean(kind[sel] == c), p, k) for name, c, p in
         (("[MASK]", MASKED, 0.8), ("random", RANDOM, 0.1), ("unchanged", KEPT, 0.1))]
for name, got, p, m in rows:
    half = z * np.sqrt(p * (1 - p) / m)
    print(f"{name:20s} {got:.4f}   target {p:.2f} ± {half:.4f}")
    assert abs(got - p) < half
print(f"share of ALL tokens replaced by a random token: {np.mean(kind == RANDOM):.4f} (BERT: 1.5 %)")
assert abs(np.mean(kind[eligible] == RANDOM) - 0.015) < z * np.sqrt(0.015 * 0.985 / n)
# the loss only sees the selected positions; 'unchanged' ones still have a label
assert np.all(labels[kind == KEPT] == tokens[kind == KEPT]) and np.all(inputs[kind == KEPT] == tokens[kind == KEPT])

#| alt: 四根柱子依次是“被选中比例”“[MASK] 比例”“随机替换比例”“保持不变比例”的实测值，误差线是 99.99% 二项置信区间，黑色短横线是 0.15、0.8、0.1、0.1 四个目标值，实测值都落在区间内
fig, ax = plt.subplots()
names = ["selected", "[MASK]", "random", "unchanged"]
got = np.array([r[1] for r in rows])
target = np.array([r[2] for r in rows])
err = np.array([z * np.sqrt(p * (1 - p) / m) for _, _, p, m in rows])
ax.bar(names, got, yerr=err, capsize=6, color="tab:blue", alpha=0.8, label="measured (99.99% CI)")
ax.scatter(names, target, marker="_", s=600, color="k", zorder=3, label="target")
ax.set_ylabel("proportion")
ax.set_title("BERT masking: 15% selected, then 80/10/10")
ax.legend()
plt.show()

# %% [markdown]
# ## 静态掩码与动态掩码 {#static-vs-dynamic}
#
# BERT 的数据管线在预处理时掩一次：数据复制 10 份、每份各掩一次，训练 40 个 epoch，所以每个序列的同一种掩码被看 4 次。
# RoBERTa 的动态掩码每次喂入都重新采样。衡量方式：第 0 个 epoch 与第 e 个 epoch 被选位置的 Jaccard 重合度。
# 两次独立的 15% 选取，重合度的期望约为 p² / (2p − p²) = 0.081。

# %%
seq = tokens[:200]
kw = dict(vocab_size=V, mask_id=MASK, special_ids=(CLS, SEP))
static = epoch_masks(seq, 40, rng, dynamic=False, dupe_factor=10, **kw)
dynamic = epoch_masks(seq, 40, rng, dynamic=True, **kw)
j_static = np.array([jaccard(static[0], static[e]) for e in range(40)])
j_dynamic = np.array([jaccard(dynamic[0], dynamic[e]) for e in range(40)])
expected = 0.15 ** 2 / (2 * 0.15 - 0.15 ** 2)
print(f"distinct masks over 40 epochs: static {len({m.tobytes() for m in static})}, dynamic {len({m.tobytes() for m in dynamic})}")
print(f"mean Jaccard with epoch 0 (e >= 1): static {j_static[1:].mean():.3f}, dynamic {j_dynamic[1:].mean():.3f}, "
      f"independent {expected:.3f}")
assert np.all(j_static[::10] == 1.0)                     # epochs 0, 10, 20, 30 reuse the same copy
assert abs(j_dynamic[1:].mean() - expected) < 0.01
eligible_seq = ~np.isin(seq, [CLS, SEP])
ever_static = np.mean(np.any(static, axis=0)[eligible_seq])
ever_dynamic = np.mean(np.any(dynamic, axis=0)[eligible_seq])
print(f"tokens that are ever a prediction target in 40 epochs: static {ever_static:.3f} "
      f"(1 - 0.85^10 = {1 - 0.85**10:.3f}), dynamic {ever_dynamic:.3f} (1 - 0.85^40 = {1 - 0.85**40:.3f})")
assert abs(ever_static - (1 - 0.85 ** 10)) < 0.01 and abs(ever_dynamic - (1 - 0.85 ** 40)) < 0.01

#| alt: 横轴是 epoch（0 到 39），纵轴是与第 0 个 epoch 被选位置的 Jaccard 重合度：静态掩码每 10 个 epoch 回到 1，其余在 0.08 附近；动态掩码除第 0 个 epoch 外一直在 0.08 附近，虚线是独立采样的理论值 0.081
fig, ax = plt.subplots()
ax.plot(range(40), j_static, "o-", ms=3, label="static (10 copies)")
ax.plot(range(40), j_dynamic, "s-", ms=3, label="dynamic (RoBERTa)")
ax.axhline(expected, color="k", ls="--", lw=1, label="independent draws")
ax.set_xlabel("epoch e")
ax.set_ylabel("Jaccard overlap with epoch 0")
ax.legend(loc="center right")
plt.show()

# %% [markdown]
# ## 由配置数参数量 {#param-counts}
#
# 含 bias 与 LayerNorm 的 BERT 类编码器（再加 pooler）：BERT-base 约 1.10 亿、BERT-large 约 3.35 亿；
# RoBERTa-large 换成 50265 的字节级 BPE 词表、514 个位置、1 种 segment，约 3.55 亿，比 BERT-large 多约 2000 万，
# base 版多约 1500 万，与 RoBERTa 论文给的数一致。ALBERT-base 把嵌入分解成 30000 × 128 再投影到 768，并让 12 层共用一份参数，约 1200 万。
# ModernBERT-base 没有 bias（解码器除外）、LayerNorm 不带 bias、GeGLU 隐层 1152、输出层与嵌入共享，按配置恰好是 149,655,232。

# %%
counts = {
    "BERT-base": bert_params(30522, 768, 12, 3072),
    "BERT-large": bert_params(30522, 1024, 24, 4096),
    "RoBERTa-base": bert_params(50265, 768, 12, 3072, max_pos=514, type_vocab=1),
    "RoBERTa-large": bert_params(50265, 1024, 24, 4096, max_pos=514, type_vocab=1),
    "ALBERT-base": bert_params(30000, 768, 12, 3072, embed_dim=128, share_layers=True),
    "ModernBERT-base": modernbert_params(50368, 768, 22, 1152),
}
for name, c in counts.items():
    print(f"{name:16s} {c:>12,d}")
assert abs(counts["BERT-base"] / 110e6 - 1) < 0.01 and abs(counts["RoBERTa-large"] / 355e6 - 1) < 0.005
assert abs((counts["RoBERTa-base"] - counts["BERT-base"]) / 15e6 - 1) < 0.05
assert abs((counts["RoBERTa-large"] - counts["BERT-large"]) / 20e6 - 1) < 0.05
assert abs(counts["ALBERT-base"] / 12e6 - 1) < 0.05
assert counts["ModernBERT-base"] == 149_655_232

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 15% 的选取与 80/10/10 的三种处理都落在 99.99% 的二项置信区间内；随机替换只占全部 token 的约 1.5%。
# - 静态掩码下同一份掩码每 10 个 epoch 重复一次，40 个 epoch 里只有约 80% 的位置当过预测目标；动态掩码每个 epoch 都是新样本，约 99.8% 的位置都当过目标。
# - 参数量由配置数出：BERT-base 1.09 亿、RoBERTa-large 3.55 亿、ALBERT-base 1170 万、ModernBERT-base 1.497 亿。
