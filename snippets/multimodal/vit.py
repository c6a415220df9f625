"""ViT 的输入端：patch 化与 patch embedding、参数量与乘加次数、位置编码插值，以及多模态大模型里一张图占多少 token（numpy 实现）。"""
import numpy as np


# --8<-- [start:patchify]
def num_patches(height, width, patch):
    """图像切成 patch×patch 的小块后的块数 N = (H/P)(W/P)；边长不能被 patch 整除时报错。"""
    if not (isinstance(patch, (int, np.integer)) and patch > 0):
        raise ValueError(f"patch size must be a positive integer, got {patch!r}")
    if height <= 0 or width <= 0:
        raise ValueError(f"image size must be positive, got {height}x{width}")
    if height % patch or width % patch:
        raise ValueError(f"image size {height}x{width} is not divisible by the patch size {patch}")
    return (height // patch) * (width // patch)


def patchify(images, patch):
    """(B, H, W, C) -> (B, N, P*P*C)：patch 按行优先（raster）排列，每个 patch 内按 (行, 列, 通道) 展平。"""
    x = np.asarray(images, dtype=float)
    if x.ndim != 4:
        raise ValueError(f"images must have shape (B, H, W, C), got {x.shape}")
    b, h, w, c = x.shape
    num_patches(h, w, patch)
    x = x.reshape(b, h // patch, patch, w // patch, patch, c)
    return x.transpose(0, 1, 3, 2, 4, 5).reshape(b, (h // patch) * (w // patch), patch * patch * c)


def patch_embed(images, weight, bias, patch):
    """线性 patch embedding：patchify 之后乘 (P*P*C, D) 的矩阵 E、加偏置，得到 (B, N, D) 的 token。"""
    tokens = patchify(images, patch)
    weight = np.asarray(weight, dtype=float)
    if weight.shape[0] != tokens.shape[-1]:
        raise ValueError(f"weight has {weight.shape[0]} rows but a flattened patch has {tokens.shape[-1]} values")
    return tokens @ weight + bias
# --8<-- [end:patchify]


# --8<-- [start:conv]
def conv2d_valid(images, kernel, bias, stride):
    """朴素的二维卷积（深度学习里的互相关，无 padding）：kernel 形状 (k, k, C, D)，按 stride 滑动。

    k = stride = P 时，窗口互不重叠、恰好铺满整张图，每个输出位置就是一个 patch 与 kernel 的内积。
    """
    x = np.asarray(images, dtype=float)
    k, _, c, d = kernel.shape
    b, h, w, c_in = x.shape
    if c_in != c:
        raise ValueError(f"kernel expects {c} input channels, images have {c_in}")
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    out = np.empty((b, oh, ow, d))
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * stride:i * stride + k, j * stride:j * stride + k, :]   # (B, k, k, C)
            out[:, i, j, :] = np.einsum("bxyc,xycd->bd", window, kernel) + bias
    return out
# --8<-- [end:conv]


# --8<-- [start:cost]
def vit_params(depth, width, mlp, patch, image, channels=3, num_classes=1000, cls_token=True):
    """标准 ViT（Pre-LN、可学习 1-D 位置编码、[CLS]、线性分类头）的参数量，按模块分项返回。"""
    n = num_patches(image, image, patch) + (1 if cls_token else 0)
    per_layer = (4 * width * width + 4 * width          # Q、K、V、输出投影及偏置
                 + 2 * width * mlp + mlp + width        # 两层 MLP 及偏置
                 + 2 * 2 * width)                       # 两个 LayerNorm 的 gamma、beta
    parts = {
        "patch_embed": patch * patch * channels * width + width,
        "cls_and_pos": (width if cls_token else 0) + n * width,
        "blocks": depth * per_layer,
        "final_norm": 2 * width,
        "head": width * num_classes + num_classes if num_classes else 0,
    }
    parts["total"] = sum(parts.values())
    return parts


def vit_macs(depth, width, mlp, patch, image, cls_token=True):
    """一张图前向的乘加次数（MACs，1 次乘加 = 2 FLOPs），不含分类头、softmax 与归一化。

    linear: 每层每个 token 做 4d² 次（Q、K、V、输出投影）加 2·d·mlp 次（MLP）；
    attention: 每层 QK^T 与 AV 各 N²·d 次，N 为 token 数，这一项随 N 平方增长。
    """
    n_patch = num_patches(image, image, patch)
    n = n_patch + (1 if cls_token else 0)
    out = {
        "embed": n_patch * patch * patch * 3 * width,
        "linear": depth * n * (4 * width * width + 2 * width * mlp),
        "attention": depth * 2 * n * n * width,
    }
    out["total"] = sum(out.values())
    out["tokens"] = n
    return out
# --8<-- [end:cost]


# --8<-- [start:interp]
def interpolate_pos_embed(pos, new_grid, num_prefix=1):
    """把 (num_prefix + g*g, D) 的位置编码按 2-D 网格双线性插值到 new_grid × new_grid（角点对齐）。

    前 num_prefix 行（[CLS] 等特殊 token）原样保留；其余行视为 g×g 网格上的向量场，
    新网格的第 (i, j) 点取旧网格坐标 (i·(g-1)/(G-1), j·(g-1)/(G-1)) 处的双线性插值。
    """
    pos = np.asarray(pos, dtype=float)
    prefix, grid = pos[:num_prefix], pos[num_prefix:]
    g = int(round(np.sqrt(len(grid))))
    if g * g != len(grid) or g < 2:
        raise ValueError(f"{len(grid)} position embeddings after {num_prefix} prefix token(s) "
                         f"do not form a square grid of side >= 2")
    if new_grid < 2:
        raise ValueError(f"new grid side must be >= 2, got {new_grid}")
    grid = grid.reshape(g, g, -1)
    coords = np.linspace(0, g - 1, new_grid)
    i0 = np.clip(np.floor(coords).astype(int), 0, g - 2)
    frac = coords - i0
    rows = grid[i0] * (1 - frac)[:, None, None] + grid[i0 + 1] * frac[:, None, None]          # (G, g, D)
    out = rows[:, i0] * (1 - frac)[None, :, None] + rows[:, i0 + 1] * frac[None, :, None]     # (G, G, D)
    return np.concatenate([prefix, out.reshape(new_grid * new_grid, -1)])
# --8<-- [end:interp]


# --8<-- [start:mllm_tokens]
def mllm_image_tokens(height, width, patch, merge=1, extra=0):
    """视觉 token 数：(H/P)(W/P) 个 patch，相邻 merge×merge 个合并成 1 个，再加 extra 个特殊 token。

    LLaVA-1.5：336×336、P = 14、不合并 -> 576；Qwen2-VL：224×224、P = 14、2×2 合并、前后各 1 个特殊 token -> 66。
    """
    if not (isinstance(merge, (int, np.integer)) and merge > 0):
        raise ValueError(f"merge must be a positive integer, got {merge!r}")
    if extra < 0:
        raise ValueError(f"extra tokens must be non-negative, got {extra}")
    num_patches(height, width, patch * merge)
    return (height // (patch * merge)) * (width // (patch * merge)) + extra
# --8<-- [end:mllm_tokens]
