"""推理服务 snippet 的性质测试：投机解码保持目标分布、期望 token 数公式、块分配与 copy-on-write、
静态与连续批处理、前缀缓存的基数树、并发估算与 KV 量化。"""
import itertools

import numpy as np
import pytest

from snippets.inference.serving import (
    BlockAllocator, RadixCache, blocks_needed, contiguous_waste_tokens, fake_quant, kv_bytes_per_token,
    llama_param_count, lora_param_count, max_concurrent_sequences, paged_waste_tokens,
    simulate_continuous_batching, simulate_static_batching,
)
from snippets.inference.speculative import (
    acceptance_rate, expected_speedup, expected_tokens_per_round, residual_distribution,
    speculative_generate, speculative_round, speculative_sample, speculative_sample_many,
)

LLAMA3_8B = {"hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
             "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
             "tie_word_embeddings": False}


# ---------- 投机解码 ----------

def test_accept_reject_output_distribution_is_exactly_p():
    """解析地算出一个位置的输出分布：min(p, q) + (1 - alpha) * residual = p。"""
    r = np.random.default_rng(1)
    for _ in range(50):
        p, q = r.dirichlet(np.ones(7)), r.dirichlet(np.ones(7) * 0.3)
        alpha = acceptance_rate(p, q)
        out = np.minimum(p, q) + (1 - alpha) * residual_distribution(p, q)
        assert np.allclose(out, p)
        assert np.isclose(alpha, 1 - 0.5 * np.abs(p - q).sum())     # alpha = 1 - TV(p, q)


def test_sampled_tokens_follow_p_not_q():
    r = np.random.default_rng(2)
    p = np.array([0.5, 0.2, 0.15, 0.1, 0.05])
    q = np.array([0.1, 0.1, 0.2, 0.3, 0.3])
    x, acc = speculative_sample_many(p, q, 200_000, r)
    freq = np.bincount(x, minlength=5) / x.size
    assert 0.5 * np.abs(freq - p).sum() < 0.01
    assert abs(acc.mean() - acceptance_rate(p, q)) < 0.005
    # 单次版本与向量化版本一致
    single = [speculative_sample(p, q, r)[0] for _ in range(10_000)]
    assert 0.5 * np.abs(np.bincount(single, minlength=5) / 10_000 - p).sum() < 0.025


def test_rounds_preserve_the_joint_distribution_of_a_markov_target():
    r = np.random.default_rng(3)
    P = r.dirichlet(np.ones(3), size=3)          # 目标：一阶马尔可夫链 p(x_t | x_{t-1})
    Q = r.dirichlet(np.ones(3), size=3)          # 草稿：另一条链

    def target(prefix):
        return P[prefix[-1]]

    def draft(prefix):
        return Q[prefix[-1]]

    n = 10_000
    counts = np.zeros((3, 3))
    for _ in range(n):
        toks, _ = speculative_generate(target, draft, (0,), 2, 3, r)
        counts[toks[0], toks[1]] += 1
    exact = P[0][:, None] * P                     # p(x1 | 0) p(x2 | x1)
    assert 0.5 * np.abs(counts / n - exact).sum() < 0.02


def test_expected_tokens_formula_matches_a_direct_sum():
    for alpha, gamma in itertools.product([0.0, 0.3, 0.8, 0.95, 1.0], [1, 2, 5]):
        # 产出 k + 1 个 token 的概率：前 k 个接受、第 k+1 个拒绝（k < gamma），或全部接受（k = gamma）
        direct = sum((k + 1) * alpha ** k * (1 - alpha) for k in range(gamma)) + (gamma + 1) * alpha ** gamma
        assert np.isclose(expected_tokens_per_round(alpha, gamma), direct)


def test_measured_tokens_per_round_match_the_formula():
    r = np.random.default_rng(4)
    p, q = np.array([0.6, 0.3, 0.1]), np.array([0.3, 0.3, 0.4])
    alpha = acceptance_rate(p, q)
    sizes = [len(speculative_round(lambda _: p, lambda _: q, (), 3, r)) for _ in range(10_000)]
    assert abs(np.mean(sizes) - expected_tokens_per_round(alpha, 3)) < 4 * np.std(sizes) / np.sqrt(len(sizes))
    assert min(sizes) >= 1 and max(sizes) <= 4


def test_speedup_can_fall_below_one():
    assert expected_speedup(0.5, 2, 0.5) < 1 < expected_speedup(0.9, 4, 0.05)
    assert expected_speedup(0.8, 3, 0.0) == expected_tokens_per_round(0.8, 3)


# ---------- PagedAttention ----------

def test_internal_fragmentation_is_below_one_block():
    r = np.random.default_rng(5)
    lengths = r.integers(1, 3000, size=500)
    for b in (1, 8, 16, 128):
        waste = [blocks_needed(n, b) * b - n for n in lengths]
        assert max(waste) <= b - 1 and sum(waste) == paged_waste_tokens(lengths, b)
    assert paged_waste_tokens(lengths, 16) < contiguous_waste_tokens(lengths, 4096)


def test_copy_on_write_shares_the_prompt():
    a = BlockAllocator(num_blocks=64, block_size=16)
    a.allocate("p", 40)                           # 3 块：16 + 16 + 8
    for i in range(4):
        a.fork("p", f"s{i}")
    assert a.used_blocks() == 3
    for i in range(4):
        a.append_token(f"s{i}")                   # 写进共享的半满块：先复制
    assert a.copies == 4 and a.used_blocks() == 3 + 4
    a.release("p")
    assert a.used_blocks() == 2 + 4               # 两个满块仍被 4 个样本共享
    for i in range(4):
        for _ in range(8):
            a.append_token(f"s{i}")               # 填满自己的块，再要新块
    assert all(a.lengths[f"s{i}"] == 49 for i in range(4))
    assert a.used_blocks() == 2 + 4 + 4
    for i in range(4):
        a.release(f"s{i}")
    assert a.used_blocks() == 0 and len(a.free) == 64


def test_allocator_runs_out():
    a = BlockAllocator(num_blocks=2, block_size=4)
    a.allocate("x", 8)
    with pytest.raises(MemoryError):
        a.append_token("x")


# ---------- 批处理 ----------

def test_continuous_batching_needs_fewer_steps_and_uses_slots_better():
    r = np.random.default_rng(6)
    lens = r.geometric(1 / 150, size=300)
    for slots in (4, 16, 64):
        s_steps, s_util, _ = simulate_static_batching(lens, slots)
        c_steps, c_util, _ = simulate_continuous_batching(lens, slots)
        assert c_steps <= s_steps and c_util > s_util
        assert c_steps >= max(max(lens), -(-lens.sum() // slots))        # 下界：最长请求、总工作量
    # 等长请求时两者相同
    assert simulate_static_batching([10] * 12, 4)[:2] == simulate_continuous_batching([10] * 12, 4)[:2]


# ---------- 前缀缓存 ----------

def test_radix_cache_hits_equal_the_shared_prefix():
    cache = RadixCache()
    system = list(range(1000, 1300))
    assert cache.insert(system + [1, 2, 3]) == 303
    assert cache.match_prefix(system + [1, 9]) == 301
    assert cache.insert(system + [1, 9]) == 1          # 只写新的那个 token（边被拆开）
    assert cache.match_prefix(system + [1, 2, 3, 4]) == 303
    assert cache.match_prefix([7] + system) == 0       # 前缀必须从第一个 token 开始相同
    assert cache.size == 304


def test_radix_cache_matches_brute_force_longest_common_prefix():
    r = np.random.default_rng(7)
    seen, cache = [], RadixCache()
    for _ in range(200):
        s = [int(t) for t in r.integers(0, 3, size=r.integers(1, 12))]
        best = 0
        for old in seen:
            m = 0
            while m < min(len(s), len(old)) and s[m] == old[m]:
                m += 1
            best = max(best, m)
        assert cache.match_prefix(s) == best
        cache.insert(s)
        seen.append(s)


def test_radix_cache_evicts_least_recently_used_leaf():
    cache = RadixCache(capacity_tokens=10)
    cache.insert([1, 2, 3, 4])
    cache.insert([5, 6, 7, 8])
    cache.match_prefix([1, 2, 3, 4])                 # 1-2-3-4 最近被用过
    cache.insert([9, 10, 11])                        # 超出 10：淘汰 5-6-7-8
    assert cache.size == 7
    assert cache.match_prefix([1, 2, 3, 4]) == 4 and cache.match_prefix([5, 6]) == 0


# ---------- 并发估算与 KV 量化 ----------

def test_llama3_8b_numbers():
    assert llama_param_count(LLAMA3_8B) == 8_030_261_248
    assert kv_bytes_per_token(32, 8, 128, 2) == 128 * 1024
    assert lora_param_count(LLAMA3_8B, 16) == 32 * 16 * (8192 + 5120 + 5120 + 8192)


def test_max_concurrency_scales_inversely_with_kv_size():
    w = 2 * llama_param_count(LLAMA3_8B)
    kv = kv_bytes_per_token(32, 8, 128, 2)
    n_bf16 = max_concurrent_sequences(80e9, w, kv, 8192, reserve_bytes=4e9)
    n_fp8 = max_concurrent_sequences(80e9, w, kv // 2, 8192, reserve_bytes=4e9)
    n_mha = max_concurrent_sequences(80e9, w, kv * 4, 8192, reserve_bytes=4e9)
    assert n_bf16 == 48 and n_fp8 == 96 and n_mha == 12
    budget = 80e9 * 0.9 - w - 4e9
    assert n_bf16 * 8192 * kv <= budget < (n_bf16 + 1) * 8192 * kv


def test_per_channel_quantisation_handles_outlier_channels():
    r = np.random.default_rng(8)
    k = r.normal(size=(256, 64))
    k[:, [3, 17]] *= 20                               # 少数通道幅度很大
    err_channel = np.abs(fake_quant(k, 2, axis=0) - k).mean()
    err_token = np.abs(fake_quant(k, 2, axis=1) - k).mean()
    assert err_channel < err_token
    x = r.normal(size=(8, 8))
    assert np.allclose(fake_quant(x, 16, axis=0), x, atol=1e-3)


# ---------- 参数校验 ----------

def test_bad_inputs_raise():
    p, q = np.array([0.5, 0.5]), np.array([0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="vocab sizes differ: q has 3 tokens, p has 2"):
        acceptance_rate(p, q)
    with pytest.raises(ValueError, match="sum to 0.9"):
        residual_distribution([0.5, 0.4], [0.5, 0.5])
    with pytest.raises(ValueError, match="gamma must be an integer >= 1, got 0"):
        expected_tokens_per_round(0.8, 0)
    with pytest.raises(ValueError, match="gamma must be an integer >= 1"):
        speculative_round(lambda _: p, lambda _: p, (), 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="vocab sizes differ"):
        speculative_round(lambda _: p, lambda _: q, (), 2, np.random.default_rng(0))
    with pytest.raises(ValueError, match="alpha must be in"):
        expected_tokens_per_round(1.2, 3)
    with pytest.raises(ValueError, match="cost ratio"):
        expected_speedup(0.8, 3, -1)
    for bad in (0, -16, 2.5):
        with pytest.raises(ValueError, match="block size must be a positive integer"):
            blocks_needed(10, bad)
    with pytest.raises(ValueError, match="block size must be a positive integer"):
        BlockAllocator(8, 0)
    with pytest.raises(ValueError, match="longer than max_len"):
        contiguous_waste_tokens([10, 5000], 4096)
    with pytest.raises(ValueError, match="do not fit"):
        max_concurrent_sequences(24e9, 2 * 70e9, 1, 1)
    with pytest.raises(ValueError, match="batch slots"):
        simulate_continuous_batching([3], 0)
    with pytest.raises(ValueError, match="bit width"):
        fake_quant(np.zeros((2, 2)), 0, axis=0)
