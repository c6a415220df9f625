# %% [markdown]
# ---
# description: 在合成图文数据上用 numpy 训练 CLIP 式两塔编码器（手写梯度，有限差分核对），做零样本分类，比较 prompt ensembling、linear probe 与 batch 大小。
# tags: [多模态, CLIP, 对比学习, InfoNCE, 零样本分类, 动手验证]
# ---
# # 动手验证：CLIP 式训练与零样本分类
#
# 对应问题：[CLIP 怎么训练？零样本分类怎么做？](vision-language.md#clip-training-zero-shot)、
# [prompt ensembling](vision-language.md#clip-prompt-ensembling)、[为什么要大 batch](vision-language.md#clip-large-batch)、
# [零样本与 linear probe](vision-language.md#clip-zero-shot-vs-linear-probe)
#
# ## 一个有共享结构的“图文”世界 {#toy-world}
#
# 20 个类别，每个样本有类别 $y$ 和潜变量 $z=c_y+0.8\,\varepsilon$（类中心加上样本自己的细节）。
# “图像”是 $x=Az+$ 噪声（48 维），“文本”是 $t=Bz+$ 噪声（32 维），$A$、$B$ 是两个不同的随机线性映射，
# 训练时只给配对 $(x_i,t_i)$，**不给类别标签**。类别的“提示词”是只含类中心的文本 $Bc_y$ 加上模板噪声，
# 相当于 "a photo of a {label}."：它在训练集里从没出现过。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.multimodal.contrastive import (
    ToyWorld, clip_loss, encode, encode_backward, ensemble_prompts, linear_probe, train_dual_encoder,
    zero_shot_classify,
)

world = ToyWorld(classes=20, seed=0)
x_img, x_txt, y = world.pairs(12000, np.random.default_rng(0))
test_img, test_txt, test_y = world.pairs(2000, np.random.default_rng(1))
prompts = world.prompts(16, np.random.default_rng(2), noise=0.5)          # (classes, templates, d_txt)
K, J, _ = prompts.shape
chance = 1 / K
print(f"{len(x_img)} training pairs, {K} classes, chance = {chance:.2f}")

# %% [markdown]
# ## 手写梯度对不对：有限差分 {#finite-differences}
#
# 对称 InfoNCE 的 logits 是 $S=e^{t}\,UV^\top$（$U$、$V$ 为归一化后的图像、文本向量），
# $\partial\mathcal L/\partial S=\frac1{2N}\big[(\mathrm{softmax}_{\text{行}}(S)-I)+(\mathrm{softmax}_{\text{列}}(S)-I)\big]$，
# 再经过 L2 归一化的 Jacobian $(I-uu^\top)/\lVert h\rVert$ 传回线性编码器。下面对图像塔权重逐元素做中心差分。

# %%
rng = np.random.default_rng(3)
w_img = rng.normal(size=(4, x_img.shape[1])) / 7
w_txt = rng.normal(size=(4, x_txt.shape[1])) / 6
xb, tb = x_img[:6], x_txt[:6]


def loss_of(w):
    return clip_loss(encode(w, xb)[0], encode(w_txt, tb)[0], 2.0)[0]


u, nu = encode(w_img, xb)
_, g_u, _, g_t = clip_loss(u, encode(w_txt, tb)[0], 2.0)
analytic = encode_backward(g_u, u, nu, xb)
numeric = np.zeros_like(w_img)
for idx in np.ndindex(*w_img.shape):
    e = np.zeros_like(w_img)
    e[idx] = 1e-6
    numeric[idx] = (loss_of(w_img + e) - loss_of(w_img - e)) / 2e-6
rel = np.abs(analytic - numeric).max() / np.abs(numeric).max()
print(f"max relative error of dL/dW_img: {rel:.1e}")
assert rel < 1e-6

# %% [markdown]
# ## 训练，然后零样本分类 {#train-and-zero-shot}
#
# batch 64、300 步 Adam，温度按 CLIP 的做法初始化为 $\tau=0.07$（$t=\log(1/0.07)$）并截断在 $e^t\le100$。
# 零样本分类：把每个类别的提示词送进文本塔得到“类别向量”，测试图像取余弦最高的类别。
# 单个模板的准确率取 16 个模板的平均；prompt ensembling 先在嵌入空间把同一类的 16 个向量平均再归一化。

# %%
params, hist = train_dual_encoder(x_img, x_txt, dim=16, batch=64, steps=300)
img_emb = encode(params["w_img"], test_img)[0]


def class_vectors(p):
    flat = encode(p["w_txt"], prompts.reshape(K * J, -1))[0]
    return flat.reshape(K, J, -1)


def zero_shot_accuracy(p, emb):
    vec = class_vectors(p)
    single = np.mean([(zero_shot_classify(emb, vec[:, j]) == test_y).mean() for j in range(J)])
    ens = (zero_shot_classify(emb, ensemble_prompts(vec)) == test_y).mean()
    return single, ens


single, ens = zero_shot_accuracy(params, img_emb)
print(f"loss {hist[:10].mean():.2f} -> {hist[-10:].mean():.2f}; learned tau = {np.exp(-params['t']):.3f}")
print(f"zero-shot accuracy: one template {single:.3f}, 16-template ensemble {ens:.3f} (chance {chance:.2f})")
assert hist[-10:].mean() < 0.25 * hist[:10].mean()
assert single > 10 * chance               # never saw a label, still far above chance
assert ens > single                       # averaging templates in embedding space helps

# %% [markdown]
# ## 零样本对比 linear probe {#vs-linear-probe}
#
# linear probe 冻结图像塔，用每类 $k$ 个带标签的样本训练一个逻辑回归。零样本不花任何标签，
# 它相当于多少个标签，是 CLIP 论文里“零样本约等于 4-shot linear probe”那张图的玩具版本。

# %%
train_emb = encode(params["w_img"], x_img)[0]
pick = np.random.default_rng(4)
shots = [1, 2, 4, 8, 16, 64]
probe_acc = []
for k in shots:
    idx = np.concatenate([pick.choice(np.flatnonzero(y == c), k, replace=False) for c in range(K)])
    w, b = linear_probe(train_emb[idx], y[idx], K)
    probe_acc.append((np.argmax(img_emb @ w + b, axis=1) == test_y).mean())
w, b = linear_probe(train_emb, y, K)
probe_full = (np.argmax(img_emb @ w + b, axis=1) == test_y).mean()
print("k-shot probe:", {k: round(float(a), 3) for k, a in zip(shots, probe_acc)}, f"all {len(y)} labels: {probe_full:.3f}")
assert probe_acc[0] < single              # one label per class is worth less than the text prompt
assert probe_full > single                # with enough labels the probe wins

# %% [markdown]
# ## batch 大小：负样本越多越好，但收益递减 {#batch-size-sweep}
#
# 固定 300 步，batch 从 2 到 128：每步的负样本数是 $B-1$（注意 batch 大时每步也看到更多数据）。
# 同时用两种损失训练（CLIP 的 softmax、SigLIP 的 sigmoid，见[下一题](vision-language.md#siglip-sigmoid-loss)），
# 看零样本准确率（16 模板 ensemble）和实例级检索（500 张测试图各自找回自己的那段文本）的 top-1。

# %%
batches = [2, 4, 8, 16, 32, 64, 128]
text_emb_fn = lambda p: encode(p["w_txt"], test_txt[:500])[0]
sweep = {"clip": [], "siglip": []}
retrieval = {"clip": [], "siglip": []}
for loss in sweep:
    for bs in batches:
        p, _ = train_dual_encoder(x_img, x_txt, dim=16, batch=bs, steps=300, loss=loss)
        emb = encode(p["w_img"], test_img)[0]
        sweep[loss].append(zero_shot_accuracy(p, emb)[1])
        sims = emb[:500] @ text_emb_fn(p).T
        retrieval[loss].append((np.argmax(sims, axis=1) == np.arange(500)).mean())
for loss in sweep:
    print(loss, "zero-shot", np.round(sweep[loss], 3), "retrieval", np.round(retrieval[loss], 3))

acc = np.array(sweep["clip"])
ret = np.array(retrieval["clip"])
assert acc[batches.index(32)] > acc[0] + 0.1                               # more negatives help ...
assert acc[-1] - acc[batches.index(32)] < acc[batches.index(8)] - acc[0]    # ... with diminishing returns
assert ret[batches.index(32)] > ret[0] + 0.3
assert sweep["siglip"][0] > sweep["clip"][0]                               # at batch 2 the sigmoid loss is ahead here

#| alt: 上下两张折线图，横轴是 batch 大小（对数坐标，2 到 128）：上图是零样本分类准确率，下图是 500 选 1 的图文检索 top-1；CLIP 的 softmax 损失随 batch 增大而上升并逐渐饱和，SigLIP 的 sigmoid 损失在小 batch 时更高，灰色虚线是 1/20 的随机猜测水平
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True)
for loss, style in [("clip", "o-"), ("siglip", "s--")]:
    axes[0].plot(batches, sweep[loss], style, label=f"{loss} loss")
    axes[1].plot(batches, retrieval[loss], style, label=f"{loss} loss")
axes[0].axhline(chance, color="gray", ls=":", label="chance")
axes[0].set_ylabel("zero-shot accuracy")
axes[1].set_ylabel("retrieval top-1 (of 500)")
axes[1].set_xlabel("batch size B (negatives per row = B - 1)")
axes[1].set_xscale("log", base=2)
axes[0].legend(loc="lower right")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 手写的对称 InfoNCE 梯度（含 L2 归一化的 Jacobian）与有限差分一致，相对误差在 $10^{-6}$ 以下。
# - 只用配对、不用标签训练出的两塔，对从未见过的“提示词”做零样本分类，准确率是随机猜测的十几倍；在嵌入空间平均 16 个模板（prompt ensembling）进一步提高准确率，且推理代价与单模板相同（每类只缓存一个向量）。
# - 零样本胜过每类 1 个标签的 linear probe，但标签足够多时 linear probe 更高。
# - 固定步数时 batch 越大（负样本越多）越好，收益递减；小 batch 下 sigmoid 损失在这个玩具里领先。玩具的具体数字与真实模型没有可比性。
