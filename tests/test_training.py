"""训练技巧专题 snippet 的性质测试。"""
import numpy as np
import pytest

from snippets.training.init import (GAINS, forward_stats, input_output_jacobian, kaiming_normal,
                                    lecun_normal, orthogonal, residual_proj_std, xavier_normal,
                                    xavier_uniform)
from snippets.training.clip import clip_grad_norm, clip_grad_value
from snippets.training.dropout import (dropout_inverted, dropout_inverted_backward,
                                       dropout_vanilla)
from snippets.training.lora import lora_forward, lora_grads, lora_init, lora_merge
from snippets.training.optim import (adam_state, adam_step, l1_prox_step, l1_subgrad_step,
                                     sgd_decay_step, sgd_l2_step, sgd_momentum_step, soft_threshold,
                                     split_decay_groups)
from snippets.normalization.norms import layer_norm
from snippets.training.packing import (IGNORE, block_causal_mask, pack, reduce_loss,
                                       toy_attention)


# ---------------------------------------------------------------- init
@pytest.mark.parametrize("fan_in,fan_out", [(256, 256), (300, 100), (64, 512)])
def test_variance_scaling_matches_formula(fan_in, fan_out):
    rng = np.random.default_rng(0)
    n = fan_in * fan_out
    tol = 5 / np.sqrt(n)  # 样本方差的相对误差约 sqrt(2/n)
    assert abs(lecun_normal(fan_in, fan_out, rng).var() * fan_in - 1) < tol
    assert abs(kaiming_normal(fan_in, fan_out, rng).var() * fan_in / 2 - 1) < tol
    target = 2 / (fan_in + fan_out)
    assert abs(xavier_normal(fan_in, fan_out, rng).var() / target - 1) < tol
    W = xavier_uniform(fan_in, fan_out, rng)
    assert abs(W.var() / target - 1) < tol
    assert np.abs(W).max() <= np.sqrt(6 / (fan_in + fan_out))
    assert W.shape == (fan_out, fan_in)


def test_forward_variance_preserved_linear_lecun():
    # 线性网络 + Var(W)=1/fan_in：Var(Wx) = fan_in * Var(W) * Var(x) = Var(x)
    rng = np.random.default_rng(1)
    n = 1024
    x = rng.standard_normal((2000, n))
    y = x @ lecun_normal(n, n, rng).T
    assert abs(y.var() - 1) < 0.05


def test_relu_kaiming_keeps_second_moment_xavier_halves_it():
    rng = np.random.default_rng(2)
    n, depth = 512, 20
    x = rng.standard_normal((500, n))
    relu = lambda z: np.maximum(z, 0)
    Wk = [kaiming_normal(n, n, rng) for _ in range(depth)]
    Wx = [xavier_normal(n, n, rng) for _ in range(depth)]
    sk = forward_stats(x, Wk, relu)
    sx = forward_stats(x, Wx, relu)
    assert 0.5 < sk[-1] < 2
    # 方形层上 Xavier = LeCun：每层二阶矩减半，标准差每层乘 1/sqrt(2)
    assert sx[-1] / sx[0] == pytest.approx(2 ** (-(depth - 1) / 2), rel=0.3)


@pytest.mark.parametrize("fan_in,fan_out", [(64, 64), (32, 128), (128, 32)])
def test_orthogonal(fan_in, fan_out):
    rng = np.random.default_rng(3)
    W = orthogonal(fan_in, fan_out, rng, gain=1.0)
    assert W.shape == (fan_out, fan_in)
    if fan_out >= fan_in:
        assert np.allclose(W.T @ W, np.eye(fan_in), atol=1e-12)
        x = rng.standard_normal(fan_in)
        assert np.isclose(np.linalg.norm(W @ x), np.linalg.norm(x))
    else:
        assert np.allclose(W @ W.T, np.eye(fan_out), atol=1e-12)


def test_orthogonal_gain_scales_singular_values():
    rng = np.random.default_rng(4)
    W = orthogonal(50, 80, rng, gain=1.7)
    assert np.allclose(np.linalg.svd(W, compute_uv=False), 1.7)


def test_orthogonal_sign_fix_gives_unbiased_haar():
    # Haar 分布的正交矩阵 E[Q] = 0；不做符号修正时 numpy QR 的对角元均值明显偏离 0
    rng = np.random.default_rng(5)
    T, n = 4000, 4
    fixed = np.mean([orthogonal(n, n, rng) for _ in range(T)], axis=0)
    raw = np.mean([np.linalg.qr(rng.standard_normal((n, n)))[0] for _ in range(T)], axis=0)
    assert np.abs(fixed).max() < 0.05
    assert np.abs(np.diag(raw)).min() > 0.2


def test_orthogonal_product_preserves_norm_over_depth():
    rng = np.random.default_rng(6)
    n, x = 64, rng.standard_normal(64)
    h = x.copy()
    for _ in range(100):
        h = orthogonal(n, n, rng) @ h
    assert abs(np.linalg.norm(h) / np.linalg.norm(x) - 1) < 1e-10


def test_gain_table():
    assert GAINS["relu"] ** 2 == pytest.approx(2)
    assert GAINS["sigmoid_taylor"] ** 2 == 16


@pytest.mark.parametrize("fn", [lecun_normal, xavier_normal, xavier_uniform, kaiming_normal, orthogonal])
def test_init_rejects_bad_fans(fn):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="fan_in"):
        fn(0, 8, rng)
    with pytest.raises(ValueError, match="fan"):
        fn(8, 2.5, rng)


def test_jacobian_matches_finite_differences():
    rng = np.random.default_rng(20)
    n = 6
    Ws = [orthogonal(n, n, rng, gain=1.3) for _ in range(3)]
    x = rng.standard_normal(n)

    def f(v):
        for W in Ws:
            v = np.tanh(W @ v)
        return v
    J = input_output_jacobian(x, Ws, np.tanh, lambda z: 1 - np.tanh(z) ** 2)
    eps = 1e-6
    num = np.stack([(f(x + eps * e) - f(x - eps * e)) / (2 * eps) for e in np.eye(n)], axis=1)
    assert np.allclose(J, num, atol=1e-8)


def test_orthogonal_linear_is_isometric_but_relu_is_not():
    # Pennington et al. 2017: orthogonal weights give dynamical isometry for linear (and near-linear tanh)
    # networks, but not with ReLU, whose D_l keeps about half the coordinates at 0.
    rng = np.random.default_rng(21)
    n, depth = 128, 32
    x = rng.standard_normal(n)
    lin = [orthogonal(n, n, rng) for _ in range(depth)]
    sv_lin = np.linalg.svd(input_output_jacobian(x, lin, lambda z: z, np.ones_like), compute_uv=False)
    assert np.allclose(sv_lin, 1.0)
    relu = [orthogonal(n, n, rng, gain=np.sqrt(2)) for _ in range(depth)]
    J = input_output_jacobian(x, relu, lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float))
    sv = np.linalg.svd(J, compute_uv=False)
    assert 0.5 < np.mean(sv ** 2) < 1.5                   # no exponential vanishing or explosion on average
    assert sv[0] > 3 and np.sum(sv < 1e-3) > n // 4       # but singular values spread from 0 to several
    # tanh with orthogonal weights and small inputs stays close to isometric
    th = [orthogonal(n, n, rng) for _ in range(depth)]
    sv_tanh = np.linalg.svd(input_output_jacobian(0.1 * x, th, np.tanh, lambda z: 1 - np.tanh(z) ** 2),
                            compute_uv=False)
    assert sv_tanh.min() > 0.3 and sv_tanh.max() <= 1.0


def test_residual_proj_std_makes_added_variance_independent_of_depth():
    # Pre-LN stack with linear sublayers F(x) = W LN(x): each add contributes d * std^2 of variance
    rng = np.random.default_rng(22)
    d = 256
    added = {}
    for L in (2, 16):
        for scaled in (False, True):
            std = residual_proj_std(L) if scaled else 0.02
            x0 = rng.standard_normal((64, d))
            x = x0.copy()
            for _ in range(2 * L):
                x = x + layer_norm(x, eps=0.0) @ (rng.standard_normal((d, d)) * std).T
            added[(L, scaled)] = (x - x0).var()
    assert residual_proj_std(12) == pytest.approx(0.02 / np.sqrt(24))
    assert added[(2, True)] == pytest.approx(d * 0.02 ** 2, rel=0.1)
    assert added[(16, True)] == pytest.approx(d * 0.02 ** 2, rel=0.1)
    assert added[(16, False)] / added[(2, False)] == pytest.approx(8, rel=0.15)
    with pytest.raises(ValueError, match="n_layer"):
        residual_proj_std(0)


def test_tanh_rnn_with_spectral_radius_above_one_can_still_vanish():
    # Pascanu et al. 2013: rho > 1 is necessary for explosion, not sufficient; saturation kills the gradient
    rng = np.random.default_rng(23)
    n, T = 64, 40
    W = 2.0 * orthogonal(n, n, rng)                      # spectral radius = largest singular value = 2
    assert np.isclose(np.max(np.abs(np.linalg.eigvals(W))), 2.0)
    for drive, expect_vanish in ((6.0, True), (0.0, False)):
        h, J = np.zeros(n), np.eye(n)
        bias = drive * rng.standard_normal(n)
        for _ in range(T):
            z = W @ h + bias
            h = np.tanh(z)
            J = (1 - h ** 2)[:, None] * (W @ J)
        norm = np.linalg.norm(J, 2)
        assert (norm < 1e-6) if expect_vanish else (norm > 1.0)


# ---------------------------------------------------------------- clipping
def test_clip_grad_norm_keeps_direction_and_bounds_norm():
    rng = np.random.default_rng(7)
    grads = [rng.standard_normal((3, 4)) * 10, rng.standard_normal(5) * 10]
    clipped, total = clip_grad_norm(grads, max_norm=1.0)
    flat = np.concatenate([g.ravel() for g in grads])
    flat_c = np.concatenate([g.ravel() for g in clipped])
    assert np.isclose(total, np.linalg.norm(flat))
    assert np.linalg.norm(flat_c) <= 1.0 + 1e-9
    cos = flat @ flat_c / np.linalg.norm(flat) / np.linalg.norm(flat_c)
    assert np.isclose(cos, 1.0)
    small = [g * 1e-3 for g in grads]
    same, _ = clip_grad_norm(small, max_norm=1.0)
    assert all(np.array_equal(a, b) for a, b in zip(small, same))


def test_clip_rejects_non_positive_thresholds():
    g = [np.ones(3)]
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm(g, 0.0)
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value(g, -1.0)


def test_clip_grad_value_changes_direction():
    g = [np.array([10.0, 0.1])]
    (c,) = clip_grad_value(g, 1.0)
    assert np.array_equal(c, [1.0, 0.1])
    assert not np.isclose(c[0] / c[1], g[0][0] / g[0][1])


# ---------------------------------------------------------------- dropout
def test_inverted_dropout_preserves_mean_inflates_second_moment():
    rng = np.random.default_rng(8)
    h, p = 1.7, 0.8
    out = dropout_inverted(np.full(1_000_000, h), p, rng)
    assert abs(out.mean() - h) / h < 1e-2
    assert abs((out ** 2).mean() / h ** 2 - 1 / p) < 0.01 / p
    assert np.array_equal(dropout_inverted(np.full(5, h), p, rng, training=False), np.full(5, h))


def test_vanilla_dropout_test_time_matches_train_expectation():
    rng = np.random.default_rng(9)
    h, p = np.linspace(-2, 2, 7), 0.6
    train = np.mean([dropout_vanilla(h, p, rng) for _ in range(40000)], axis=0)
    assert np.allclose(train, dropout_vanilla(h, p, rng, training=False), atol=0.02)


@pytest.mark.parametrize("fn", [dropout_inverted, dropout_vanilla])
def test_dropout_rejects_keep_prob_outside_unit_interval(fn):
    rng = np.random.default_rng(16)
    with pytest.raises(ValueError, match="keep_prob"):
        fn(np.ones(4), 0.0, rng)       # keep nothing: the inverted form would divide by zero
    with pytest.raises(ValueError, match="drop probability"):
        fn(np.ones(4), 1.5, rng)


def test_inverted_dropout_backward_matches_finite_differences():
    rng = np.random.default_rng(17)
    h, p = rng.standard_normal(50), 0.7
    w = rng.standard_normal(50)
    out, mask = dropout_inverted(h, p, np.random.default_rng(3), return_mask=True)
    loss = lambda v: np.sum(w * v * mask / p) ** 2        # same mask: the loss is a smooth function of h
    grad_out = 2 * np.sum(w * out) * w
    eps = 1e-6
    num = np.array([(loss(h + eps * e) - loss(h - eps * e)) / (2 * eps) for e in np.eye(50)])
    assert np.allclose(dropout_inverted_backward(grad_out, mask, p), num, atol=1e-5)
    assert np.all(dropout_inverted_backward(grad_out, mask, p)[~mask] == 0)


def test_inverted_dropout_backward_is_masked_scaling():
    rng = np.random.default_rng(10)
    h, p = rng.standard_normal(1000), 0.5
    r = np.random.default_rng(11)
    out = dropout_inverted(h, p, r)
    mask = np.random.default_rng(11).random(h.shape) < p
    assert np.allclose(out, h * mask / p)
    g = rng.standard_normal(1000)
    assert np.allclose(dropout_inverted_backward(g, mask, p), g * mask / p)


# ---------------------------------------------------------------- LoRA
def _lora_problem(mode, seed=0):
    rng = np.random.default_rng(seed)
    d_in, d_out, r, n = 12, 10, 4, 32
    X = rng.standard_normal((n, d_in))
    W0 = rng.standard_normal((d_out, d_in)) / np.sqrt(d_in)
    A, B = lora_init(d_in, d_out, r, rng, mode)
    Y = rng.standard_normal((n, d_out))
    return X, W0, A, B, Y


def _mse(X, W0, A, B, Y, alpha):
    H = lora_forward(X, W0, A, B, alpha)
    return 0.5 * np.sum((H - Y) ** 2), H - Y


def test_lora_grads_match_finite_differences():
    X, W0, A, B, Y = _lora_problem("both_gauss")
    alpha = 8.0
    _, G = _mse(X, W0, A, B, Y, alpha)
    dA, dB = lora_grads(X, A, B, alpha, G)
    eps = 1e-6
    for M, dM in ((A, dA), (B, dB)):
        num = np.zeros_like(M)
        for idx in np.ndindex(M.shape):
            old = M[idx]
            M[idx] = old + eps
            lp, _ = _mse(X, W0, A, B, Y, alpha)
            M[idx] = old - eps
            lm, _ = _mse(X, W0, A, B, Y, alpha)
            M[idx] = old
            num[idx] = (lp - lm) / (2 * eps)
        assert np.allclose(num, dM, rtol=1e-5, atol=1e-6)


def test_lora_both_zero_is_stationary():
    X, W0, A, B, Y = _lora_problem("both_zero")
    _, G = _mse(X, W0, A, B, Y, 8.0)
    dA, dB = lora_grads(X, A, B, 8.0, G)
    assert np.all(dA == 0) and np.all(dB == 0)


def test_lora_b_zero_keeps_base_output_and_only_b_moves_first():
    X, W0, A, B, Y = _lora_problem("B_zero")
    assert np.array_equal(lora_forward(X, W0, A, B, 8.0), X @ W0.T)
    _, G = _mse(X, W0, A, B, Y, 8.0)
    dA, dB = lora_grads(X, A, B, 8.0, G)
    assert np.all(dA == 0)
    assert np.abs(dB).max() > 1e-3


def test_lora_both_gauss_changes_initial_output():
    X, W0, A, B, Y = _lora_problem("both_gauss")
    assert not np.allclose(lora_forward(X, W0, A, B, 8.0), X @ W0.T)


def test_lora_merge_equals_forward_and_rank_bounded():
    X, W0, A, B, _ = _lora_problem("both_gauss")
    W = lora_merge(W0, A, B, 8.0)
    assert np.allclose(X @ W.T, lora_forward(X, W0, A, B, 8.0))
    assert np.linalg.matrix_rank(W - W0) <= A.shape[0]


# ---------------------------------------------------------------- weight decay
def test_sgd_l2_equals_decoupled_decay_with_beta_eta_lambda():
    rng = np.random.default_rng(12)
    target = rng.standard_normal(20)
    lr, lam = 0.05, 0.3
    t1 = t2 = rng.standard_normal(20)
    for _ in range(400):
        t1 = sgd_l2_step(t1, t1 - target, lr, lam)
        t2 = sgd_decay_step(t2, t2 - target, lr, lr * lam)
    assert np.allclose(t1, t2, rtol=1e-12, atol=1e-14)
    # 不动点 = 正则化目标的最小值 target / (1 + lam)
    assert np.allclose(t1, target / (1 + lam), atol=1e-6)


def test_momentum_l2_and_decoupled_differ():
    rng = np.random.default_rng(13)
    target = rng.standard_normal(10)
    t1 = t2 = rng.standard_normal(10)
    b1 = b2 = np.zeros(10)
    for _ in range(5):
        t1, b1 = sgd_momentum_step(t1, t1 - target, b1, 0.1, 0.1, decoupled=False)
        t2, b2 = sgd_momentum_step(t2, t2 - target, b2, 0.1, 0.1, decoupled=True)
    assert not np.allclose(t1, t2)


def test_adam_l2_vs_adamw():
    rng = np.random.default_rng(14)
    theta = rng.standard_normal(8)
    g = rng.standard_normal(8) * np.logspace(-2, 2, 8)
    a = adam_step(theta, g, adam_state(theta), lr=1e-2, lam=0.1, decoupled=False)
    w = adam_step(theta, g, adam_state(theta), lr=1e-2, lam=0.1, decoupled=True)
    assert not np.allclose(a, w)
    # lam = 0 时两者都是普通 Adam
    a0 = adam_step(theta, g, adam_state(theta), lr=1e-2, lam=0.0, decoupled=False)
    w0 = adam_step(theta, g, adam_state(theta), lr=1e-2, lam=0.0, decoupled=True)
    assert np.array_equal(a0, w0)
    # AdamW 的衰减量与梯度尺度无关：正好是 lr * lam * theta
    s = adam_state(theta)
    plain = adam_step(theta, g, adam_state(theta), lr=1e-2)
    assert np.allclose(adam_step(theta, g, s, lr=1e-2, lam=0.1, decoupled=True),
                       plain - 1e-2 * 0.1 * theta)


def test_pytorch_adamw_decay_scales_with_lr_paper_form_does_not():
    theta = np.linspace(-1, 1, 6)
    g = np.zeros(6)                                     # no loss gradient: only the decay acts
    for lr in (1e-3, 1e-2):
        torch_form = adam_step(theta, g, adam_state(theta), lr=lr, lam=0.1, decoupled=True)
        assert np.allclose(torch_form, theta * (1 - lr * 0.1))
        paper_form = adam_step(theta, g, adam_state(theta), lr=lr, lam=0.1, decoupled=True,
                               decay_rate=1.0)
        assert np.allclose(paper_form, theta * (1 - 0.1))


def test_optimizer_arguments_are_validated():
    th = np.ones(3)
    with pytest.raises(ValueError, match="lr"):
        adam_step(th, th, adam_state(th), lr=0.0)
    with pytest.raises(ValueError, match="betas"):
        adam_step(th, th, adam_state(th), lr=1e-3, b2=1.0)
    with pytest.raises(ValueError, match="momentum"):
        sgd_momentum_step(th, th, np.zeros(3), 0.1, 0.0, mu=1.0)


def test_l1_prox_step_gives_exact_zeros_and_the_lasso_solution():
    # orthonormal design (X^T X / m = I): the lasso solution is soft_threshold(X^T y / m, lam)
    rng = np.random.default_rng(18)
    m, d, lam = 200, 10, 0.3
    Q, _ = np.linalg.qr(rng.standard_normal((m, d)))
    X = Q * np.sqrt(m)
    y = X @ np.array([2.0, -1.5, 0.2, -0.1, 0, 0, 1.0, 0, 0.05, 0]) + 0.1 * rng.standard_normal(m)
    grad = lambda th: X.T @ (X @ th - y) / m
    closed = soft_threshold(X.T @ y / m, lam)
    prox = sub = np.zeros(d)
    for _ in range(300):
        prox = l1_prox_step(prox, grad(prox), 0.5, lam)
        sub = l1_subgrad_step(sub, grad(sub), 0.5, lam)
    assert np.allclose(prox, closed, atol=1e-12)
    assert np.sum(prox == 0) == np.sum(closed == 0) >= 4
    assert np.sum(sub == 0) == 0                          # the subgradient method never lands on 0
    assert np.abs(sub[closed == 0]).max() > 1e-3          # it oscillates around 0 instead


def test_split_decay_groups_excludes_biases_and_norm_gains():
    params = {"embed.weight": np.zeros((10, 4)), "attn.q.weight": np.zeros((4, 4)),
              "attn.q.bias": np.zeros(4), "ln1.weight": np.ones(4), "ln1.bias": np.zeros(4),
              "conv.weight": np.zeros((8, 3, 3, 3))}
    decay, no_decay = split_decay_groups(params)
    assert set(decay) == {"embed.weight", "attn.q.weight", "conv.weight"}
    assert set(no_decay) == {"attn.q.bias", "ln1.weight", "ln1.bias"}


# ---------------------------------------------------------------- packing
def _samples():
    return [([5, 6, 7], [8, 9]), ([1, 2], [3, 4, 10, 11]), ([12], [13, 14])]


def test_pack_fields():
    out = pack(_samples())
    assert out["input_ids"].tolist() == [5, 6, 7, 8, 9, 1, 2, 3, 4, 10, 11, 12, 13, 14]
    assert out["labels"].tolist() == [IGNORE] * 3 + [8, 9] + [IGNORE] * 2 + [3, 4, 10, 11] \
        + [IGNORE] + [13, 14]
    assert out["position_ids"].tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 0, 1, 2]


def test_block_causal_mask_structure():
    seg = pack(_samples())["seg_ids"]
    M = block_causal_mask(seg)
    assert np.array_equal(M, M & np.tril(np.ones_like(M)))
    assert not M[5, 4] and M[5, 5] and M[4, 0]
    assert M.sum() == sum(n * (n + 1) // 2 for n in (5, 6, 3))


def test_packed_attention_equals_separate_attention():
    rng = np.random.default_rng(15)
    d = 8
    E, P = rng.standard_normal((20, d)), rng.standard_normal((10, d))
    out = pack(_samples())
    X = E[out["input_ids"]] + P[out["position_ids"]]
    Y = toy_attention(X, block_causal_mask(out["seg_ids"]))
    start = 0
    for p, r in _samples():
        ids = np.array(p + r)
        n = len(ids)
        Xs = E[ids] + P[np.arange(n)]
        Ys = toy_attention(Xs, np.tril(np.ones((n, n), dtype=bool)))
        assert np.allclose(Y[start:start + n], Ys)
        start += n
    # 不加块对角掩码（只有普通因果掩码）时，第二个样本会看到第一个样本
    n_all = len(out["input_ids"])
    Y_naive = toy_attention(X, np.tril(np.ones((n_all, n_all), dtype=bool)))
    assert not np.allclose(Y_naive[5:11], Y[5:11])
    # 不重置 position_ids 时，后面样本的表示也会变
    X_cont = E[out["input_ids"]] + P[np.arange(n_all) % 10]
    Y_cont = toy_attention(X_cont, block_causal_mask(out["seg_ids"]))
    assert not np.allclose(Y_cont[5:11], Y[5:11])


def test_loss_reduction_token_vs_sequence():
    out = pack(_samples())
    loss = np.where(out["labels"] != IGNORE, 1.0, 0.0)
    loss[3:5] = 3.0  # 第一个样本（2 个 response token）loss 高
    tok = reduce_loss(loss, out["labels"], out["seg_ids"], "token")
    seq = reduce_loss(loss, out["labels"], out["seg_ids"], "sequence")
    assert np.isclose(tok, (2 * 3 + 4 + 2) / 8)
    assert np.isclose(seq, (3 + 1 + 1) / 3)
    assert not np.isclose(tok, seq)
