"""检索专题 snippet 的性质测试：InfoNCE == 交叉熵、梯度、温度极限、批内负样本与 logQ 校正、互信息下界、三元组损失。"""
import numpy as np
import pytest

from snippets.retrieval.losses import (
    cross_entropy,
    in_batch_infonce,
    infonce,
    infonce_grad,
    infonce_mi_lower_bound,
    log_softmax,
    triplet_loss,
)

rng = np.random.default_rng(0)


def test_log_softmax_normalized_and_shift_invariant():
    z = rng.normal(size=(5, 7)) * 50
    lp = log_softmax(z, axis=1)
    assert np.allclose(np.exp(lp).sum(axis=1), 1.0)
    assert np.allclose(log_softmax(z + 1e3, axis=1), lp)


def test_infonce_equals_cross_entropy_target_zero():
    for tau in (0.02, 0.1, 1.0):
        s_pos, s_neg = rng.uniform(-1, 1), rng.uniform(-1, 1, size=16)
        logits = np.concatenate([[s_pos], s_neg]) / tau
        assert np.isclose(infonce(s_pos, s_neg, tau), cross_entropy(logits[None], [0])[0])
        # 与直接按定义 -log(exp(s+/tau) / sum exp(s/tau)) 一致（这里数值不溢出）
        direct = -np.log(np.exp(s_pos / tau) / np.exp(logits).sum())
        assert np.isclose(infonce(s_pos, s_neg, tau), direct)


def test_infonce_gradient_matches_finite_differences():
    s_pos, s_neg, tau = 0.3, rng.uniform(-1, 1, size=8), 0.2
    g = infonce_grad(s_pos, s_neg, tau)
    s = np.concatenate([[s_pos], s_neg])
    h = 1e-6
    for k in range(len(s)):
        e = np.zeros_like(s)
        e[k] = h
        num = (infonce((s + e)[0], (s + e)[1:], tau) - infonce((s - e)[0], (s - e)[1:], tau)) / (2 * h)
        assert np.isclose(g[k], num, atol=1e-5)
    assert np.isclose(g.sum(), 0.0)  # 正负梯度守恒：softmax 梯度和为 0
    assert g[0] < 0 and np.all(g[1:] > 0)


def test_hardest_negative_share_grows_as_tau_shrinks():
    s_pos, s_neg = 0.8, np.array([0.7, 0.3, 0.1, -0.2, 0.0])

    def share(tau):
        g = infonce_grad(s_pos, s_neg, tau)[1:]
        return g[0] / g.sum()

    shares = [share(t) for t in (0.02, 0.05, 0.1, 0.5, 1.0, 10.0)]
    assert all(x > y for x, y in zip(shares, shares[1:]))
    assert abs(share(1e4) - 1 / len(s_neg)) < 1e-3  # tau -> inf：负样本一视同仁


def test_small_tau_limit_is_hinge():
    # tau -> 0 时 tau * L -> max(0, max_k s_k - s_pos)
    s_neg = np.array([0.5, 0.2, -0.1])
    for s_pos in (0.3, 0.9):
        assert np.isclose(1e-3 * infonce(s_pos, s_neg, 1e-3), max(0.0, s_neg.max() - s_pos), atol=2e-3)


def test_in_batch_infonce_equals_rowwise_infonce():
    B, d, tau = 6, 8, 0.1
    q = rng.normal(size=(B, d))
    p = q + 0.3 * rng.normal(size=(B, d))
    S = q @ p.T
    rows = [infonce(S[i, i], np.delete(S[i], i), tau) for i in range(B)]
    assert np.isclose(in_batch_infonce(q, p, tau), np.mean(rows))
    cols = [infonce(S[i, i], np.delete(S[:, i], i), tau) for i in range(B)]
    assert np.isclose(in_batch_infonce(q, p, tau, symmetric=True), 0.5 * (np.mean(rows) + np.mean(cols)))


def test_uninformative_encoder_gives_log_batch_size():
    B = 32
    q = np.ones((B, 4))
    assert np.isclose(in_batch_infonce(q, q, tau=0.1), np.log(B))


def test_triplet_loss_examples_from_notes():
    # d_ap^2 - d_an^2 = -4, margin 3 -> 0；= -2 -> 1
    a = np.zeros((1, 2))
    p = np.array([[1.0, 0.0]])                 # d_ap^2 = 1
    n_far = np.array([[0.0, np.sqrt(5.0)]])    # d_an^2 = 5
    n_mid = np.array([[0.0, np.sqrt(3.0)]])    # d_an^2 = 3
    assert np.isclose(triplet_loss(a, p, n_far, margin=3.0), 0.0)
    assert np.isclose(triplet_loss(a, p, n_mid, margin=3.0), 1.0)
    # 非平方欧氏距离（SBERT 形式）
    assert np.isclose(triplet_loss(a, p, n_mid, margin=1.0, squared=False), max(0, 1 - np.sqrt(3) + 1))


def test_triplet_loss_is_nonnegative_and_sums_over_batch():
    a, p, n = (rng.normal(size=(10, 4)) for _ in range(3))
    per = [triplet_loss(a[i], p[i], n[i], margin=0.5) for i in range(10)]
    assert min(per) >= 0
    assert np.isclose(triplet_loss(a, p, n, margin=0.5), sum(per))


def test_triplet_loss_rejects_bad_inputs():
    a = np.zeros((2, 3))
    with pytest.raises(ValueError, match="same shape"):
        triplet_loss(a, a, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="margin"):
        triplet_loss(a, a, a, margin=-1.0)


def test_temperature_must_be_positive():
    for tau in (0.0, -0.1):
        with pytest.raises(ValueError, match="temperature"):
            infonce(0.5, [0.1], tau)
        with pytest.raises(ValueError, match="temperature"):
            in_batch_infonce(np.eye(2), np.eye(2), tau)


def test_logq_correction_uniform_is_noop_and_matches_shifted_logits():
    B, d, tau = 8, 4, 0.1
    q, p = rng.normal(size=(B, d)), rng.normal(size=(B, d))
    base = in_batch_infonce(q, p, tau)
    assert np.isclose(in_batch_infonce(q, p, tau, log_q=np.full(B, np.log(1 / 50))), base)  # softmax shift invariance
    log_q = np.log(rng.dirichlet(np.ones(B)))
    S = q @ p.T / tau - log_q[None, :]
    assert np.isclose(in_batch_infonce(q, p, tau, log_q=log_q), cross_entropy(S, np.arange(B)).mean())
    with pytest.raises(ValueError, match="one entry per candidate"):
        in_batch_infonce(q, p, tau, log_q=np.zeros(B + 1))


def test_logq_corrected_sampled_softmax_estimates_the_full_partition_function():
    # corpus of N items with Zipf popularity; sampling m items with replacement from Q
    N, m, trials = 400, 64, 3000
    Q = 1 / np.arange(1, N + 1) ** 1.1
    Q /= Q.sum()
    # one query's scores against every item; like a niche query, it scores the 20 most popular items
    # (63 % of Q's mass) lower, which is where sampling by popularity misleads. With these scales the
    # three assertions hold for each of 300 seeds tried (smallest bias 0.32, largest corrected error 0.017)
    s = 0.5 * rng.normal(size=N) - 1.5 * (np.arange(N) < 20)
    Z = np.exp(s).sum()
    idx = rng.choice(N, size=(trials, m), p=Q)
    corrected = np.exp(s[idx] - np.log(Q[idx])).mean(axis=1)    # E = Z: unbiased
    uncorrected = np.exp(s[idx]).mean(axis=1) * N               # E = N * sum_j Q_j e^{s_j}: biased to popular items
    assert abs(corrected.mean() / Z - 1) < 0.05
    assert np.isclose(uncorrected.mean() / N, np.sum(Q * np.exp(s)), rtol=0.05)
    assert abs(uncorrected.mean() / Z - 1) > 0.2


def test_infonce_mi_estimate_is_capped_at_log_batch_size():
    B = 16
    assert np.isclose(infonce_mi_lower_bound(np.zeros((B, B))), 0.0)           # uninformative critic
    perfect = 1e3 * np.eye(B)                                                   # diagonal far above the rest
    assert np.isclose(infonce_mi_lower_bound(perfect), np.log(B))               # the cap, however large MI is
    for _ in range(20):
        assert infonce_mi_lower_bound(rng.normal(size=(B, B)) * 5) <= np.log(B) + 1e-12
    with pytest.raises(ValueError, match="square"):
        infonce_mi_lower_bound(np.zeros((3, 4)))


def test_squared_triplet_on_unit_vectors_is_a_cosine_margin():
    # ||u - v||^2 = 2 - 2 cos(u, v) for unit vectors, so d_ap^2 - d_an^2 = 2 (cos_an - cos_ap)
    def unit(x):
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    a, p, n = (unit(rng.normal(size=(50, 8))) for _ in range(3))
    cos_ap, cos_an = np.sum(a * p, axis=1), np.sum(a * n, axis=1)
    for i in range(50):
        expected = max(0.0, 2 * (cos_an[i] - cos_ap[i]) + 0.2)
        assert np.isclose(triplet_loss(a[i], p[i], n[i], margin=0.2), expected)


def test_group_cross_entropy_ignores_a_per_query_offset():
    # listwise (group) CE only sees differences within a query: shifting one query's scores changes nothing,
    # so reranker logits trained this way have no common scale across queries
    S = rng.normal(size=(6, 9))
    target = rng.integers(0, 9, size=6)
    offset = rng.normal(size=(6, 1)) * 10
    assert np.allclose(cross_entropy(S + offset, target), cross_entropy(S, target))
    with pytest.raises(ValueError, match="targets"):
        cross_entropy(S, target[:3])
