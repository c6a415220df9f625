"""LoRA 的几个变体：rsLoRA 的缩放、DoRA 的幅度/方向分解、PiSSA 的 SVD 初始化（与 4 bit 量化误差）、
AdaLoRA 的 SVD 形式与按重要性剪秩、GaLore 的梯度低秩投影，以及 SGD 玩具问题上的更新幅度。

记号与 snippets/training/lora.py 相同：W0 (d_out, d_in)，A (r, d_in)，B (d_out, r)，ΔW = s·B A。
"""
import numpy as np


def _check_rank(r, limit=None):
    if int(r) != r or r <= 0:
        raise ValueError(f"rank r must be a positive integer, got {r}")
    if limit is not None and r > limit:
        raise ValueError(f"rank r = {r} exceeds min(d_out, d_in) = {limit}")


# --8<-- [start:rslora]
def lora_scale(alpha, r, rslora=False):
    """LoRA 的缩放 s = α/r；rsLoRA 改成 s = α/√r（PEFT 里 use_rslora=True）。"""
    _check_rank(r)
    return alpha / np.sqrt(r) if rslora else alpha / r


def lora_sgd_delta(X, Y, W0, r, alpha, lr, steps, rng, rslora=False):
    """在 L = ||X W^T - Y||² / (2n) 上用 SGD 只训练 A、B（A 高斯、B = 0），返回 steps 步后的 ΔW = s·B A。"""
    _check_rank(r, min(W0.shape))
    d_out, d_in = W0.shape
    s = lora_scale(alpha, r, rslora)
    A = rng.standard_normal((r, d_in)) / np.sqrt(d_in)
    B = np.zeros((d_out, r))
    n = X.shape[0]
    for _ in range(steps):
        G = (X @ (W0 + s * B @ A).T - Y) / n                 # dL/dH，形状 (n, d_out)
        dB = s * G.T @ (X @ A.T)
        dA = s * B.T @ G.T @ X
        A, B = A - lr * dA, B - lr * dB
    return s * B @ A
# --8<-- [end:rslora]


# --8<-- [start:dora]
def dora_init(W0):
    """DoRA：W0 = m · V/||V||_c，幅度 m 取 W0 每一列的 L2 范数（论文记号 ||·||_c），方向 V 从 W0 出发。"""
    W0 = np.asarray(W0, dtype=np.float64)
    return np.linalg.norm(W0, axis=0, keepdims=True)        # m，形状 (1, d_in)


def dora_weight(W0, A, B, m, s):
    """W' = m · (W0 + s·B A) / ||W0 + s·B A||_c：方向由 LoRA 更新、再按列归一化，幅度 m 单独训练。"""
    V = W0 + s * B @ A
    norm = np.linalg.norm(V, axis=0, keepdims=True)
    if np.any(norm == 0):
        raise ValueError("a column of W0 + sBA has zero norm: its direction is undefined")
    return m * V / norm
# --8<-- [end:dora]


# --8<-- [start:pissa]
def pissa_init(W, r):
    """PiSSA：W = U S V^T，取前 r 个奇异值/向量做适配器，B = U_r S_r^{1/2}，A = S_r^{1/2} V_r^T，
    剩下的 W_res = W - B A 冻结。B A 是 W 的最优秩 r 近似（Eckart–Young），W_res + B A 精确等于 W。"""
    W = np.asarray(W, dtype=np.float64)
    _check_rank(r, min(W.shape))
    U, S, Vt = np.linalg.svd(W, full_matrices=False)
    root = np.sqrt(S[:r])
    B = U[:, :r] * root
    A = root[:, None] * Vt[:r]
    return A, B, W - B @ A


def absmax_quantize(W, bits=4, block=64):
    """对称的逐块 absmax 量化再反量化：每 block 个数共用一个缩放 max|w|/(2^{bits-1}-1)。
    只是 NF4 的简化替身，用来比较“量化 W”与“量化 W_res”的误差。"""
    if bits < 2 or block < 1:
        raise ValueError(f"need bits >= 2 and block >= 1, got bits={bits}, block={block}")
    w = np.asarray(W, dtype=np.float64).ravel()
    pad = (-len(w)) % block
    blocks = np.r_[w, np.zeros(pad)].reshape(-1, block)
    qmax = 2 ** (bits - 1) - 1
    scale = np.abs(blocks).max(1, keepdims=True) / qmax
    scale[scale == 0] = 1.0
    deq = np.round(blocks / scale).clip(-qmax, qmax) * scale
    return deq.ravel()[:len(w)].reshape(np.shape(W))
# --8<-- [end:pissa]


# --8<-- [start:adalora]
def adalora_delta(P, lam, Q, keep):
    """AdaLoRA 把增量写成 SVD 的形式 ΔW = P diag(λ) Q，按重要性只保留 keep 为 True 的奇异值（其余置 0）。"""
    lam = np.where(keep, lam, 0.0)
    return (P * lam) @ Q


def adalora_orth_penalty(P, Q):
    """正交正则 ||P^T P - I||_F² + ||Q Q^T - I||_F²，让 P、Q 保持近似正交、λ 才像奇异值。"""
    r = P.shape[1]
    return float(np.sum((P.T @ P - np.eye(r)) ** 2) + np.sum((Q @ Q.T - np.eye(r)) ** 2))


def adalora_budget_mask(importance, budget):
    """全局预算：在所有层的所有三元组里按重要性保留前 budget 个，返回与 importance 同形的布尔掩码。"""
    importance = np.asarray(importance, dtype=np.float64)
    if int(budget) != budget or not 0 <= budget <= importance.size:
        raise ValueError(f"budget must be an integer in [0, {importance.size}], got {budget}")
    if budget == 0:
        return np.zeros(importance.shape, dtype=bool)
    thresh = np.sort(importance.ravel())[::-1][budget - 1]
    return importance >= thresh
# --8<-- [end:adalora]


# --8<-- [start:galore]
def galore_projector(G, r):
    """GaLore：取梯度 G (m, n) 的前 r 个左奇异向量做投影矩阵 P (m, r)（m ≤ n 时投影在左边）。"""
    G = np.asarray(G, dtype=np.float64)
    _check_rank(r, min(G.shape))
    U, _, _ = np.linalg.svd(G, full_matrices=False)
    return U[:, :r]


def galore_adam_step(W, G, P, state, lr, betas=(0.9, 0.999), eps=1e-8):
    """在低秩空间里跑 Adam：R = P^T G (r, n)，Adam 的两个矩只存 (r, n)，更新投影回去 W ← W - lr · P N。"""
    R = P.T @ G
    m, v, t = state.get("m", np.zeros_like(R)), state.get("v", np.zeros_like(R)), state.get("t", 0) + 1
    m = betas[0] * m + (1 - betas[0]) * R
    v = betas[1] * v + (1 - betas[1]) * R ** 2
    N = (m / (1 - betas[0] ** t)) / (np.sqrt(v / (1 - betas[1] ** t)) + eps)
    state.update(m=m, v=v, t=t)
    return W - lr * P @ N


def optimizer_state_floats(m, n, r=None, method="full"):
    """一个 (m, n) 权重矩阵（m ≤ n）的 Adam 状态有多少个浮点数：
    full：2mn；lora：可训练参数 r(m+n)，状态 2r(m+n)；galore：低秩矩 2rn，再加投影矩阵 mr。"""
    if m > n:
        m, n = n, m
    if method == "full":
        return 2 * m * n
    _check_rank(r, m)
    if method == "lora":
        return 2 * r * (m + n)
    if method == "galore":
        return 2 * r * n + m * r
    raise ValueError(f"method must be 'full', 'lora' or 'galore', got {method!r}")
# --8<-- [end:galore]
