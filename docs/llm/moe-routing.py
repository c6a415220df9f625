# %% [markdown]
# ---
# description: 模拟 MoE 的 top-k 路由：统计专家负载，验证 Switch 辅助损失在完全均衡时等于 1，展示 DeepSeek-V3 无辅助损失的偏置更新如何拉平负载，以及专家容量下被丢弃的 token 比例。
# tags:
#   - MoE
#   - 负载均衡
#   - DeepSeek
#   - 动手验证
# ---
# # MoE 路由与负载均衡
#
# 对应问题：[MoE 是什么？](moe.md#moe)、[专家容量是什么？](moe.md#moe-expert-capacity)
#
# ## 实验设置 {#moe-nb-setup}
#
# $N=16$ 个路由专家，每个 token 选 $k=2$ 个；路由打分 $s_{i,t}=\sigma(u_t^\top e_i)$（DeepSeek-V3 的 sigmoid 亲和度）。
# 给专家的打分加一个递增的偏移，模拟训练中常见的“少数专家过热”。实现见 `snippets/llm/moe.py`。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.llm.moe import expert_load, softmax, switch_aux_loss, topk_route, update_bias

rng = np.random.default_rng(0)
N, k, d, T = 16, 2, 32, 4096
E = rng.standard_normal((N, d)) / np.sqrt(d)          # 专家的“质心”向量 e_i
skew = np.linspace(-1.5, 1.5, N)                       # 越靠后的专家越热门


def batch(n=T):
    u = rng.standard_normal((n, d))
    return 1 / (1 + np.exp(-(u @ E.T + skew)))           # (n, N) sigmoid 亲和度


# %% [markdown]
# ## Switch 辅助损失 {#moe-nb-aux-loss}
#
# $\mathcal{L}_{\text{aux}}=N\sum_i f_iP_i$，$f_i$ 为分给专家 $i$ 的 token 比例，$P_i$ 为路由概率均值。
# 完全均衡时 $f_i=P_i=1/N$，损失恰为 1；负载越偏，损失越大。

# %%
probs_uniform = np.full((T, N), 1 / N)
idx_round_robin = np.stack([np.arange(T) % N, (np.arange(T) + 1) % N], axis=1)
aux_balanced = switch_aux_loss(probs_uniform, idx_round_robin, N)
assert np.isclose(aux_balanced, 1.0)

scores = batch()
probs = scores / scores.sum(axis=1, keepdims=True)      # 归一化成分布，用来算 P_i
idx0, gates0 = topk_route(scores, k)
load0 = expert_load(idx0, N)
aux_skewed = switch_aux_loss(probs, idx0, N)
print(f"aux loss: balanced = {aux_balanced:.3f}, skewed router = {aux_skewed:.3f}")
assert aux_skewed > aux_balanced

# %% [markdown]
# ## 无辅助损失的偏置更新 {#moe-nb-bias}
#
# 每步统计负载：过载专家的偏置 $b_i$ 减 $\gamma$，欠载的加 $\gamma$。
# 偏置只参与 top-k 选择，门控权重仍由原始打分归一化得到，所以不会扭曲专家输出的加权。

# %%
bias = np.zeros(N)
gamma = 0.01
imbalance = []
for step in range(200):
    s = batch(1024)
    load = expert_load(topk_route(s, k, bias)[0], N)
    imbalance.append(load.max() / load.mean())
    bias = update_bias(bias, load, gamma)

idx1, gates1 = topk_route(scores, k, bias)
load1 = expert_load(idx1, N)
ratio0, ratio1 = load0.max() / load0.mean(), load1.max() / load1.mean()
print(f"max/mean load: before = {ratio0:.2f}, after 200 bias updates = {ratio1:.2f}")
assert ratio1 < ratio0 and ratio1 < 1.3
# 门控权重来自原始打分：对选中的专家，gate = s_i / Σ_selected s_j
raw = np.take_along_axis(scores, idx1, axis=1)
assert np.allclose(gates1, raw / raw.sum(axis=1, keepdims=True))
assert np.allclose(gates1.sum(axis=1), 1.0)
# 偏置学到了“反热度”：热门专家的偏置更低
assert np.corrcoef(bias, skew)[0, 1] < -0.9

#| alt: 上图：16 个专家各自收到的 token 数，未做均衡时越靠后的专家越热门，偏置更新后接近虚线表示的完全均衡；下图：最大负载与平均负载之比随偏置更新步数下降到 1 附近
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6))
w = 0.4
axes[0].bar(np.arange(N) - w / 2, load0, w, label="no balancing")
axes[0].bar(np.arange(N) + w / 2, load1, w, label="after bias updates")
axes[0].axhline(T * k / N, color="k", ls=":", label="balanced")
axes[0].set_xticks(range(0, N, 3))
axes[0].set_xlabel("expert id")
axes[0].set_ylabel("tokens routed")
axes[0].legend(loc="upper left")
axes[1].plot(imbalance)
axes[1].set_xlabel("bias update step")
axes[1].set_ylabel("max / mean load")
plt.show()

# %% [markdown]
# ## 专家容量与丢 token {#moe-nb-capacity}
#
# GShard、Switch 给每个专家一个容量 $C=\lceil \text{capacity factor}\cdot kT/N\rceil$，坐满之后再来的分配被丢弃，
# 那个 token 在这个专家上只走残差。路由越偏，同样的容量因子丢得越多；容量因子加大能少丢，但要按 $C$ 预留显存和计算。

# %%
from snippets.llm.moe import dispatch_with_capacity, expert_capacity

factors = np.array([0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0])
drop_skewed, drop_balanced = [], []
for cf in factors:
    C = expert_capacity(T, k, N, cf)
    drop_skewed.append(1 - dispatch_with_capacity(idx0, N, C).mean())
    drop_balanced.append(1 - dispatch_with_capacity(idx1, N, C).mean())
drop_skewed, drop_balanced = np.array(drop_skewed), np.array(drop_balanced)
print("dropped fraction, skewed router:  ", np.round(drop_skewed, 3))
print("dropped fraction, after balancing:", np.round(drop_balanced, 3))
assert np.all(np.diff(drop_skewed) <= 0) and np.all(np.diff(drop_balanced) <= 0)   # 容量越大丢得越少
assert np.all(drop_balanced <= drop_skewed + 1e-12)                                # 均衡后同样容量丢得更少
assert drop_balanced[factors == 1.25][0] < 0.05 < drop_skewed[factors == 1.25][0]
assert drop_skewed[0] >= 0.5 and drop_balanced[0] >= 0.5   # 总容量只有 kT 的一半：至少丢一半

#| alt: 折线图：横轴是容量因子，纵轴是被丢弃的分配比例；偏斜的路由在容量因子 1.25 时仍丢掉三分之一以上的分配，偏置均衡后几乎不丢
fig, ax = plt.subplots()
ax.plot(factors, drop_skewed, "o-", label="skewed router")
ax.plot(factors, drop_balanced, "s--", label="after bias updates")
ax.set_xlabel("capacity factor")
ax.set_ylabel("fraction of assignments dropped")
ax.legend()
plt.show()

# %% [markdown]
# ## 结论 {#moe-nb-conclusion}
#
# - Switch 辅助损失 $N\sum_i f_iP_i$ 在完全均衡时等于 1，路由偏斜时大于 1；
# - 只靠符号更新的偏置（不进梯度、不改门控权重）就能把最大负载/平均负载从明显偏斜拉回接近 1；
# - 有容量上限时，负载越偏丢的 token 越多；均衡之后容量因子 1.25 就几乎不丢。
