"""投机解码（speculative decoding / speculative sampling）：接受拒绝采样、一轮草稿-验证、期望 token 数与加速比。

记号：p 是目标（大）模型的下一个 token 分布，q 是草稿（小）模型的分布，gamma 是每轮草稿长度，
alpha = sum_x min(p(x), q(x)) 是单个草稿 token 被接受的概率，c 是草稿模型一次前向与目标模型一次前向的耗时比。
"""
import numpy as np

from snippets.inference.decoding import check_probs


# --8<-- [start:accept_reject]
def check_pair(p, q):
    """目标分布 p 与草稿分布 q 必须都是合法分布、且在同一个词表上。"""
    p = check_probs(p, "target distribution p")
    q = check_probs(q, "draft distribution q")
    if p.shape != q.shape:
        raise ValueError(f"draft and target vocab sizes differ: q has {q.size} tokens, p has {p.size}")
    return p, q


def acceptance_rate(p, q):
    """单个草稿 token 被接受的概率 alpha = sum_x min(p, q) = 1 - TV(p, q)。"""
    p, q = check_pair(p, q)
    return float(np.minimum(p, q).sum())


def residual_distribution(p, q):
    """拒绝后重采样用的分布 norm(max(0, p - q))；p == q 时不会被拒绝，返回 p。"""
    return _residual(*check_pair(p, q))


def _residual(p, q):
    r = np.maximum(p - q, 0.0)
    total = r.sum()
    return p if total == 0 else r / total


def _draw(p, rng):
    """按分布 p 抽一个 token（逆 CDF，比 rng.choice 快）。"""
    cdf = np.cumsum(p)
    return int(min(np.searchsorted(cdf, rng.random() * cdf[-1], side="right"), p.size - 1))


def speculative_sample(p, q, rng):
    """一个位置的接受拒绝：x ~ q，以 min(1, p(x)/q(x)) 接受，否则从 norm(max(0, p - q)) 重采样。
    返回 (token, 是否接受了草稿)。输出 token 的分布恰好是 p。"""
    p, q = check_pair(p, q)
    x = _draw(q, rng)
    if rng.random() < min(1.0, p[x] / q[x]):
        return x, True
    return _draw(_residual(p, q), rng), False
# --8<-- [end:accept_reject]


def speculative_sample_many(p, q, n, rng):
    """speculative_sample 的向量化版本：独立地做 n 次，返回 (tokens, accepted)。"""
    p, q = check_pair(p, q)
    x = rng.choice(p.size, size=n, p=q)
    accepted = rng.random(n) < np.minimum(1.0, p[x] / q[x])
    resampled = rng.choice(p.size, size=n, p=_residual(p, q))
    return np.where(accepted, x, resampled), accepted


# --8<-- [start:block]
def speculative_round(target, draft, prefix, gamma, rng):
    """一轮投机解码。target(prefix) / draft(prefix) 返回下一个 token 的分布。
    草稿模型自回归地提出 gamma 个 token；目标模型对 gamma + 1 个位置打分（实际系统里是一次前向）；
    从左到右接受拒绝，第一次拒绝时用残差分布补一个 token 并结束；全部接受时再从目标分布多采一个 token。
    每轮至少产出 1 个、至多 gamma + 1 个 token。"""
    if isinstance(gamma, bool) or int(gamma) != gamma or gamma < 1:
        raise ValueError(f"draft length gamma must be an integer >= 1, got {gamma}")
    ctx, drafts, qs = tuple(prefix), [], []
    for _ in range(int(gamma)):
        q = check_probs(draft(ctx), "draft distribution q")
        x = _draw(q, rng)
        drafts.append(x)
        qs.append(q)
        ctx += (x,)
    ps = [check_probs(target(tuple(prefix) + tuple(drafts[:i])), "target distribution p")
          for i in range(int(gamma) + 1)]
    if any(p.shape != qs[0].shape for p in ps + qs):
        raise ValueError(f"draft and target vocab sizes differ: q has {qs[0].size} tokens, p has {ps[0].size}")
    out = []
    for i, x in enumerate(drafts):
        p, q = ps[i], qs[i]
        if rng.random() < min(1.0, p[x] / q[x]):
            out.append(x)
        else:
            out.append(_draw(_residual(p, q), rng))
            return out
    out.append(_draw(ps[-1], rng))
    return out


def speculative_generate(target, draft, prefix, n_tokens, gamma, rng):
    """反复调用 speculative_round 直到产出 n_tokens 个 token。返回 (tokens, 轮数 = 目标模型前向次数)。"""
    out, rounds = [], 0
    while len(out) < n_tokens:
        out += speculative_round(target, draft, tuple(prefix) + tuple(out), gamma, rng)
        rounds += 1
    return out[:n_tokens], rounds
# --8<-- [end:block]


# --8<-- [start:speedup]
def expected_tokens_per_round(alpha, gamma):
    """每个草稿 token 以概率 alpha 独立被接受时，一轮的期望产出 (1 - alpha^(gamma+1)) / (1 - alpha)。"""
    if isinstance(gamma, bool) or int(gamma) != gamma or gamma < 1:
        raise ValueError(f"draft length gamma must be an integer >= 1, got {gamma}")
    if not 0 <= alpha <= 1:
        raise ValueError(f"acceptance rate alpha must be in [0, 1], got {alpha}")
    if alpha == 1:
        return float(gamma + 1)
    return (1 - alpha ** (gamma + 1)) / (1 - alpha)


def expected_speedup(alpha, gamma, c):
    """相对普通自回归解码的墙钟加速比：一轮耗时 gamma * c + 1（单位：目标模型一次前向），产出期望 token 数。"""
    if c < 0:
        raise ValueError(f"cost ratio c must be >= 0, got {c}")
    return expected_tokens_per_round(alpha, gamma) / (gamma * c + 1)
# --8<-- [end:speedup]
