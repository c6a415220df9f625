# %% [markdown]
# ---
# description: 用构造的玩具 token 向量演示 BERTScore 的贪心匹配：相似度矩阵按行取最大得召回、按列取最大得精确率，并验证同义词能得到部分分数。
# tags:
#   - 评测指标
#   - BERTScore
#   - 动手验证
# ---
# # BERTScore：相似度矩阵上的贪心匹配
#
# 对应问题：[BERTScore](generation.md#bertscore)
#
# 真实的 BERTScore 用 BERT/RoBERTa 某一层的上下文向量；这里用手工构造的向量代替（同义词的向量彼此接近），
# 只为看清计算过程，数值不代表真实模型的分数。
#
# ## 构造 token 向量 {#toy-embeddings}

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.metrics.text_metrics import bertscore, rouge_n

rng = np.random.default_rng(0)
d = 64
base = {w: rng.normal(size=d) for w in ["it", "is", "cold", "today", "the", "weather", "very"]}
base["freezing"] = base["cold"] + 0.5 * rng.normal(size=d)      # 近义词：向量接近
base["weather"] = base["weather"] + 0.3 * base["today"]          # 语义相关：有一点相似


def embed(tokens):
    # 加一点“上下文”噪声，模拟同一个词在不同句子里的向量略有差别
    return np.stack([base[t] + 0.2 * rng.normal(size=d) for t in tokens])


ref = "it is freezing today".split()
cand = "the weather is very cold today".split()
R_emb, C_emb = embed(ref), embed(cand)
res = bertscore(C_emb, R_emb)
sim = res["sim"]
print(f"P = {res['p']:.3f}, R = {res['r']:.3f}, F = {res['f']:.3f}")
print("ROUGE-1 of the same pair:", {k: round(v, 3) for k, v in rouge_n(cand, ref, 1).items()})

# %% [markdown]
# ## 相似度矩阵 {#similarity-matrix}
#
# 行是参考 token，列是候选 token。圆圈：每行的最大值（参考 token 的最佳匹配，平均得到 $R$）；
# 叉：每列的最大值（候选 token 的最佳匹配，平均得到 $P$）。

# %%
fig, ax = plt.subplots(figsize=(7, 4))
im = ax.imshow(sim, cmap="viridis", vmin=-0.2, vmax=1)
for i in range(sim.shape[0]):
    for j in range(sim.shape[1]):
        ax.text(j, i, f"{sim[i, j]:.2f}", ha="center", va="center", fontsize=8,
                color="white" if sim[i, j] < 0.6 else "black")
ax.scatter(sim.argmax(axis=1), range(sim.shape[0]), s=500, facecolors="none", edgecolors="red", lw=2,
           label="row max -> recall")
ax.scatter(range(sim.shape[1]), sim.argmax(axis=0), s=150, marker="x", color="orange", lw=2,
           label="column max -> precision")
ax.set_xticks(range(len(cand)))
ax.set_xticklabels(cand)
ax.set_yticks(range(len(ref)))
ax.set_yticklabels(ref)
ax.set_xlabel("candidate tokens")
ax.set_ylabel("reference tokens")
ax.grid(False)
fig.colorbar(im, ax=ax, fraction=0.03)
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, fontsize=8)
ax.set_title(f"BERTScore toy example: P={res['p']:.2f}, R={res['r']:.2f}, F={res['f']:.2f}")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 检查 {#checks}

# %%
# 与定义式的显式循环一致
Cn = C_emb / np.linalg.norm(C_emb, axis=1, keepdims=True)
Rn = R_emb / np.linalg.norm(R_emb, axis=1, keepdims=True)
P_loop = np.mean([max(float(c @ r) for r in Rn) for c in Cn])
R_loop = np.mean([max(float(r @ c) for c in Cn) for r in Rn])
assert np.isclose(res["p"], P_loop) and np.isclose(res["r"], R_loop)
# 交换候选与参考，P 与 R 互换
swapped = bertscore(R_emb, C_emb)
assert np.isclose(swapped["p"], res["r"]) and np.isclose(swapped["r"], res["p"])
# 完全相同的序列：P = R = F = 1
same = bertscore(R_emb, R_emb)
assert np.isclose(same["p"], 1) and np.isclose(same["r"], 1) and np.isclose(same["f"], 1)
# 同义词 freezing 的最佳匹配是 cold，而不是字面不同就记 0
i = ref.index("freezing")
assert cand[int(sim[i].argmax())] == "cold" and sim[i].max() > 0.7
print("checks passed")
