# %% [markdown]
# ---
# description: 一个 prompt、20 个候选回答的迷你 RLHF：PPO 加 KL 惩罚收敛到闭式最优解，奖励上升而 KL 有界；奖励模型有漏洞时代理分数一路上涨、真实分数先升后降。
# tags:
#   - RLHF
#   - PPO
#   - reward hacking
#   - 过优化
#   - Best-of-N
#   - 动手验证
# ---
# # 迷你 RLHF：PPO、KL 惩罚与奖励过优化
#
# 对应问题：[PPO 在 RLHF 里一轮迭代要做哪些事？](rlhf.md#ppo-rlhf-pipeline) ·
# [什么是 reward hacking？奖励模型过优化有什么规律？](reward-model.md#reward-overoptimization)
#
# ## 设定 {#setup}
#
# 把“生成一条回答”简化成从 $K=20$ 个候选里选一个（bandit）：actor 是 20 个 logits 的 softmax，从参考模型初始化；
# gold 奖励 $r^*$ 扮演人类，proxy 奖励 $\hat r$ 扮演学出来的奖励模型。proxy 在大多数回答上与 gold 只差一点噪声，
# 但在两条参考模型很少生成、gold 分数为负的回答上给出了最高分：奖励模型在它几乎没见过的区域外推出了错。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.alignment.bandit import ppo_bandit
from snippets.alignment.preference import log_softmax, kl_optimal_policy
from snippets.alignment.reward import best_of_n_policy, best_of_n_kl_bound

rng = np.random.default_rng(0)
K = 20
logp_ref = log_softmax(rng.normal(0, 1.0, K))
p_ref = np.exp(logp_ref)
gold = rng.normal(0, 1, K)
proxy = gold + rng.normal(0, 0.1, K)
exploits = [k for k in np.argsort(p_ref) if gold[k] < 0][:2]       # 最罕见的两条“坏”回答
proxy[exploits] = gold.max() + np.array([1.0, 0.9])
print("exploit answers: p_ref =", np.round(p_ref[exploits], 4), " gold =", np.round(gold[exploits], 2))


def kl_to_ref(H):
    return np.sum(H * (np.log(H) - logp_ref), axis=-1)

# %% [markdown]
# ## 奖励可靠时：奖励上升，KL 有界 {#reliable-reward}
#
# 用 gold 奖励本身做 RM，$\beta=0.1$。KL 正则目标的最优解是 $\pi^*\propto\pi_{\text{ref}}\exp(r^*/\beta)$，
# PPO 应该收敛到它，KL 停在 $\mathrm{KL}(\pi^*\|\pi_{\text{ref}})$ 而不是无限增长。

# %%
beta = 0.1
H_gold = ppo_bandit(gold, logp_ref, beta=beta, iters=250, seed=1)
pi_star = kl_optimal_policy(logp_ref, gold, beta)
kl_gold, kl_star = kl_to_ref(H_gold), kl_to_ref(pi_star)
tv = 0.5 * np.abs(H_gold[-1] - pi_star).sum()
print(f"gold reward {H_gold[0] @ gold:.3f} -> {H_gold[-1] @ gold:.3f};  KL {kl_gold[-1]:.3f} (optimum {kl_star:.3f});  TV to pi* {tv:.4f}")
assert H_gold[-1] @ gold > H_gold[0] @ gold + 1.0                  # 奖励明显上升
assert tv < 0.02                                                   # 收敛到闭式最优解
assert kl_gold.max() < kl_star + 0.3                               # 全程 KL 不超过最优解的 KL 太多

# %% [markdown]
# ## 奖励有漏洞时：proxy 上涨，gold 先升后降 {#reward-hacking}
#
# 同样的 PPO，奖励换成 proxy，$\beta=0.01$（几乎不约束）。横轴按 Gao et al. 的习惯取 $d=\sqrt{\mathrm{KL}}$。
# 再画上 Best-of-n（按 proxy 选 n 条里最好的一条）在不同 n 下的精确结果作对比。

# %%
H = ppo_bandit(proxy, logp_ref, beta=0.01, iters=250, seed=1)
kl, r_proxy, r_gold = kl_to_ref(H), H @ proxy, H @ gold
peak = int(np.argmax(r_gold))
print(f"proxy {r_proxy[0]:.2f} -> {r_proxy[-1]:.2f};  gold {r_gold[0]:.2f} -> peak {r_gold[peak]:.2f} at KL {kl[peak]:.2f} -> {r_gold[-1]:.2f} at KL {kl[-1]:.2f}")
assert r_proxy[-1] > r_proxy[peak] > r_proxy[0]                    # 代理分数一直在涨
assert 0 < peak < len(r_gold) - 1 and r_gold[peak] > r_gold[0] + 0.5   # gold 先涨 ...
assert r_gold[-1] < r_gold[peak] - 0.8                             # ... 越过某个 KL 后下降
assert H[-1, exploits].sum() > 0.5                                 # 概率质量流向了漏洞

# 更大的 β 相当于更早停下
ends = []
for b in (0.3, 1.0):
    Hb = ppo_bandit(proxy, logp_ref, beta=b, iters=250, seed=1)
    ends.append((b, np.sqrt(kl_to_ref(Hb[-1])), Hb[-1] @ gold))
    assert np.all(np.diff(kl) > -1e-3)                              # β=0.01 的 KL 基本单调增长，可以插值
    assert ends[-1][2] <= np.interp(ends[-1][1], np.sqrt(kl), r_gold) + 0.05   # 不在曲线上方

ns = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256])
bon = np.array([best_of_n_policy(p_ref, proxy, n) for n in ns])
bon_kl = np.maximum(kl_to_ref(np.clip(bon, 1e-300, None)), 0.0)   # n=1 时为 0（去掉舍入误差）
assert np.all(bon_kl <= best_of_n_kl_bound(ns) + 1e-12)            # 解析式 log n - (n-1)/n 是上界
assert np.isclose(best_of_n_kl_bound(256), 4.549, atol=1e-3)
print("best-of-n KL:", np.round(bon_kl, 3), " bound:", np.round(best_of_n_kl_bound(ns), 3))

#| alt: 横轴是到参考模型的 KL 的平方根，实线是 PPO 训练过程中 proxy 奖励与 gold 奖励的期望：proxy 一路上升，gold 先升到约 1 再跌到负值；虚线是 Best-of-n 的 proxy 与 gold；两个菱形是 β=0.3 和 β=1 的 PPO 终点，都不在曲线上方，读者应看出过优化时代理分数与真实分数分道扬镳，而 KL 惩罚只是让策略停在离参考模型更近的位置
fig, ax = plt.subplots()
d = np.sqrt(kl)
ax.plot(d, r_proxy, color="C0", label="PPO proxy")
ax.plot(d, r_gold, color="C1", label="PPO gold")
ax.plot(np.sqrt(bon_kl), bon @ proxy, "--", color="C0", label="BoN proxy")
ax.plot(np.sqrt(bon_kl), bon @ gold, "--", color="C1", label="BoN gold")
for b, dd, g in ends:
    ax.scatter([dd], [g], marker="D", color="C2", zorder=3)
    ax.annotate(f"beta={b}", (dd, g), textcoords="offset points", xytext=(6, -12))
ax.axvline(d[peak], color="gray", lw=0.8, ls=":")
ax.set_xlabel("sqrt(KL(pi || pi_ref))")
ax.set_ylabel("expected reward")
ax.set_title("Proxy vs gold reward")
ax.legend(loc="lower left")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 奖励可靠时，PPO 加 KL 惩罚收敛到 $\pi^*\propto\pi_{\text{ref}}e^{r/\beta}$：奖励上升，KL 停在一个有限值。
# - 奖励模型在参考模型很少覆盖的地方出错时，继续优化会把概率质量推向漏洞：proxy 分数单调上升，gold 分数越过峰值后下降，这就是 reward hacking。
# - 更大的 $\beta$ 让 PPO 停在离参考模型更近的位置，终点没有落到 $\beta=0.01$ 那条曲线的上方：KL 惩罚的作用类似早停。
# - Best-of-n 的 KL 不超过 $\log n-(n-1)/n$（$n=256$ 时约 4.55 nat）；在这个玩具里它和 PPO 沿几乎同一条曲线过优化。
