"""大模型评测：pass@k / pass^k 的无偏估计、Bradley–Terry 与在线 Elo、裁判位置偏差的交换消除、
困惑度与 bits-per-byte、测试集污染检测（n-gram 重叠、Min-K% Prob）、采样一致性与语义熵。只依赖 numpy 与标准库。
"""
import math
from collections import Counter

import numpy as np


# --8<-- [start:pass_at_k]
def _check_counts(n, c, k):
    for name, v in (("n", n), ("c", c), ("k", k)):
        if not isinstance(v, (int, np.integer)):
            raise ValueError(f"{name} must be an integer, got {v!r}")
        if v < 0:
            raise ValueError(f"{name} must be non-negative, got {v}")
    if c > n:
        raise ValueError(f"c = {c} correct samples out of n = {n}: c cannot exceed n")
    if not 1 <= k <= n:
        raise ValueError(f"k = {k} must satisfy 1 <= k <= n = {n}")


def pass_at_k(n, c, k):
    """无偏估计 1 - C(n-c, k) / C(n, k)（Chen et al. 2021）：n 个样本里 c 个通过，
    随机取 k 个至少一个通过的概率。用乘积形式避免大组合数：C(n-c,k)/C(n,k) = Π_{i=n-c+1}^{n} (1 - k/i)。"""
    _check_counts(n, c, k)
    if n - c < k:                  # 不通过的样本凑不满 k 个：必然至少有一个通过
        return 1.0
    return 1.0 - float(np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


def pass_at_k_naive(n, c, k):
    """把 p̂ = c/n 代入 1 - (1-p)^k 的插值估计：1-(1-p)^k 是 p 的凹函数，由 Jensen 不等式它系统性偏低。"""
    _check_counts(n, c, k)
    return 1.0 - (1.0 - c / n) ** k


def pass_hat_k(n, c, k):
    """τ-bench 的 pass^k：同一任务 k 次独立尝试全部成功的概率，无偏估计 C(c, k) / C(n, k) = Π_{i<k} (c-i)/(n-i)。"""
    _check_counts(n, c, k)
    if c < k:
        return 0.0
    i = np.arange(k)
    return float(np.prod((c - i) / (n - i)))


def pass_hat_k_naive(n, c, k):
    """插值估计 (c/n)^k：p^k 是凸函数，系统性偏高。"""
    _check_counts(n, c, k)
    return (c / n) ** k
# --8<-- [end:pass_at_k]


# --8<-- [start:bradley_terry]
def _check_pairs(pairs, outcomes, n_players):
    pairs = np.asarray(pairs)
    y = np.asarray(outcomes, dtype=float)
    if pairs.ndim != 2 or pairs.shape[1] != 2 or len(pairs) == 0:
        raise ValueError(f"pairs must have shape (n_games, 2) with n_games >= 1, got {pairs.shape}")
    if not np.issubdtype(pairs.dtype, np.integer):
        raise ValueError("player indices must be integers")
    if y.shape != (len(pairs),):
        raise ValueError(f"{len(pairs)} games but {y.size} outcomes")
    if np.any((pairs < 0) | (pairs >= n_players)):
        raise ValueError(f"player index out of range 0..{n_players - 1}")
    self_play = np.nonzero(pairs[:, 0] == pairs[:, 1])[0]
    if self_play.size:
        raise ValueError(f"game {self_play[0]} pits player {pairs[self_play[0], 0]} against itself")
    if np.any((y < 0) | (y > 1)):
        raise ValueError("outcomes must lie in [0, 1] (1 = first player wins, 0.5 = tie)")
    return pairs, y


def fit_bradley_terry(pairs, outcomes, n_players, covariates=None, l2=1e-4, max_iter=100, tol=1e-10):
    """Bradley–Terry 的最大似然：P(i 胜 j) = σ(θ_i - θ_j + β·x)，平局记 0.5（按半胜半负进入似然）。
    这是以 ±1 独热差为特征的逻辑回归，用牛顿法求解；l2 很小的岭项只为固定平移自由度、防止全胜选手发散。
    covariates (n_games, p) 是额外的对局特征（位置、长度差……），返回 (θ 去均值, β)。"""
    pairs, y = _check_pairs(pairs, outcomes, n_players)
    n = len(pairs)
    X = np.zeros((n, n_players))
    X[np.arange(n), pairs[:, 0]] = 1.0
    X[np.arange(n), pairs[:, 1]] = -1.0
    if covariates is not None:
        Z = np.asarray(covariates, dtype=float).reshape(n, -1)
        X = np.hstack([X, Z])
    w = np.zeros(X.shape[1])
    for _ in range(max_iter):
        prob = 1.0 / (1.0 + np.exp(-(X @ w)))
        grad = X.T @ (y - prob) - l2 * w
        H = (X * (prob * (1 - prob))[:, None]).T @ X + l2 * np.eye(X.shape[1])
        step = np.linalg.lstsq(H, grad, rcond=None)[0]      # l2 = 0 时 H 奇异（整体平移不变），取最小范数步
        w += step
        if np.max(np.abs(step)) < tol:
            break
    theta = w[:n_players] - w[:n_players].mean()
    return theta, w[n_players:]


def to_elo_scale(theta, scale=400.0, base=10.0, anchor=1000.0):
    """自然对数尺度的 θ 换到 Elo 分：R = anchor + θ · scale / ln(base)，差 400 分对应 10:1 的胜率比。"""
    return anchor + np.asarray(theta) * scale / math.log(base)


def online_elo(pairs, outcomes, n_players, k=4.0, scale=400.0, base=10.0, init=1000.0):
    """在线 Elo：按顺序逐局更新 R_i += k (y - E)，E = 1 / (1 + base^((R_j - R_i)/scale))。结果依赖对局顺序。"""
    pairs, y = _check_pairs(pairs, outcomes, n_players)
    r = np.full(n_players, float(init))
    for (i, j), yi in zip(pairs, y):
        e = 1.0 / (1.0 + base ** ((r[j] - r[i]) / scale))
        r[i] += k * (yi - e)
        r[j] -= k * (yi - e)
    return r
# --8<-- [end:bradley_terry]


# --8<-- [start:bootstrap]
def bootstrap_bt(pairs, outcomes, n_players, n_boot, rng, level=0.95):
    """对局级 bootstrap：有放回重采样对局、重拟合 BT，取分位数作为每个选手评分的置信区间。"""
    pairs, y = _check_pairs(pairs, outcomes, n_players)
    thetas = np.empty((n_boot, n_players))
    for b in range(n_boot):
        idx = rng.integers(0, len(y), size=len(y))
        thetas[b], _ = fit_bradley_terry(pairs[idx], y[idx], n_players)
    lo, hi = np.quantile(thetas, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return lo, hi, thetas
# --8<-- [end:bootstrap]


# --8<-- [start:swap]
def swap_debias(y_ab, y_ba):
    """同一对回答按 (A, B) 和 (B, A) 各评一次：y_ab 是 A 在第一位时 A 胜的结果，y_ba 是 B 在第一位时 B 胜的结果。
    取 (y_ab + 1 - y_ba) / 2 作为 A 胜的分数：两次结论矛盾时正好得到 0.5（平局），与位置无关。"""
    y_ab, y_ba = np.asarray(y_ab, dtype=float), np.asarray(y_ba, dtype=float)
    if y_ab.shape != y_ba.shape:
        raise ValueError(f"shapes differ: {y_ab.shape} vs {y_ba.shape}")
    if np.any((y_ab < 0) | (y_ab > 1) | (y_ba < 0) | (y_ba > 1)):
        raise ValueError("judgements must lie in [0, 1]")
    return (y_ab + 1.0 - y_ba) / 2.0


def kendall_tau(a, b):
    """Kendall τ-a：所有选手对中排序一致的比例减不一致的比例（同分对记 0）。"""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValueError("need two 1-D score vectors of the same length >= 2")
    i, j = np.triu_indices(a.size, k=1)
    return float(np.mean(np.sign(a[i] - a[j]) * np.sign(b[i] - b[j])))
# --8<-- [end:swap]


# --8<-- [start:perplexity]
def nll_stats(token_logprobs, n_bytes):
    """给定一段文本每个 token 的 log p（自然对数）和文本的 UTF-8 字节数：
    返回 (每 token 困惑度 exp(平均 NLL), bits-per-byte = 总 NLL / (ln 2 · 字节数))。"""
    lp = np.asarray(token_logprobs, dtype=float)
    if lp.ndim != 1 or lp.size == 0:
        raise ValueError("need a non-empty 1-D array of token log-probabilities")
    if np.any(lp > 0):
        raise ValueError("log-probabilities must be <= 0")
    if not isinstance(n_bytes, (int, np.integer)) or n_bytes < 1:
        raise ValueError(f"n_bytes must be a positive integer, got {n_bytes!r}")
    total = -lp.sum()
    return float(np.exp(total / lp.size)), float(total / (math.log(2) * n_bytes))


def fit_unigram(tokens, vocab, alpha=1.0):
    """加 α 平滑的一元语言模型：log p(t) = log((count(t) + α) / (N + α|V|))；vocab 之外的 token 报错。"""
    vocab = list(vocab)
    if alpha <= 0:
        raise ValueError(f"smoothing alpha must be positive, got {alpha}")
    counts = Counter(tokens)
    unknown = set(counts) - set(vocab)
    if unknown:
        raise ValueError(f"{len(unknown)} tokens are not in the vocabulary, e.g. {sorted(unknown)[0]!r}")
    denom = len(tokens) + alpha * len(vocab)
    return {t: math.log((counts[t] + alpha) / denom) for t in vocab}
# --8<-- [end:perplexity]


# --8<-- [start:contamination]
def ngram_overlap(test_tokens, train_tokens, n):
    """测试样本的 n-gram 中有多少比例在训练语料里出现过（GPT-3 用 13-gram 判定污染）。"""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    grams = [tuple(test_tokens[i:i + n]) for i in range(len(test_tokens) - n + 1)]
    if not grams:
        raise ValueError(f"test sample has {len(test_tokens)} tokens, fewer than n = {n}")
    train = {tuple(train_tokens[i:i + n]) for i in range(len(train_tokens) - n + 1)}
    return sum(g in train for g in grams) / len(grams)


def min_k_prob(token_logprobs, k=0.2):
    """Min-K% Prob（Shi et al. 2023）：取 log p 最低的 k 比例 token 求平均；见过的文本很少有极低概率的词，分数更高。"""
    lp = np.asarray(token_logprobs, dtype=float)
    if lp.ndim != 1 or lp.size == 0:
        raise ValueError("need a non-empty 1-D array of token log-probabilities")
    if not 0 < k <= 1:
        raise ValueError(f"k must be a fraction in (0, 1], got {k}")
    m = max(1, int(math.ceil(k * lp.size)))
    return float(np.sort(lp)[:m].mean())
# --8<-- [end:contamination]


# --8<-- [start:consistency]
def answer_entropy(answers, canonical=None):
    """一组采样答案的经验熵（nat）。canonical 把同义的答案映射到同一类（语义熵）；不给则按字面字符串分类。"""
    if len(answers) == 0:
        raise ValueError("need at least one sampled answer")
    keys = [canonical(a) if canonical else a for a in answers]
    p = np.array(list(Counter(keys).values()), dtype=float) / len(keys)
    return float(-(p * np.log(p)).sum())


def agreement_score(main_answer, samples, canonical=None):
    """采样一致性（SelfCheckGPT 的思路）：额外采样中与主回答同义的比例，低说明可能是编造。"""
    if len(samples) == 0:
        raise ValueError("need at least one extra sample")
    f = canonical or (lambda a: a)
    return sum(f(s) == f(main_answer) for s in samples) / len(samples)
# --8<-- [end:consistency]
