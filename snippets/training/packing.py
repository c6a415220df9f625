"""SFT packing：把多条 (prompt, response) 拼成一条序列，并构造 labels、position_ids 与块对角因果掩码。"""
import numpy as np

IGNORE = -100  # 与 PyTorch CrossEntropyLoss(ignore_index=-100) 的约定一致


# --8<-- [start:pack]
def pack(samples):
    """samples: [(prompt_ids, response_ids), ...] -> dict of 1-D arrays.

    - input_ids：各样本首尾相接；
    - labels：与 input_ids 对齐（HF 约定，错位在算 loss 时做，见 next_token_targets）；
      prompt 位置为 IGNORE，只在 response 上算 loss；每条样本的第一个位置也置 IGNORE，
      这样整行错位一格后，上一条样本的最后一个 token 不会去预测这一条的第一个 token；
    - position_ids：每个样本从 0 重新计数；
    - seg_ids：样本编号，用来构造块对角掩码。
    """
    if not samples:
        raise ValueError("pack() needs at least one (prompt, response) sample")
    ids, labels, pos, seg = [], [], [], []
    for k, (p, r) in enumerate(samples):
        if len(r) == 0:
            raise ValueError(f"sample {k} has an empty response: nothing to train on")
        n = len(p) + len(r)
        lab = [IGNORE] * len(p) + list(r)
        lab[0] = IGNORE            # 样本的第一个 token 前面没有本样本的上下文，不作为预测目标
        ids += list(p) + list(r)
        labels += lab
        pos += list(range(n))
        seg += [k] * n
    return {k: np.array(v) for k, v in
            dict(input_ids=ids, labels=labels, position_ids=pos, seg_ids=seg).items()}
# --8<-- [end:pack]


# --8<-- [start:next_token_targets]
def next_token_targets(labels, seg_ids):
    """因果 LM 的错位：位置 i 的预测目标是 labels[i+1]，但只在 i+1 与 i 属于同一条样本时成立。

    返回与 labels 等长的数组，最后一个位置和每条样本的最后一个位置都是 IGNORE。
    """
    labels, seg_ids = np.asarray(labels), np.asarray(seg_ids)
    if labels.shape != seg_ids.shape or labels.ndim != 1:
        raise ValueError(f"labels {labels.shape} and seg_ids {seg_ids.shape} must be equal-length 1-D arrays")
    tgt = np.full_like(labels, IGNORE)
    same = seg_ids[1:] == seg_ids[:-1]
    tgt[:-1] = np.where(same, labels[1:], IGNORE)
    return tgt
# --8<-- [end:next_token_targets]


# --8<-- [start:mask]
def block_causal_mask(seg_ids):
    """mask[i, j] = True 表示位置 i 可以看到位置 j：同一样本内、且 j <= i。"""
    seg_ids = np.asarray(seg_ids)
    n = len(seg_ids)
    causal = np.tril(np.ones((n, n), dtype=bool))
    same = seg_ids[:, None] == seg_ids[None, :]
    return causal & same
# --8<-- [end:mask]


# --8<-- [start:loss_reduce]
def reduce_loss(token_loss, labels, seg_ids, mode="token"):
    """token_loss: 每个位置的交叉熵；只统计 labels != IGNORE 的位置。

    mode="token"：所有有效 token 平均（长回复权重大）；
    mode="sequence"：先在每个样本内平均，再对样本平均（每个样本权重相同）。
    """
    if mode not in ("token", "sequence"):
        raise ValueError(f"mode must be 'token' or 'sequence', got {mode!r}")
    valid = labels != IGNORE
    if not valid.any():
        raise ValueError("no position has a label: every label is IGNORE")
    if mode == "token":
        return token_loss[valid].mean()
    per_seq = [token_loss[valid & (seg_ids == k)].mean()
               for k in np.unique(seg_ids[valid])]
    return float(np.mean(per_seq))
# --8<-- [end:loss_reduce]


def toy_attention(X, mask):
    """单头自注意力（无投影），被 mask 掉的位置 logit 设为 -inf。测试与 notebook 用。"""
    S = X @ X.T / np.sqrt(X.shape[1])
    S = np.where(mask, S, -np.inf)
    S = S - S.max(axis=1, keepdims=True)
    P = np.exp(S)
    P /= P.sum(axis=1, keepdims=True)
    return P @ X
