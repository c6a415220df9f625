"""Self-consistency（多数投票）的精确准确率与蒙特卡洛模拟。

记号：一次采样的最终答案服从分布 probs，probs[0] 是正确答案的概率，其余是各个错误答案；
独立采样 k 次，取出现次数最多的答案（平票时在并列者中均匀随机选一个）。
"""
import itertools
import math

import numpy as np


# --8<-- [start:check]
def check_answer_probs(probs):
    """答案分布：一维、每个概率在 [0, 1]、总和为 1，至少两个候选答案。"""
    p = np.asarray(probs, dtype=float)
    if p.ndim != 1 or p.size < 2:
        raise ValueError(f"need a 1-D distribution over at least 2 answers, got shape {p.shape}")
    if np.any(p < 0) or np.any(p > 1):
        raise ValueError(f"probabilities must lie in [0, 1], got {p.tolist()}")
    if not math.isclose(p.sum(), 1.0, abs_tol=1e-9):
        raise ValueError(f"probabilities must sum to 1, got {p.sum():.6f}")
    return p


def _check_k(k):
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"number of samples k must be a positive integer, got {k!r}")
    return int(k)
# --8<-- [end:check]


# --8<-- [start:majority_exact]
def majority_vote_exact(probs, k):
    """k 次独立采样后多数投票选中正确答案（下标 0）的精确概率：枚举所有计数向量 (n_0, ..., n_{m-1})，
    按多项分布加权；正确答案与 t 个答案并列第一时记 1/t（随机破平）。"""
    p, k = check_answer_probs(probs), _check_k(k)
    m = p.size
    # 隔板法枚举 sum(n) = k 的所有非负整数向量
    bars = np.array(list(itertools.combinations(range(k + m - 1), m - 1)), dtype=int).reshape(-1, m - 1)
    edges = np.hstack([np.full((len(bars), 1), -1), bars, np.full((len(bars), 1), k + m - 1)])
    counts = np.diff(edges, axis=1) - 1
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, k + 1)))])
    with np.errstate(divide="ignore"):
        logp = np.log(p)
    term = np.where(counts > 0, counts * logp, 0.0)          # 0 * log 0 记为 0
    log_pmf = log_fact[k] - log_fact[counts].sum(axis=1) + term.sum(axis=1)
    top = counts.max(axis=1)
    credit = (counts[:, 0] == top) / (counts == top[:, None]).sum(axis=1)
    return float(np.sum(np.exp(log_pmf) * credit))


def binary_majority_exact(p, k):
    """只有一个错误答案时的闭式解：P(Bin(k, p) > k/2)，k 为偶数时平票记一半。"""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"probability must lie in [0, 1], got {p}")
    k = _check_k(k)
    pmf = [math.comb(k, j) * p**j * (1 - p) ** (k - j) for j in range(k + 1)]
    return sum(pmf[j] for j in range(k + 1) if 2 * j > k) + (0.5 * pmf[k // 2] if k % 2 == 0 else 0.0)


def majority_vote_limit(probs):
    """k -> ∞ 的极限：正确答案是唯一众数时为 1，被某个错误答案超过时为 0，并列时为 1/并列数。"""
    p = check_answer_probs(probs)
    top = p.max()
    if p[0] < top:
        return 0.0
    return 1.0 / int(np.sum(np.isclose(p, top)))
# --8<-- [end:majority_exact]


# --8<-- [start:majority_sim]
def majority_vote_simulate(probs, k, n_trials, rng):
    """蒙特卡洛：n_trials 次“采样 k 个答案再投票”，返回选中正确答案的比例。"""
    p, k = check_answer_probs(probs), _check_k(k)
    counts = rng.multinomial(k, p, size=n_trials)
    top = counts.max(axis=1)
    n_top = (counts == top[:, None]).sum(axis=1)
    # 随机破平：正确答案在并列者中被选中的概率为 1/n_top
    wins = (counts[:, 0] == top) & (rng.random(n_trials) * n_top < 1.0)
    return float(wins.mean())
# --8<-- [end:majority_sim]
