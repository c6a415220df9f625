"""奖励模型：偏好对的校验、Bradley–Terry 的各种损失与拟合、Best-of-n 的 KL、Gao et al. 的过优化曲线（numpy 版）。"""
import numpy as np

from snippets.alignment.dpo import log_sigmoid


# --8<-- [start:pairs]
def check_pairs(prompt_w, prompt_l):
    """chosen 与 rejected 必须回答同一个 prompt：BT 只比较同一 x 下的两条回答。"""
    pw, pl = np.asarray(prompt_w), np.asarray(prompt_l)
    if pw.shape != pl.shape or pw.ndim != 1:
        raise ValueError(f"prompt ids of chosen and rejected must be 1-D of equal length, got {pw.shape} and {pl.shape}")
    bad = np.flatnonzero(pw != pl)
    if bad.size:
        i = bad[0]
        raise ValueError(f"pair {i} compares answers to different prompts ({pw[i].item()!r} vs {pl[i].item()!r}); "
                         f"a preference pair must share one prompt")


def ranking_to_pairs(ranking):
    """把一个 prompt 的 K 个回答的排序（从好到差）拆成 C(K,2) 个 (chosen, rejected) 对。"""
    rk = list(ranking)
    if len(rk) < 2 or len(set(rk)) != len(rk):
        raise ValueError(f"a ranking needs at least 2 distinct answers, got {rk}")
    return [(rk[i], rk[j]) for i in range(len(rk)) for j in range(i + 1, len(rk))]
# --8<-- [end:pairs]


# --8<-- [start:plackett_luce]
def plackett_luce_logprob(scores, ranking):
    """Plackett–Luce：依次从剩下的回答里按 softmax(r) 选出最好的，log P(排序) = Σ_k [r_(k) - log Σ_{j≥k} e^{r_(j)}]。"""
    r = np.asarray(scores, dtype=np.float64)
    rk = np.asarray(ranking)
    if rk.ndim != 1 or sorted(rk.tolist()) != list(range(len(r))):
        raise ValueError(f"ranking must be a permutation of 0..{len(r) - 1}, got {rk.tolist()}")
    s = r[rk]
    tail = np.logaddexp.accumulate(s[::-1])[::-1]        # log Σ_{j≥k} e^{s_j}
    return float(np.sum(s - tail))
# --8<-- [end:plackett_luce]


# --8<-- [start:bt_losses]
def bt_margin_loss(r_w, r_l, margin=0.0):
    """Llama 2 式 margin：-log σ(r_w - r_l - m)，偏好越强 m 越大，要求分差至少拉开 m。"""
    r_w, r_l, m = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (r_w, r_l, margin)))
    if np.any(m < 0):
        raise ValueError("margin must be >= 0 (a larger margin means a stronger preference)")
    return float(np.mean(-log_sigmoid(r_w - r_l - m)))


def bt_soft_loss(r_a, r_b, p_a):
    """软标签：p_a = P(a ≻ b) 的交叉熵，p=0.5 就是平局；p=1 退化为普通 BT 损失。"""
    r_a, r_b, p = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (r_a, r_b, p_a)))
    if np.any((p < 0) | (p > 1)):
        raise ValueError("soft label p_a must be a probability in [0, 1]")
    d = r_a - r_b
    return float(np.mean(-(p * log_sigmoid(d) + (1 - p) * log_sigmoid(-d))))
# --8<-- [end:bt_losses]


# --8<-- [start:bt_fit]
def fit_bradley_terry(n_items, winners, losers, l2=1e-4, iters=50):
    """极大似然拟合 BT 分数（牛顿法，损失是凸的）；返回均值为 0 的分数。

    平移不可辨识：加一个很小的 L2 把解固定在均值为 0 的那个。
    """
    w, l = np.asarray(winners), np.asarray(losers)
    if w.shape != l.shape or w.ndim != 1 or w.size == 0:
        raise ValueError(f"winners and losers must be non-empty 1-D arrays of equal length, got {w.shape}, {l.shape}")
    if w.min() < 0 or l.min() < 0 or max(w.max(), l.max()) >= n_items:
        raise ValueError(f"item indices must lie in [0, {n_items})")
    if np.any(w == l):
        raise ValueError("an answer cannot be compared with itself")
    r = np.zeros(n_items)
    for _ in range(iters):
        q = np.exp(log_sigmoid(r[l] - r[w]))        # σ(r_l - r_w)：排错的概率
        g = l2 * r
        np.add.at(g, w, -q)
        np.add.at(g, l, q)
        h = q * (1 - q)
        H = l2 * np.eye(n_items)
        np.add.at(H, (w, w), h)
        np.add.at(H, (l, l), h)
        np.add.at(H, (w, l), -h)
        np.add.at(H, (l, w), -h)
        r = r - np.linalg.solve(H, g)
    return r - r.mean()
# --8<-- [end:bt_fit]


# --8<-- [start:best_of_n]
def best_of_n_kl_bound(n):
    """Best-of-n 相对原策略的 KL 解析式 log n - (n-1)/n（奖励连续、无并列时取等）。"""
    n = np.asarray(n, dtype=np.float64)
    if np.any(n < 1):
        raise ValueError("n (number of samples) must be >= 1")
    return np.log(n) - (n - 1) / n


def best_of_n_policy(p, reward, n):
    """离散分布上 Best-of-n 的精确分布：按奖励排序，P(选中第 i 个) = F_i^n - F_{i-1}^n。"""
    p, reward = np.asarray(p, dtype=np.float64), np.asarray(reward, dtype=np.float64)
    if p.shape != reward.shape or p.ndim != 1:
        raise ValueError(f"p and reward must be 1-D of equal length, got {p.shape}, {reward.shape}")
    if len(np.unique(reward)) != len(reward):
        raise ValueError("rewards must be distinct (ties need a tie-breaking rule)")
    order = np.argsort(reward)
    F = np.cumsum(p[order])
    q = np.empty_like(p)
    q[order] = F ** n - np.concatenate([[0.0], F[:-1]]) ** n
    return q
# --8<-- [end:best_of_n]


# --8<-- [start:gao_forms]
def gao_bon(d, alpha, beta):
    """Gao et al. (2022) 的 Best-of-n 拟合式：gold 分数 R(d) = d(α - β d)，d = sqrt(KL)。"""
    d = np.asarray(d, dtype=np.float64)
    return d * (alpha - beta * d)


def gao_rl(d, alpha, beta):
    """RL 的拟合式：R(d) = d(α - β log d)；d → 0 时斜率发散，原点附近不适用。"""
    d = np.asarray(d, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, d * (alpha - beta * np.log(np.where(d > 0, d, 1.0))), 0.0)
# --8<-- [end:gao_forms]
