"""解码策略：温度、top-k、top-p、min-p、重复惩罚、no-repeat n-gram，greedy 与 beam search，约束解码的逐步掩码。

过滤器都作用在 logits 上：被去掉的 token 置为 -inf（与 Hugging Face transformers 的 logits warper 相同），
之后再做 softmax 就得到重新归一化的分布。
"""
import math

import numpy as np

PROB_TOL = 1e-6


# --8<-- [start:checks]
def check_probs(p, name="probabilities", tol=PROB_TOL):
    """检查一个概率向量：一维、有限、非负、和为 1（容差 tol）。返回 float 数组。"""
    p = np.asarray(p, dtype=float)
    if p.ndim != 1 or p.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D vector, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError(f"{name} must be finite and non-negative")
    total = p.sum()
    if abs(total - 1.0) > tol:
        raise ValueError(f"{name} sum to {total:.6g}, expected 1 within {tol:g}")
    return p


def softmax(logits):
    """数值稳定的 softmax；-inf 的位置概率为 0。"""
    z = np.asarray(logits, dtype=float)
    if not np.any(np.isfinite(z)):
        raise ValueError("every logit is -inf: the filters removed all tokens")
    e = np.exp(z - np.max(z))
    return e / e.sum()


def support(logits):
    """还留在候选集里的 token（logit 有限）。"""
    return tuple(int(i) for i in np.flatnonzero(np.isfinite(np.asarray(logits, dtype=float))))
# --8<-- [end:checks]


# --8<-- [start:filters]
def apply_temperature(logits, temperature):
    """z / T：T < 1 让分布更尖，T > 1 更平；T -> 0 的极限是 greedy，要单独处理而不是除以 0。"""
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature} (use greedy decoding for T -> 0)")
    return np.asarray(logits, dtype=float) / temperature


def top_k_filter(logits, k):
    """只保留 logit 最大的 k 个 token（与第 k 名并列的也保留）。"""
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise ValueError(f"top-k must be an integer >= 1, got {k}")
    z = np.array(logits, dtype=float)
    if k >= z.size:
        return z
    kth = np.sort(z)[-int(k)]
    z[z < kth] = -np.inf
    return z


def top_p_filter(logits, top_p):
    """nucleus：按概率从大到小累加，保留累计概率首次达到 top_p 的最小前缀。"""
    if not 0 < top_p <= 1:
        raise ValueError(f"top-p must be in (0, 1], got {top_p}")
    z = np.array(logits, dtype=float)
    probs = softmax(z)
    order = np.argsort(-probs, kind="stable")
    cum = np.cumsum(probs[order])
    n_keep = int(np.searchsorted(cum, top_p - 1e-12)) + 1
    z[order[n_keep:]] = -np.inf
    return z


def min_p_filter(logits, min_p):
    """min-p（Nguyen et al. 2024）：去掉概率低于 min_p x p_max 的 token，阈值随模型把握程度伸缩。"""
    if not 0 <= min_p <= 1:
        raise ValueError(f"min-p must be in [0, 1], got {min_p}")
    z = np.array(logits, dtype=float)
    probs = softmax(z)
    z[probs < min_p * probs.max()] = -np.inf
    return z
# --8<-- [end:filters]


# --8<-- [start:penalties]
def repetition_penalty(logits, prev_tokens, theta):
    """CTRL 式重复惩罚（Hugging Face 的实现）：出现过的 token，正 logit 除以 theta，负 logit 乘以 theta。"""
    if not theta > 0:
        raise ValueError(f"repetition penalty must be > 0, got {theta}")
    z = np.array(logits, dtype=float)
    ids = np.unique(np.asarray(prev_tokens, dtype=int))
    if ids.size:
        s = z[ids]
        z[ids] = np.where(s < 0, s * theta, s / theta)
    return z


def presence_frequency_penalty(logits, prev_tokens, presence=0.0, frequency=0.0):
    """OpenAI 的定义：mu_j - c_j * alpha_frequency - 1[c_j > 0] * alpha_presence，c_j 是 token j 已出现的次数。"""
    z = np.array(logits, dtype=float)
    counts = np.bincount(np.asarray(prev_tokens, dtype=int), minlength=z.size)[: z.size]
    return z - frequency * counts - presence * (counts > 0)


def no_repeat_ngram_filter(logits, prev_tokens, n):
    """禁止生成会让某个 n-gram 第二次出现的 token（n=1 时禁止所有出现过的 token）。"""
    if isinstance(n, bool) or int(n) != n or n < 1:
        raise ValueError(f"no_repeat_ngram_size must be an integer >= 1, got {n}")
    z = np.array(logits, dtype=float)
    toks = [int(t) for t in prev_tokens]
    if len(toks) < n - 1:
        return z
    prefix = tuple(toks[len(toks) - (n - 1):])
    for i in range(len(toks) - n + 1):
        if tuple(toks[i:i + n - 1]) == prefix:
            z[toks[i + n - 1]] = -np.inf
    return z
# --8<-- [end:penalties]


# --8<-- [start:search]
def greedy_decode(next_probs, max_len, eos=None):
    """每步取概率最大的 token。next_probs(prefix) 返回下一个 token 的分布。返回 (序列, 对数概率)。"""
    seq, logp = (), 0.0
    while len(seq) < max_len:
        p = check_probs(next_probs(seq))
        t = int(np.argmax(p))
        seq, logp = seq + (t,), logp + math.log(p[t])
        if t == eos:
            break
    return seq, logp


def beam_search(next_probs, beam_width, max_len, eos=None, length_penalty=1.0):
    """保留 beam_width 条累计对数概率最高的前缀；结束的候选按 logp / len**length_penalty 打分
    （Hugging Face 的长度归一化）。简化版：结束条件是没有未完成的 beam 或到达 max_len。"""
    if isinstance(beam_width, bool) or int(beam_width) != beam_width or beam_width < 1:
        raise ValueError(f"beam width must be an integer >= 1, got {beam_width}")
    beams, finished = [((), 0.0)], []
    for _ in range(max_len):
        candidates = []
        for seq, lp in beams:
            p = check_probs(next_probs(seq))
            candidates += [(seq + (t,), lp + math.log(p[t])) for t in np.flatnonzero(p > 0)]
        candidates.sort(key=lambda c: -c[1])
        beams = []
        for seq, lp in candidates:
            if seq[-1] == eos:
                finished.append((seq, lp))
            else:
                beams.append((seq, lp))
            if len(beams) == beam_width:
                break
        if not beams:
            break
    finished += beams
    return max(finished, key=lambda c: c[1] / len(c[0]) ** length_penalty)


def sequence_probabilities(next_probs, max_len, eos=None):
    """暴力枚举所有完整序列（以 eos 结束或长度到 max_len）及其概率，用来检验 greedy / beam 找到的是不是最优。"""
    out = {}

    def walk(seq, prob):
        if len(seq) == max_len or (seq and seq[-1] == eos):
            out[seq] = prob
            return
        p = check_probs(next_probs(seq))
        for t in np.flatnonzero(p > 0):
            walk(seq + (int(t),), prob * p[t])

    walk((), 1.0)
    return out
# --8<-- [end:search]


# --8<-- [start:constrained]
def masked_sequence_distribution(next_probs, allowed):
    """约束解码的实际做法：每一步把不能延伸成任何合法串的 token 掩掉，再在剩下的 token 上重新归一化。
    allowed 是等长的合法序列集合；返回每个合法序列被生成的概率。"""
    allowed = {tuple(int(t) for t in s) for s in allowed}
    lengths = {len(s) for s in allowed}
    if len(lengths) != 1:
        raise ValueError(f"allowed sequences must all have the same length, got lengths {sorted(lengths)}")
    length = lengths.pop()
    prefixes = {s[:i] for s in allowed for i in range(length + 1)}
    out = {}

    def walk(seq, prob):
        if len(seq) == length:
            out[seq] = prob
            return
        p = check_probs(next_probs(seq))
        valid = [t for t in range(p.size) if seq + (t,) in prefixes and p[t] > 0]
        mass = sum(p[t] for t in valid)
        if mass == 0:
            raise ValueError(f"no allowed continuation of {seq} has positive probability")
        for t in valid:
            walk(seq + (t,), prob * p[t] / mass)

    walk((), 1.0)
    return out


def conditioned_sequence_distribution(next_probs, allowed):
    """精确的条件分布 P(y | y 合法) = P(y) / sum_{y' 合法} P(y')，作为对照。"""
    joint = {}
    for s in {tuple(int(t) for t in s) for s in allowed}:
        prob = 1.0
        for i, t in enumerate(s):
            prob *= check_probs(next_probs(s[:i]))[t]
        joint[s] = prob
    z = sum(joint.values())
    if z == 0:
        raise ValueError("every allowed sequence has probability 0")
    return {s: v / z for s, v in joint.items()}
# --8<-- [end:constrained]
