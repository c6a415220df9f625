"""测试时扩展（test-time scaling）的两个基本选择器：带不完美验证器的 Best-of-N 与多数投票。

模型：每条采样独立地以概率 p 正确。验证器对正确的采样以概率 tpr 判“通过”，对错误的采样以概率 fpr 判“通过”。
"""
import math

import numpy as np


def _check_prob(name, x):
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {x}")


def _check_n(n):
    if int(n) != n or n < 1:
        raise ValueError(f"the number of samples N must be a positive integer, got {n}")


# --8<-- [start:best_of_n]
def best_of_n_accuracy(p, n, tpr, fpr):
    """Best-of-N：在判“通过”的采样里均匀选一条，一条都没通过就在全部 N 条里均匀选。

    每条采样“通过”的概率 q = p·tpr + (1-p)·fpr；通过的采样里正确的比例（验证器的精确率）是 p·tpr/q，
    没通过的采样里正确的比例是 p·(1-tpr)/(1-q)。于是
        acc(N) = [1 - (1-q)^N]·p·tpr/q + (1-q)^N · p·(1-tpr)/(1-q)，
    N → ∞ 时收敛到精确率 p·tpr/q；只要 fpr > 0 它就小于 1，而 oracle 的 pass@N = 1-(1-p)^N → 1。
    """
    for name, v in (("p", p), ("tpr", tpr), ("fpr", fpr)):
        _check_prob(name, v)
    _check_n(n)
    q = p * tpr + (1 - p) * fpr
    none_pass = (1 - q) ** n
    precision = p * tpr / q if q > 0 else 0.0
    fail_correct = p * (1 - tpr) / (1 - q) if q < 1 else 0.0
    return (1 - none_pass) * precision + none_pass * fail_correct


def oracle_pass_at_n(p, n):
    """完美验证器（tpr = 1, fpr = 0）时 Best-of-N 的准确率，就是 pass@N。"""
    _check_prob("p", p)
    _check_n(n)
    return 1 - (1 - p) ** n


def simulate_best_of_n(p, n, tpr, fpr, trials, rng):
    """蒙特卡洛：trials 道题，每题采 N 条、过验证器、按上面的规则选一条，返回选中的是正确答案的比例。"""
    for name, v in (("p", p), ("tpr", tpr), ("fpr", fpr)):
        _check_prob(name, v)
    _check_n(n)
    correct = rng.random((trials, n)) < p
    passed = np.where(correct, rng.random((trials, n)) < tpr, rng.random((trials, n)) < fpr)
    pool = np.where(passed.any(1, keepdims=True), passed, True)       # 没有通过的：在全部 N 条里选
    keys = np.where(pool, rng.random((trials, n)), -1.0)               # 在候选池里均匀选一条
    pick = keys.argmax(1)
    return correct[np.arange(trials), pick].mean()
# --8<-- [end:best_of_n]


# --8<-- [start:majority]
def majority_vote_accuracy(p, n, m=1):
    """多数投票（自洽解码，self-consistency）的准确率：正确答案概率 p，其余 1-p 均匀分给 m 个错误答案。

    精确地枚举各答案得票数的多项分布；并列第一时在并列的答案里均匀抽一个。
    m = 1（只有一个错误答案）时就是二项分布：acc = Σ_{k > N/2} C(N,k) p^k (1-p)^{N-k} + ½·[N 为偶数]·C(N,N/2)(p(1-p))^{N/2}。
    """
    _check_prob("p", p)
    _check_n(n)
    if int(m) != m or m < 1:
        raise ValueError(f"the number of distinct wrong answers m must be a positive integer, got {m}")
    w = (1 - p) / m
    total = 0.0

    def wrong_splits(remaining, slots):
        """把 remaining 张错误票分给 slots 个错误答案的所有方式。"""
        if slots == 1:
            yield (remaining,)
            return
        for first in range(remaining + 1):
            for rest in wrong_splits(remaining - first, slots - 1):
                yield (first,) + rest

    for k in range(n + 1):                                   # 正确答案得 k 票
        for split in wrong_splits(n - k, m):
            top = max((k,) + split)
            if k < top:
                continue
            ties = 1 + sum(s == top for s in split)
            coef = math.factorial(n) // (math.factorial(k) * math.prod(math.factorial(s) for s in split))
            total += coef * p ** k * w ** (n - k) / ties
    return total


def majority_vote_binomial(p, n):
    """m = 1 时的二项式闭式解（与 majority_vote_accuracy(p, n, 1) 相同）。"""
    _check_prob("p", p)
    _check_n(n)
    acc = sum(math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(n // 2 + 1, n + 1))
    if n % 2 == 0:
        acc += 0.5 * math.comb(n, n // 2) * (p * (1 - p)) ** (n // 2)
    return acc


def simulate_majority_vote(p, n, m, trials, rng):
    """蒙特卡洛版多数投票：答案 0 是正确答案，1..m 是错误答案。"""
    _check_prob("p", p)
    _check_n(n)
    probs = np.r_[p, np.full(m, (1 - p) / m)]
    counts = rng.multinomial(n, probs, size=trials)
    top = counts.max(1, keepdims=True)
    is_top = counts == top
    keys = np.where(is_top, rng.random(counts.shape), -1.0)           # 并列时均匀抽一个
    return (keys.argmax(1) == 0).mean()
# --8<-- [end:majority]
