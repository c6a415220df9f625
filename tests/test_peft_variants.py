"""LoRA 变体（training/finetuning.md#lora-variants）：rsLoRA、DoRA、PiSSA、AdaLoRA、GaLore。"""
import numpy as np
import pytest

from snippets.training.lora import lora_forward, lora_merge
from snippets.training.lora_variants import (absmax_quantize, adalora_budget_mask, adalora_delta,
                                             adalora_orth_penalty, dora_init, dora_weight, galore_adam_step,
                                             galore_projector, lora_scale, lora_sgd_delta, optimizer_state_floats,
                                             pissa_init)


def _problem(d=256, n=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    W0 = rng.standard_normal((d, d)) / np.sqrt(d)
    Y = X @ W0.T + rng.standard_normal((n, d))
    return X, Y, W0


# ---------------------------------------------------------------- rsLoRA
def test_lora_scale_values_and_validation():
    assert lora_scale(16, 8) == 2.0
    assert lora_scale(16, 64, rslora=True) == 2.0
    for bad in (0, -4, 2.5):
        with pytest.raises(ValueError, match="positive integer"):
            lora_scale(16, bad)


def test_first_sgd_step_matches_closed_form():
    """B = 0 时第一步只有 B 动：ΔW_1 = -η s² Gᵀ X Aᵀ A / n，所以训练输入上的输出变化 ∝ s²·||Ax||² ∝ s² r。"""
    X, Y, W0 = _problem()
    r, alpha, lr = 8, 4.0, 1e-3
    rng = np.random.default_rng(11)
    d = W0.shape[1]
    A = np.random.default_rng(11).standard_normal((r, d)) / np.sqrt(d)
    s = lora_scale(alpha, r)
    G = (X @ W0.T - Y) / X.shape[0]
    expected = -lr * s * s * G.T @ X @ A.T @ A
    assert np.allclose(lora_sgd_delta(X, Y, W0, r, alpha, lr, 1, rng), expected)


def test_rslora_update_is_rank_stable_lora_collapses():
    X, Y, W0 = _problem(d=512)
    ranks = [8, 32, 128, 256]

    def size(r, rs):
        vals = [np.linalg.norm(X @ lora_sgd_delta(X, Y, W0, r, 4.0, 1e-3, 1, np.random.default_rng(100 + s),
                                                   rslora=rs).T) for s in range(4)]
        return np.mean(vals)

    lora = np.array([size(r, False) for r in ranks])
    rs = np.array([size(r, True) for r in ranks])
    assert rs.max() / rs.min() < 1.3                           # α/√r：与秩无关
    assert lora[0] / lora[-1] == pytest.approx(ranks[-1] / ranks[0], rel=0.3)   # α/r：∝ 1/r


def test_lora_sgd_delta_rejects_bad_rank():
    X, Y, W0 = _problem(d=16)
    with pytest.raises(ValueError, match="exceeds"):
        lora_sgd_delta(X, Y, W0, 32, 1.0, 1e-3, 1, np.random.default_rng(0))


# ---------------------------------------------------------------- DoRA
def test_dora_reconstructs_w0_at_init_and_merges():
    rng = np.random.default_rng(0)
    W0 = rng.standard_normal((12, 20))
    A, B = rng.standard_normal((4, 20)), np.zeros((12, 4))
    m = dora_init(W0)
    assert np.allclose(dora_weight(W0, A, B, m, 2.0), W0, atol=1e-14)
    # 训练后：列范数等于 m（幅度与方向解耦），合并后的 W' 是普通矩阵
    B = rng.standard_normal((12, 4)) * 0.1
    m2 = m * rng.uniform(0.5, 1.5, size=m.shape)
    W = dora_weight(W0, A, B, m2, 2.0)
    assert np.allclose(np.linalg.norm(W, axis=0), m2[0])
    V = W0 + 2.0 * B @ A
    assert np.allclose(W / np.linalg.norm(W, axis=0), V / np.linalg.norm(V, axis=0))
    with pytest.raises(ValueError, match="zero norm"):
        dora_weight(np.zeros((3, 2)), np.zeros((1, 2)), np.zeros((3, 1)), np.ones((1, 2)), 1.0)


# ---------------------------------------------------------------- PiSSA
def test_pissa_exact_split_and_best_rank_r_approximation():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((30, 40))
    A, B, W_res = pissa_init(W, 5)
    assert np.allclose(W_res + B @ A, W)
    S = np.linalg.svd(W, compute_uv=False)
    assert np.linalg.norm(W_res) == pytest.approx(np.sqrt(np.sum(S[5:] ** 2)))   # Eckart–Young
    assert np.allclose(np.linalg.svd(W_res, compute_uv=False)[:25], S[5:30])
    # 用 α = r 的 LoRA 前向就能复现：W_res x + (r/r) B A x = W x
    X = rng.standard_normal((3, 40))
    assert np.allclose(lora_forward(X, W_res, A, B, alpha=5), X @ W.T)
    assert np.allclose(lora_merge(W_res, A, B, alpha=5), W)
    for bad in (0, 31):
        with pytest.raises(ValueError):
            pissa_init(W, bad)


def test_qpissa_quantisation_error_below_quantising_w():
    rng = np.random.default_rng(1)
    d = 128
    U, _ = np.linalg.qr(rng.standard_normal((d, d)))
    V, _ = np.linalg.qr(rng.standard_normal((d, d)))
    S = np.r_[[30.0, 20, 15, 10], np.ones(d - 4)]
    W = (U * S) @ V.T / np.sqrt(d)
    err_qlora = np.linalg.norm(W - absmax_quantize(W))
    errs = []
    for r in (1, 2, 4, 8):
        A, B, W_res = pissa_init(W, r)
        errs.append(np.linalg.norm(W - (absmax_quantize(W_res) + B @ A)))
    assert errs[0] < err_qlora and errs[-1] < 0.6 * err_qlora
    assert np.all(np.diff(errs) < 0)


def test_absmax_quantize_levels():
    w = np.linspace(-1, 1, 64)
    q = absmax_quantize(w, bits=4, block=64)
    assert len(np.unique(np.round(q, 12))) <= 15               # 4 bit 对称：-7..7
    assert np.abs(q - w).max() <= 0.5 / 7 + 1e-12
    with pytest.raises(ValueError, match="bits"):
        absmax_quantize(w, bits=1)


# ---------------------------------------------------------------- AdaLoRA
def test_adalora_svd_form_and_budget():
    rng = np.random.default_rng(0)
    P, _ = np.linalg.qr(rng.standard_normal((10, 4)))
    Q = np.linalg.qr(rng.standard_normal((8, 4)))[0].T
    lam = np.array([3.0, 2.0, 1.0, 0.5])
    assert adalora_orth_penalty(P, Q) == pytest.approx(0.0, abs=1e-20)
    full = adalora_delta(P, lam, Q, np.ones(4, bool))
    assert np.allclose(np.linalg.svd(full, compute_uv=False)[:4], lam)
    keep = adalora_budget_mask(np.array([0.9, 0.1, 0.5, 0.3]), 2)
    assert keep.tolist() == [True, False, True, False]
    assert np.linalg.matrix_rank(adalora_delta(P, lam, Q, keep)) == 2
    assert adalora_orth_penalty(2 * P, Q) > 0
    with pytest.raises(ValueError, match="budget"):
        adalora_budget_mask(np.ones(4), 5)


# ---------------------------------------------------------------- GaLore
def test_galore_update_lives_in_projected_subspace_and_switching_escapes_it():
    rng = np.random.default_rng(0)
    m, n, r = 16, 24, 2
    W = np.zeros((m, n))
    G1 = rng.standard_normal((m, n))
    P1 = galore_projector(G1, r)
    state = {}
    W1 = galore_adam_step(W, G1, P1, state, lr=0.1)
    assert np.linalg.matrix_rank(W1 - W) <= r
    assert np.allclose(P1 @ P1.T @ (W1 - W), W1 - W)           # 更新在 P1 的列空间里
    # 换一个子空间（每 T 步重新做一次 SVD）后，累计更新的秩超过 r：仍是全参数学习
    G2 = rng.standard_normal((m, n))
    W2 = galore_adam_step(W1, G2, galore_projector(G2, r), {}, lr=0.1)
    assert np.linalg.matrix_rank(W2 - W) > r


def test_optimizer_state_memory():
    m, n, r = 4096, 11008, 128
    assert optimizer_state_floats(m, n) == 2 * m * n
    assert optimizer_state_floats(m, n, r, "lora") == 2 * r * (m + n)
    assert optimizer_state_floats(m, n, r, "galore") == 2 * r * n + m * r
    assert optimizer_state_floats(n, m, r, "galore") == optimizer_state_floats(m, n, r, "galore")
    assert optimizer_state_floats(m, n, r, "galore") / optimizer_state_floats(m, n) < 0.05
    with pytest.raises(ValueError, match="method"):
        optimizer_state_floats(m, n, r, "adafactor")
    with pytest.raises(ValueError, match="positive integer"):
        optimizer_state_floats(m, n, 0, "galore")
