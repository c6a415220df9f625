# %% [markdown]
# ---
# description: 在同一批偏好数据上计算 DPO、IPO、SimPO、ORPO、KTO 的损失，比较 margin 变大时各损失的“推力”，验证 IPO 停在 1/(2τ) 而 DPO 在确定偏好上把 margin 推向无穷。
# tags:
#   - DPO
#   - IPO
#   - SimPO
#   - ORPO
#   - KTO
#   - 动手验证
# ---
# # DPO、IPO、SimPO、ORPO、KTO 并排比较
#
# 对应问题：[IPO、KTO、SimPO、ORPO 分别改了 DPO 的什么？](dpo.md#dpo-variants)
#
# ## 同一批数据上的损失值 {#loss-values}
#
# 4 个偏好对，给出策略与参考模型在 chosen、rejected 上的整条回答对数概率与长度（token 数）。
# 最后一行让策略等于参考模型、两条回答的平均对数概率相同，作为对照：各损失此时有简单的闭式值。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.alignment.dpo import dpo_loss
from snippets.alignment.preference import ipo_loss, simpo_loss, orpo_loss, kto_loss

pi_w = np.array([-42.0, -35.0, -60.0, -20.0])
pi_l = np.array([-50.0, -31.0, -58.0, -20.0])
ref_w = np.array([-45.0, -36.0, -61.0, -20.0])
ref_l = np.array([-47.0, -34.0, -57.0, -20.0])
len_w = np.array([30.0, 25.0, 40.0, 10.0])
len_l = np.array([35.0, 22.0, 38.0, 10.0])
beta, tau, s_beta, s_gamma, lam = 0.1, 0.1, 2.0, 1.0, 0.1

rows = []
for k in range(4):
    sl = slice(k, k + 1)
    lr_w, lr_l = pi_w[sl] - ref_w[sl], pi_l[sl] - ref_l[sl]
    z0 = max(0.0, float(np.mean(np.r_[lr_w, lr_l])))                # 批内 KL 的粗略估计
    rows.append((dpo_loss(pi_w[sl], pi_l[sl], ref_w[sl], ref_l[sl], beta)[0],
                 ipo_loss(pi_w[sl], pi_l[sl], ref_w[sl], ref_l[sl], tau),
                 simpo_loss(pi_w[sl], pi_l[sl], len_w[sl], len_l[sl], s_beta, s_gamma),
                 orpo_loss(pi_w[sl], pi_l[sl], len_w[sl], len_l[sl], lam)[0],
                 kto_loss(np.r_[lr_w, lr_l], np.array([True, False]), z0, beta)))
rows = np.array(rows)
print("pair   DPO     IPO     SimPO   ORPO    KTO")
for k, row in enumerate(rows):
    print(f"{k}    " + "  ".join(f"{v:6.3f}" for v in row))

# 对照行（第 4 对）：π = π_ref、两条回答一样长、一样可能
assert np.isclose(rows[3, 0], np.log(2))                            # DPO：margin 0 → log 2
assert np.isclose(rows[3, 1], 1 / (4 * tau ** 2))                   # IPO：(0 - 1/(2τ))^2
assert np.isclose(rows[3, 2], -np.log(1 / (1 + np.exp(s_gamma))))   # SimPO：只剩 -log σ(-γ)
assert np.isclose(rows[3, 4], 0.5)                                  # KTO：r = z0，两项各 λ/2
# 第 0 对隐式奖励排对了、第 1 对排错了：DPO 损失一个低于 log 2、一个高于
assert rows[0, 0] < np.log(2) < rows[1, 0]

# %% [markdown]
# ## margin 变大时谁还在推 {#push-vs-margin}
#
# 记 $h=\log\frac{\pi_\theta(y_w)}{\pi_{\text{ref}}(y_w)}-\log\frac{\pi_\theta(y_l)}{\pi_{\text{ref}}(y_l)}$（单位 nat）。
# 损失对 $h$ 的负导数 $-\partial L/\partial h$ 是梯度下降把 margin 继续往上推的力度。
# DPO：$\beta\sigma(-\beta h)$，永远为正；IPO：$-2(h-\tfrac{1}{2\tau})$，越过 $\tfrac1{2\tau}$ 就往回拉；
# SimPO 没有参考模型，这里设两条回答各 20 个 token、把 $h$ 当成对数概率之差；KTO 画的是一个好样本对 $r=\log\frac{\pi_\theta}{\pi_{\text{ref}}}$ 的推力（$z_0=0$）。

# %%
h = np.linspace(-20, 40, 601)
e = 1e-5


def push(f):
    """-dL/dh，由 snippet 里的损失做中心差分。"""
    return -np.array([(f(x + e) - f(x - e)) / (2 * e) for x in h])


dpo_push = push(lambda x: dpo_loss(x, 0.0, 0.0, 0.0, beta)[0])
ipo_push = push(lambda x: ipo_loss(x, 0.0, 0.0, 0.0, tau))
simpo_push = push(lambda x: simpo_loss(-60.0 + x, -60.0, 20.0, 20.0, s_beta, s_gamma))
kto_push = push(lambda x: kto_loss(np.array([x]), np.array([True]), 0.0, beta))

# 与闭式导数一致
sig = lambda z: 1 / (1 + np.exp(-z))
assert np.allclose(dpo_push, beta * sig(-beta * h), atol=1e-7)
assert np.allclose(ipo_push, -2 * (h - 1 / (2 * tau)), atol=1e-4)
assert np.allclose(kto_push, beta * sig(beta * h) * sig(-beta * h), atol=1e-7)
assert np.all(dpo_push > 0) and np.all(np.diff(dpo_push) < 0)       # 一直在推，只是越来越轻
assert np.all(simpo_push > 0)                                       # SimPO 同样没有有限的目标
target = 1 / (2 * tau)
assert np.all(ipo_push[h < target - 1e-9] > 0) and np.all(ipo_push[h > target + 1e-9] < 0)
i0 = int(np.argmin(np.abs(h)))
assert abs(h[np.argmax(kto_push)]) < 0.1                            # KTO 的推力在参考点最大
assert dpo_push[0] > dpo_push[i0] and kto_push[0] < 0.5 * kto_push[i0]   # 排得越错：DPO 推得越狠，KTO 反而放手

# %% [markdown]
# ## 确定的偏好：DPO 发散，IPO 停在目标 {#deterministic-preference}
#
# 同一个偏好对每次都是 $y_w$ 赢（$p=1$，一个 prompt 只被标注一次时很常见）。两者都只依赖 $h$，
# 表格策略上 $h=\theta_w-\theta_l-\text{const}$，梯度下降使 $h$ 每步增加 $2\eta\cdot(-\partial L/\partial h)$。

# %%
steps, lr = 20000, 5.0
h_dpo, h_ipo = np.zeros(steps + 1), np.zeros(steps + 1)
for t in range(steps):
    h_dpo[t + 1] = h_dpo[t] + 2 * lr * beta * sig(-beta * h_dpo[t])
    h_ipo[t + 1] = h_ipo[t] + 2 * lr * 0.01 * (-2) * (h_ipo[t] - target)   # IPO 用小步长保证稳定
print(f"after {steps} steps: DPO margin h = {h_dpo[-1]:.1f} nats (still growing), IPO h = {h_ipo[-1]:.4f} (target {target})")
assert abs(h_ipo[-1] - target) < 1e-6
assert h_dpo[-1] > 8 * target                                      # 远远越过 IPO 的目标
assert h_dpo[-1] - h_dpo[steps // 2] > 5                            # 后一半仍在增长（约按 log t）
# DPO 的 margin 约按 (1/β) log t 增长：h_t ≈ (1/β) log(1 + 2ηβ² t)
assert np.isclose(h_dpo[-1], np.log1p(2 * lr * beta ** 2 * steps) / beta, rtol=0.05)

#| alt: 上图横轴是 margin h（nat），画了 DPO、IPO、SimPO、KTO 四种损失对 h 的负导数（以 h=0 处为 1）：DPO 和 SimPO 始终为正、只是逐渐变小，IPO 是一条在 h=5 处穿过零的直线，KTO 是在 0 附近的钟形；下图是确定偏好下训练步数与 margin 的关系，对数横轴，DPO 的 margin 一路增长到五十以上，IPO 停在 5，读者应看出 IPO 有有限的目标而 DPO 没有
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6))
for name, g in (("DPO", dpo_push), ("IPO", ipo_push), ("SimPO", simpo_push), ("KTO (desirable)", kto_push)):
    axes[0].plot(h, g / g[i0], label=name)                          # 以 h = 0 处的推力为 1
axes[0].axhline(0, color="gray", lw=0.8)
axes[0].set_ylim(-1.5, 2.5)
axes[0].set_xlabel("margin h (nats)")
axes[0].set_ylabel("push, 1 at h = 0")
axes[0].set_title("Push on the margin")
axes[0].legend(loc="upper right")
t = np.arange(1, steps + 1)
axes[1].semilogx(t, h_dpo[1:], label="DPO")
axes[1].semilogx(t, h_ipo[1:], label="IPO")
axes[1].axhline(target, color="gray", lw=0.8, ls=":")
axes[1].set_xlabel("step")
axes[1].set_ylabel("margin h (nats)")
axes[1].set_title("Deterministic preference")
axes[1].legend(loc="upper left")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## SimPO 的长度归一化 {#length-normalisation}
#
# 把一条回答原样重复一遍：每个 token 的对数概率不变，长度翻倍。求和的对数概率（DPO 的打分）翻倍，
# 平均对数概率（SimPO、ORPO 的打分）不变。当每个 token 的对数比为正时，DPO 的隐式奖励会因为“更长”而变大。

# %%
lp_tok, ref_tok, n = -1.5, -1.8, 20.0                             # 每个 token 的对数概率
short = (n * lp_tok, n * ref_tok, n)
long = (2 * n * lp_tok, 2 * n * ref_tok, 2 * n)
dpo_short, dpo_long = beta * (short[0] - short[1]), beta * (long[0] - long[1])
simpo_short, simpo_long = s_beta * short[0] / short[2], s_beta * long[0] / long[2]
print(f"DPO implicit reward: {dpo_short:.2f} -> {dpo_long:.2f};  SimPO reward: {simpo_short:.2f} -> {simpo_long:.2f}")
assert np.isclose(dpo_long, 2 * dpo_short) and np.isclose(simpo_long, simpo_short)
assert np.isclose(orpo_loss(long[0], -80.0, long[2], 40.0)[0], orpo_loss(short[0], -80.0, short[2], 40.0)[0])

# %% [markdown]
# ## 结论 {#conclusion}
#
# - DPO 与 SimPO 的 log-sigmoid 损失没有有限的最小点：margin 再大也还在推，只是推力按 $\sigma(-\beta h)$ 变小。
# - IPO 的平方损失把 margin 拉向 $1/(2\tau)$，越过就往回拉；确定偏好下 DPO 的 margin 约按 $\frac1\beta\log t$ 无界增长，IPO 停在目标上。
# - KTO 的推力是钟形的：离参考点很远的样本（无论对错）几乎不再更新。
# - SimPO 与 ORPO 用平均对数概率打分，回答重复一遍不改变打分；DPO 用求和的对数概率，对长度敏感。
