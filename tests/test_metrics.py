"""评测指标 snippet 的性质测试：AUC 三种算法一致、宏/微平均、ROUGE/BLEU、BERTScore、FID、MRR/nDCG。"""
import math

import numpy as np
import pytest

from snippets.metrics.auc import (auc_pairwise, auc_rank, auc_trapezoid, average_precision,
                                  rank_average, roc_curve)
from snippets.metrics.classification import confusion_matrix, macro_micro, precision_recall_fbeta
from snippets.metrics.fid import fid_from_features, frechet_distance, sqrtm_psd
from snippets.metrics.mrr import (MRR, average_precision_at_k, dcg, hit_at_k, mrr_at_cutoffs,
                                  ndcg_at_k, recall_at_k)
from snippets.metrics.text_metrics import (bertscore, brevity_penalty, clipscore, corpus_bleu,
                                           lcs_length, modified_precision, rouge_l, rouge_n)

rng = np.random.default_rng(0)


# ---------- AUC ----------
@pytest.mark.parametrize("n_levels", [None, 5, 2])
def test_auc_three_ways_agree(n_levels):
    y = rng.integers(0, 2, size=300)
    s = rng.normal(size=300) + 0.8 * y
    if n_levels:                       # 人为制造大量同分
        s = np.round(s * n_levels / 3) / n_levels
    fpr, tpr, _ = roc_curve(y, s)
    a, b, c = auc_pairwise(y, s), auc_rank(y, s), auc_trapezoid(fpr, tpr)
    assert abs(a - b) < 1e-12 and abs(a - c) < 1e-12


def test_auc_known_values():
    assert auc_pairwise([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert auc_pairwise([0, 1], [0.5, 0.5]) == 0.5
    y = rng.integers(0, 2, size=200)
    s = rng.normal(size=200)
    assert np.isclose(auc_rank(y, -s), 1 - auc_rank(y, s))                 # 分数取反 -> 1 - AUC
    assert np.isclose(auc_rank(y, np.exp(3 * s)), auc_rank(y, s))          # 单调变换不变


def test_rank_average_ties():
    assert np.allclose(rank_average([10, 20, 20, 30]), [1, 2.5, 2.5, 4])


def test_average_precision_perfect_and_random_baseline():
    y = np.r_[np.ones(10), np.zeros(990)].astype(int)
    assert average_precision(y, -np.arange(1000)) == 1.0
    aps = [average_precision(y, rng.normal(size=1000)) for _ in range(200)]
    assert abs(np.mean(aps) - 0.01) < 0.01                     # 随机打分的 AP 约等于正例比例


# ---------- F1 / 宏平均 / 微平均 ----------
def test_fbeta():
    p, r, f = precision_recall_fbeta(8, 2, 8)
    assert np.isclose(p, 0.8) and np.isclose(r, 0.5)
    assert np.isclose(f, 2 * 0.8 * 0.5 / 1.3)
    assert np.isclose(f, 2 * 8 / (2 * 8 + 2 + 8))               # F1 = 2TP / (2TP + FP + FN)
    _, _, f2 = precision_recall_fbeta(8, 2, 8, beta=2)
    _, _, fhalf = precision_recall_fbeta(8, 2, 8, beta=0.5)
    assert f2 < f < fhalf                                      # R < P：偏重召回的 F2 更低


def test_macro_micro_example():
    cm = np.array([[50, 2, 3], [10, 5, 0], [4, 1, 5]])
    m = macro_micro(cm)
    assert np.isclose(m["micro_f1"], m["accuracy"])
    assert np.isclose(m["micro_f1"], 0.75)
    assert np.isclose(m["macro_f1"], 0.6102, atol=1e-4)
    assert np.isclose(m["macro_f1_of_avgs"], 0.6253, atol=1e-4)


def test_micro_f1_equals_accuracy_random():
    for _ in range(50):
        y = rng.integers(0, 4, size=200)
        yhat = np.where(rng.uniform(size=200) < 0.6, y, rng.integers(0, 4, size=200))
        m = macro_micro(confusion_matrix(y, yhat, 4))
        assert np.isclose(m["micro_f1"], np.mean(y == yhat))
        assert np.isclose(m["micro_p"], m["micro_r"])


# ---------- ROUGE / BLEU ----------
def test_lcs():
    assert lcs_length("ABCBDAB", "BDCABA") == 4
    assert lcs_length("abcde", "ace") == 3
    assert lcs_length("abc", "def") == 0


def test_rouge_l_beta_limit():
    cand = "the cat sat on a mat today".split()
    ref = "the cat is sitting on the mat".split()
    res = rouge_l(cand, ref, beta=1.0)
    assert np.isclose(res["f"], 2 * res["p"] * res["r"] / (res["p"] + res["r"]))
    assert abs(rouge_l(cand, ref, beta=1e6)["f"] - res["r"]) < 1e-9
    assert abs(rouge_l(cand, ref, beta=1e-6)["f"] - res["p"]) < 1e-9


def test_rouge_n_clipped():
    res = rouge_n("the the the".split(), "the cat".split(), n=1)
    assert np.isclose(res["r"], 0.5) and np.isclose(res["p"], 1 / 3)
    res2 = rouge_n("the cat sat".split(), "the cat sat on".split(), n=2)
    assert np.isclose(res2["r"], 2 / 3) and np.isclose(res2["p"], 1.0)


def test_bleu_clipping_paper_example():
    cand = ["the"] * 7
    refs = ["the cat is on the mat".split(), "there is a cat on the mat".split()]
    num, den = modified_precision(cand, refs, 1)
    assert (num, den) == (2, 7)


def test_brevity_penalty():
    assert brevity_penalty(12, 10) == 1.0
    assert brevity_penalty(10, 10) == 1.0
    assert np.isclose(brevity_penalty(5, 10), math.exp(-1))
    assert all(brevity_penalty(c, 10) <= 1.0 for c in range(1, 30))


def test_corpus_bleu():
    ref = "the quick brown fox jumps over the lazy dog".split()
    assert np.isclose(corpus_bleu([ref], [[ref]]), 1.0)
    short = ref[:5]                                          # 精确率全为 1，只剩 BP
    assert np.isclose(corpus_bleu([short], [[ref]]), math.exp(1 - 9 / 5))
    assert corpus_bleu(["a b c d".split()], [["e f g h".split()]]) == 0.0


# ---------- BERTScore / CLIPScore ----------
def test_bertscore_identical_and_direction():
    E = rng.normal(size=(6, 16))
    res = bertscore(E, E)
    assert np.isclose(res["p"], 1) and np.isclose(res["r"], 1) and np.isclose(res["f"], 1)
    # 候选 = 参考的前 3 个 token：每个候选 token 都能精确匹配 -> P = 1；R < 1
    res = bertscore(E[:3], E)
    assert np.isclose(res["p"], 1.0) and res["r"] < 1.0
    assert res["sim"].shape == (6, 3)


def test_clipscore():
    v = rng.normal(size=8)
    assert np.isclose(clipscore(v, v), 2.5)
    assert clipscore(v, -v) == 0.0


# ---------- FID ----------
def test_fid_gaussian_properties():
    d = 5
    A = rng.normal(size=(d, d))
    S = A @ A.T + 0.1 * np.eye(d)
    mu = rng.normal(size=d)
    delta = rng.normal(size=d)
    r = sqrtm_psd(S)
    assert np.allclose(r @ r, S)
    assert abs(frechet_distance(mu, S, mu, S)) < 1e-8
    assert np.isclose(frechet_distance(mu, S, mu + delta, S), np.sum(delta ** 2))
    # 1 维情形：(mu1 - mu2)^2 + (s1 - s2)^2
    assert np.isclose(frechet_distance(np.zeros(1), np.eye(1) * 4, np.ones(1), np.eye(1) * 9), 1 + 1)


def test_fid_from_samples_nonnegative_and_near_zero():
    X = rng.normal(size=(20000, 3))
    Y = rng.normal(size=(20000, 3))
    v = fid_from_features(X, Y)
    assert 0 <= v < 0.01


# ---------- 检索 ----------
def test_mrr_notes_code_and_fast_version():
    preds, truth, cutoffs = [[3, 1, 2], [5, 6, 7], [9, 8, 4]], [[1], [7], [0]], [1, 2, 3]
    expected = [0, 1 / 6, 5 / 18]
    assert np.allclose(MRR(preds, truth, cutoffs), expected)
    assert np.allclose(mrr_at_cutoffs(preds, truth, cutoffs), expected)
    for _ in range(100):
        preds = [list(rng.permutation(20)[:10]) for _ in range(8)]
        truth = [list(rng.choice(20, size=2, replace=False)) for _ in range(8)]
        cut = [1, 3, 5, 10]
        assert np.allclose(MRR(preds, truth, cut), mrr_at_cutoffs(preds, truth, cut))


def test_recall_hit_ap():
    pred = ["a", "b", "c", "d", "e"]
    assert recall_at_k(pred, {"b", "e", "z"}, 3) == 1 / 3
    assert hit_at_k(pred, {"e"}, 4) == 0.0 and hit_at_k(pred, {"e"}, 5) == 1.0
    assert np.isclose(average_precision_at_k(pred, {"a", "c"}, 5), (1 / 1 + 2 / 3) / 2)


def test_ndcg():
    rel = {"a": 3, "b": 2, "c": 1}
    assert ndcg_at_k(["a", "b", "c"], rel, 3) == 1.0
    worse = ndcg_at_k(["c", "b", "a"], rel, 3)
    assert 0 < worse < 1
    assert np.isclose(dcg([3, 2, 1]), 7 / 1 + 3 / np.log2(3) + 1 / 2)
    assert ndcg_at_k(["x", "y"], rel, 2) == 0.0
