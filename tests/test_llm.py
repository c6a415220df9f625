"""LLM 架构专题 snippet 的性质测试：RoPE、MLA、MoE、激活函数、token merging。"""
import math

import numpy as np
import pytest

from snippets.llm.activations import (ffn_relu, ffn_swiglu, gelu, gelu_tanh, glu, llama_ffn_hidden,
                                      relu, sigmoid, swish)
from snippets.llm.mla import (absorb, init_mla, kv_cache_elements, mla_attention_flops, mla_decode_step,
                               mla_reference)
from snippets.llm.moe import (dispatch_with_capacity, expert_capacity, expert_load, moe_forward, softmax,
                              switch_aux_loss, topk_route, update_bias)
from snippets.llm.rope import (apply_rope, ntk_aware_base, pi_freqs, rope_freqs, rope_matrix,
                               yarn_freqs, yarn_mscale)
from snippets.llm.token_merging import (layer_flops, layer_flops_by_shapes, layer_params,
                                        layer_params_by_shapes, merged_flops, optimal_k,
                                        score_elements)

rng = np.random.default_rng(0)


# ---------------------------------------------------------------- RoPE
def test_rope_matches_explicit_block_diagonal_matrix():
    theta = rope_freqs(16)
    x = rng.standard_normal(16)
    for m in [0, 1, 7, 1000]:
        assert np.allclose(apply_rope(x, m, theta), rope_matrix(m, theta) @ x)


def test_rope_is_orthogonal_with_unit_determinant_blocks():
    theta = rope_freqs(8)
    R = rope_matrix(37, theta)
    assert np.allclose(R.T @ R, np.eye(8))
    for k in range(4):
        assert np.isclose(np.linalg.det(R[2 * k:2 * k + 2, 2 * k:2 * k + 2]), 1.0)


def test_rope_relative_position_property():
    theta = rope_freqs(32)
    q, k = rng.standard_normal(32), rng.standard_normal(32)
    m, n = 5, 17
    base = apply_rope(q, m, theta) @ apply_rope(k, n, theta)
    for s in [1, 100, 4096]:
        assert np.isclose(apply_rope(q, m + s, theta) @ apply_rope(k, n + s, theta), base)
    # R_m^T R_n = R_{n-m}
    assert np.allclose(rope_matrix(m, theta).T @ rope_matrix(n, theta), rope_matrix(n - m, theta))
    assert np.isclose(base, q @ rope_matrix(n - m, theta) @ k)


def test_rope_batched_positions_equal_per_token_calls():
    theta = rope_freqs(8)
    X = rng.standard_normal((3, 5, 8))
    pos = np.arange(5) * 3
    out = apply_rope(X, pos, theta)
    for h in range(3):
        for t in range(5):
            assert np.allclose(out[h, t], apply_rope(X[h, t], pos[t], theta))


def test_position_interpolation_equals_position_scaling():
    theta = rope_freqs(16)
    x = rng.standard_normal(16)
    for m in [3, 10, 999]:
        assert np.allclose(apply_rope(x, 2 * m, pi_freqs(theta, 2)), apply_rope(x, m, theta))


def test_ntk_aware_keeps_highest_and_scales_lowest_frequency():
    d, s = 128, 8.0
    theta = rope_freqs(d)
    theta_ntk = rope_freqs(d, ntk_aware_base(10000.0, s, d))
    assert np.isclose(theta_ntk[0], theta[0])
    assert np.isclose(theta_ntk[-1], theta[-1] / s)
    assert np.all(theta_ntk <= theta + 1e-15)


def test_yarn_ramp_endpoints_and_temperature():
    d, s, L = 128, 16.0, 4096
    theta = rope_freqs(d)
    th = yarn_freqs(theta, s, L)
    r = L * theta / (2 * np.pi)
    assert np.allclose(th[r > 32], theta[r > 32])            # 高频：不动
    assert np.allclose(th[r < 1], theta[r < 1] / s)          # 低频：完全插值
    mid = (r >= 1) & (r <= 32)
    assert mid.any() and np.all((th[mid] >= theta[mid] / s - 1e-15) & (th[mid] <= theta[mid] + 1e-15))
    assert yarn_mscale(1.0) == 1.0 and np.isclose(yarn_mscale(math.e), 1.1)


# ---------------------------------------------------------------- MLA
def test_mla_absorbed_decode_equals_reference():
    p = init_mla(rng)
    H = rng.standard_normal((12, 64))
    ref = mla_reference(H, p)
    A, B = absorb(p)
    cache = {"c_kv": [], "k_r": []}
    out = np.array([mla_decode_step(H[t], t, cache, p, A, B) for t in range(12)])
    assert np.allclose(out, ref, atol=1e-10)
    # 缓存里每个 token 只有 d_c + d_r 个数，与头数无关
    per_token = np.array(cache["c_kv"]).shape[1] + np.array(cache["k_r"]).shape[1]
    assert per_token == p["d_c"] + p["d_r"] == kv_cache_elements("MLA", d_c=24, d_r=8)


def test_mla_reference_is_causal():
    p = init_mla(rng)
    H = rng.standard_normal((8, 64))
    H2 = H.copy()
    H2[5:] = rng.standard_normal((3, 64))
    assert np.allclose(mla_reference(H, p)[:5], mla_reference(H2, p)[:5])
    assert not np.allclose(mla_reference(H, p)[5:], mla_reference(H2, p)[5:])


def test_absorption_identity_and_rope_breaks_it():
    d_cq, d_c, d_h = 12, 10, 6
    W_UQ, W_UK = rng.standard_normal((d_h, d_cq)), rng.standard_normal((d_h, d_c))
    c_q, c_kv = rng.standard_normal(d_cq), rng.standard_normal(d_c)
    M = W_UQ.T @ W_UK
    assert np.isclose((W_UQ @ c_q) @ (W_UK @ c_kv), c_q @ M @ c_kv)
    # 把 RoPE 放在 k^C 上：中间矩阵变成 W_UQ^T R_{j-t} W_UK，随 (t, j) 变化
    theta = rope_freqs(d_h)
    mids = [W_UQ.T @ rope_matrix(j - t, theta) @ W_UK for t, j in [(3, 1), (9, 2), (5, 5)]]
    assert not np.allclose(mids[0], mids[1])
    assert np.allclose(mids[2], M)        # 只有 t == j 时才退化成固定矩阵


def test_kv_cache_sizes_deepseek_dims():
    assert [kv_cache_elements(k) for k in ["MHA", "GQA", "MQA", "MLA"]] == [32768, 2048, 256, 576]
    assert kv_cache_elements("MLA") / kv_cache_elements("MQA") == 2.25


def test_kv_cache_elements_rejects_unknown_kind():
    with pytest.raises(ValueError, match="unknown attention kind 'MLA2'"):
        kv_cache_elements("MLA2")


def test_absorb_is_cheaper_at_decode_and_naive_at_prefill():
    naive = lambda q, kv: mla_attention_flops(q, kv, "naive")
    absorb_ = lambda q, kv: mla_attention_flops(q, kv, "absorb")
    # decode：1 个 query 看 4096 个缓存 token，吸收式少两个数量级
    assert absorb_(1, 4096) * 50 < naive(1, 4096)
    # prefill：4096 个 query 共用一次升维，显式还原 K、V 更省
    assert naive(4096, 4096) < absorb_(4096, 4096)
    # 交点：n_q* = n_kv d_c d_h / (d_c d_h + n_kv (d_c - d_h))，长上下文时趋于 d_c d_h / (d_c - d_h) ≈ 171
    n_kv, d_c, d_h = 4096, 512, 128
    n_star = n_kv * d_c * d_h / (d_c * d_h + n_kv * (d_c - d_h))
    assert naive(int(n_star), n_kv) > absorb_(int(n_star), n_kv)
    assert naive(int(n_star) + 1, n_kv) < absorb_(int(n_star) + 1, n_kv)
    # 吸收式与 n_q 成正比（没有只做一次的升维开销）
    assert absorb_(8, 4096) == 8 * absorb_(1, 4096)
    with pytest.raises(ValueError, match="mode must be"):
        mla_attention_flops(1, 1, "fused")


# ---------------------------------------------------------------- MoE
def test_topk_route_matches_bruteforce_and_gates_sum_to_one():
    scores = softmax(rng.standard_normal((50, 8)))
    idx, gates = topk_route(scores, 2)
    for t in range(50):
        assert set(idx[t]) == set(np.argsort(scores[t])[-2:])
    assert np.allclose(gates.sum(-1), 1)
    assert np.allclose(gates, softmax(np.log(np.take_along_axis(scores, idx, -1))))


def test_bias_changes_selection_but_not_gate_values():
    scores = 1 / (1 + np.exp(-rng.standard_normal((200, 16))))   # sigmoid 亲和度（V3）
    bias = np.zeros(16)
    bias[3] = 10.0                                               # 强行偏向专家 3
    idx, gates = topk_route(scores, 4, bias=bias)
    assert np.all((idx == 3).any(axis=1))
    raw = np.take_along_axis(scores, idx, -1)
    assert np.allclose(gates, raw / raw.sum(-1, keepdims=True))


def test_moe_forward_with_identical_experts_equals_dense():
    d, N = 6, 5
    W = rng.standard_normal((d, d))
    expert = lambda z: np.tanh(z @ W)
    x = rng.standard_normal((30, d))
    y = moe_forward(x, [expert] * N, rng.standard_normal((d, N)), k=2)
    assert np.allclose(y, expert(x))
    y2 = moe_forward(x, [expert] * N, rng.standard_normal((d, N)), k=2, shared=[expert])
    assert np.allclose(y2, 2 * expert(x))


def test_switch_aux_loss_is_one_at_balance_and_larger_when_skewed():
    N, T = 8, 800
    probs = np.full((T, N), 1 / N)
    idx = (np.arange(T) % N)[:, None]
    assert np.isclose(switch_aux_loss(probs, idx, N), 1.0)
    # 若路由概率与实际分配一致（f = P），由 Cauchy-Schwarz 得 N·Σp² ≥ 1
    p = softmax(rng.standard_normal(N) * 2)
    counts = np.round(p * T).astype(int)
    idx_skew = np.repeat(np.arange(N), counts)[:, None]
    f = expert_load(idx_skew, N) / idx_skew.size
    probs_skew = np.tile(f, (idx_skew.shape[0], 1))
    assert switch_aux_loss(probs_skew, idx_skew, N) > 1.0


def test_topk_route_validates_k_and_bias():
    scores = softmax(rng.standard_normal((4, 3)))
    with pytest.raises(ValueError, match="1 <= k <= 3 experts, got k = 5"):
        topk_route(scores, 5)
    with pytest.raises(ValueError, match="one entry per expert"):
        topk_route(scores, 2, bias=np.zeros(4))


def test_unnormalized_gates_are_raw_softmax_scores():
    # Switch / DeepSeek-V2：不在 top-k 内归一化，门控就是全体专家 softmax 里的那几个值，和小于 1
    scores = softmax(rng.standard_normal((30, 8)))
    idx, gates = topk_route(scores, 2, normalize=False)
    assert np.allclose(gates, np.take_along_axis(scores, idx, -1))
    assert np.all(gates.sum(-1) < 1)


def test_capacity_dispatch_matches_bruteforce_and_caps_every_expert():
    T, N, k = 200, 8, 2
    scores = softmax(rng.standard_normal((T, N)) + np.linspace(0, 2, N))
    idx, _ = topk_route(scores, k)
    for cf in (0.5, 1.0, 1.25, 2.0):
        C = expert_capacity(T, k, N, cf)
        keep = dispatch_with_capacity(idx, N, C)
        # 暴力：每个专家的分配按 (第几选择, token 序号) 排序，保留前 C 个
        brute = np.zeros_like(keep)
        for e in range(N):
            slots = sorted((j, t) for t in range(T) for j in range(k) if idx[t, j] == e)
            for j, t in slots[:C]:
                brute[t, j] = True
        assert np.array_equal(keep, brute)
        assert np.bincount(idx[keep], minlength=N).max() <= C
    assert expert_capacity(T, k, N, 1.0) == 50
    # 容量足够大时一个都不丢
    assert dispatch_with_capacity(idx, N, T * k).all()
    with pytest.raises(ValueError, match="capacity factor must be positive"):
        expert_capacity(T, k, N, 0)


def test_bias_updates_reduce_imbalance():
    T, N, k = 2000, 16, 2
    logits = rng.standard_normal((T, N)) + np.linspace(0, 2, N)  # 越靠后的专家越“热门”
    scores = 1 / (1 + np.exp(-logits))
    bias = np.zeros(N)
    load0 = expert_load(topk_route(scores, k)[0], N)
    for _ in range(300):
        bias = update_bias(bias, expert_load(topk_route(scores, k, bias)[0], N), gamma=0.01)
    load1 = expert_load(topk_route(scores, k, bias)[0], N)
    assert load1.max() / load1.mean() < 0.5 * load0.max() / load0.mean()


# ---------------------------------------------------------------- activations
def test_gelu_tanh_approximation_and_minima():
    x = np.linspace(-6, 6, 20001)
    assert np.max(np.abs(gelu(x) - gelu_tanh(x))) < 1e-3
    assert np.isclose(gelu(x).min(), -0.170, atol=1e-3)
    assert np.isclose(swish(x).min(), -0.2785, atol=1e-4)
    assert np.isclose(x[np.argmin(swish(x))], -1.2785, atol=1e-3)


def test_swish_limits():
    x = np.linspace(-5, 5, 101)
    assert np.allclose(swish(x, beta=0.0), x / 2)
    assert np.allclose(swish(x, beta=200.0), relu(x), atol=1e-3)
    assert np.allclose(swish(x), x * sigmoid(x))


def test_glu_is_hadamard_gate():
    x = rng.standard_normal((4, 5))
    W, V = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    out = glu(x, W, V)
    for i in range(4):
        for j in range(3):
            assert np.isclose(out[i, j], sigmoid(x[i] @ W[:, j]) * (x[i] @ V[:, j]))


def test_swiglu_hidden_size_keeps_parameter_count():
    d = 96
    h = 8 * d // 3
    W1, W3, W2 = rng.standard_normal((d, h)), rng.standard_normal((d, h)), rng.standard_normal((h, d))
    assert ffn_swiglu(rng.standard_normal((2, d)), W1, W3, W2).shape == (2, d)
    assert W1.size + W3.size + W2.size == 2 * d * 4 * d       # 与 d×4d + 4d×d 的经典 FFN 相同
    assert ffn_relu(np.ones((1, d)), np.ones((d, 4 * d)), np.ones((4 * d, d))).shape == (1, d)
    assert [llama_ffn_hidden(d) for d in (4096, 5120, 8192)] == [11008, 13824, 22016]


def test_llama_ffn_hidden_multiplier_and_validation():
    # 乘子作用在取整之前，结果仍是 multiple_of 的倍数，且不小于未取整的宽度
    for d, m, mult in [(4096, 1024, 1.3), (8192, 4096, 1.3), (2048, 256, 1.5)]:
        h = llama_ffn_hidden(d, m, mult)
        assert h % m == 0 and h >= int(mult * int(8 * d / 3)) > h - m
    with pytest.raises(ValueError, match="must be positive"):
        llama_ffn_hidden(0)


# ---------------------------------------------------------------- token merging
@pytest.mark.parametrize("l,d", [(128, 64), (4096, 4096), (100000, 1024)])
def test_flops_and_params_formulas_match_shape_counts(l, d):
    assert layer_flops(l, d) == layer_flops_by_shapes(l, d)
    assert layer_params(d) == layer_params_by_shapes(d)
    assert np.isclose(merged_flops(l, d, 3), 24 * l * d**2 * 3 + 4 * l**2 * d / 3)
    assert layer_params(3 * d) > 8.9 * layer_params(d)        # 参数量约变为 k² 倍


@pytest.mark.parametrize("l,d", [(100000, 1024), (30000, 4096), (2048, 4096)])
def test_optimal_k_is_numeric_argmin_and_am_gm_bound(l, d):
    ks = np.linspace(0.01, 50, 2_000_001)
    k_num = ks[np.argmin(merged_flops(l, d, ks))]
    assert np.isclose(k_num, optimal_k(l, d), rtol=1e-3)
    assert np.all(merged_flops(l, d, ks) >= 2 * np.sqrt(96.0 * float(l)**3 * float(d)**3) * (1 - 1e-12))
    assert (optimal_k(l, d) > 1) == (l > 6 * d)


def test_score_tensor_shrinks_k2_with_fixed_heads_k_with_fixed_head_dim():
    l, h = 8192, 32
    assert score_elements(l, h, 4, "heads") * 16 == score_elements(l, h)
    assert score_elements(l, h, 4, "head_dim") * 4 == score_elements(l, h)
