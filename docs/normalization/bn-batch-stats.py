# %% [markdown]
# ---
# description: 用 numpy 验证 BatchNorm 滑动统计量的收敛速度与噪声、eval 模式下输出与 batch 无关，以及 batch 为 2 时输出只能是 ±1、为 1 时训练模式无法统计。
# tags: [归一化, BatchNorm, 动手验证]
# ---
# # BatchNorm 的滑动统计量与 batch 大小
#
# 对应问题：[BN 的滑动平均与 train/eval 模式](layernorm.md#bn-running-stats)、
# [batch 很小时 BN 会怎样？](layernorm.md#bn-small-batch)

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.normalization.norms import batch_norm, batch_norm_eval, batch_norm_train_step

# %% [markdown]
# ## 滑动统计量、推理模式与 batch 大小 {#running-stats}
#
# 训练时 BN 用当前 batch 的统计量归一化，同时按 PyTorch 的约定更新滑动平均
# $\hat\mu\leftarrow(1-\rho)\hat\mu+\rho\,\mu_B$（$\rho$ 即 `momentum`，默认 0.1；方差存的是无偏估计）。推理时改用 $\hat\mu,\hat\sigma^2$，
# 每个样本的输出不再依赖同 batch 的其他样本。滑动平均是对带噪声的 batch 均值做指数平均：稳态下它的噪声标准差是
# $\sqrt{\rho/(2-\rho)}\cdot\sigma/\sqrt{m}$（$m$ 为每个通道的值数，这里等于 batch 大小 32），初值的影响按 $(1-\rho)^t$ 衰减。

# %%
mu_true, sd_true = 3.0, 2.0
r_bn = np.random.default_rng(1)
traces = {}
for mom in (0.1, 0.01):
    rm, rv, tr = np.zeros(1), np.ones(1), []
    for _ in range(400):
        xb = r_bn.normal(mu_true, sd_true, size=(32, 1))
        _, rm, rv = batch_norm_train_step(xb, rm, rv, momentum=mom)
        tr.append(rm[0])
    traces[mom] = np.array(tr)

#| alt: 两条曲线是 BatchNorm 的滑动均值随训练步数的变化，真实均值为 3：momentum=0.1 时约 40 步就贴近 3，之后在 3 附近小幅抖动；momentum=0.01 时上升慢得多，400 步时才接近 3，但抖动更小
fig, ax = plt.subplots()
for mom, tr in traces.items():
    ax.plot(tr, label=f"momentum = {mom}")
ax.axhline(mu_true, color="gray", ls=":", label="true mean")
ax.set_xlabel("training step")
ax.set_ylabel("running mean")
ax.legend(loc="lower right")
plt.show()

# %%
tail = traces[0.1][200:]
noise_theory = np.sqrt(0.1 / 1.9) * sd_true / np.sqrt(32)
print(f"momentum 0.1: running-mean std after warm-up {tail.std():.3f} (theory {noise_theory:.3f}); "
      f"momentum 0.01 after 400 steps: {traces[0.01][-1]:.2f} (bias (1-rho)^t * 3 = {3 * 0.99**400:.2f})")
assert abs(tail.std() / noise_theory - 1) < 0.3
assert abs(traces[0.01][-1] - mu_true * (1 - 0.99 ** 400)) < 0.3

# 推理模式：一个样本的输出与 batch 里其他样本无关；训练模式则有关
xe = r_bn.normal(mu_true, sd_true, size=(8, 1))
assert np.allclose(batch_norm_eval(xe, rm, rv)[:1], batch_norm_eval(xe[:1], rm, rv))
assert not np.allclose(batch_norm(xe)[:2], batch_norm(xe[:2]))

# batch 大小为 2：无论输入是什么，每个通道的输出都是 ±1；为 1：减去均值后恒为 0，所以直接报错
y2 = batch_norm(r_bn.normal(size=(2, 6)) * 5, eps=0.0)
assert np.allclose(np.abs(y2), 1.0)
try:
    batch_norm(r_bn.normal(size=(1, 6)))
    raise AssertionError("batch size 1 should be rejected in training mode")
except ValueError as err:
    print("batch size 1:", err)

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 滑动平均按 $(1-\rho)^t$ 忘掉初值，稳态噪声与理论 $\sqrt{\rho/(2-\rho)}\cdot\sigma/\sqrt{m}$ 一致；$\rho$ 越小越平稳、收敛越慢。
# - eval 模式用滑动统计量，输出与 batch 无关；训练模式下 batch 为 2 时每个通道的输出只能是 ±1，batch 为 1 无法统计。
