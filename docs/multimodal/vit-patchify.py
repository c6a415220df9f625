# %% [markdown]
# ---
# description: 用 numpy 验证 patch embedding 就是步长为 P 的卷积，数出 ViT-B/16 的 8660 万参数与 176 亿次乘加，画出代价随分辨率的变化，检查位置编码插值与图像 token 数。
# tags: [多模态, ViT, patch embedding, 位置编码, 动手验证]
# ---
# # 动手验证：ViT 的 patch 化、代价与位置编码插值
#
# 对应问题：[ViT 怎么把图像变成 token？](vision-language.md#vit-patch-embedding)、
# [patch 大小与计算量](vision-language.md#vit-patch-size-cost)、[位置编码怎么插值](vision-language.md#vit-position-interpolation)、
# [一张图占多少个 token](mllm.md#image-token-count)
#
# ## patch embedding = 步长为 P 的卷积 {#patch-embed-conv}
#
# 把 $H\times W\times C$ 的图切成 $P\times P$ 的块、每块展平成 $P^2C$ 维再乘矩阵 $E\in\mathbb R^{P^2C\times D}$，
# 和一个核大小、步长都是 $P$ 的卷积（$D$ 个输出通道）做的是同一件事：窗口不重叠，每个输出位置就是一个 patch 与核的内积。

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.multimodal.vit import (
    conv2d_valid, interpolate_pos_embed, mllm_image_tokens, num_patches, patch_embed, vit_macs, vit_params,
)

rng = np.random.default_rng(0)
P, C, D = 16, 3, 8
images = rng.normal(size=(2, 64, 96, C))
kernel = rng.normal(size=(P, P, C, D)) / 20
bias = rng.normal(size=D)
by_conv = conv2d_valid(images, kernel, bias, stride=P)                 # (2, 4, 6, D)
by_matmul = patch_embed(images, kernel.reshape(P * P * C, D), bias, P)  # (2, 24, D)
print("conv output", by_conv.shape, "-> tokens", by_matmul.shape)
assert np.allclose(by_conv.reshape(2, -1, D), by_matmul)

# %% [markdown]
# ## ViT-B/16 的参数量与乘加次数 {#vit-b-cost}
#
# 论文表 1：Base 12 层、宽 768、MLP 3072、12 头，记为 86M；Large 24 层、1024、4096；Huge 32 层、1280、5120。
# 下面按“patch embedding + [CLS] 与位置编码 + 每层（注意力 4 个投影、两层 MLP、两个 LayerNorm）+ 最后的 LayerNorm + 1000 类线性头”逐项相加。
# 乘加（MAC）次数：每层每个 token 的线性层 $4d^2+2d\,d_{\text{mlp}}$ 次，注意力的 $QK^\top$ 与 $AV$ 每层各 $N^2d$ 次。

# %%
configs = {"B/16": (12, 768, 3072, 16), "L/16": (24, 1024, 4096, 16), "H/14": (32, 1280, 5120, 14)}
for name, (depth, width, mlp, patch) in configs.items():
    pr = vit_params(depth, width, mlp, patch, 224)
    mc = vit_macs(depth, width, mlp, patch, 224)
    print(f"ViT-{name}: {pr['total'] / 1e6:6.1f}M params, {mc['tokens']} tokens at 224, "
          f"{mc['total'] / 1e9:5.1f} GMACs, attention share {mc['attention'] / mc['total']:.1%}")
b16 = vit_params(12, 768, 3072, 16, 224)
macs_b16 = vit_macs(12, 768, 3072, 16, 224)
assert 86e6 < b16["total"] < 87e6                                       # Table 1: 86M
assert b16["blocks"] / b16["total"] > 0.98                              # nearly everything is in the 12 blocks
assert abs(vit_params(32, 1280, 5120, 14, 224)["total"] / 632e6 - 1) < 0.01   # Table 1: 632M
assert abs(vit_params(24, 1024, 4096, 16, 224)["total"] / 307e6 - 1) < 0.015  # Table 1: 307M
assert 17.0e9 < macs_b16["total"] < 18.0e9
assert macs_b16["attention"] / macs_b16["total"] < 0.05                 # at 197 tokens the linear layers dominate

# %% [markdown]
# ## token 数与注意力的代价随分辨率变化 {#resolution-sweep}
#
# 边长翻倍，patch 数变为 4 倍，线性层的代价随之变为约 4 倍，注意力的 $N^2$ 项变为约 16 倍。
# patch 变小也一样：16 换成 8，token 数变为 4 倍。下图固定 ViT-B 的宽度与层数，只改分辨率和 patch 大小。

# %%
sides = np.array([224, 336, 448, 672, 896, 1344])
curves = {}
for patch in (32, 16, 14):
    ok = [s for s in sides if s % patch == 0]
    m = [vit_macs(12, 768, 3072, patch, s) for s in ok]
    curves[patch] = (np.array(ok), np.array([x["total"] for x in m]), np.array([x["attention"] / x["total"] for x in m]),
                     np.array([x["tokens"] - 1 for x in m]))
s16, total16, share16, tok16 = curves[16]
assert tok16[list(s16).index(448)] == 4 * tok16[0]
assert total16[list(s16).index(448)] / total16[0] > 4                   # more than 4x: the N^2 term
assert np.all(np.diff(share16) > 0)                                      # attention's share keeps growing
assert num_patches(224, 224, 8) == 4 * num_patches(224, 224, 16)
print("patch 16 tokens:", dict(zip(s16.tolist(), tok16.tolist())))
print("attention share, patch 16:", np.round(share16, 3))

#| alt: 上下两张图，横轴都是输入边长（224 到 1344 像素）：上图纵轴是一张图前向的乘加次数（对数坐标），patch 14、16、32 三条线都随边长陡峭上升，patch 越小越贵；下图纵轴是注意力的 QK 与 AV 在总乘加中的占比，224 时不到 5%，边长越大占比越高
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True)
for patch, (ok, total, share, _) in curves.items():
    axes[0].semilogy(ok, total / 1e9, "o-", ms=4, label=f"patch {patch}")
    axes[1].plot(ok, 100 * share, "o-", ms=4, label=f"patch {patch}")
axes[0].set_ylabel("GMACs per image (ViT-B)")
axes[0].legend(loc="upper left")
axes[1].set_ylabel("attention share of MACs (%)")
axes[1].set_xlabel("image side (pixels)")
plt.show()

# %% [markdown]
# ## 位置编码的二维插值 {#pos-embed-interpolation}
#
# 224 训练、384 微调（patch 16）时，位置编码要从 14×14 的网格变成 24×24。做法是把 196 个向量还原成二维网格，
# 按在原图中的位置双线性插值（[CLS] 的那一行原样保留）。插值对网格坐标的仿射函数是精确的；
# 下面用一个“学出来”的位置编码（平滑的二维场加一点噪声）看插值前后的样子。

# %%
g, G, dim = 14, 24, 4
r, c = np.meshgrid(np.arange(g), np.arange(g), indexing="ij")
smooth = np.stack([np.sin(r / 3), np.cos(c / 4), np.sin((r + c) / 5), r / g - c / g], axis=-1)
pos = np.concatenate([rng.normal(size=(1, dim)), (smooth + 0.02 * rng.normal(size=smooth.shape)).reshape(-1, dim)])
new = interpolate_pos_embed(pos, G)
assert new.shape == (1 + G * G, dim) and np.array_equal(new[0], pos[0])
old_grid, new_grid = pos[1:].reshape(g, g, dim), new[1:].reshape(G, G, dim)
for corner in [(0, 0), (0, -1), (-1, 0), (-1, -1)]:
    assert np.allclose(new_grid[corner], old_grid[corner])              # corners map onto corners
affine = (2 * r - 0.5 * c + 1.0)[..., None] * np.ones(dim)
new_affine = interpolate_pos_embed(np.concatenate([pos[:1], affine.reshape(-1, dim)]), G)[1:].reshape(G, G, dim)
R, Cc = np.meshgrid(np.linspace(0, g - 1, G), np.linspace(0, g - 1, G), indexing="ij")
assert np.allclose(new_affine[..., 0], 2 * R - 0.5 * Cc + 1.0)

#| alt: 上下两张热图，显示位置编码的第三维 sin((行+列)/5)：上图是 14×14 的原网格，下图是双线性插值到 24×24 的新网格，两张图是同样的斜向明暗渐变，只是下图格子更细
fig, axes = plt.subplots(2, 1, figsize=(4.8, 5.6), layout="constrained")
for ax, data, title in [(axes[0], old_grid[..., 2], "14 x 14 (224 px, patch 16)"),
                        (axes[1], new_grid[..., 2], "24 x 24 (384 px), bilinear")]:
    im = ax.imshow(data, cmap="viridis", vmin=-1, vmax=1)
    ax.set_title(title)
    ax.grid(False)
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(im, ax=axes, shrink=0.8, label="position embedding, dim 2")
plt.show()

# %% [markdown]
# ## 多模态模型里一张图占多少 token {#image-tokens}
#
# LLaVA 直接把 ViT 的 patch 特征（投影后）送进 LLM；Qwen2-VL 先把相邻 2×2 个 patch 合并成 1 个 token，
# 再在首尾加 `<|vision_start|>`、`<|vision_end|>`；BLIP-2、Flamingo 则用固定数量的查询把图压缩成 32、64 个 token。

# %%
table = {
    "LLaVA (CLIP ViT-L/14, 224)": mllm_image_tokens(224, 224, 14),
    "LLaVA-1.5 (ViT-L/14, 336)": mllm_image_tokens(336, 336, 14),
    "Qwen2-VL (224, patch 14, 2x2 merge)": mllm_image_tokens(224, 224, 14, merge=2, extra=2),
    "Qwen2-VL (448 x 896)": mllm_image_tokens(448, 896, 14, merge=2, extra=2),
}
for k, v in table.items():
    print(f"{k:38s} {v:5d} tokens")
assert table["LLaVA-1.5 (ViT-L/14, 336)"] == 576
assert table["Qwen2-VL (224, patch 14, 2x2 merge)"] == 66
assert table["Qwen2-VL (448 x 896)"] == 16 * 32 + 2

# %% [markdown]
# ## 结论 {#conclusion}
#
# - patch embedding 与核大小、步长都为 $P$ 的卷积数值相同（核 reshape 成 $P^2C\times D$ 就是 $E$）。
# - 按标准结构逐项数，ViT-B/16 约 8660 万参数（表 1 的 86M）、224 分辨率下约 176 亿次乘加，98% 以上的参数在 12 个 Transformer 块里；ViT-H/14 与表 1 的 632M 相差不到 1%，ViT-L/16 数出 304M，比表 1 的 307M 少约 1%（论文没有给出计数细目）。
# - 边长翻倍 token 数变为 4 倍，注意力的 $N^2$ 项变为约 16 倍，分辨率越高、patch 越小，注意力占总代价的比例越高。
# - 位置编码的二维双线性插值保留 [CLS]、角点对齐，对网格坐标的仿射函数是精确的。
# - LLaVA-1.5 一张 336×336 的图是 576 个 token；Qwen2-VL 一张 224×224 的图是 66 个 token。
