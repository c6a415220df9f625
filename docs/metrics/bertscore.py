# %% [markdown]
# ---
# description: 用构造的玩具 token 向量演示 BERTScore 的贪心匹配：相似度矩阵按行取最大得召回、按列取最大得精确率，验证同义词能得到部分分数，以及 idf 加权与基线重标定的作用。
# tags:
#   - 评测指标
#   - BERTScore
#   - 动手验证
# ---
# # BERTScore：相似度矩阵上的贪心匹配
#
# 对应问题：[BERTScore](generation.md#bertscore)，追问 [idf 加权和基线重标定是做什么的？](generation.md#bertscore-idf-rescale)
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
# 叉（画在格子右上角）：每列的最大值（候选 token 的最佳匹配，平均得到 $P$）。

# %%
#| alt: 4 行 6 列的余弦相似度热力图：行是参考句 it is freezing today 的 token，列是候选句 the weather is very cold today 的 token；红圈标出每行最大值（平均得召回），橙色叉标出每列最大值（平均得精确率），freezing 一行的最大值落在 cold 上。
fig, ax = plt.subplots(figsize=(4.8, 4.2))
ax.imshow(sim, cmap="viridis", vmin=-0.2, vmax=1)
for i in range(sim.shape[0]):
    for j in range(sim.shape[1]):
        ax.text(j, i, f"{sim[i, j]:.1f}", ha="center", va="center", fontsize=10,
                color="white" if sim[i, j] < 0.6 else "black")
ax.scatter(sim.argmax(axis=1), range(sim.shape[0]), s=700, facecolors="none", edgecolors="red", lw=2,
           label="row max: recall")
ax.scatter(np.arange(sim.shape[1]) + 0.3, sim.argmax(axis=0) - 0.3, s=60, marker="x", color="orange", lw=2,
           label="column max: precision")
ax.set_xticks(range(len(cand)))
ax.set_xticklabels(cand, rotation=35, ha="right")
ax.set_yticks(range(len(ref)))
ax.set_yticklabels(ref)
ax.set_xlabel("candidate tokens")
ax.set_ylabel("reference tokens")
ax.grid(False)
ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.45), ncol=1, markerscale=0.5)
ax.set_title(f"P={res['p']:.2f}, R={res['r']:.2f}, F={res['f']:.2f}")
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

# %% [markdown]
# ## idf 加权与基线重标定 {#idf-and-rescaling}
#
# idf 加权让罕见词（信息量大的词）在平均里占更大权重、常见虚词占更小权重。参考里的 "it" 在候选里没有对应词，
# "is" 则是字面相同的虚词，两者都不该左右分数。给虚词低权重（这里手工设成 0.2，真实实现从参考语料算 idf）后，
# 召回和精确率主要由 freezing↔cold、today↔today 这些实词的匹配决定。
# 基线重标定 $(s-b)/(1-b)$ 是线性单调变换：把“随机句对的平均分” $b$ 映射到 0，满分 1 保持不变，任何两个系统的排序都不变，只是数值拉开了。

# %%
from snippets.metrics.text_metrics import rescale_with_baseline

function_words = {"it", "is", "the", "very"}
idf_ref = np.array([0.2 if t in function_words else 1.5 for t in ref])
idf_cand = np.array([0.2 if t in function_words else 1.5 for t in cand])
weighted = bertscore(C_emb, R_emb, cand_idf=idf_cand, ref_idf=idf_ref)
print(f"without idf: P = {res['p']:.3f}, R = {res['r']:.3f}; with idf: P = {weighted['p']:.3f}, R = {weighted['r']:.3f}")
assert np.isclose(weighted["r"], np.sum(idf_ref * sim.max(axis=1)) / idf_ref.sum())    # weighted mean of row maxima
assert np.isclose(weighted["p"], np.sum(idf_cand * sim.max(axis=0)) / idf_cand.sum())  # weighted mean of column maxima
assert weighted["r"] > res["r"]          # the unmatched function word "it" no longer drags recall down

b = 0.8                                             # an illustrative baseline, not a real model's value
raw = np.array([0.83, 0.86, 0.91])                  # three systems' raw F
rescaled = rescale_with_baseline(raw, b)
print("raw", raw, "-> rescaled", np.round(rescaled, 3))
assert np.all(np.argsort(rescaled) == np.argsort(raw))                     # ranking unchanged
assert np.ptp(rescaled) > 4 * np.ptp(raw)                                  # spread widened by 1 / (1 - b) = 5
assert rescale_with_baseline(b, b) == 0.0 and rescale_with_baseline(1.0, b) == 1.0
