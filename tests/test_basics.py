"""基础专题 snippet 的性质测试：softmax 数值稳定性与不变性、CE/MSE 梯度、CE/KL 关系、GBDT 分裂、卷积方向。"""
import numpy as np
import pytest

from snippets.basics.conv import convolve2d, cross_correlate2d
from snippets.basics.gbdt import (best_split_exact, best_split_hist, best_split_missing, build_histogram,
                                  goss_sample, leaf_weight, quantile_bin_edges, split_gain)
from snippets.basics.losses import (bce_grad, bce_loss, cross_entropy, entropy as ce_entropy, focal_loss,
                                    kl_divergence, kl_estimators, mse_grad, mse_loss, perplexity, sigmoid,
                                    smooth_labels, softmax_ce_grad, softmax_cross_entropy, softmax_mse_grad)
from snippets.basics.softmax import (entropy, log_softmax, logsumexp, online_softmax_weighted_sum, softmax,
                                     softmax_backward, softmax_jacobian, softmax_naive, softmax_temperature)

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


def test_subtracting_the_max_not_the_mean():
    # 减任何常数在数学上都不变，但只有减最大值能保证最大项是 e^0 = 1：减均值时一个离群 logit 照样上溢
    z = np.array([1000.0, 0.0, 0.0, 0.0], dtype=np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        by_mean = softmax_naive(z - z.mean())
    assert np.isnan(by_mean).any()
    assert np.allclose(softmax(z), [1, 0, 0, 0])


def test_fully_masked_row():
    z = np.array([-np.inf, -np.inf])
    assert logsumexp(z) == -np.inf                     # LSE 仍有定义
    with np.errstate(invalid="ignore"):
        assert np.isnan(softmax(z)).all()              # softmax 本身没有定义（与 PyTorch 一致）
    out, lse = online_softmax_weighted_sum(z, np.ones((2, 3)))
    assert lse == -np.inf and np.all(out == 0)         # FlashAttention 式的约定：输出 0


def test_temperature_must_be_positive():
    for T in (0.0, -1.0):
        with pytest.raises(ValueError, match="temperature must be positive"):
            softmax_temperature([1.0, 2.0], T)


def test_softmax_jacobian_and_backward():
    z = rng.normal(size=7)
    J = softmax_jacobian(z)
    h = 1e-6
    fd = np.stack([(softmax(z + h * e) - softmax(z - h * e)) / (2 * h) for e in np.eye(7)], axis=1)
    assert np.allclose(J, fd, atol=1e-8)
    assert np.allclose(J, J.T) and np.allclose(J @ np.ones(7), 0)       # 对称；平移方向上梯度为 0
    assert np.all(np.linalg.eigvalsh(J) > -1e-12)                       # 半正定
    g = rng.normal(size=7)
    assert np.allclose(softmax_backward(softmax(z), g), J.T @ g)        # O(n) 的 VJP 等于 J^T g
    # 饱和（接近 one-hot）时雅可比趋于 0
    assert np.abs(softmax_jacobian(np.array([30.0, 0, 0]))).max() < 1e-12
    with pytest.raises(ValueError, match="one vector"):
        softmax_jacobian(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="upstream gradient"):
        softmax_backward(np.ones(3) / 3, np.ones(4))


def test_log_softmax_gradient():
    # d log p_i / d z_j = delta_ij - p_j
    z = rng.normal(size=5)
    h = 1e-6
    fd = np.stack([(log_softmax(z + h * e) - log_softmax(z - h * e)) / (2 * h) for e in np.eye(5)], axis=1)
    assert np.allclose(fd, np.eye(5) - softmax(z)[None, :], atol=1e-8)


def test_online_softmax_equals_full_softmax():
    for block in (1, 3, 4, 16, 100):
        z = rng.normal(size=37) * 20
        V = rng.normal(size=(37, 5))
        out, lse = online_softmax_weighted_sum(z, V, block=block)
        assert np.allclose(out, softmax(z) @ V)
        assert np.isclose(lse, logsumexp(z))
    # 带 mask（-inf）且前几块全被 mask
    z = np.array([-np.inf] * 6 + [1.0, 2.0, 800.0])
    out, lse = online_softmax_weighted_sum(z, np.arange(18.0).reshape(9, 2), block=3)
    assert np.allclose(out, softmax(z) @ np.arange(18.0).reshape(9, 2))
    with pytest.raises(ValueError, match="one row per logit"):
        online_softmax_weighted_sum(np.zeros(4), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="block size"):
        online_softmax_weighted_sum(np.zeros(4), np.zeros((4, 2)), block=0)


def test_two_class_softmax_is_sigmoid_of_the_difference():
    a, b = rng.normal(size=50) * 5, rng.normal(size=50) * 5
    assert np.allclose(softmax(np.stack([a, b], axis=1))[:, 0], sigmoid(a - b))


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


def test_softmax_ce_grad_is_p_minus_y_only_for_normalised_targets():
    z = rng.normal(size=6)
    h = 1e-6
    for y in (np.eye(6)[1], rng.dirichlet(np.ones(6)), np.array([1.0, 1, 0, 0, 0, 0])):
        fd = np.array([(softmax_cross_entropy(z + h * e, y) - softmax_cross_entropy(z - h * e, y)) / (2 * h)
                       for e in np.eye(6)])
        assert np.allclose(softmax_ce_grad(z, y), fd, atol=1e-7)
    y = np.array([1.0, 1, 0, 0, 0, 0])                          # 和为 2 的“标签”：梯度不是 p - y
    assert not np.allclose(softmax_ce_grad(z, y), softmax(z) - y)
    assert np.isclose(softmax_ce_grad(z, np.eye(6)[1]).sum(), 0)   # 归一化目标时梯度各分量之和为 0


def test_label_smoothing_keeps_logits_finite():
    K, eps = 10, 0.1
    q = smooth_labels(np.eye(K)[3], eps)
    assert np.isclose(q.sum(), 1) and np.isclose(q[3], 1 - eps + eps / K) and np.isclose(q[0], eps / K)
    # 最优 logits 满足 softmax(z) = q，此处梯度为 0，最优 logit 差是有限值 log(1 + K(1-eps)/eps)
    z_opt = np.log(q)
    assert np.allclose(softmax_ce_grad(z_opt, q), 0, atol=1e-12)
    gap = z_opt[3] - z_opt[0]
    assert np.isclose(gap, np.log(1 + K * (1 - eps) / eps))
    assert np.isclose(gap, np.log(91))                           # K = 10, eps = 0.1 -> about 4.51
    # 硬标签下 CE 随 logit 差增大一直下降，没有有限最优解
    gaps = np.array([5.0, 10.0, 20.0])
    hard = [softmax_cross_entropy(np.array([g, 0.0]), np.array([1.0, 0.0])) for g in gaps]
    assert np.all(np.diff(hard) < 0)
    with pytest.raises(ValueError, match="eps must be in"):
        smooth_labels(np.eye(3)[0], 1.0)
    with pytest.raises(ValueError, match="sum to 1"):
        smooth_labels(np.array([1.0, 1.0, 0.0]), 0.1)


def test_focal_loss():
    z = np.linspace(-6, 6, 41)
    for y in (0.0, 1.0):
        yy = np.full_like(z, y)
        assert np.allclose(focal_loss(z, yy, gamma=0.0, alpha=None), bce_loss(z, y))          # 退化为 BCE
        assert np.allclose(focal_loss(z, yy, gamma=0.0, alpha=0.5), 0.5 * bce_loss(z, y))
    # Lin et al.: gamma = 2 时 p_t = 0.9 的样本损失约为 CE 的 1/100，p_t ≈ 0.968 时约 1/1000
    for pt, factor in ((0.9, 100), (0.968, 1000)):
        zt = np.log(pt / (1 - pt))
        ratio = bce_loss(np.array([zt]), 1.0)[0] / focal_loss(np.array([zt]), np.array([1.0]), 2.0, None)[0]
        assert abs(ratio / factor - 1) < 0.03
    # alpha_t：正样本乘 alpha，负样本乘 1 - alpha
    assert np.isclose(focal_loss(np.array([0.0]), np.array([1.0]), 0.0, 0.25)[0], 0.25 * np.log(2))
    assert np.isclose(focal_loss(np.array([0.0]), np.array([0.0]), 0.0, 0.25)[0], 0.75 * np.log(2))
    assert np.isfinite(focal_loss(np.array([-800.0, 800.0]), np.array([1.0, 0.0]))).all()
    with pytest.raises(ValueError, match="gamma"):
        focal_loss(z, np.ones_like(z), gamma=-1)
    with pytest.raises(ValueError, match="binary labels"):
        focal_loss(z, np.full_like(z, 0.5))


def test_kl_estimators_bias_sign_and_variance():
    # 精确期望：在一个小的离散分布上对 q 加权求和，而不是采样
    q = np.array([0.5, 0.3, 0.2])
    for p in (np.array([0.4, 0.35, 0.25]), np.array([0.1, 0.1, 0.8])):
        k1, k2, k3 = kl_estimators(np.log(q), np.log(p))
        kl = kl_divergence(q, p)
        assert np.isclose(q @ k1, kl) and np.isclose(q @ k3, kl)      # k1、k3 无偏
        assert not np.isclose(q @ k2, kl)                             # k2 有偏
        assert np.all(k2 >= 0) and np.all(k3 >= 0) and np.any(k1 < 0) # k1 单个样本可以为负
    # 分布接近时 k3 的方差远小于 k1
    p = np.array([0.48, 0.32, 0.2])
    k1, k2, k3 = kl_estimators(np.log(q), np.log(p))
    var = lambda k: q @ k ** 2 - (q @ k) ** 2
    assert var(k3) < 0.01 * var(k1)
    with pytest.raises(ValueError, match="shape"):
        kl_estimators(np.zeros(3), np.zeros(4))


def test_kl_estimators_as_losses_have_different_gradients():
    # q = softmax(theta) 是策略，p 是固定参考；把 k 当 loss、样本 x ~ q 不求导时，期望梯度 = sum_x q(x) d k(x) / d theta
    theta = np.array([0.3, -0.2, 0.5, 0.0])
    p = np.array([0.1, 0.4, 0.2, 0.3])
    h = 1e-6

    def expected_grad(which):
        q0 = softmax(theta)
        out = []
        for e in np.eye(4):
            kp = kl_estimators(np.log(softmax(theta + h * e)), np.log(p))[which]
            km = kl_estimators(np.log(softmax(theta - h * e)), np.log(p))[which]
            out.append(q0 @ (kp - km) / (2 * h))
        return np.array(out)

    def grad_of(f):
        return np.array([(f(theta + h * e) - f(theta - h * e)) / (2 * h) for e in np.eye(4)])

    reverse = grad_of(lambda t: kl_divergence(softmax(t), p))      # d KL(q || p)
    forward = grad_of(lambda t: kl_divergence(p, softmax(t)))      # d KL(p || q)
    assert np.allclose(expected_grad(0), 0, atol=1e-8)             # k1 当 loss：期望梯度为 0
    assert np.allclose(expected_grad(1), reverse, atol=1e-6)       # k2 当 loss：反向 KL 的梯度
    assert np.allclose(expected_grad(2), forward, atol=1e-6)       # k3 当 loss：正向 KL 的梯度
    assert not np.allclose(reverse, forward, atol=1e-3)


def test_kl_asymmetry_numbers():
    p, q = np.array([0.9, 0.1]), np.array([0.5, 0.5])
    assert np.isclose(kl_divergence(p, q), 0.368, atol=5e-4)
    assert np.isclose(kl_divergence(q, p), 0.511, atol=5e-4)
    with pytest.raises(ValueError, match="non-negative"):
        kl_divergence(np.array([1.2, -0.2]), q)


def test_perplexity():
    V = 50
    assert np.isclose(perplexity(np.full(7, -np.log(V))), V)           # 均匀分布的困惑度 = 词表大小
    lp = np.log(rng.dirichlet(np.ones(V), size=20).max(axis=1))
    assert np.isclose(perplexity(lp), np.exp(-lp.mean()))
    assert np.isclose(np.log2(perplexity(lp)), -lp.mean() / np.log(2))  # bits per token = log2 PPL
    with pytest.raises(ValueError, match="empty"):
        perplexity([])


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


def test_leaf_weight_with_l1_minimizes_objective():
    w = np.linspace(-3, 3, 60001)
    for G, H, lam, alpha in ((3.0, 5.0, 1.0, 0.5), (-0.4, 2.0, 0.0, 1.0), (-7.0, 2.0, 1.0, 2.0)):
        obj = G * w + 0.5 * (H + lam) * w ** 2 + alpha * np.abs(w)
        assert abs(w[np.argmin(obj)] - leaf_weight(G, H, lam, alpha)) < 1e-4
    assert leaf_weight(-0.4, 2.0, 0.0, 1.0) == 0          # |G| <= alpha：叶子输出被压成 0


def test_leaf_weight_is_a_newton_step_not_a_residual_fit():
    # 平方损失 l = (y - f)^2 / 2：g = f - y, h = 1，牛顿步 = 残差之和 / (n + lambda)（lambda = 0 时才是残差均值）
    y, f = rng.normal(size=20), rng.normal(size=20)
    g, h = f - y, np.ones(20)
    assert np.isclose(leaf_weight(g.sum(), h.sum(), lam=0.0), np.mean(y - f))
    assert np.isclose(leaf_weight(g.sum(), h.sum(), lam=1.0), np.sum(y - f) / 21)
    # 对数损失：g = p - y, h = p(1 - p)，叶子值是 sum(y - p) / sum p(1 - p)，不是残差 y - p 的均值
    t = (rng.uniform(size=20) < 0.3).astype(float)
    p = sigmoid(rng.normal(size=20))
    newton = leaf_weight(np.sum(p - t), np.sum(p * (1 - p)), lam=0.0)
    assert np.isclose(newton, np.sum(t - p) / np.sum(p * (1 - p)))
    assert not np.isclose(newton, np.mean(t - p))


def test_split_gain_nonnegative_needs_lambda_zero_gamma_zero_and_positive_hessians():
    GL, GR = rng.normal(size=1000), rng.normal(size=1000)
    HL, HR = rng.uniform(0.01, 1, size=1000), rng.uniform(0.01, 1, size=1000)
    assert np.all(split_gain(GL, HL, GR, HR, lam=0.0, gamma=0.0) >= -1e-12)
    assert np.any(split_gain(GL, HL, GR, HR, lam=0.0, gamma=0.5) < 0)     # gamma > 0
    # lambda > 0：两边梯度同号时分裂要付两次 lambda，增益为负（闭式：-lambda G^2 / ((H+lambda)(2H+lambda))）
    G, H, lam = 1.0, 1.0, 1.0
    assert np.isclose(split_gain(G, H, G, H, lam=lam), -lam * G ** 2 / ((H + lam) * (2 * H + lam)))
    with pytest.raises(ValueError, match="non-negative"):
        split_gain(1.0, 1.0, 1.0, 1.0, lam=-1.0)


def test_hist_split_skips_empty_children():
    # 第一个桶为空、lambda = 0：修复前 0/0 = NaN 被 argmax 选中
    hg, hh = np.array([0.0, 1.0, -1.0, 2.0]), np.array([0.0, 1.0, 1.0, 1.0])
    gain, b = best_split_hist(hg, hh, lam=0.0)
    assert np.isfinite(gain) and b in (1, 2)
    brute = max(split_gain(hg[:k + 1].sum(), hh[:k + 1].sum(), hg[k + 1:].sum(), hh[k + 1:].sum(), lam=0.0)
                for k in (1, 2))
    assert np.isclose(gain, brute)
    assert best_split_hist(np.array([1.0, 0.0]), np.array([1.0, 0.0])) == (float("-inf"), None)


def test_min_child_weight():
    x = np.arange(10.0)
    g, h = np.r_[np.full(2, -5.0), np.ones(8)], np.full(10, 0.5)
    _, thr = best_split_exact(x, g, h)
    assert thr == 1.5                                   # 不加约束：切出只有 2 个样本（H = 1）的叶子
    _, thr = best_split_exact(x, g, h, min_child_weight=1.5)
    assert thr >= 2.5                                   # 每边 H >= 1.5，至少 3 个样本


def test_missing_value_default_direction_matches_brute_force():
    r = np.random.default_rng(3)
    for _ in range(30):
        x = r.integers(0, 8, size=60).astype(float)
        x[r.uniform(size=60) < 0.25] = np.nan
        g = r.normal(size=60) + np.where(np.isnan(x), 2.0, 0.0) * r.choice([-1, 1])
        h = r.uniform(0.5, 1.5, size=60)
        gain, thr, left = best_split_missing(x, g, h)
        miss = np.isnan(x)
        best = -np.inf
        for t in np.unique(x[~miss])[:-1] + 0.5:
            for go_left in (True, False):
                L = (x < t) | (miss & go_left)
                best = max(best, split_gain(g[L].sum(), h[L].sum(), g[~L].sum(), h[~L].sum()))
        assert np.isclose(gain, best)
        L = (x < thr) | (miss & left)
        assert np.isclose(gain, split_gain(g[L].sum(), h[L].sum(), g[~L].sum(), h[~L].sum()))


def test_goss_exactly_unbiased_when_n_is_not_divisible():
    # n = 15, a = 0.2, b = 0.1：保留 3 个，从其余 12 个里抽 1 个，权重必须是 12 而不是 (1-a)/b = 8
    g = rng.normal(size=15)
    idx, w = goss_sample(g, a=0.2, b=0.1, rng=np.random.default_rng(0))
    top_n, rest_n, rand_n = 3, 12, 1
    assert len(idx) == top_n + rand_n and np.allclose(w[top_n:], rest_n / rand_n)
    # 精确期望：每个其余样本被抽中的概率是 rand_n / rest_n
    order = np.argsort(-np.abs(g), kind="stable")
    expected = g[order[:top_n]].sum() + w[-1] * rand_n / rest_n * g[order[top_n:]].sum()
    assert np.isclose(expected, g.sum())
    with pytest.raises(ValueError, match="a \\+ b <= 1"):
        goss_sample(g, a=0.7, b=0.5)
    with pytest.raises(ValueError, match="no small-gradient sample"):
        goss_sample(g, a=0.2, b=0.01)


def test_gbdt_input_validation():
    with pytest.raises(ValueError, match="at least two"):
        best_split_exact([1.0], [0.1], [1.0])
    with pytest.raises(ValueError, match="one length"):
        best_split_exact([1.0, 2.0], [0.1], [1.0, 1.0])
    with pytest.raises(ValueError, match="max_bin"):
        quantile_bin_edges(np.arange(10.0), max_bin=1)


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
    with pytest.raises(ValueError, match="no centre pixel"):
        cross_correlate2d(img, np.ones((2, 2)))
    with pytest.raises(ValueError, match="2-D"):
        convolve2d(img, np.ones(3))
