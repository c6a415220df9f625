"""基础专题 snippet 的性质测试：softmax 数值稳定性与不变性、CE/MSE 梯度、CE/KL 关系、GBDT 分裂、卷积方向。"""
import numpy as np
import pytest

from snippets.basics.conv import convolve2d, cross_correlate2d
from snippets.basics.gbdt import (best_split_exact, best_split_hist, build_histogram,
                                  goss_sample, leaf_weight, quantile_bin_edges, split_gain)
from snippets.basics.losses import (bce_grad, bce_loss, cross_entropy, entropy as ce_entropy,
                                    kl_divergence, mse_grad, mse_loss, sigmoid, softmax_ce_grad,
                                    softmax_mse_grad)
from snippets.basics.softmax import (entropy, log_softmax, logsumexp, softmax, softmax_naive,
                                     softmax_temperature)

rng = np.random.default_rng(0)


# ---------- softmax ----------
def test_stable_equals_naive_where_finite():
    z = rng.normal(size=(100, 7)) * 5
    assert np.allclose(softmax(z), softmax_naive(z), rtol=1e-12, atol=0)


def test_naive_overflows_stable_does_not():
    z = np.array([1000.0, 0.0], dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(softmax_naive(z)).any()
    assert np.allclose(softmax(z), [1.0, 0.0])


def test_fp16_sum_overflow_without_any_single_inf():
    # 每个 e^10 ≈ 22026 都能表示，但 4 个相加超过 65504：朴素写法输出全 0
    z = np.full(4, 10.0, dtype=np.float16)
    with np.errstate(over="ignore"):
        naive = softmax_naive(z)
    assert np.all(np.isfinite(np.exp(z)))
    assert naive.sum() == 0
    assert np.allclose(softmax(z).astype(float), 0.25)


def test_underflow_all_very_negative():
    z = np.array([-1000.0, -1001.0, -1002.0])
    with np.errstate(invalid="ignore"):
        assert np.isnan(softmax_naive(z)).all()           # 0/0
    assert np.allclose(softmax(z), softmax(z + 1000))


@pytest.mark.parametrize("dtype,thr", [(np.float16, 11.09), (np.float32, 88.72), (np.float64, 709.78)])
def test_exp_overflow_thresholds(dtype, thr):
    t = np.log(float(np.finfo(dtype).max))
    assert abs(t - thr) < 0.01
    with np.errstate(over="ignore"):
        assert np.isinf(np.exp(dtype(t + 0.05)))
        assert np.isfinite(np.exp(dtype(t - 0.05)))


@pytest.mark.parametrize("c", [-1e3, -3.0, 0.0, 7.5, 1e3])
def test_shift_invariance(c):
    z = rng.normal(size=10)
    assert np.allclose(softmax(z + c), softmax(z))


def test_scale_changes_distribution_and_log_ratio_is_difference():
    z = rng.normal(size=6)
    assert not np.allclose(softmax(2 * z), softmax(z))
    p = softmax(z)
    i, j = 1, 4
    assert np.isclose(np.log(p[i] / p[j]), z[i] - z[j])
    assert np.isclose(p[i] / p[j], np.exp(z[i] - z[j]))


def test_log_softmax_via_lse():
    z = rng.normal(size=(20, 9)) * 30
    assert np.allclose(log_softmax(z), np.log(softmax(z)))
    assert np.allclose(logsumexp(z), np.log(np.exp(z).sum(-1)))
    # 极端 logits：log(softmax) 会得到 -inf，log_softmax 仍然有限且正确
    z = np.array([0.0, -800.0])
    with np.errstate(divide="ignore"):
        assert np.isneginf(np.log(softmax(z))[1])
    assert np.isclose(log_softmax(z)[1], -800.0)


def test_softmax_twice_is_flatter():
    for _ in range(2000):
        z = rng.normal(size=rng.integers(2, 12)) * rng.uniform(0.1, 10)
        p = softmax(z)
        q = softmax(p)
        assert entropy(q) >= entropy(p) - 1e-12
        assert q.max() / q.min() <= np.e + 1e-12


def test_temperature_limits_and_monotone_entropy():
    z = rng.normal(size=8) * 2
    Ts = np.logspace(-2, 3, 200)
    H = np.array([entropy(softmax_temperature(z, T)) for T in Ts])
    assert np.all(np.diff(H) >= -1e-12)
    assert abs(H[-1] - np.log(len(z))) < 1e-4
    assert softmax_temperature(z, 1e-3).max() > 1 - 1e-9
    assert softmax_temperature(z, 1e-3).argmax() == z.argmax()


# ---------- 分类损失 ----------
def test_sigmoid_stable():
    z = np.array([-1000.0, 0.0, 1000.0])
    assert np.allclose(sigmoid(z), [0.0, 0.5, 1.0])


def test_binary_grads_match_finite_differences():
    z = np.linspace(-6, 6, 25)
    h = 1e-6
    for y in (0.0, 1.0):
        fd_ce = (bce_loss(z + h, y) - bce_loss(z - h, y)) / (2 * h)
        fd_mse = (mse_loss(z + h, y) - mse_loss(z - h, y)) / (2 * h)
        assert np.allclose(bce_grad(z, y), fd_ce, atol=1e-7)
        assert np.allclose(mse_grad(z, y), fd_mse, atol=1e-7)


def test_mse_saturates_ce_does_not():
    g_ce, g_mse = bce_grad(np.array([-10.0]), 1.0), mse_grad(np.array([-10.0]), 1.0)
    assert abs(g_ce[0]) > 0.99
    assert abs(g_mse[0]) < 1e-4


def test_softmax_grads():
    z = rng.normal(size=5)
    y = np.eye(5)[2]
    h = 1e-6

    def ce(v):
        return -np.log(softmax(v)[2])

    def mse(v):
        return 0.5 * np.sum((softmax(v) - y) ** 2)

    fd_ce = np.array([(ce(z + h * e) - ce(z - h * e)) / (2 * h) for e in np.eye(5)])
    fd_mse = np.array([(mse(z + h * e) - mse(z - h * e)) / (2 * h) for e in np.eye(5)])
    assert np.allclose(softmax_ce_grad(z, y), fd_ce, atol=1e-7)
    assert np.allclose(softmax_mse_grad(z, y), fd_mse, atol=1e-7)
    # 自信地预测错误类：CE 梯度约为 1，MSE 梯度几乎为 0
    z_wrong = np.array([0.0, 0.0, 0.0, 15.0, 0.0])
    assert np.abs(softmax_ce_grad(z_wrong, y)).max() > 0.99
    assert np.abs(softmax_mse_grad(z_wrong, y)).max() < 1e-5


def test_ce_kl_identity():
    for _ in range(200):
        p = rng.dirichlet(np.ones(6))
        q = rng.dirichlet(np.ones(6))
        assert np.isclose(cross_entropy(p, q), ce_entropy(p) + kl_divergence(p, q))
        assert kl_divergence(p, q) >= 0
        assert np.isclose(kl_divergence(p, p), 0)
    p, q = np.array([0.9, 0.1]), np.array([0.5, 0.5])
    assert not np.isclose(kl_divergence(p, q), kl_divergence(q, p))
    onehot = np.array([0.0, 1.0, 0.0])
    q = np.array([0.2, 0.5, 0.3])
    assert np.isclose(cross_entropy(onehot, q), kl_divergence(onehot, q))   # H(onehot) = 0


# ---------- GBDT ----------
def test_leaf_weight_minimizes_second_order_objective():
    G, H, lam = 3.0, 5.0, 1.0
    w = np.linspace(-3, 3, 60001)
    obj = G * w + 0.5 * (H + lam) * w ** 2
    assert abs(w[np.argmin(obj)] - leaf_weight(G, H, lam)) < 1e-4


def test_hist_split_equals_exact_when_one_bin_per_value():
    x = rng.integers(0, 40, size=500).astype(float)
    g = rng.normal(size=500) + (x > 23)
    h = rng.uniform(0.5, 1.5, size=500)
    edges = quantile_bin_edges(x, max_bin=255)
    bins = np.searchsorted(edges, x)
    hg, hh = build_histogram(bins, g, h, len(edges) + 1)
    gain_h, b = best_split_hist(hg, hh)
    gain_e, thr = best_split_exact(x, g, h)
    assert np.isclose(gain_h, gain_e)
    assert np.isclose(edges[b], thr)


def test_histogram_subtraction():
    x = rng.normal(size=1000)
    g, h = rng.normal(size=1000), rng.uniform(size=1000)
    edges = quantile_bin_edges(x, max_bin=32)
    bins = np.searchsorted(edges, x)
    left = x < 0.3
    parent = build_histogram(bins, g, h, 32)
    lchild = build_histogram(bins[left], g[left], h[left], 32)
    rchild = build_histogram(bins[~left], g[~left], h[~left], 32)
    assert np.allclose(parent[0] - lchild[0], rchild[0])
    assert np.allclose(parent[1] - lchild[1], rchild[1])


def test_split_gain_sign():
    GL, GR = rng.normal(size=1000), rng.normal(size=1000)
    HL, HR = rng.uniform(size=1000), rng.uniform(size=1000)
    # lambda = 0：Cauchy-Schwarz 保证增益 >= 0
    assert np.all(split_gain(GL, HL, GR, HR, lam=0.0) >= -1e-12)
    # lambda > 0：增益可以为负，L2 项本身就隐含了对分裂的惩罚
    assert np.any(split_gain(GL, HL, GR, HR, lam=1.0) < 0)


def test_goss_is_unbiased():
    g = rng.standard_t(df=3, size=2000)
    est = []
    r = np.random.default_rng(1)
    for _ in range(400):
        idx, w = goss_sample(g, a=0.2, b=0.1, rng=r)
        est.append(np.sum(w * g[idx]))
    se = np.std(est) / np.sqrt(len(est))
    assert abs(np.mean(est) - g.sum()) < 4 * se + 1e-9


# ---------- 卷积方向 ----------
def test_conv_vs_correlation_shift():
    x = np.zeros((5, 5))
    x[2, 2] = 1.0
    k = np.zeros((3, 3))
    k[1, 2] = 1.0
    assert convolve2d(x, k)[2, 3] == 1.0          # 真卷积：右移
    assert cross_correlate2d(x, k)[2, 1] == 1.0   # 互相关（深度学习框架）：左移
    img = rng.normal(size=(6, 7))
    kk = rng.normal(size=(3, 3))
    assert np.allclose(convolve2d(img, kk), cross_correlate2d(img, kk[::-1, ::-1]))
