"""解码策略 snippet 的性质测试：过滤器的定义与组合顺序、重复惩罚、greedy / beam search、约束解码的掩码。"""
import itertools
import math

import numpy as np
import pytest

from snippets.inference.decoding import (
    apply_temperature, beam_search, check_probs, conditioned_sequence_distribution, greedy_decode,
    masked_sequence_distribution, min_p_filter, no_repeat_ngram_filter, presence_frequency_penalty,
    repetition_penalty, sequence_probabilities, softmax, support, top_k_filter, top_p_filter,
)

rng = np.random.default_rng(0)


def brute_top_p(probs, p):
    """最小的、累计概率 >= p 的 token 集合（在所有同样大小的集合里取概率最大的）。"""
    order = np.argsort(-probs, kind="stable")
    for m in range(1, probs.size + 1):
        if probs[order[:m]].sum() >= p - 1e-12:
            return tuple(sorted(int(i) for i in order[:m]))


# ---------- 过滤器的定义 ----------

def test_top_k_keeps_the_k_largest():
    z = rng.normal(size=50)
    for k in (1, 5, 50, 80):
        kept = support(top_k_filter(z, k))
        assert kept == tuple(sorted(np.argsort(-z)[:min(k, 50)]))


def test_top_p_is_the_smallest_nucleus():
    for _ in range(20):
        z = rng.normal(scale=2, size=30)
        probs = softmax(z)
        for p in (0.1, 0.5, 0.9, 0.99, 1.0):
            assert support(top_p_filter(z, p)) == brute_top_p(probs, p)


def test_min_p_threshold_scales_with_the_top_probability():
    z = np.log([0.5, 0.3, 0.1, 0.06, 0.04])
    assert support(min_p_filter(z, 0.1)) == (0, 1, 2, 3)        # 阈值 0.05
    assert support(min_p_filter(z, 0.25)) == (0, 1)             # 阈值 0.125
    flat = np.log(np.full(10, 0.1))
    assert len(support(min_p_filter(flat, 0.9))) == 10           # 没把握时全部保留


def test_temperature_limits():
    z = np.array([2.0, 1.0, 0.5, -1.0])
    assert np.allclose(softmax(apply_temperature(z, 1e-3)), [1, 0, 0, 0], atol=1e-12)
    assert np.allclose(softmax(apply_temperature(z, 1e4)), 0.25, atol=1e-3)
    # 温度不改变排序
    assert np.array_equal(np.argsort(apply_temperature(z, 0.3)), np.argsort(z))


# ---------- 组合顺序 ----------

def test_temperature_commutes_with_top_k():
    for _ in range(20):
        z = rng.normal(size=40)
        for T in (0.3, 0.7, 1.5):
            a = softmax(top_k_filter(apply_temperature(z, T), 7))
            b = softmax(apply_temperature(top_k_filter(z, 7), T))
            assert np.allclose(a, b)


def test_temperature_before_top_p_changes_the_nucleus():
    z = np.log([0.4, 0.25, 0.15, 0.1, 0.06, 0.04])
    after = support(top_p_filter(apply_temperature(z, 0.5), 0.8))   # 先温度再 top-p
    before = support(apply_temperature(top_p_filter(z, 0.8), 0.5))   # 先 top-p 再温度
    assert before == (0, 1, 2)          # 0.4 + 0.25 + 0.15 = 0.8
    assert after == (0, 1)              # T=0.5 时前两名已占 0.80 以上
    assert support(top_p_filter(apply_temperature(z, 2.0), 0.8)) == (0, 1, 2, 3)   # T=2 更平，核更大


def test_top_k_and_top_p_do_not_commute_when_renormalised():
    z = np.log([0.3, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05])
    k_then_p = support(top_p_filter(top_k_filter(z, 3), 0.7))   # top-p 作用在 top-k 重新归一化后的分布上
    p_then_k = support(top_k_filter(top_p_filter(z, 0.7), 3))
    assert k_then_p == (0, 1) and p_then_k == (0, 1, 2)


def test_min_p_is_unaffected_by_earlier_truncation_that_keeps_the_top_token():
    # 重新归一化不改变 p_i / p_max，所以先 top-k 再 min-p 等于两个集合的交集
    for _ in range(20):
        z = rng.normal(size=30)
        a = set(support(min_p_filter(top_k_filter(z, 10), 0.2)))
        b = set(support(top_k_filter(z, 10))) & set(support(min_p_filter(z, 0.2)))
        assert a == b


# ---------- 惩罚 ----------

def test_repetition_penalty_lowers_seen_tokens_whatever_their_sign():
    z = np.array([2.0, -1.0, 0.5, -3.0, 1.0])
    out = repetition_penalty(z, [0, 1, 1, 3], 1.5)
    assert np.allclose(out, [2 / 1.5, -1.5, 0.5, -4.5, 1.0])
    assert np.all(out[[0, 1, 3]] < z[[0, 1, 3]])
    # 重复出现不叠加（CTRL / HF 的定义只看是否出现过）
    assert np.allclose(repetition_penalty(z, [0], 1.5), repetition_penalty(z, [0, 0, 0], 1.5))


def test_repetition_penalty_is_not_shift_invariant():
    # softmax 对 logits 整体平移不变，这个惩罚却取决于 logit 的正负，所以平移后效果不同
    z = np.array([1.0, 0.5, -0.5])
    a = softmax(repetition_penalty(z, [0], 2.0))
    b = softmax(repetition_penalty(z - 3.0, [0], 2.0))
    assert np.allclose(softmax(z), softmax(z - 3.0))
    assert not np.allclose(a, b)


def test_presence_frequency_penalty_matches_openai_formula():
    z = rng.normal(size=6)
    prev = [1, 1, 1, 4, 2]
    counts = np.array([0, 3, 1, 0, 1, 0])
    out = presence_frequency_penalty(z, prev, presence=0.6, frequency=0.25)
    assert np.allclose(out, z - 0.25 * counts - 0.6 * (counts > 0))


def test_no_repeat_ngram_bans_exactly_the_completions_of_seen_ngrams():
    prev = [5, 1, 2, 3, 1, 2]
    z = np.zeros(8)
    banned = set(range(8)) - set(support(no_repeat_ngram_filter(z, prev, 3)))
    assert banned == {3}                         # (1, 2, 3) 已出现过
    assert set(range(8)) - set(support(no_repeat_ngram_filter(z, prev, 1))) == {1, 2, 3, 5}
    # 暴力检验：禁掉的 token 恰好是会让 n-gram 重复的那些
    for n in (2, 3, 4):
        kept = support(no_repeat_ngram_filter(z, prev, n))
        for t in range(8):
            seen = {tuple(prev[i:i + n]) for i in range(len(prev) - n + 1)}
            new_gram = tuple((prev + [t])[-n:])
            assert (new_gram not in seen) == (t in kept)


# ---------- greedy 与 beam search ----------

def toy_lm(prefix):
    table = {(): [0.5, 0.4, 0.1], (0,): [0.4, 0.3, 0.3], (1,): [0.05, 0.9, 0.05], (2,): [0.2, 0.4, 0.4]}
    return np.array(table[prefix])


def test_greedy_misses_the_best_sequence_beam_finds_it():
    probs = sequence_probabilities(toy_lm, 2)
    best = max(probs, key=probs.get)
    g, g_lp = greedy_decode(toy_lm, 2)
    b, b_lp = beam_search(toy_lm, 2, 2, length_penalty=0.0)
    assert g == (0, 0) and math.isclose(math.exp(g_lp), 0.2)
    assert b == best == (1, 1) and math.isclose(math.exp(b_lp), 0.36)
    assert beam_search(toy_lm, 1, 2, length_penalty=0.0)[0] == g     # 宽度 1 就是 greedy


def test_exhaustive_beam_equals_brute_force_map():
    r = np.random.default_rng(3)
    tables = {}

    def lm(prefix):
        if prefix not in tables:
            tables[prefix] = r.dirichlet(np.full(4, 0.5))
        return tables[prefix]

    for _ in range(5):
        tables.clear()
        probs = sequence_probabilities(lm, 3, eos=0)
        best = max(probs, key=probs.get)
        seq, lp = beam_search(lm, 64, 3, eos=0, length_penalty=0.0)
        assert seq == best and math.isclose(math.exp(lp), probs[best])
        assert math.isclose(sum(probs.values()), 1.0)


def test_length_penalty_favours_longer_hypotheses():
    def lm(prefix):                     # 立即结束：0.6；多说一个词再结束：0.4 * 0.9
        return np.array([0.6, 0.4]) if not prefix else np.array([0.9, 0.1])
    short = beam_search(lm, 2, 3, eos=0, length_penalty=0.0)[0]
    long = beam_search(lm, 2, 3, eos=0, length_penalty=2.0)[0]
    assert short == (0,) and long == (1, 0)


# ---------- 约束解码 ----------

def test_masking_is_not_conditioning():
    def lm(prefix):
        table = {(): [0.9, 0.1], (0,): [0.01, 0.99], (1,): [0.1, 0.9]}
        return np.array(table[prefix])
    allowed = [(0, 0), (1, 1)]
    masked = masked_sequence_distribution(lm, allowed)
    exact = conditioned_sequence_distribution(lm, allowed)
    assert math.isclose(masked[(0, 0)], 0.9)
    assert math.isclose(exact[(0, 0)], 0.009 / (0.009 + 0.09))
    # 全部前缀都合法时两者相同
    full = list(itertools.product([0, 1], repeat=2))
    m2, e2 = masked_sequence_distribution(lm, full), conditioned_sequence_distribution(lm, full)
    assert all(math.isclose(m2[s], e2[s]) for s in full)


# ---------- 参数校验 ----------

def test_bad_inputs_raise():
    z = np.array([1.0, 0.0, -1.0])
    with pytest.raises(ValueError, match="sum to 0.9"):
        check_probs([0.5, 0.4])
    with pytest.raises(ValueError, match="non-negative"):
        check_probs([1.2, -0.2])
    with pytest.raises(ValueError, match="temperature must be > 0, got -1"):
        apply_temperature(z, -1)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        apply_temperature(z, 0)
    for bad in (0, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"top-p must be in \(0, 1\]"):
            top_p_filter(z, bad)
    for bad in (0, -3, 2.5):
        with pytest.raises(ValueError, match="top-k must be an integer >= 1"):
            top_k_filter(z, bad)
    with pytest.raises(ValueError, match="min-p must be in"):
        min_p_filter(z, 1.5)
    with pytest.raises(ValueError, match="repetition penalty must be > 0"):
        repetition_penalty(z, [0], 0)
    with pytest.raises(ValueError, match="no_repeat_ngram_size"):
        no_repeat_ngram_filter(z, [0], 0)
    with pytest.raises(ValueError, match="beam width"):
        beam_search(toy_lm, 0, 2)
    with pytest.raises(ValueError, match="same length"):
        masked_sequence_distribution(toy_lm, [(0,), (0, 1)])
    with pytest.raises(ValueError, match="removed all tokens"):
        softmax([-np.inf, -np.inf])
