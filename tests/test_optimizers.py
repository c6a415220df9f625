"""优化器页 snippet 的性质测试：更新规则的等价形式与不变性、偏差修正、Newton–Schulz、调度公式、显存字节数。"""
import numpy as np
import pytest

from snippets.training.optimizers import (NS_COEFFS, adagrad, adam, bytes_per_param, heavy_ball, lamb, lars,
                                          lion, muon_update, nesterov, newton_schulz, radam, radam_rectifier,
                                          rmsprop, sgd, simple_noise_scale, steps_and_examples)
from snippets.training.schedules import lr_at


# ---------------------------------------------------------------- classic rules
def test_heavy_ball_is_polyak_momentum():
    rng = np.random.default_rng(0)
    H = np.diag([1.0, 10.0, 100.0])
    x, st = rng.standard_normal(3), {}
    prev = x.copy()
    lr, mu = 0.01, 0.9
    for k in range(50):
        new = heavy_ball(x, H @ x, st, lr, mu)
        polyak = x - lr * H @ x + (mu * (x - prev) if k else 0.0)
        assert np.allclose(new, polyak)
        prev, x = x, new


def test_nesterov_with_zero_momentum_is_gradient_descent():
    H = np.diag([1.0, 5.0])
    x, y, st = np.array([1.0, -2.0]), np.array([1.0, -2.0]), {}
    for _ in range(10):
        x = nesterov(x, lambda z: H @ z, st, 0.1, mu=0.0)
        y = sgd(y, H @ y, {}, 0.1)
    assert np.allclose(x, y)


def test_adagrad_steps_shrink_like_one_over_sqrt_t_and_rmsprop_does_not():
    g = np.array([3.0])
    th, st = np.zeros(1), {}
    th2, st2 = np.zeros(1), {}
    for t in range(1, 401):
        new = adagrad(th, g, st, 0.1, eps=0.0)
        assert np.isclose(th - new, 0.1 / np.sqrt(t))
        th = new
        new2 = rmsprop(th2, g, st2, 0.1, beta2=0.9, eps=0.0)
        step2 = (th2 - new2).item()
        th2 = new2
    assert np.isclose(step2, 0.1, rtol=1e-6)          # RMSProp: v forgets, step returns to lr * sign(g)


def test_adam_bias_correction_gives_lr_sized_first_steps():
    g = np.array([5.0, -0.01, 300.0])
    th, st = np.zeros(3), {}
    th_raw, st_raw = np.zeros(3), {}
    for t in range(1, 30):
        new = adam(th, g, st, 1e-3, eps=0.0)
        assert np.allclose(th - new, 1e-3 * np.sign(g))      # constant gradient: exactly lr * sign(g)
        th = new
        new_raw = adam(th_raw, g, st_raw, 1e-3, eps=0.0, bias_correction=False)
        c_t = (1 - 0.9 ** t) / np.sqrt(1 - 0.999 ** t)
        assert np.allclose(th_raw - new_raw, c_t * 1e-3 * np.sign(g))
        th_raw = new_raw


def test_adam_with_zero_betas_is_sign_descent():
    rng = np.random.default_rng(1)
    th, st = rng.standard_normal(20), {}
    for _ in range(5):
        g = rng.standard_normal(20)
        assert np.allclose(adam(th, g, st, 0.01, beta1=0.0, beta2=0.0, eps=0.0), th - 0.01 * np.sign(g))


def test_adam_is_invariant_to_per_coordinate_gradient_scale():
    rng = np.random.default_rng(2)
    scale = np.array([1e-3, 1.0, 1e3])
    th1, th2, s1, s2 = np.zeros(3), np.zeros(3), {}, {}
    for _ in range(20):
        g = rng.standard_normal(3)
        th1 = adam(th1, g, s1, 0.01, eps=0.0)
        th2 = adam(th2, g * scale, s2, 0.01, eps=0.0)
    assert np.allclose(th1, th2)


def test_lion_moves_every_coordinate_by_lr():
    rng = np.random.default_rng(3)
    th, st = rng.standard_normal(50), {}
    for _ in range(5):
        new = lion(th, rng.standard_normal(50), st, 1e-4)
        assert np.allclose(np.abs(new - th), 1e-4)
        th = new
    assert set(st) == {"m"}                                   # a single state tensor


def test_radam_rectifier_and_first_steps():
    r = radam_rectifier(np.arange(1, 10001))
    assert np.all(r[:4] == 0) and r[4] > 0 and np.all(np.diff(r[4:]) > 0) and r[-1] < 1 and r[-1] > 0.98
    # while r_t = 0 RAdam is SGD with (bias-corrected) momentum
    th, st = np.zeros(2), {}
    g = np.array([2.0, -1.0])
    assert np.allclose(radam(th, g, st, 0.1), -0.1 * g)


# ---------------------------------------------------------------- layer-wise and matrix optimizers
def test_lamb_update_norm_is_trust_ratio_times_weight_norm():
    rng = np.random.default_rng(4)
    w = rng.standard_normal((16, 8))
    for gscale in (1e-4, 1.0, 1e4):
        new = lamb(w, gscale * rng.standard_normal((16, 8)), {}, 0.01)
        assert np.isclose(np.linalg.norm(w - new), 0.01 * np.linalg.norm(w))


def test_lars_update_does_not_depend_on_gradient_scale():
    rng = np.random.default_rng(5)
    w, g = rng.standard_normal(32), rng.standard_normal(32)
    a = lars(w, g, {}, 1.0, trust=0.01)
    b = lars(w, 1e3 * g, {}, 1.0, trust=0.01)
    assert np.allclose(a, b)
    assert np.isclose(np.linalg.norm(w - a), 0.01 * np.linalg.norm(w))


@pytest.mark.parametrize("shape", [(32, 96), (96, 32), (48, 48)])
def test_newton_schulz_keeps_singular_vectors(shape):
    rng = np.random.default_rng(6)
    G = rng.standard_normal(shape) + 0.1
    U, S, Vt = np.linalg.svd(G, full_matrices=False)
    O = newton_schulz(G)
    core = U.T @ O @ Vt.T
    assert np.allclose(core, np.diag(np.diag(core)), atol=1e-9)
    a, b, c = NS_COEFFS
    s = S / np.linalg.norm(G)
    for _ in range(5):
        s = a * s + b * s ** 3 + c * s ** 5
    assert np.allclose(np.diag(core), s, atol=1e-9)


def test_muon_update_scales():
    rng = np.random.default_rng(7)
    g = rng.standard_normal((64, 256))
    # first step: the Nesterov input is a positive multiple of g, and Newton-Schulz removes the scale
    assert np.allclose(muon_update(g, {}), newton_schulz(g), atol=1e-6)
    tall = rng.standard_normal((256, 64))
    assert np.allclose(muon_update(tall, {}), 2.0 * newton_schulz(tall), atol=1e-6)   # sqrt(256 / 64) = 2
    moon = muon_update(g, {}, scale="moonlight")
    assert 0.15 < np.sqrt(np.mean(moon ** 2)) < 0.22


def test_optimizer_state_bytes():
    assert bytes_per_param("adam") == 16 and bytes_per_param("adamw") == 16
    assert bytes_per_param("momentum") == 12 and bytes_per_param("lion") == 12
    assert bytes_per_param("sgd") == 8
    assert bytes_per_param("muon") == 12 and np.isclose(bytes_per_param("muon", matrix_fraction=0.9), 12.4)
    # 7B parameters with mixed-precision Adam: 112 GB of model states
    assert bytes_per_param("adam") * 7e9 == 112e9


def test_critical_batch_tradeoff_and_noise_scale():
    b_noise, s_min = 512.0, 1000.0
    for b in (32, 512, 8192):
        s, e = steps_and_examples(b, b_noise, s_min)
        assert np.isclose((s / s_min - 1) * (e / (s_min * b_noise) - 1), 1.0)
    rng = np.random.default_rng(8)
    d, sigma = 200, 2.0
    G = rng.standard_normal(d) * 0.5
    grads = G + sigma * rng.standard_normal((4000, d))
    assert np.isclose(simple_noise_scale(grads), d * sigma ** 2 / (G @ G), rtol=0.1)


# ---------------------------------------------------------------- schedules
def test_schedules_at_key_points():
    T, W, p = 1000, 100, 1.0
    assert lr_at(0, T, p, W) == 0 and lr_at(W, T, p, W) == p and np.isclose(lr_at(50, T, p, W), 0.5)
    assert np.isclose(lr_at(550, T, p, W, "cosine", min_ratio=0.0), 0.5)
    assert np.isclose(lr_at(T, T, p, W, "cosine", min_ratio=0.1), 0.1)
    assert lr_at(899, T, p, W, "wsd") == p and np.isclose(lr_at(950, T, p, W, "wsd", min_ratio=0.0), 0.5)
    assert lr_at(T, T, p, W, "linear", min_ratio=0.0) == 0
    assert lr_at(0, T, p, 0, "constant") == p                 # no warmup: start at the peak


@pytest.mark.parametrize("call, match", [
    (lambda: lr_at(0, 100, 1e-3, warmup=200), r"warmup steps \(200\) must be in \[0, total steps = 100\]"),
    (lambda: lr_at(0, 100, -1e-3), "peak learning rate must be a finite number >= 0"),
    (lambda: lr_at(0, 100, 1e-3, kind="step"), "unknown schedule 'step'"),
    (lambda: lr_at(101, 100, 1e-3), r"step must be in \[0, 100\]"),
    (lambda: adam(np.zeros(2), np.ones(2), {}, -0.1), "learning rate must be a finite number >= 0"),
    (lambda: adam(np.zeros(2), np.ones(2), {}, 0.1, beta2=1.0), r"beta2 must be in \[0, 1\)"),
    (lambda: adam(np.zeros(2), np.ones(2), {}, 0.1, beta1=-0.1), r"beta1 must be in \[0, 1\)"),
    (lambda: lion(np.zeros(2), np.ones(2), {}, 0.1, beta2=1.5), r"beta2 must be in \[0, 1\)"),
    (lambda: heavy_ball(np.zeros(2), np.ones(2), {}, 0.1, mu=1.0), r"momentum mu must be in \[0, 1\)"),
    (lambda: newton_schulz(np.ones(4)), "needs a 2-D matrix"),
    (lambda: muon_update(np.ones(4), {}), "Muon is for 2-D weight matrices"),
    (lambda: muon_update(np.ones((2, 2)), {}, scale="adam"), "unknown scale 'adam'"),
    (lambda: bytes_per_param("sophia"), "unknown optimizer 'sophia'"),
    (lambda: steps_and_examples(0, 100, 10), "batch size must be positive"),
])
def test_optimizer_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
