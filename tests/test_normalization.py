"""Properties of snippets/normalization/norms.py."""

import numpy as np
import pytest

from snippets.normalization.norms import batch_norm, layer_norm, rms_norm

rng = np.random.default_rng(0)


def test_batch_norm_statistics_are_per_channel_over_n_h_w():
    x = rng.normal(loc=3.0, scale=2.0, size=(6, 5, 4, 4))
    y = batch_norm(x)
    assert np.allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-12)
    assert np.allclose(y.var(axis=(0, 2, 3)), 1, atol=1e-4)
    # not per-pixel: a single position's batch mean is not zero in general
    assert not np.allclose(y.mean(axis=0), 0, atol=1e-3)


def test_batch_norm_affine_can_recover_identity():
    x = rng.normal(size=(64, 8)) * 3 + 1
    gamma = np.sqrt(x.var(axis=0) + 1e-5)
    beta = x.mean(axis=0)
    assert np.allclose(batch_norm(x, gamma, beta), x)


def test_layer_norm_matches_definition_and_is_per_sample():
    x = rng.normal(size=(3, 7, 16)) * 4 - 2
    y = layer_norm(x, eps=0.0)
    assert np.allclose(y.mean(axis=-1), 0, atol=1e-12)
    assert np.allclose(y.std(axis=-1), 1)
    # independent of the other samples in the batch
    assert np.allclose(layer_norm(x[:1]), layer_norm(x)[:1])


def test_layer_norm_is_invariant_to_shift_and_scale_of_its_input():
    x = rng.normal(size=(5, 32))
    assert np.allclose(layer_norm(3 * x + 7, eps=0.0), layer_norm(x, eps=0.0))


def test_rms_norm_output_has_unit_rms_and_no_recentering():
    x = rng.normal(size=(10, 64)) * 5 + 3
    y = rms_norm(x, eps=0.0)
    assert np.allclose(np.sqrt((y ** 2).mean(axis=-1)), 1.0)
    assert not np.allclose(y.mean(axis=-1), 0, atol=0.1)   # the mean is kept (no re-centering)
    assert np.allclose(rms_norm(4 * x, eps=0.0), y)         # scale invariant


def test_rms_norm_equals_layer_norm_for_zero_mean_input():
    x = rng.normal(size=(8, 128))
    x -= x.mean(axis=-1, keepdims=True)
    assert np.allclose(rms_norm(x, eps=1e-5), layer_norm(x, eps=1e-5))


@pytest.mark.parametrize("d", [4, 64, 1024])
def test_sum_instead_of_mean_would_shrink_the_output_by_sqrt_n(d):
    x = rng.normal(size=(32, d))
    l2 = x / np.sqrt((x ** 2).sum(axis=-1, keepdims=True))
    assert np.allclose(np.sqrt((l2 ** 2).mean(axis=-1)), 1 / np.sqrt(d))
    assert np.allclose(rms_norm(x, eps=0.0), np.sqrt(d) * l2)
