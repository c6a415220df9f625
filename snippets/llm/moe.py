"""MoE 路由：top-k 门控、专家容量与丢 token、Switch 负载均衡损失、DeepSeek-V3 的无辅助损失偏置更新。"""
import numpy as np


# --8<-- [start:route]
def softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def topk_route(scores, k, bias=None, normalize=True):
    """scores: (T, N) 每个 token 对 N 个专家的亲和度（softmax 或 sigmoid 之后）。

    bias 只参与“选谁”（DeepSeek-V3 的无辅助损失均衡），门控权重仍取原始 scores。
    normalize=True 在选中的 k 个里归一化（Mixtral、DeepSeek-V3）；
    False 直接用原始分数（Switch、DeepSeek-V2）。
    返回 idx: (T, k) 选中的专家，gates: (T, k) 对应权重。
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"scores must be (tokens, experts), got shape {scores.shape}")
    if not 1 <= k <= scores.shape[1]:
        raise ValueError(f"top-k needs 1 <= k <= {scores.shape[1]} experts, got k = {k}")
    if bias is not None and np.shape(bias) != (scores.shape[1],):
        raise ValueError(f"bias must have one entry per expert ({scores.shape[1]}), got {np.shape(bias)}")
    sel = scores if bias is None else scores + bias
    idx = np.argsort(-sel, axis=-1, kind="stable")[:, :k]
    gates = np.take_along_axis(scores, idx, axis=-1)
    if normalize:
        gates = gates / gates.sum(axis=-1, keepdims=True)
    return idx, gates


def moe_forward(x, experts, W_r, k, shared=()):
    """x: (T, d)。每个 token 独立路由（softmax 打分、top-k 内归一化）；
    输出 = 共享专家之和 + Σ gate·routed expert（残差在 block 外面加）。"""
    if W_r.shape != (x.shape[1], len(experts)):
        raise ValueError(f"router W_r must be ({x.shape[1]}, {len(experts)}), got {W_r.shape}")
    idx, gates = topk_route(softmax(x @ W_r), k)
    y = sum((f(x) for f in shared), np.zeros_like(x))
    for e, f in enumerate(experts):
        rows, slot = np.nonzero(idx == e)          # 被路由到专家 e 的 token
        if rows.size:
            y[rows] += gates[rows, slot, None] * f(x[rows])
    return y
# --8<-- [end:route]


# --8<-- [start:capacity]
def expert_capacity(n_tokens, k, n_experts, capacity_factor):
    """GShard / Switch 的专家容量 C = ceil(capacity_factor · k·T / N)。"""
    if capacity_factor <= 0:
        raise ValueError(f"capacity factor must be positive, got {capacity_factor}")
    return int(np.ceil(capacity_factor * k * n_tokens / n_experts))


def dispatch_with_capacity(idx, n_experts, capacity):
    """按“先第 1 选择、再第 2 选择……，同一选择内按 token 顺序”占座；
    专家坐满后再来的分配被丢弃（该 token 在这个专家上只走残差）。返回 keep: (T, k) 布尔。"""
    T, k = idx.shape
    keep = np.zeros((T, k), dtype=bool)
    used = np.zeros(n_experts, dtype=int)
    for j in range(k):
        for t in range(T):
            e = idx[t, j]
            if used[e] < capacity:
                used[e] += 1
                keep[t, j] = True
    return keep
# --8<-- [end:capacity]


# --8<-- [start:balance]
def expert_load(idx, n_experts):
    """每个专家收到的 token 数。"""
    return np.bincount(idx.ravel(), minlength=n_experts)


def switch_aux_loss(probs, idx, n_experts):
    """Switch Transformer：L_aux = N · Σ_i f_i · P_i（未乘系数 α）。
    f_i：分到专家 i 的分配比例（top-k 时按 T·k 个分配计）；
    P_i：路由概率的平均。
    完全均衡（f_i = P_i = 1/N）时等于 1。"""
    if probs.shape != (idx.shape[0], n_experts):
        raise ValueError(f"probs must be (tokens, experts) = ({idx.shape[0]}, {n_experts}), got {probs.shape}")
    f = expert_load(idx, n_experts) / idx.size
    P = probs.mean(axis=0)
    return n_experts * float(f @ P)


def update_bias(bias, load, gamma=1e-3):
    """DeepSeek-V3：过载专家的偏置减 γ，欠载的加 γ。
    偏置不产生梯度，也不改变门控权重。"""
    if gamma < 0:
        raise ValueError(f"bias update speed gamma must be >= 0, got {gamma}")
    return bias - gamma * np.sign(load - load.mean())
# --8<-- [end:balance]
