"""评测指标 snippet 的性质测试：AUC 三种算法一致、宏/微平均、ROUGE/BLEU、BERTScore、FID、MRR/nDCG。"""
import math

import numpy as np
import pytest

from snippets.metrics.auc import (auc_pairwise, auc_rank, auc_trapezoid, average_precision, gauc,
                                  rank_average, roc_curve)
from snippets.metrics.classification import (confusion_matrix, expected_calibration_error, macro_micro,
                                            multilabel_averages, precision_recall_fbeta)
from snippets.metrics.fid import fid_from_features, frechet_distance, mmd2_rbf, sqrtm_psd
from snippets.metrics.mrr import (MRR, average_precision_at_k, dcg, hit_at_k, mrr_at_cutoffs,
                                  ndcg_at_k, recall_at_k)
from snippets.metrics.text_metrics import (bertscore, brevity_penalty, char_tokenize, clipscore, corpus_bleu,
                                           fmm_segment, lcs_length, modified_precision, rescale_with_baseline,
                                           rouge_l, rouge_n, rouge_score_default_tokenize)

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


def test_auc_rejects_single_class_and_bad_labels():
    with pytest.raises(ValueError, match="one positive and one negative"):
        auc_rank([1, 1, 1], [0.2, 0.5, 0.9])
    with pytest.raises(ValueError, match="one positive and one negative"):
        auc_pairwise([0, 0], [0.2, 0.5])
    with pytest.raises(ValueError, match="0 or 1"):
        auc_rank([0, 2], [0.2, 0.5])
    with pytest.raises(ValueError, match="same length"):
        roc_curve([0, 1, 1], [0.2, 0.5])


def test_auc_known_values():
    assert auc_pairwise([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert auc_pairwise([0, 1], [0.5, 0.5]) == 0.5
    y = rng.integers(0, 2, size=200)
    s = rng.normal(size=200)
    assert np.isclose(auc_rank(y, -s), 1 - auc_rank(y, s))                 # 分数取反 -> 1 - AUC
    assert np.isclose(auc_rank(y, np.exp(3 * s)), auc_rank(y, s))          # 单调变换不变


def test_gauc_ignores_between_user_differences():
    # 200 users with very different click rates; a "model" that only knows each user's rate
    n_users, per_user = 200, 50
    users = np.repeat(np.arange(n_users), per_user)
    rate = rng.uniform(0.02, 0.6, size=n_users)
    y = (rng.uniform(size=len(users)) < rate[users]).astype(int)
    s_user_only = rate[users]                          # ranks users, not items within a user
    assert auc_rank(y, s_user_only) > 0.7              # global AUC looks good
    assert np.isclose(gauc(users, y, s_user_only), 0.5)   # every within-user ranking is a tie
    s_good = rate[users] + 0.5 * y + 0.1 * rng.normal(size=len(users))
    assert gauc(users, y, s_good) > 0.9
    # per-group AUC weighted by group size, single-class groups skipped
    g, yy, ss = np.array([0, 0, 0, 1, 1, 2, 2]), np.array([1, 0, 0, 1, 0, 1, 1]), np.array([.9, .1, .95, .2, .8, .5, .6])
    assert np.isclose(gauc(g, yy, ss), (3 * 0.5 + 2 * 0.0) / 5)
    with pytest.raises(ValueError, match="no group"):
        gauc([0, 1], [1, 0], [0.3, 0.4])


def test_never_predicted_class_counts_as_zero_in_macro_f1():
    cm = np.array([[5, 0, 0], [0, 5, 0], [3, 0, 0]])    # class 2 never predicted: P = 0/0 -> 0
    m = macro_micro(cm)
    assert m["per_class_f1"][2] == 0.0
    assert np.isclose(m["macro_f1"], (m["per_class_f1"][0] + 1.0 + 0.0) / 3)


def test_rank_average_ties():
    assert np.allclose(rank_average([10, 20, 20, 30]), [1, 2.5, 2.5, 4])


def test_average_precision_perfect_and_random_baseline():
    y = np.r_[np.ones(10), np.zeros(990)].astype(int)
    assert average_precision(y, -np.arange(1000)) == 1.0
    aps = [average_precision(y, rng.normal(size=1000)) for _ in range(200)]
    assert abs(np.mean(aps) - 0.01) < 0.01                     # 随机打分的 AP 约等于正例比例


def test_ece_sees_calibration_that_auc_ignores():
    p = rng.uniform(size=20000)
    y = (rng.uniform(size=20000) < p).astype(int)           # calibrated by construction
    distorted = p ** 3                                        # monotone: same ranking
    assert auc_rank(y, distorted) == auc_rank(y, p)
    assert expected_calibration_error(y, p) < 0.02
    assert expected_calibration_error(y, distorted) > 0.15
    # one bin: ECE = |mean prediction - positive rate|
    assert np.isclose(expected_calibration_error([1, 0, 0, 1], [0.5, 0.5, 0.5, 0.5], n_bins=1), 0.0)
    assert np.isclose(expected_calibration_error([1, 1, 0, 1], [0.5, 0.5, 0.5, 0.5], n_bins=1), 0.25)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        expected_calibration_error([1], [1.5])


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


def test_multilabel_averages_hand_example():
    Y = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    Y_hat = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 1]])
    m = multilabel_averages(Y, Y_hat)
    # micro: TP = 3, FP = 1, FN = 2 -> 6 / 9
    assert np.isclose(m["micro_f1"], 6 / 9)
    # per class: c0 F1 = 1, c1 TP 1 FN 1 -> 2/3, c2 TP 0 -> 0
    assert np.isclose(m["macro_f1"], (1 + 2 / 3 + 0) / 3)
    # per sample: 2/3, 1, 1/2
    assert np.isclose(m["samples_f1"], (2 / 3 + 1 + 0.5) / 3)
    assert np.isclose(m["subset_accuracy"], 1 / 3)            # only the second row is exactly right
    with pytest.raises(ValueError, match=r"\(N, C\)"):
        multilabel_averages(Y, Y_hat[:, :2])


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


def test_rouge_l_empty_inputs_are_zero_not_an_error():
    ref = "the cat sat".split()
    zero = {"p": 0.0, "r": 0.0, "f": 0.0}
    assert rouge_l([], ref) == zero
    assert rouge_l(ref, []) == zero
    assert rouge_l([], []) == zero
    with pytest.raises(ValueError, match="beta"):
        rouge_l(ref, ref, beta=0)


def test_default_rouge_tokenizer_drops_chinese():
    # rouge-score's default tokenizer keeps only [a-z0-9]: a Chinese sentence becomes no tokens at all
    ref, cand = "今天天气很冷", "今天的天气非常冷"
    assert rouge_score_default_tokenize(ref) == [] and rouge_score_default_tokenize(cand) == []
    assert rouge_n(rouge_score_default_tokenize(cand), rouge_score_default_tokenize(ref), 1)["f"] == 0.0
    assert rouge_score_default_tokenize("GPT-4 很强") == ["gpt", "4"]
    assert char_tokenize("GPT-4 很强！") == ["gpt", "4", "很", "强"]
    chars = rouge_n(char_tokenize(cand), char_tokenize(ref), 1)
    assert np.isclose(chars["r"], 5 / 6) and np.isclose(chars["p"], 5 / 8)   # 今 天 天 气 冷 match


def test_fmm_segment_is_longest_match_first():
    vocab = {"今天", "天气", "非常", "天天"}
    assert fmm_segment("今天天气非常冷", vocab) == ["今天", "天气", "非常", "冷"]
    assert fmm_segment("天天气", vocab) == ["天天", "气"]          # greedy: not 天 + 天气
    assert fmm_segment("冷", set()) == ["冷"]


def test_modified_precision_counts_when_candidate_is_shorter_than_n():
    # no 4-gram in a 3-token candidate: (0 matches, 0 n-grams), not a made-up denominator of 1
    assert modified_precision("a b c".split(), ["a b c d".split()], 4) == (0, 0)
    assert modified_precision([], ["a".split()], 1) == (0, 0)


def test_corpus_bleu_rejects_misaligned_inputs():
    with pytest.raises(ValueError, match="candidates"):
        corpus_bleu([["a"]], [])
    with pytest.raises(ValueError, match="at least one reference"):
        corpus_bleu([["a"]], [[]])
    with pytest.raises(ValueError, match="smoothing"):
        corpus_bleu([["a"]], [[["a"]]], smooth="add-one")


def test_bleu_exp_smoothing_matches_hand_computation():
    cand = "the cat sat on mat".split()
    ref = "the cat sat on the mat".split()
    # p1 = 5/5, p2 = 3/4, p3 = 2/3, p4 = 1/2; no zero order, so smoothing changes nothing
    plain = corpus_bleu([cand], [[ref]])
    assert np.isclose(plain, math.exp(1 - 6 / 5) * (1 * 3 / 4 * 2 / 3 * 1 / 2) ** 0.25)
    assert np.isclose(corpus_bleu([cand], [[ref]], smooth="exp"), plain)
    short = "the cat on mat".split()          # p1 = 4/4, p2 = 1/3 (the cat), p3 = 0/2, p4 = 0/1
    assert corpus_bleu([short], [[ref]]) == 0.0
    expected = math.exp(1 - 6 / 4) * (1 * (1 / 3) * (1 / 2 / 2) * (1 / 4 / 1)) ** 0.25
    assert np.isclose(corpus_bleu([short], [[ref]], smooth="exp"), expected)


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


def test_bertscore_idf_weights_and_baseline_rescaling():
    E = rng.normal(size=(5, 8))
    cand = E[:3] + 0.1 * rng.normal(size=(3, 8))
    plain = bertscore(cand, E)
    uniform = bertscore(cand, E, cand_idf=np.full(3, 2.0), ref_idf=np.full(5, 2.0))
    assert np.isclose(plain["p"], uniform["p"]) and np.isclose(plain["r"], uniform["r"])  # constant idf is a no-op
    idf = np.array([0.0, 0.0, 0.0, 1.0, 1.0])        # only the two reference tokens the candidate lacks count
    weighted = bertscore(cand, E, ref_idf=idf)
    assert np.isclose(weighted["r"], plain["sim"][3:].max(axis=1).mean()) and weighted["r"] < plain["r"]
    b = 0.83
    assert rescale_with_baseline(b, b) == 0.0 and rescale_with_baseline(1.0, b) == 1.0
    xs = np.sort(rng.uniform(0.7, 1.0, size=20))
    assert np.all(np.diff(rescale_with_baseline(xs, b)) > 0)     # monotone: system ranking unchanged
    with pytest.raises(ValueError, match="baseline"):
        rescale_with_baseline(0.9, 1.0)
    with pytest.raises(ValueError, match="at least one token"):
        bertscore(np.zeros((0, 8)), E)


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
    with pytest.raises(ValueError, match="feature sizes"):
        fid_from_features(X, Y[:, :2])


def test_fid_is_blind_beyond_two_moments_but_mmd_is_not():
    # a bimodal mixture with the same mean (0) and covariance (I) as a standard Gaussian
    n, d = 1500, 2
    a = 0.95
    signs = rng.choice([-1.0, 1.0], size=(n, 1))
    mix = np.hstack([signs * a + np.sqrt(1 - a**2) * rng.normal(size=(n, 1)), rng.normal(size=(n, d - 1))])
    gauss, gauss2 = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    assert fid_from_features(gauss, mix) < 0.02                      # FID sees (almost) no difference
    same, diff = mmd2_rbf(gauss, gauss2, sigma=0.5), mmd2_rbf(gauss, mix, sigma=0.5)
    assert diff > 10 * abs(same)                                     # MMD with a Gaussian kernel does
    assert abs(mmd2_rbf(gauss, gauss, sigma=1.0)) < 1e-12
    with pytest.raises(ValueError, match="bandwidth"):
        mmd2_rbf(gauss, mix, sigma=0)


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
    for gain in ("linear", "exp"):
        assert ndcg_at_k(["a", "b", "c"], rel, 3, gain) == 1.0
        worse = ndcg_at_k(["c", "b", "a"], rel, 3, gain)
        assert 0 < worse < 1
        assert ndcg_at_k(["x", "y"], rel, 2, gain) == 0.0
    assert np.isclose(dcg([3, 2, 1], "exp"), 7 / 1 + 3 / np.log2(3) + 1 / 2)
    assert np.isclose(dcg([3, 2, 1]), 3 / 1 + 2 / np.log2(3) + 1 / 2)        # linear gain is the default
    with pytest.raises(ValueError, match="unknown gain"):
        dcg([1], "square")


def test_ndcg_gains_agree_on_binary_and_differ_on_graded_labels():
    binary = {"a": 1, "b": 1, "c": 0, "d": 1}
    run = ["c", "a", "d", "b"]
    assert np.isclose(ndcg_at_k(run, binary, 4, "linear"), ndcg_at_k(run, binary, 4, "exp"))   # 2^1 - 1 = 1
    graded = {"a": 3, "b": 1}
    # a grade-1 document above the grade-3 one: the exponential gain punishes the swap harder
    lin, ex = ndcg_at_k(["b", "a"], graded, 2, "linear"), ndcg_at_k(["b", "a"], graded, 2, "exp")
    assert np.isclose(lin, (1 + 3 / np.log2(3)) / (3 + 1 / np.log2(3)))
    assert np.isclose(ex, (1 + 7 / np.log2(3)) / (7 + 1 / np.log2(3)))
    assert ex < lin


def test_recall_and_ap_reject_queries_without_relevant_documents():
    with pytest.raises(ValueError, match="no relevant documents"):
        recall_at_k(["a", "b"], set(), 2)
    with pytest.raises(ValueError, match="no relevant documents"):
        average_precision_at_k(["a", "b"], [], 2)
    with pytest.raises(ValueError, match="k must be"):
        recall_at_k(["a"], {"a"}, 0)
    assert hit_at_k(["a"], set(), 1) == 0.0          # a hit is well defined: there is nothing to hit


def test_mrr_rejects_empty_and_mismatched_inputs():
    with pytest.raises(ValueError, match="at least one query"):
        mrr_at_cutoffs([], [], [1])
    with pytest.raises(ValueError, match="ranked lists"):
        mrr_at_cutoffs([[1, 2]], [[1], [2]], [1])
    with pytest.raises(ValueError, match="cutoffs"):
        mrr_at_cutoffs([[1]], [[1]], [0])
