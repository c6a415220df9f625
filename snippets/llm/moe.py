"""MoE 路由：top-k 门控、Switch 负载均衡损失、DeepSeek-V3 的无辅助损失偏置更新。"""
import numpy as np


def softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


# --8<-- [start:route]
def topk_route(scores, k, bias=None, normalize=True):
    """scores: (T, N) 每个 token 对 N 个专家的亲和度（softmax 或 sigmoid 之后）。

    bias 只参与“选谁”（DeepSeek-V3 的无辅助损失均衡），门控权重仍取原始 scores。
    返回 idx: (T, k) 选中的专家，gates: (T, k) 对应权重。
    """
    sel = scores if bias is None else scores + bias
    idx = np.argsort(-sel, axis=-1, kind="stable")[:, :k]
    gates = np.take_along_axis(scores, idx, axis=-1)
    if normalize:           # Mixtral / DeepSeek-V3：在选中的 k 个里归一化
        gates = gates / gates.sum(axis=-1, keepdims=True)
    return idx, gates


def moe_forward(x, experts, W_r, k, shared=()):
    """x: (T, d)。每个 token 独立路由；
    输出 = 共享专家之和 + Σ gate·routed expert。"""
    idx, gates = topk_route(softmax(x @ W_r), k)
    y = sum((f(x) for f in shared), np.zeros_like(x))
    for e, f in enumerate(experts):
        rows, slot = np.nonzero(idx == e)          # 被路由到专家 e 的 token
        if rows.size:
            y[rows] += gates[rows, slot, None] * f(x[rows])
    return y
# --8<-- [end:route]


# --8<-- [start:balance]
def expert_load(idx, n_experts):
    """每个专家收到的 token 数。"""
    return np.bincount(idx.ravel(), minlength=n_experts)


def switch_aux_loss(probs, idx, n_experts):
    """Switch Transformer：L_aux = N · Σ_i f_i · P_i。
    f_i：分到专家 i 的 token 比例（top-k 时按 T·k 个分配计）；
    P_i：路由概率的平均。
    完全均衡（f_i = P_i = 1/N）时等于 1。"""
    f = expert_load(idx, n_experts) / idx.size
    P = probs.mean(axis=0)
    return n_experts * float(f @ P)


def update_bias(bias, load, gamma=1e-3):
    """DeepSeek-V3：过载专家的偏置减 γ，欠载的加 γ。
    偏置不产生梯度，也不改变门控权重。"""
    return bias - gamma * np.sign(load - load.mean())
# --8<-- [end:balance]
