"""分布式训练：ring all-reduce、ZeRO / FSDP 显存与通信量、Megatron 张量并行、3D 并行显存估算与 MFU。

记号：p 或 N 为参与通信的 rank 数，Ψ（n_params）为参数个数，t / p / d 为张量 / 流水线 / 数据并行度。
所有“通信量”都按每个 rank 发送的元素个数计（乘每元素字节数即字节）。
"""
from dataclasses import dataclass
from math import erf, sqrt

import numpy as np


# --8<-- [start:validate]
def _positive_int(name, value):
    """参数检查：rank 数、并行度、micro-batch 数都必须是正整数。"""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)
# --8<-- [end:validate]


# --8<-- [start:ring]
def ring_reduce_scatter(buffers):
    """环形 reduce-scatter：p 个 rank 各有一个长度 n 的向量，结束时 rank r 持有求和结果的第 (r+1)%p 块。

    每一步所有 rank 同时把一块发给右邻居，右邻居把它加到自己的同号块上；共 p-1 步，
    每个 rank 发送 (p-1) 块，即 (p-1)/p * n 个元素。返回 (chunks, owner_index, sent)。
    """
    p = _positive_int("number of ranks", len(buffers))
    shapes = {np.shape(b) for b in buffers}
    if len(shapes) != 1 or len(next(iter(shapes))) != 1:
        raise ValueError(f"all ranks need 1-D buffers of the same length, got shapes {sorted(shapes)}")
    chunks = [np.array_split(np.asarray(b, dtype=float).copy(), p) for b in buffers]
    sent = np.zeros(p, dtype=int)
    for step in range(p - 1):
        msgs = []
        for r in range(p):                      # 先收集本步所有消息，再同时投递
            c = (r - step) % p
            msgs.append(((r + 1) % p, c, chunks[r][c].copy()))
            sent[r] += chunks[r][c].size
        for dst, c, data in msgs:
            chunks[dst][c] += data
    owner = [(r + 1) % p for r in range(p)]     # rank r 上已经加满 p 份的那一块
    return [chunks[r][owner[r]] for r in range(p)], owner, sent


def ring_all_gather(pieces, owner):
    """环形 all-gather：rank r 持有第 owner[r] 块，p-1 步后每个 rank 拿到全部 p 块（按块号拼接）。"""
    p = _positive_int("number of ranks", len(pieces))
    have = [{owner[r]: np.asarray(pieces[r], dtype=float).copy()} for r in range(p)]
    sent = np.zeros(p, dtype=int)
    for step in range(p - 1):
        msgs = []
        for r in range(p):
            c = (owner[r] - step) % p           # 上一步收到的那块，转发给右邻居
            msgs.append(((r + 1) % p, c, have[r][c]))
            sent[r] += have[r][c].size
        for dst, c, data in msgs:
            have[dst][c] = data.copy()
    return [np.concatenate([have[r][c] for c in range(p)]) for r in range(p)], sent


def ring_all_reduce(buffers):
    """all-reduce = reduce-scatter + all-gather：每个 rank 发送 2(p-1)/p * n 个元素。返回 (results, sent)。"""
    pieces, owner, sent_rs = ring_reduce_scatter(buffers)
    full, sent_ag = ring_all_gather(pieces, owner)
    return full, sent_rs + sent_ag
# --8<-- [end:ring]


# --8<-- [start:grad_accum]
def lsq_grad_sum(w, X, y):
    """逐 token 的平方误差 0.5*(x·w - y)^2 对 w 的梯度之和，以及 token 数。"""
    return X.T @ (X @ w - y), len(y)


def accumulate_gradients(w, micro_batches, normalize="global"):
    """梯度累积 k 个 micro-batch 后的梯度（loss 是所有 token 的平均）。

    global：各 micro-batch 只累加梯度之和，最后除以总 token 数，与一次性算大 batch 完全相同；
    per_micro：每个 micro-batch 先除以自己的 token 数，再对 k 个平均取平均；token 数不等时
    短的 micro-batch 里每个 token 的权重更大，结果有偏。
    """
    if normalize not in ("global", "per_micro"):
        raise ValueError(f"normalize must be 'global' or 'per_micro', got {normalize!r}")
    if not micro_batches:
        raise ValueError("need at least one micro-batch")
    sums, counts = zip(*(lsq_grad_sum(w, X, y) for X, y in micro_batches))
    if normalize == "global":
        return np.sum(sums, axis=0) / sum(counts)
    return np.mean([g / c for g, c in zip(sums, counts)], axis=0)
# --8<-- [end:grad_accum]


# --8<-- [start:zero]
FSDP_STRATEGY_TO_ZERO = {"NO_SHARD": 0, "SHARD_GRAD_OP": 2, "FULL_SHARD": 3}


def zero_model_state_bytes(n_params, n_ranks, stage, k_optimizer=12, bytes_param=2, bytes_grad=2):
    """ZeRO-DP 每个 rank 的模型状态字节数（ZeRO 论文图 1 的口径，不含激活与临时缓冲）。

    stage 0（普通 DP）：2Ψ + 2Ψ + KΨ；1：优化器状态切 N 份；2：再切梯度；3：再切参数。
    混合精度 Adam 的 K = 12（fp32 主权重 4 + 一阶矩 4 + 二阶矩 4）。
    """
    n = _positive_int("n_ranks", n_ranks)
    if stage not in (0, 1, 2, 3):
        raise ValueError(f"ZeRO stage must be 0, 1, 2 or 3, got {stage!r}")
    if n_params <= 0:
        raise ValueError(f"n_params must be positive, got {n_params}")
    return {
        "params": bytes_param * n_params / (n if stage >= 3 else 1),
        "grads": bytes_grad * n_params / (n if stage >= 2 else 1),
        "optimizer": k_optimizer * n_params / (n if stage >= 1 else 1),
    }


def fsdp_model_state_bytes(n_params, n_ranks, strategy, shard_group_size=None, k_optimizer=12):
    """PyTorch FSDP 的分片策略对应的每卡模型状态。HYBRID_SHARD：组内（通常一个节点）FULL_SHARD，组间复制。"""
    if strategy == "HYBRID_SHARD":
        g = _positive_int("shard_group_size", shard_group_size)
        if n_ranks % g:
            raise ValueError(f"shard group size {g} does not divide {n_ranks} ranks")
        return zero_model_state_bytes(n_params, g, 3, k_optimizer)
    if strategy not in FSDP_STRATEGY_TO_ZERO:
        raise ValueError(f"unknown FSDP sharding strategy {strategy!r}")
    return zero_model_state_bytes(n_params, n_ranks, FSDP_STRATEGY_TO_ZERO[strategy], k_optimizer)


def zero_comm_elements(n_params, n_ranks, stage):
    """每个 rank 每步发送的元素数（环形算法）。DP / ZeRO-1 / ZeRO-2：一次 reduce-scatter + 一次 all-gather
    = 2(N-1)/N·Ψ；ZeRO-3：前向 all-gather 参数 + 反向再 all-gather + 梯度 reduce-scatter = 3(N-1)/N·Ψ。"""
    n = _positive_int("n_ranks", n_ranks)
    if stage not in (0, 1, 2, 3):
        raise ValueError(f"ZeRO stage must be 0, 1, 2 or 3, got {stage!r}")
    one_pass = (n - 1) / n * n_params           # 一次 reduce-scatter 或 all-gather
    return (3 if stage == 3 else 2) * one_pass
# --8<-- [end:zero]


# --8<-- [start:zero_step]
def zero_sharded_adam_step(local_grads, master, m, v, t, lr, b1=0.9, b2=0.999, eps=1e-8):
    """ZeRO-1/2 的一步：梯度 reduce-scatter（求平均）→ 每个 rank 只更新自己那块 fp32 主权重与 m、v
    → all-gather 拼回完整参数。master/m/v 是长度 p 的分片列表（rank r 存第 owner[r] 块）。"""
    p = len(local_grads)
    pieces, owner, _ = ring_reduce_scatter(local_grads)
    for r in range(p):
        g = pieces[r] / p                        # 各 rank 梯度的平均
        m[r] = b1 * m[r] + (1 - b1) * g
        v[r] = b2 * v[r] + (1 - b2) * g * g
        m_hat, v_hat = m[r] / (1 - b1 ** t), v[r] / (1 - b2 ** t)
        master[r] = master[r] - lr * m_hat / (np.sqrt(v_hat) + eps)
    params, _ = ring_all_gather(master, owner)
    return params, owner
# --8<-- [end:zero_step]


# --8<-- [start:tp_check]
def check_tp_degree(t, d_model=None, d_ffn=None, n_heads=None, n_kv_heads=None):
    """张量并行度 t 必须整除隐藏维、FFN 维、注意力头数与 KV 头数（否则各 rank 分到的块不等长）。"""
    t = _positive_int("tensor-parallel degree", t)
    for name, value in (("hidden size", d_model), ("FFN size", d_ffn),
                        ("attention heads", n_heads), ("KV heads", n_kv_heads)):
        if value is not None and value % t:
            raise ValueError(f"tensor-parallel degree {t} does not divide {value} {name}")
    return t
# --8<-- [end:tp_check]


# --8<-- [start:tp_mlp]
def gelu(x):
    """GeLU（erf 形式）。"""
    return 0.5 * x * (1.0 + np.vectorize(erf)(x / sqrt(2.0)))


def mlp_forward(x, w1, w2):
    """未切分的两层 MLP：Y = GeLU(X W1) W2，X: (s, d)，W1: (d, f)，W2: (f, d)。"""
    return gelu(x @ w1) @ w2


def tp_mlp_forward(x, w1, w2, t):
    """Megatron 张量并行 MLP：W1 按列切、W2 按行切。rank i 算 GeLU(X W1_i) W2_i 得到部分和，
    GeLU 是逐元素的，可以在本地对自己那几列做；前向只在最后做一次 all-reduce（求和）。
    返回 (Y, 每个 rank 的部分和, all-reduce 次数)。"""
    check_tp_degree(t, d_ffn=w1.shape[1])
    w1_shards = np.split(w1, t, axis=1)          # 列切：每个 rank 得到 f/t 个隐藏单元
    w2_shards = np.split(w2, t, axis=0)          # 行切：对应的 f/t 行
    partials = [gelu(x @ a) @ b for a, b in zip(w1_shards, w2_shards)]
    return np.sum(partials, axis=0), partials, 1
# --8<-- [end:tp_mlp]


# --8<-- [start:tp_attention]
def attention_forward(x, wq, wk, wv, wo, n_heads, n_kv_heads, causal=True):
    """GQA 自注意力（n_kv_heads = n_heads 即 MHA）。x: (s, d)，wq: (d, n_heads*dh)，wk/wv: (d, n_kv*dh)，wo: (n_heads*dh, d)。"""
    s = x.shape[0]
    dh = wq.shape[1] // n_heads
    q = (x @ wq).reshape(s, n_heads, dh)
    k = (x @ wk).reshape(s, n_kv_heads, dh)
    v = (x @ wv).reshape(s, n_kv_heads, dh)
    group = n_heads // n_kv_heads
    k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    scores = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(dh)
    if causal:
        scores = np.where(np.tril(np.ones((s, s), dtype=bool)), scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=-1, keepdims=True)
    out = np.einsum("hqk,khd->qhd", probs, v).reshape(s, n_heads * dh)
    return out @ wo


def tp_attention_forward(x, wq, wk, wv, wo, n_heads, n_kv_heads, t, causal=True):
    """注意力按头切：rank i 拿 n_heads/t 个 Q 头和 n_kv_heads/t 个 KV 头（W_Q、W_K、W_V 列切），
    W_O 对应的行切；每个 rank 独立算完自己的头，输出投影得到部分和，一次 all-reduce。"""
    check_tp_degree(t, n_heads=n_heads, n_kv_heads=n_kv_heads)
    q_sh, k_sh, v_sh = (np.split(w, t, axis=1) for w in (wq, wk, wv))
    o_sh = np.split(wo, t, axis=0)
    partials = [attention_forward(x, q_sh[i], k_sh[i], v_sh[i], o_sh[i], n_heads // t, n_kv_heads // t, causal)
                for i in range(t)]
    return np.sum(partials, axis=0), partials, 1
# --8<-- [end:tp_attention]


# --8<-- [start:cp_balance]
def causal_cp_work(n_ranks, seq_len, zigzag=True):
    """因果掩码下上下文并行每个 rank 要算的 (query, key) 对数（位置 q 只看 k <= q，共 q+1 个）。

    zigzag=False：序列按顺序切 N 块，rank i 拿第 i 块，越靠后的块活越多；
    zigzag=True：切 2N 块，rank i 拿第 i 块和第 2N-1-i 块，一头一尾配对，各 rank 的工作量相同。
    """
    n = _positive_int("context-parallel degree", n_ranks)
    pieces = 2 * n if zigzag else n
    if seq_len % pieces:
        raise ValueError(f"sequence length {seq_len} is not divisible into {pieces} chunks")
    size = seq_len // pieces
    work = lambda c: sum(q + 1 for q in range(c * size, (c + 1) * size))
    if zigzag:
        return np.array([work(i) + work(2 * n - 1 - i) for i in range(n)])
    return np.array([work(i) for i in range(n)])
# --8<-- [end:cp_balance]


# --8<-- [start:plan]
@dataclass(frozen=True)
class ModelConfig:
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    d_ffn: int
    vocab: int
    tied_embeddings: bool = False


def llama_param_count(cfg):
    """LLaMA 结构（GQA + SwiGLU + RMSNorm，无 bias）的精确参数量。"""
    dh = cfg.d_model // cfg.n_heads
    attn = 2 * cfg.d_model * cfg.d_model + 2 * cfg.d_model * cfg.n_kv_heads * dh   # Q、O 与 K、V
    mlp = 3 * cfg.d_model * cfg.d_ffn                                                # gate、up、down
    norms = 2 * cfg.d_model
    emb = cfg.vocab * cfg.d_model * (1 if cfg.tied_embeddings else 2)
    return cfg.n_layers * (attn + mlp + norms) + emb + cfg.d_model                   # 末尾再一个 RMSNorm


def llama_activation_bytes_per_layer(cfg, seq_len, micro_batch, tp=1, sequence_parallel=True, recompute="none"):
    """一层 LLaMA 在反向前要保存的激活（bf16，FlashAttention 不存 s x s 矩阵，无 dropout），按张量逐项估计：

    RMSNorm 输入 2h ×2，RMSNorm 输出（QKV / gate-up 的输入）2h ×2，Q 2h、K 与 V 各 2h·n_kv/n_heads，
    注意力输出（O 投影的输入）2h，gate 与 up 的输出各 2f，down 的输入 2f（字节/token）。
    张量并行把注意力与 MLP 内部的张量除以 t；序列并行把剩下的（两个 norm 的输入输出）也按序列除以 t。
    recompute="full" 时每层只存输入 2h（按序列并行切分）。
    """
    if recompute not in ("none", "full"):
        raise ValueError(f"recompute must be 'none' or 'full', got {recompute!r}")
    h, f = cfg.d_model, cfg.d_ffn
    sb = seq_len * micro_batch
    kv = 2 * h * cfg.n_kv_heads / cfg.n_heads
    inside_tp = 2 * h + 2 * kv + 2 * h + 2 * f * 3       # Q、K、V、注意力输出，gate、up、down 输入
    outside_tp = 4 * (2 * h)                              # 两个 RMSNorm 的输入与输出
    if recompute == "full":
        return sb * 2 * h / (tp if sequence_parallel else 1)
    return sb * (inside_tp / tp + outside_tp / (tp if sequence_parallel else 1))


def check_parallel_plan(cfg, n_gpus, tp, pp, dp):
    """3D 并行方案的合法性：各并行度为正整数、乘积等于卡数、TP 整除头数与维度、流水线级数不超过层数。"""
    n_gpus, pp, dp = (_positive_int(n, v) for n, v in (("number of GPUs", n_gpus), ("pipeline stages", pp),
                                                          ("data-parallel degree", dp)))
    check_tp_degree(tp, cfg.d_model, cfg.d_ffn, cfg.n_heads, cfg.n_kv_heads)
    if pp > cfg.n_layers:
        raise ValueError(f"{pp} pipeline stages is more than the {cfg.n_layers} layers")
    if tp * pp * dp != n_gpus:
        raise ValueError(f"tp*pp*dp = {tp}*{pp}*{dp} = {tp * pp * dp} does not equal {n_gpus} GPUs")


def plan_memory_per_gpu(cfg, n_gpus, tp, pp, dp, seq_len, micro_batch=1, zero_stage=1,
                        recompute="none", sequence_parallel=True, k_optimizer=12):
    """第一个流水线级（显存最紧的那张卡）的字节数：参数 / 梯度 / 优化器状态 / 激活。

    参数按 TP、PP 均分（嵌入只放在首末级，这里按均分近似）；ZeRO 在 DP 组内切。1F1B 下首级同时持有
    pp 个 micro-batch 的激活，每个 micro-batch 过 L/pp 层，合计正好是“一个 micro-batch 走完 L 层”的量。
    """
    check_parallel_plan(cfg, n_gpus, tp, pp, dp)
    local = llama_param_count(cfg) / (tp * pp)
    state = zero_model_state_bytes(local, dp, zero_stage, k_optimizer)
    layers_per_stage = -(-cfg.n_layers // pp)    # 不整除时首级多分一层
    act = pp * layers_per_stage * llama_activation_bytes_per_layer(
        cfg, seq_len, micro_batch, tp, sequence_parallel, recompute)
    if recompute == "full":                       # 反向时逐层重算，同一时刻还要放下一层的完整激活
        act += llama_activation_bytes_per_layer(cfg, seq_len, micro_batch, tp, sequence_parallel)
    out = dict(state, activations=act)
    if zero_stage == 3:                           # 计算前 all-gather 出的整层 bf16 参数（当前层 + 预取的下一层）
        out["gather buffers"] = 2 * 2 * (llama_param_count(cfg) / cfg.n_layers) / tp
    out["total"] = sum(out.values())
    return out
# --8<-- [end:plan]


# --8<-- [start:mfu]
def train_flops_per_token(n_params, n_layers=0, n_heads=0, head_dim=0, seq_len=0):
    """PaLM 附录 B 的口径：6N（前向 2N + 反向 4N）加注意力矩阵乘 12·L·H·Q·T（不计因果掩码省下的一半，不计重计算）。"""
    if n_params <= 0:
        raise ValueError(f"n_params must be positive, got {n_params}")
    return 6 * n_params + 12 * n_layers * n_heads * head_dim * seq_len


def mfu(tokens_per_second, flops_per_token, peak_flops):
    """MFU = 实际吞吐（token/s）x 每 token 模型 FLOPs / 峰值 FLOP/s（同样卡数）。"""
    if tokens_per_second < 0 or peak_flops <= 0:
        raise ValueError("throughput must be >= 0 and peak FLOP/s > 0")
    return tokens_per_second * flops_per_token / peak_flops
# --8<-- [end:mfu]
