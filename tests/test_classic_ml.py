"""经典机器学习 snippet 的性质测试：偏差–方差分解、交叉验证切分、逻辑回归与 SVM、决策树准则与 CART、
随机森林与 AdaBoost、校准（Platt、PAV、负采样还原、SMOTE）、PCA、k-means、GMM 的 EM。"""
import itertools

import numpy as np
import pytest

from snippets.basics.calibration import (apply_platt, balanced_class_weights, check_probabilities,
                                         downsampling_correction, expected_calibration_error, fit_platt,
                                         isotonic_pav, negative_downsample, predict_isotonic, reliability_curve,
                                         smote)
from snippets.basics.classic import (bias_variance_decomposition, fit_linear_svm_dual, fit_logistic, fit_poly,
                                     hinge_objective, kfold_indices, logistic_loss_grad_hess, poly_features,
                                     sigmoid, stratified_kfold_indices, time_series_splits)
from snippets.basics.trees import (adaboost_score, adaboost_stumps, averaged_variance, best_mse_split, entropy,
                                   fit_forest, fit_regression_tree, gain_ratio, gini, gini_decrease,
                                   information_gain, oob_predict, predict_forest, predict_tree, split_information)
from snippets.basics.unsupervised import (gmm_em, gmm_log_joint, gmm_log_resp, kmeans, kmeans_objective,
                                          kmeanspp_init, pca_eig, pca_reconstruct, pca_svd)

rng = np.random.default_rng(0)


# ---------- bias–variance ----------
def test_bias_variance_matches_direct_expectation():
    preds = rng.normal(size=(500, 7)) + np.arange(7)
    f = np.arange(7) + 0.3
    d = bias_variance_decomposition(preds, f, 0.25)
    # E_r (f̂ - f)² = (E f̂ - f)² + Var f̂，逐点成立（总体方差用 ddof=0）
    assert np.isclose(d["bias2"] + d["variance"], np.mean((preds - f) ** 2))
    assert np.isclose(d["total"], d["bias2"] + d["variance"] + 0.25)


def test_poly_fit_recovers_polynomial_exactly():
    x = np.linspace(-1, 1, 20)
    y = 1 - 2 * x + 3 * x ** 3
    c = fit_poly(x, y, 3)
    assert np.allclose(poly_features(x, 3) @ c, y)


# ---------- cross-validation splits ----------
def test_kfold_partitions_indices():
    folds = kfold_indices(23, 5, np.random.default_rng(1))
    vals = np.concatenate([va for _, va in folds])
    assert sorted(vals.tolist()) == list(range(23))
    assert {len(va) for _, va in folds} == {4, 5}
    for tr, va in folds:
        assert not set(tr) & set(va) and len(tr) + len(va) == 23


def test_stratified_folds_keep_class_ratio():
    y = np.r_[np.zeros(90, int), np.ones(10, int)]
    for tr, va in stratified_kfold_indices(y, 5, np.random.default_rng(2)):
        assert y[va].sum() == 2 and len(va) == 20
        assert not set(tr) & set(va)


def test_time_series_splits_never_look_ahead():
    for tr, va in time_series_splits(100, 4, gap=3):
        assert tr.max() + 3 < va.min()
        assert np.array_equal(va, np.arange(va[0], va[0] + len(va)))
    splits = time_series_splits(100, 4)
    assert all(len(a[0]) < len(b[0]) for a, b in zip(splits, splits[1:]))   # 训练窗口单调扩张


# ---------- logistic regression and SVM ----------
def test_logistic_gradient_matches_finite_differences():
    X = np.c_[rng.normal(size=(50, 3)), np.ones(50)]
    y = (rng.random(50) < 0.4).astype(float)
    w = rng.normal(size=4)
    _, g, H = logistic_loss_grad_hess(w, X, y, lam=0.1)
    h = 1e-6
    num = [(logistic_loss_grad_hess(w + h * e, X, y, 0.1)[0] - logistic_loss_grad_hess(w - h * e, X, y, 0.1)[0])
           / (2 * h) for e in np.eye(4)]
    assert np.allclose(g, num, atol=1e-7)
    assert np.linalg.eigvalsh(H).min() > 0


def test_fit_logistic_is_a_stationary_point_and_weights_act_like_duplicates():
    X = np.c_[rng.normal(size=(80, 2)), np.ones(80)]
    y = (rng.random(80) < sigmoid(X @ [1.5, -1.0, 0.2])).astype(float)
    w = fit_logistic(X, y, lam=1e-3)
    assert np.abs(logistic_loss_grad_hess(w, X, y, 1e-3)[1]).max() < 1e-10
    # 权重 2 等价于把样本复制一份（正则按总权重归一化，两边一致）
    sw = np.where(np.arange(80) < 10, 2.0, 1.0)
    Xd, yd = np.r_[X, X[:10]], np.r_[y, y[:10]]
    assert np.allclose(fit_logistic(X, y, 1e-3, sample_weight=sw), fit_logistic(Xd, yd, 1e-3), atol=1e-8)


def test_sigmoid_is_stable():
    z = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    s = sigmoid(z)
    assert np.all(np.isfinite(s)) and s[2] == 0.5 and s[0] == 0.0 and s[-1] == 1.0
    assert np.allclose(sigmoid(-z), 1 - s)


def test_svm_dual_kkt_and_zero_gap():
    X = np.c_[np.r_[rng.normal(-1, 1, (40, 2)), rng.normal(1, 1, (40, 2))], np.ones(80)]
    y = np.r_[-np.ones(40), np.ones(40)]
    w, a = fit_linear_svm_dual(X, y, C=0.5, n_epochs=3000, tol=1e-13)
    assert np.allclose(w, (a * y) @ X)
    m = y * (X @ w)
    assert np.all(m[a < 1e-8] >= 1 - 1e-5) and np.all(m[a > 0.5 - 1e-8] <= 1 + 1e-5)
    primal, dual = hinge_objective(w, X, y, 0.5), a.sum() - 0.5 * w @ w
    assert abs(primal - dual) < 1e-7 * primal
    # 删掉非支持向量，解不变
    sv = a > 1e-8
    w2, _ = fit_linear_svm_dual(X[sv], y[sv], C=0.5, n_epochs=3000, tol=1e-13)
    assert np.allclose(w, w2, atol=1e-5)


# ---------- split criteria ----------
def test_entropy_and_gini_known_values():
    assert entropy([0, 1]) == 1.0 and entropy([1, 1, 1]) == 0.0
    assert np.isclose(entropy([0, 1, 2, 3]), 2.0)
    assert gini([0, 1]) == 0.5 and np.isclose(gini([0, 0, 0, 1]), 0.375)


def test_id_feature_maximises_information_gain_but_not_gain_ratio():
    y = np.array([1] * 6 + [0] * 6)
    ident = np.arange(12)
    good = np.array([1] * 5 + [0] + [1] + [0] * 5)
    assert np.isclose(information_gain(ident, y), entropy(y))
    assert information_gain(ident, y) > information_gain(good, y)
    assert np.isclose(split_information(ident, y), np.log2(12))
    assert gain_ratio(good, y) > gain_ratio(ident, y)
    assert gain_ratio(np.zeros(12), y) == 0.0 and gini_decrease(ident, y) == gini(y)


def test_best_mse_split_equals_brute_force():
    X = rng.normal(size=(30, 3))
    y = np.where(X[:, 1] > 0.2, 3.0, -1.0) + 0.1 * rng.normal(size=30)
    gain, col, thr = best_mse_split(X, y, min_samples_leaf=2)

    def sse(v):
        return ((v - v.mean()) ** 2).sum() if len(v) else 0.0
    best = max(((sse(y) - sse(y[X[:, j] <= t]) - sse(y[X[:, j] > t]), j, t)
                for j in range(3) for t in np.unique(X[:, j])
                if 2 <= (X[:, j] <= t).sum() <= 28), key=lambda r: r[0])
    assert col == best[1] == 1 and np.isclose(gain, best[0])
    assert ((X[:, col] <= thr) == (X[:, col] <= best[2])).all()


def test_deep_tree_interpolates_and_depth_limit_holds():
    X = rng.random((40, 2))
    y = rng.normal(size=40)
    deep = fit_regression_tree(X, y)
    assert np.allclose(predict_tree(deep, X), y)                 # 叶子只有一个样本：训练误差为 0
    stump = fit_regression_tree(X, y, max_depth=1)
    assert (stump["feature"] >= 0).sum() == 1 and len(np.unique(predict_tree(stump, X))) == 2


def test_forest_average_and_oob():
    X = rng.random((60, 3))
    y = X[:, 0] * 4 + rng.normal(size=60) * 0.3
    trees, in_bag = fit_forest(X, y, 15, max_features=2, rng=np.random.default_rng(3))
    assert np.allclose(predict_forest(trees, X), np.mean([predict_tree(t, X) for t in trees], axis=0))
    assert np.all(in_bag.sum(axis=1) == 60)
    oob = oob_predict(trees, in_bag, X)
    i = int(np.flatnonzero(~np.isnan(oob))[0])
    users = [t for t, ib in zip(trees, in_bag) if ib[i] == 0]
    assert np.isclose(oob[i], np.mean([predict_tree(t, X[i:i + 1])[0] for t in users]))
    nobag, _ = fit_forest(X, y, 3, bootstrap=False)             # 不抽样、不子采样：三棵树完全一样
    assert np.allclose(predict_tree(nobag[0], X), predict_tree(nobag[2], X))


@pytest.mark.parametrize("rho", [0.0, 0.3, 1.0])
def test_averaged_variance_formula_matches_simulation(rho):
    B, sigma2 = 8, 2.0
    cov = sigma2 * (rho * np.ones((B, B)) + (1 - rho) * np.eye(B))
    Z = np.random.default_rng(4).multivariate_normal(np.zeros(B), cov, size=200_000)
    assert np.isclose(Z.mean(axis=1).var(), averaged_variance(sigma2, rho, B), rtol=0.02)
    assert averaged_variance(sigma2, rho, 1) == sigma2


def test_adaboost_exp_loss_equals_product_of_z():
    X = rng.normal(size=(80, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1, -1)
    stumps, eps, Z = adaboost_stumps(X, y, 15)
    F = adaboost_score(stumps, X)
    assert np.isclose(np.mean(np.exp(-y * F)), np.prod(Z))
    assert np.allclose(Z, 2 * np.sqrt(eps * (1 - eps)))
    assert np.mean(np.sign(F) != y) <= np.prod(Z)


# ---------- calibration ----------
def test_downsampling_correction_inverts_bayes():
    q = np.array([1e-4, 0.001, 0.02, 0.3, 0.9])
    w = 0.05
    p = q / (q + (1 - q) * w)                                   # 负样本按 w 保留后的后验
    assert np.allclose(downsampling_correction(p, w), q)
    assert np.allclose(downsampling_correction(q, 1.0), q)
    logit = lambda v: np.log(v / (1 - v))
    assert np.allclose(logit(downsampling_correction(p, w)), logit(p) + np.log(w))


def test_negative_downsample_keeps_all_positives():
    y = (rng.random(10_000) < 0.1).astype(int)
    keep = negative_downsample(y, 0.2, np.random.default_rng(5))
    assert keep[y == 1].all()
    assert abs(keep[y == 0].mean() - 0.2) < 0.02


def test_pav_is_monotone_and_matches_brute_force_on_small_input():
    x = np.arange(6, dtype=float)
    y = np.array([1.0, 3.0, 2.0, 2.0, 5.0, 4.0])
    starts, vals = isotonic_pav(x, y)
    g = predict_isotonic(starts, vals, x)
    assert np.all(np.diff(g) >= 0)
    assert np.allclose(g, [1.0, 7 / 3, 7 / 3, 7 / 3, 4.5, 4.5])
    # 任何单调序列的平方误差都不更小：在一个网格上暴力检查
    grid = np.linspace(0, 6, 13)
    best = min(((np.array(c) - y) ** 2).sum() for c in itertools.combinations_with_replacement(grid, 6))
    assert ((g - y) ** 2).sum() <= best + 1e-9


def test_pav_pools_ties_in_x():
    starts, vals = isotonic_pav([0.5, 0.5, 0.2], [1.0, 0.0, 1.0])
    assert np.allclose(starts, [0.2]) and np.allclose(vals, [2 / 3])


def test_platt_recovers_a_known_sigmoid():
    r = np.random.default_rng(6)
    f = r.normal(size=20_000) * 2
    y = (r.random(20_000) < 1 / (1 + np.exp(-1.0 * f + 0.5))).astype(float)     # A = -1, B = 0.5
    A, B = fit_platt(f, y)
    assert abs(A + 1.0) < 0.05 and abs(B - 0.5) < 0.05
    assert np.all(np.diff(apply_platt(np.sort(f), A, B)) >= 0)


def test_reliability_curve_and_ece_agree():
    r = np.random.default_rng(7)
    p = r.random(5000)
    y = (r.random(5000) < p).astype(float)
    mp, fp, cnt = reliability_curve(y, p, 10)
    assert cnt.sum() == 5000
    assert np.isclose(np.sum(cnt / 5000 * np.abs(mp - fp)), expected_calibration_error(y, p, 10))


def test_smote_points_lie_on_segments_to_neighbours():
    Xm = rng.normal(size=(12, 3))
    new, pairs = smote(Xm, 50, k=3, rng=np.random.default_rng(8))
    d2 = ((Xm[:, None] - Xm[None]) ** 2).sum(-1)
    np.fill_diagonal(d2, np.inf)
    knn = np.argsort(d2, axis=1)[:, :3]
    for x, (i, j) in zip(new, pairs):
        assert j in knn[i]
        lam = (x - Xm[i]) @ (Xm[j] - Xm[i]) / ((Xm[j] - Xm[i]) @ (Xm[j] - Xm[i]))
        assert 0 <= lam <= 1 and np.allclose(x, Xm[i] + lam * (Xm[j] - Xm[i]))


def test_balanced_class_weights_equalise_totals():
    y = np.r_[np.zeros(90), np.ones(10)]
    w = balanced_class_weights(y)
    assert np.isclose(w[0.0] * 90, w[1.0] * 10) and np.isclose(w[1.0], 5.0)


# ---------- PCA, k-means, EM ----------
def test_pca_eig_equals_svd_and_reconstruction_error():
    X = rng.normal(size=(200, 5)) @ rng.normal(size=(5, 5))
    We, lam, mu = pca_eig(X, 5)
    Ws, lam_s, _ = pca_svd(X, 5)
    assert np.allclose(lam, lam_s) and np.allclose(np.abs((We * Ws).sum(1)), 1)
    for k in range(1, 6):
        err = np.mean(((X - pca_reconstruct(X, We[:k], mu)) ** 2).sum(1))
        assert np.isclose(err, lam[k:].sum(), atol=1e-10)


def test_kmeans_monotone_and_fixed_point():
    X = np.r_[rng.normal(0, 1, (50, 2)), rng.normal(5, 1, (50, 2)), rng.normal([0, 6], 1, (50, 2))]
    for seed in range(5):
        c, lab, hist = kmeans(X, 3, init="random", rng=np.random.default_rng(seed))
        assert np.all(np.diff(hist) <= 1e-9)
        J, lab2 = kmeans_objective(X, c)
        assert np.array_equal(lab, lab2) and np.isclose(J, hist[-1])
        for j in range(3):                                   # 收敛时每个中心都是簇均值
            assert np.allclose(c[j], X[lab == j].mean(0))


def test_kmeanspp_picks_distinct_data_points():
    X = rng.normal(size=(40, 2))
    C = kmeanspp_init(X, 6, np.random.default_rng(9))
    assert len({tuple(c) for c in C}) == 6
    assert all(any(np.array_equal(c, x) for x in X) for c in C)


def test_gmm_em_monotone_and_resp_normalised():
    X = np.r_[rng.normal(-3, 1, (150, 1)), rng.normal(2, 0.5, (100, 1))]
    w, m, c, r, ll = gmm_em(X, 2, rng=np.random.default_rng(10))
    assert np.all(np.diff(ll) >= -1e-9 * abs(ll[-1]))
    assert np.allclose(r.sum(1), 1) and np.isclose(w.sum(), 1)
    assert np.allclose(np.sort(m[:, 0]), [-3, 2], atol=0.3)
    # 对数似然 = Σ_i logsumexp_j log π_j N(x_i)
    lj = gmm_log_joint(X, w, m, c)
    assert np.isclose(gmm_log_resp(X, w, m, c)[1], np.log(np.exp(lj).sum(1)).sum())


# ---------- bad input ----------
@pytest.mark.parametrize("p", [[0.2, 1.2], [-0.1, 0.5], [np.nan, 0.3]])
def test_probabilities_outside_unit_interval_raise(p):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        check_probabilities(p)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        downsampling_correction(np.array(p), 0.5)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        reliability_curve([0, 1], p)
    if not np.isnan(p).any():            # the metrics ECE checks the range (NaN is not rejected there)
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            expected_calibration_error(np.array([0.0, 1.0]), np.array(p))


@pytest.mark.parametrize("w", [0.0, -0.1, 1.5])
def test_downsampling_rate_outside_0_1_raises(w):
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        downsampling_correction(np.array([0.3]), w)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        negative_downsample(np.array([0, 1]), w, np.random.default_rng(0))


def test_k_larger_than_n_raises():
    X = rng.normal(size=(5, 2))
    with pytest.raises(ValueError, match="larger than the number of points"):
        kmeans(X, 6)
    with pytest.raises(ValueError, match="larger than the number of points"):
        gmm_em(X, 6)
    with pytest.raises(ValueError, match="larger than the number of points"):
        kmeanspp_init(X, 9, np.random.default_rng(0))
    with pytest.raises(ValueError, match="k = 6 folds"):
        kfold_indices(5, 6)


def test_empty_data_raises():
    with pytest.raises(ValueError, match="empty"):
        kmeans(np.empty((0, 2)), 1)
    with pytest.raises(ValueError, match="empty"):
        pca_eig(np.empty((0, 3)), 1)
    with pytest.raises(ValueError, match="empty"):
        fit_regression_tree(np.empty((0, 2)), np.empty(0))
    with pytest.raises(ValueError, match="empty"):
        entropy([])
    with pytest.raises(ValueError, match="empty"):
        check_probabilities([])


def test_mismatched_lengths_raise():
    with pytest.raises(ValueError, match="5 rows but y has 4"):
        fit_regression_tree(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="5 rows but y has 4"):
        fit_logistic(np.zeros((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="one label per prediction"):
        fit_platt(np.zeros(5), np.zeros(4))
    with pytest.raises(ValueError, match="same length"):
        information_gain([0, 1, 2], [0, 1])


@pytest.mark.parametrize("kwargs, msg", [({"n_trees": 0}, "n_trees"), ({"n_trees": -3}, "n_trees"),
                                         ({"n_trees": 5, "max_depth": 0}, "max_depth"),
                                         ({"n_trees": 5, "max_depth": -1}, "max_depth"),
                                         ({"n_trees": 5, "min_samples_leaf": 0}, "min_samples_leaf"),
                                         ({"n_trees": 5, "max_features": 4}, "max_features")])
def test_bad_forest_parameters_raise(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        fit_forest(rng.random((10, 3)), rng.random(10), **kwargs)


def test_other_bad_inputs_raise():
    with pytest.raises(ValueError, match="labels must be -1 or \\+1"):
        fit_linear_svm_dual(np.zeros((2, 2)), np.array([0, 1]))
    with pytest.raises(ValueError, match="C must be positive"):
        fit_linear_svm_dual(np.zeros((2, 2)), np.array([-1, 1]), C=0)
    with pytest.raises(ValueError, match="k must be an integer in"):
        smote(rng.normal(size=(3, 2)), 5, k=3)
    with pytest.raises(ValueError, match="every class needs at least k"):
        stratified_kfold_indices(np.r_[np.zeros(10), np.ones(2)], 3)
    with pytest.raises(ValueError, match="n_rounds"):
        adaboost_stumps(np.zeros((2, 1)), np.array([-1, 1]), 0)
    with pytest.raises(ValueError, match="B must be a positive integer"):
        averaged_variance(1.0, 0.5, 0)
    with pytest.raises(ValueError, match="init must be"):
        kmeans(rng.normal(size=(10, 2)), 2, init="kmeans++")
