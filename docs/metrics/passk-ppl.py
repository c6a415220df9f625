# %% [markdown]
# ---
# description: 在模拟的代码题集上比较 pass@k 的无偏估计 1 − C(n−c,k)/C(n,k) 与插值估计 1 − (1 − c/n)^k：前者偏差为 0，后者系统性偏低（pass^k 的插值估计偏高）；再用自己写的字符、双字符、单词三种分词和一元语言模型说明每 token 困惑度不能跨分词器比较，而 bits-per-byte 可以。
# tags:
#   - 评测指标
#   - pass@k
#   - 困惑度
#   - Perplexity
#   - 动手验证
# ---
# # pass@k 的无偏估计；困惑度与 bits-per-byte
#
# 对应问题：[pass@k 怎么算？](llm-eval.md#pass-at-k) ·
# [为什么直接用 1−(1−c/n)^k 不对？](llm-eval.md#pass-at-k-naive-bias) ·
# [为什么不同 tokenizer 的困惑度不能直接比？](llm-eval.md#perplexity-tokenizer)
#
# ## pass@k：两种估计的偏差 {#passk-bias}
#
# 一道题的真实单次通过率为 $p$，pass@k 的真值是 $1-(1-p)^k$。每题采样 n 个、c 个通过：
# 无偏估计 $1-\binom{n-c}{k}/\binom{n}{k}$ 的期望恰好等于真值（超几何分布的恒等式）；
# 插值估计把 $\hat p=c/n$ 代入 $1-(1-\hat p)^k$，这是 $\hat p$ 的凹函数，由 Jensen 不等式其期望不超过真值。
# 模拟一个 164 题的题集（HumanEval 的题数），每题的 p 取自 Beta(0.4, 1.2)（大多数题很难、少数题很容易），n = 20。

# %%
import math

import numpy as np
import matplotlib.pyplot as plt
from snippets.metrics.llm_eval import (fit_unigram, nll_stats, pass_at_k, pass_at_k_naive, pass_hat_k,
                                       pass_hat_k_naive)

rng = np.random.default_rng(0)
n, n_problems, n_sets = 20, 164, 200
p_true = rng.beta(0.4, 1.2, size=n_problems)
K = np.array([1, 2, 5, 10, 20])
truth = np.array([np.mean(1 - (1 - p_true) ** k) for k in K])

est_unb = np.zeros((n_sets, len(K)))
est_naive = np.zeros((n_sets, len(K)))
for s in range(n_sets):
    c = rng.binomial(n, p_true)
    for a, k in enumerate(K):
        est_unb[s, a] = np.mean([pass_at_k(n, int(ci), int(k)) for ci in c])
        est_naive[s, a] = np.mean([pass_at_k_naive(n, int(ci), int(k)) for ci in c])

bias_unb, bias_naive = est_unb.mean(0) - truth, est_naive.mean(0) - truth
se = est_unb.std(0) / math.sqrt(n_sets)
print("true pass@k      :", truth.round(4))
print("bias (unbiased)  :", bias_unb.round(4), "  (MC s.e.", se.round(4), ")")
print("bias (plug-in)   :", bias_naive.round(4))
assert np.all(np.abs(bias_unb) < 4 * se + 1e-12)
assert bias_naive[0] == 0 or abs(bias_naive[0]) < 4 * se[0]     # k = 1 时两者相同：c/n
assert np.all(bias_naive[1:] < -4 * se[1:])                       # k >= 2：插值估计显著偏低

# 精确期望：对 c ~ Bin(n, p) 求和，不靠模拟
pmf = lambda p: np.array([math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(n + 1)])  # noqa: E731
exact_naive = np.array([np.mean([pmf(p) @ [pass_at_k_naive(n, j, int(k)) for j in range(n + 1)] for p in p_true])
                        for k in K])
exact_unb = np.array([np.mean([pmf(p) @ [pass_at_k(n, j, int(k)) for j in range(n + 1)] for p in p_true])
                      for k in K])
assert np.allclose(exact_unb, truth, atol=1e-12) and np.all(exact_naive[1:] < truth[1:])

# pass^k（k 次全部成功）方向相反：p^k 是凸函数，插值估计 (c/n)^k 偏高
hat_truth = np.array([np.mean(p_true**k) for k in K[:3]])
hat_unb = np.array([np.mean([pmf(p) @ [pass_hat_k(n, j, int(k)) for j in range(n + 1)] for p in p_true]) for k in K[:3]])
hat_naive = np.array([np.mean([pmf(p) @ [pass_hat_k_naive(n, j, int(k)) for j in range(n + 1)] for p in p_true])
                      for k in K[:3]])
print("pass^k truth / unbiased / plug-in:", hat_truth.round(4), hat_unb.round(4), hat_naive.round(4))
assert np.allclose(hat_unb, hat_truth, atol=1e-12) and np.all(hat_naive[1:] > hat_truth[1:])

# %%
#| alt: 横轴是 k（1 到 20），纵轴是估计偏差（估计值的期望减真值）：无偏估计的点都在 0 附近，误差棒覆盖 0；插值估计从 k=2 起为负，并随 k 增大越偏越多，k=20 时约低 0.055；读者应看出插值估计系统性低估 pass@k，k 越大越严重
fig, ax = plt.subplots()
ax.errorbar(K, bias_unb, yerr=2 * se, fmt="o-", capsize=3, label="unbiased 1 - C(n-c,k)/C(n,k)")
ax.plot(K, bias_naive, "s-", label="plug-in 1 - (1 - c/n)^k")
ax.plot(K, exact_naive - truth, "k:", label="plug-in, exact expectation")
ax.axhline(0, color="gray", lw=0.8)
ax.set(xlabel="k", ylabel="bias of the estimate", title=f"pass@k estimators, n = {n} samples")
ax.legend(loc="lower left")
plt.show()

# %% [markdown]
# ## 困惑度跨分词器不可比，bits-per-byte 可比 {#ppl-bpb}
#
# 造一个小语料：300 个随机拼写的“单词”，词频服从 Zipf 分布，用空格连成文本，分成训练集与测试集（纯 ASCII，1 字符 = 1 字节）。三种分词：
# - **字符**：每个字符（含空格）一个 token；
# - **双字符**：每两个字符一个 token。模型直接用字符模型的乘积 $p(ab)=p(a)p(b)$，与字符模型是**同一个**概率分布；
# - **单词**：每个“单词 + 后面的空格”一个 token，在训练集上另拟合一个一元模型。
#
# 困惑度 $\exp(\text{总 NLL}/\text{token 数})$ 的分母是 token 数；bits-per-byte $=\text{总 NLL}/(\ln 2\cdot\text{字节数})$ 的分母与分词无关。

# %%
letters = "abcdefghijklmnopqrstuvwxyz"
V = 300
words = sorted({"".join(rng.choice(list(letters), size=rng.integers(2, 9))) for _ in range(V + 50)})[:V]
freq = 1 / np.arange(1, V + 1) ** 1.1
freq /= freq.sum()
train_text = " ".join(rng.choice(words, size=30000, p=freq)) + " "
test_text = " ".join(rng.choice(words, size=4000, p=freq)) + " "
test_text = test_text[: len(test_text) // 2 * 2]              # 偶数长度，便于双字符切分
n_bytes = len(test_text.encode("utf-8"))

char_lp = fit_unigram(list(train_text), letters + " ")
lp_char = np.array([char_lp[ch] for ch in test_text])
lp_pair = lp_char[0::2] + lp_char[1::2]                       # 同一个分布，只是两个字符合并成一个 token

word_tokens = lambda text: [w + " " for w in text.split(" ")[:-1]]   # noqa: E731
word_lp = fit_unigram(word_tokens(train_text), [w + " " for w in words])
test_words = word_tokens(test_text)
lp_word = np.array([word_lp[w] for w in test_words])
word_bytes = sum(len(w) for w in test_words)                  # 截断后最后一个不完整的词不计

stats = {"char": nll_stats(lp_char, n_bytes), "char pair": nll_stats(lp_pair, n_bytes),
         "word": nll_stats(lp_word, word_bytes)}
for name, (ppl, bpb) in stats.items():
    print(f"{name:9s}  per-token PPL = {ppl:8.2f}   bits per byte = {bpb:.4f}")

(ppl_c, bpb_c), (ppl_p, bpb_p), (ppl_w, bpb_w) = stats.values()
assert math.isclose(bpb_c, bpb_p, rel_tol=1e-12)               # 同一个模型：BPB 完全相同
assert math.isclose(ppl_p, ppl_c**2, rel_tol=1e-9)             # 每 token 困惑度却差一个平方
assert ppl_w > 2 * ppl_c and bpb_w < bpb_c / 2                 # 单词模型的每 token 困惑度更高，每字节却好得多
assert math.isclose(bpb_c, math.log2(ppl_c) * len(lp_char) / n_bytes)   # BPB = log2(PPL) · token数 / 字节数

# %%
#| alt: 上下两张条形图，分别是字符、双字符、单词三种分词下的每 token 困惑度（对数坐标）和 bits-per-byte：字符约 20、单词约 58、双字符约 413，字符与双字符是同一个模型却差一个平方；bits-per-byte 里字符与双字符完全相等（约 4.35），单词模型只有约 0.93；读者应看出只有按字节归一化的指标能跨分词器比较
fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(4.8, 5.6))
names = list(stats)
ax1.bar(names, [stats[k][0] for k in names], color=["C0", "C0", "C1"])
ax1.set(yscale="log", ylabel="per-token perplexity", title="Same text, three tokenizers")
ax2.bar(names, [stats[k][1] for k in names], color=["C0", "C0", "C1"])
ax2.set(ylabel="bits per byte")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 无偏估计的期望与真值相等（精确求和误差在 1e-12 以内），插值估计从 k = 2 起系统性偏低，k 越大偏得越多（这里 k = 20 时低约 5.5 个百分点）；pass^k 的插值估计 $(c/n)^k$ 则偏高。
# - 同一个概率模型换一种分词，每 token 困惑度可以变成原来的平方，bits-per-byte 一位都不变。
# - 单词级模型的每 token 困惑度约是字符级的 3 倍（58 对 20），bits-per-byte 却低得多（0.93 对 4.35）：“困惑度低的模型更好”只在分词器相同时成立。
