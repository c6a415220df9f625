"""检索专题 snippet 的性质测试：InfoNCE == 交叉熵、梯度、温度极限、批内负样本、三元组损失。"""
import numpy as np

from snippets.retrieval.losses import (
    cross_entropy,
    in_batch_infonce,
    infonce,
    infonce_grad,
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
