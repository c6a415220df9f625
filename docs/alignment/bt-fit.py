# %% [markdown]
# ---
# description: 在合成偏好上用极大似然拟合 Bradley–Terry 奖励：分数只能恢复到一个平移，准确率随偏好对数增加逼近由标注噪声决定的上限，而不是 100%。
# tags:
#   - 奖励模型
#   - Bradley-Terry
#   - 动手验证
# ---
# # Bradley–Terry 奖励模型的拟合
#
# 对应问题：[BT 拟合出的分数能恢复真实奖励吗？需要多少偏好对？](reward-model.md#bt-identifiability)
#
# ## 设定 {#setup}
#
# 40 条回答，真实奖励 $r_k\sim\mathcal N(3,1)$（故意加了平移 3）。每个偏好对随机抽两条回答，
# 标注按 BT 模型随机给出：$P(a\succ b)=\sigma(r_a-r_b)$。用牛顿法做极大似然（损失是凸的）。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.alignment.reward import fit_bradley_terry, ranking_to_pairs

rng = np.random.default_rng(0)
n_items = 40
r = rng.normal(3.0, 1.0, n_items)


def sample_pairs(N):
    a, b = rng.integers(0, n_items, N), rng.integers(0, n_items, N)
    keep = a != b
    a, b = a[keep], b[keep]
    a_wins = rng.random(a.size) < 1 / (1 + np.exp(-(r[a] - r[b])))
    return np.where(a_wins, a, b), np.where(a_wins, b, a)


test_w, test_l = sample_pairs(200_000)                      # 留出的“人类标注”
# 贝叶斯上限：知道真实奖励时，预测“分高的赢”的准确率
gap = np.abs(r[test_w] - r[test_l])
ceiling = np.mean(1 / (1 + np.exp(-gap)))                  # E[σ(|r_a - r_b|)]
ceiling_emp = np.mean(r[test_w] > r[test_l])
print(f"accuracy ceiling with the true rewards: {ceiling:.3f} (empirical {ceiling_emp:.3f})")
assert abs(ceiling - ceiling_emp) < 0.005 and ceiling < 0.8        # 标注有噪声：上限远低于 100%

# %% [markdown]
# ## 偏好对越多，越接近上限 {#accuracy-vs-pairs}

# %%
Ns = [100, 300, 1000, 3000, 10_000, 30_000]
acc, err = [], []
for N in Ns:
    w, l = sample_pairs(N)
    fit = fit_bradley_terry(n_items, w, l)
    acc.append(np.mean(fit[test_w] > fit[test_l]))
    err.append(np.sqrt(np.mean((fit - (r - r.mean())) ** 2)))
    print(f"N={N:6d}  held-out accuracy={acc[-1]:.3f}  RMSE to centred true reward={err[-1]:.3f}")
    assert abs(fit.mean()) < 1e-9                           # 平移由“均值为 0”固定
assert acc[-1] > ceiling - 0.005 and acc[0] < acc[-1]
assert err[-1] < 0.1 and err[0] > 3 * err[-1]
# 数据足够后误差约按 1/sqrt(N) 下降（N 很小时，总是赢的回答分数被推得很大，误差大得多）
slope = np.polyfit(np.log(Ns[2:]), np.log(err[2:]), 1)[0]
print(f"log-log slope of RMSE vs N: {slope:.2f}")
assert -0.65 < slope < -0.35

# InstructGPT 每个 prompt 排 K = 4..9 条回答，一次排序给出 C(K, 2) 个偏好对
print({K: len(ranking_to_pairs(range(K))) for K in range(4, 10)})

#| alt: 上图横轴是偏好对数量（对数坐标），纵轴是留出集上的排序准确率，从约 0.6 升到约 0.75，逐渐贴近灰色虚线所示的贝叶斯上限；下图是拟合分数与中心化真实奖励的均方根误差，对数少时很大，之后按约 1/√N 下降，读者应看出 RM 的准确率上限由标注噪声决定，且分数只能恢复到一个平移
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True)
axes[0].semilogx(Ns, acc, marker="o", label="fitted BT")
axes[0].axhline(ceiling, color="gray", ls="--", label="true rewards")
axes[0].set_ylabel("held-out accuracy")
axes[0].set_title("Pairwise accuracy")
axes[0].legend(loc="lower right")
axes[1].loglog(Ns, err, marker="s", color="C1")
axes[1].set_xlabel("number of preference pairs")
axes[1].set_ylabel("RMSE (centred)")
axes[1].set_title("Reward recovery up to a shift")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - BT 只约束分差：拟合出的分数与真实奖励差一个平移，需要额外约定（如均值为 0）来固定它。
# - 即使完全知道真实奖励，成对准确率也只有上限那么高：标注本身是随机的，RM 的验证准确率应该和这个上限比。
# - 数据足够后分数误差约按 $1/\sqrt N$ 下降；数据很少时，某条回答恰好每次都赢，极大似然会把它的分数推得很大（与 DPO 在确定偏好上发散是同一个原因）。
