"""线性层上的 LoRA：前向、解析梯度、初始化方式与权重合并。

约定（与 LoRA 论文一致）：W0 形状 (d_out, d_in) 冻结；A 形状 (r, d_in)；B 形状 (d_out, r)；
h = W0 x + (alpha / r) * B A x。批量输入 X 形状 (n, d_in)，输出 H 形状 (n, d_out)。
"""
import numpy as np


# --8<-- [start:forward]
def lora_forward(X, W0, A, B, alpha):
    """H = X W0^T + s * (X A^T) B^T，s = alpha / r。旁路先降到 r 维再升回 d_out。"""
    s = alpha / A.shape[0]
    return X @ W0.T + s * (X @ A.T) @ B.T
# --8<-- [end:forward]


# --8<-- [start:grads]
def lora_grads(X, A, B, alpha, G):
    """给定上游梯度 G = dL/dH（形状 (n, d_out)），返回 (dL/dA, dL/dB)。

    dL/dB = s * G^T (X A^T)      —— 含因子 A：A != 0 时 B 就有梯度
    dL/dA = s * B^T G^T X        —— 含因子 B：B == 0 时 A 的梯度恰为 0
    """
    s = alpha / A.shape[0]
    dB = s * G.T @ (X @ A.T)
    dA = s * B.T @ G.T @ X
    return dA, dB
# --8<-- [end:grads]


# --8<-- [start:init]
def lora_init(d_in, d_out, r, rng, mode="B_zero", std=None, a_dist="gauss"):
    """mode 取值：
    - "B_zero"：LoRA 默认，A 随机、B 全零；
    - "A_zero"：对称的另一种选择（B 随机）；
    - "both_zero"：A、B 全零；
    - "both_gauss"：A、B 都随机。
    a_dist 决定 A 的随机分布："gauss" 为 N(0, std²)（LoRA 论文的写法，std 默认 1/√d_in）；
    "kaiming_uniform" 为 U(-1/√d_in, 1/√d_in)，即 loralib 与 HF PEFT 对 A 用的
    kaiming_uniform_(a=√5)（与 nn.Linear 的默认初始化相同）。
    """
    if mode not in ("B_zero", "A_zero", "both_zero", "both_gauss"):
        raise ValueError(f"unknown LoRA init mode {mode!r}")
    if not 0 < r <= min(d_in, d_out):
        raise ValueError(f"rank r = {r} must be in [1, min(d_in, d_out) = {min(d_in, d_out)}]")
    std = 1.0 / np.sqrt(d_in) if std is None else std
    if a_dist == "gauss":
        A = rng.standard_normal((r, d_in)) * std
    elif a_dist == "kaiming_uniform":
        bound = 1.0 / np.sqrt(d_in)   # gain √(2/(1+5)) × √(3/fan_in) = 1/√fan_in
        A = rng.uniform(-bound, bound, (r, d_in))
    else:
        raise ValueError(f"a_dist must be 'gauss' or 'kaiming_uniform', got {a_dist!r}")
    B = rng.standard_normal((d_out, r)) * std
    if mode == "B_zero":
        B[:] = 0.0
    elif mode == "A_zero":
        A[:] = 0.0
    elif mode == "both_zero":
        A[:] = 0.0
        B[:] = 0.0
    return A, B
# --8<-- [end:init]


# --8<-- [start:merge]
def lora_merge(W0, A, B, alpha):
    """推理前合并：W = W0 + (alpha/r) B A，之后与普通线性层完全相同，无额外延迟。"""
    return W0 + (alpha / A.shape[0]) * B @ A
# --8<-- [end:merge]


# --8<-- [start:memory]
def llama_linear_shapes(d, d_ff, n_layers, n_heads, n_kv_heads):
    """一个 LLaMA 式解码器里所有线性层的 (d_in, d_out)：q、k、v、o 与 SwiGLU 的 gate、up、down。"""
    if d % n_heads or n_heads % n_kv_heads:
        raise ValueError(f"{n_heads} heads must divide d = {d} and be a multiple of {n_kv_heads} KV heads")
    d_kv = d // n_heads * n_kv_heads
    per_layer = [(d, d), (d, d_kv), (d, d_kv), (d, d), (d, d_ff), (d, d_ff), (d_ff, d)]
    return per_layer * n_layers


def lora_param_count(shapes, r):
    """给每个 (d_in, d_out) 的线性层加秩 r 的 LoRA：参数量 Σ r (d_in + d_out)。"""
    return sum(r * (i + o) for i, o in shapes)


def qlora_bits_per_param(block=64, block2=256, double_quant=True):
    """NF4 权重 4 bit + 每 block 个权重一个缩放常数：fp32（32/block bit）；
    双重量化把常数存成 8 bit、每 block2 个常数再配一个 fp32 常数：8/block + 32/(block·block2) bit。"""
    return 4 + (8 / block + 32 / (block * block2) if double_quant else 32 / block)


def finetune_memory_gb(n_linear, n_other, n_trainable, base_bits, trainable_bytes=12):
    """显存粗算（GB = 1e9 B，不含激活与临时缓冲）：
    n_linear 个线性层权重按 base_bits 存；嵌入、输出层等 n_other 个参数按 16 bit 存；
    n_trainable 个可训练参数每个 trainable_bytes 字节（16 位权重 2 + 16 位梯度 2 + fp32 Adam 两个矩 8 = 12）。
    """
    return (n_linear * base_bits / 8 + n_other * 2 + n_trainable * trainable_bytes) / 1e9
# --8<-- [end:memory]
