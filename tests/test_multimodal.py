"""Multimodal snippets: patch embedding == strided convolution, ViT parameter / MAC counts, position-embedding
interpolation, image-token counts, CLIP's symmetric InfoNCE (against the retrieval snippet and finite
differences), SigLIP's sigmoid loss (naive double loop, gradients, device chunking), zero-shot classification,
the linear probe, and the bad-input cases."""
import numpy as np
import pytest

from snippets.multimodal.contrastive import (
    ToyWorld, clip_loss, encode, encode_backward, ensemble_prompts, linear_probe, log_scale_from_temperature,
    siglip_loss, siglip_loss_chunked, train_dual_encoder, zero_shot_classify,
)
from snippets.multimodal.vit import (
    conv2d_valid, interpolate_pos_embed, mllm_image_tokens, num_patches, patch_embed, patchify, vit_macs,
    vit_params,
)
from snippets.retrieval.losses import in_batch_infonce


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def numeric_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        g[i] = (f(xp) - f(xm)) / (2 * eps)
    return g


# --- ViT ------------------------------------------------------------------------------------------


def test_patch_embedding_is_a_stride_p_convolution(rng):
    p, c, d = 4, 3, 5
    images = rng.normal(size=(2, 8, 12, c))
    kernel = rng.normal(size=(p, p, c, d))
    bias = rng.normal(size=d)
    conv = conv2d_valid(images, kernel, bias, stride=p)                      # (B, H/P, W/P, D)
    lin = patch_embed(images, kernel.reshape(p * p * c, d), bias, p)        # (B, N, D)
    assert conv.shape == (2, 2, 3, d)
    assert np.allclose(conv.reshape(2, 6, d), lin)


def test_patchify_order_is_raster_and_row_col_channel(rng):
    images = rng.normal(size=(1, 4, 6, 2))
    tokens = patchify(images, 2)
    assert tokens.shape == (1, 6, 8)
    # the second patch (row 0, col 1) covers pixels [0:2, 2:4]
    assert np.array_equal(tokens[0, 1], images[0, 0:2, 2:4, :].reshape(-1))
    # the fourth patch (row 1, col 0) covers pixels [2:4, 0:2]
    assert np.array_equal(tokens[0, 3], images[0, 2:4, 0:2, :].reshape(-1))


def test_token_counts():
    assert num_patches(224, 224, 16) == 196
    assert num_patches(336, 336, 14) == 576
    assert num_patches(224, 224, 32) == 49
    assert mllm_image_tokens(336, 336, 14) == 576                       # LLaVA-1.5
    assert mllm_image_tokens(224, 224, 14) == 256                       # LLaVA (CLIP ViT-L/14 at 224)
    assert mllm_image_tokens(224, 224, 14, merge=2, extra=2) == 66      # Qwen2-VL


def test_vit_params_match_a_naive_shape_count():
    depth, d, mlp, p, img, classes = 12, 768, 3072, 16, 224, 1000
    n = (img // p) ** 2 + 1
    shapes = [(p * p * 3, d), (d,), (d,), (n, d)]                        # patch E and bias, [CLS], position
    for _ in range(depth):
        shapes += [(d,), (d,)]                                           # LN 1
        shapes += [(d, d), (d,)] * 4                                     # W_Q, W_K, W_V, W_O
        shapes += [(d,), (d,)]                                           # LN 2
        shapes += [(d, mlp), (mlp,), (mlp, d), (d,)]                     # MLP
    shapes += [(d,), (d,), (d, classes), (classes,)]                     # final LN, head
    naive = sum(int(np.prod(s)) for s in shapes)
    got = vit_params(depth, d, mlp, p, img, num_classes=classes)
    assert got["total"] == naive
    assert 86e6 < got["total"] < 87e6                                   # ViT-B/16: "86M" (Table 1)
    huge = vit_params(32, 1280, 5120, 14, 224)["total"]
    assert abs(huge / 632e6 - 1) < 0.01                                 # ViT-H/14: "632M"


def test_vit_macs_terms():
    m = vit_macs(12, 768, 3072, 16, 224)
    assert m["tokens"] == 197
    assert m["attention"] == 12 * 2 * 197 ** 2 * 768
    assert 17.0e9 < m["total"] < 18.0e9
    # doubling the side quadruples the patches; the quadratic attention term grows ~16x
    m2 = vit_macs(12, 768, 3072, 16, 448)
    assert m2["tokens"] == 4 * 196 + 1
    assert m2["attention"] / m["attention"] > 15
    assert m2["attention"] / m2["total"] > m["attention"] / m["total"]


def test_interpolate_pos_embed_identity_affine_and_prefix(rng):
    g, d = 5, 3
    pos = rng.normal(size=(1 + g * g, d))
    assert np.allclose(interpolate_pos_embed(pos, g), pos)              # same grid -> unchanged
    # an embedding that is affine in (row, col) is reproduced exactly on the new grid
    a, b, c = rng.normal(size=(3, d))
    rows, cols = np.meshgrid(np.arange(g), np.arange(g), indexing="ij")
    affine = rows[..., None] * a + cols[..., None] * b + c
    pos = np.concatenate([rng.normal(size=(1, d)), affine.reshape(-1, d)])
    new = interpolate_pos_embed(pos, 9)
    r2, c2 = np.meshgrid(np.linspace(0, g - 1, 9), np.linspace(0, g - 1, 9), indexing="ij")
    assert new.shape == (1 + 81, d)
    assert np.array_equal(new[0], pos[0])                                # [CLS] is kept as is
    assert np.allclose(new[1:], (r2[..., None] * a + c2[..., None] * b + c).reshape(-1, d))


# --- CLIP -----------------------------------------------------------------------------------------


def test_clip_loss_equals_symmetric_in_batch_infonce(rng):
    u, v = unit(rng.normal(size=(6, 4))), unit(rng.normal(size=(6, 4)))
    for tau in (0.07, 0.5, 1.0):
        t = log_scale_from_temperature(tau)
        assert np.isclose(clip_loss(u, v, t)[0], in_batch_infonce(u, v, tau=tau, symmetric=True))


def test_clip_loss_uninformative_is_log_n():
    n = 7
    u = np.tile([[1.0, 0.0]], (n, 1))
    assert np.isclose(clip_loss(u, u, 2.0)[0], np.log(n))               # all logits equal


def test_clip_gradients_match_finite_differences(rng):
    u, v, t = unit(rng.normal(size=(5, 3))), unit(rng.normal(size=(5, 3))), 1.7
    _, gu, gv, gt = clip_loss(u, v, t)
    assert np.allclose(gu, numeric_grad(lambda x: clip_loss(x, v, t)[0], u), atol=1e-7)
    assert np.allclose(gv, numeric_grad(lambda x: clip_loss(u, x, t)[0], v), atol=1e-7)
    assert np.isclose(gt, (clip_loss(u, v, t + 1e-6)[0] - clip_loss(u, v, t - 1e-6)[0]) / 2e-6, atol=1e-7)


def test_encoder_backward_through_normalisation(rng):
    x, y = rng.normal(size=(6, 5)), rng.normal(size=(6, 4))
    wi, wt = rng.normal(size=(3, 5)), rng.normal(size=(3, 4))

    def loss(wi_):
        return clip_loss(encode(wi_, x)[0], encode(wt, y)[0], 1.0)[0]

    u, nu = encode(wi, x)
    _, gu, _, _ = clip_loss(u, encode(wt, y)[0], 1.0)
    assert np.allclose(encode_backward(gu, u, nu, x), numeric_grad(loss, wi), atol=1e-7)


# --- SigLIP ---------------------------------------------------------------------------------------


def test_siglip_loss_equals_a_naive_double_loop(rng):
    u, v, t, b = unit(rng.normal(size=(5, 3))), unit(rng.normal(size=(5, 3))), np.log(10), -3.0
    naive = 0.0
    for i in range(5):
        for j in range(5):
            z = 1.0 if i == j else -1.0
            naive += np.log1p(np.exp(-z * (np.exp(t) * u[i] @ v[j] + b)))
    assert np.isclose(siglip_loss(u, v, t, b)[0], naive / 5)


def test_siglip_gradients_match_finite_differences(rng):
    u, v, t, b = unit(rng.normal(size=(4, 3))), unit(rng.normal(size=(4, 3))), 0.8, -1.5
    _, gu, gv, gt, gb = siglip_loss(u, v, t, b)
    assert np.allclose(gu, numeric_grad(lambda x: siglip_loss(x, v, t, b)[0], u), atol=1e-7)
    assert np.allclose(gv, numeric_grad(lambda x: siglip_loss(u, x, t, b)[0], v), atol=1e-7)
    e = 1e-6
    assert np.isclose(gt, (siglip_loss(u, v, t + e, b)[0] - siglip_loss(u, v, t - e, b)[0]) / (2 * e), atol=1e-7)
    assert np.isclose(gb, (siglip_loss(u, v, t, b + e)[0] - siglip_loss(u, v, t, b - e)[0]) / (2 * e), atol=1e-7)


@pytest.mark.parametrize("devices", [1, 2, 3, 4, 12])
def test_siglip_chunked_equals_full_and_shrinks_blocks(rng, devices):
    u, v = unit(rng.normal(size=(12, 5))), unit(rng.normal(size=(12, 5)))
    full = siglip_loss(u, v, np.log(10), -10.0)[0]
    chunked, largest = siglip_loss_chunked(u, v, np.log(10), -10.0, devices)
    assert np.isclose(chunked, full, rtol=1e-12)
    assert largest == (12 // devices) ** 2


def test_siglip_initial_loss_closed_form():
    # embeddings that carry no information (cos = 0): logits are all b
    n = 50
    u = np.zeros((n, 2))
    u[:, 0] = 1.0
    v = np.zeros((n, 2))
    v[:, 1] = 1.0
    for b in (0.0, -10.0):
        expected = np.log1p(np.exp(-b)) + (n - 1) * np.log1p(np.exp(b))
        assert np.isclose(siglip_loss(u, v, np.log(10), b)[0], expected)
    assert np.isclose(siglip_loss(u, v, np.log(10), 0.0)[0], n * np.log(2))


# --- training, zero-shot, probe -------------------------------------------------------------------


@pytest.mark.parametrize("loss", ["clip", "siglip"])
def test_training_lowers_the_loss_and_clips_the_scale(loss):
    world = ToyWorld(classes=5, seed=1)
    x_img, x_txt, _ = world.pairs(600, np.random.default_rng(2))
    params, hist = train_dual_encoder(x_img, x_txt, dim=8, batch=32, steps=150, loss=loss, max_logit_scale=30.0)
    assert hist[-20:].mean() < 0.5 * hist[:5].mean()
    assert float(params["t"]) <= np.log(30.0) + 1e-12


def test_zero_shot_and_ensemble(rng):
    classes = unit(rng.normal(size=(4, 6)))
    images = classes[[2, 0, 3, 1, 2]] + 0.01 * rng.normal(size=(5, 6))
    assert np.array_equal(zero_shot_classify(images, classes), [2, 0, 3, 1, 2])
    prompts = classes[:, None, :] + 0.1 * rng.normal(size=(4, 7, 6))
    ens = ensemble_prompts(prompts)
    assert np.allclose(np.linalg.norm(ens, axis=1), 1.0)
    assert np.allclose(ens, unit(prompts.mean(axis=1)))


def test_linear_probe_separates_separable_classes(rng):
    centers = 5 * unit(rng.normal(size=(3, 4)))
    y = rng.integers(3, size=90)
    x = centers[y] + 0.1 * rng.normal(size=(90, 4))
    w, b = linear_probe(x, y, 3)
    assert np.array_equal(np.argmax(x @ w + b, axis=1), y)


# --- bad input ------------------------------------------------------------------------------------


def test_bad_inputs(rng):
    with pytest.raises(ValueError, match="not divisible by the patch size 16"):
        num_patches(225, 224, 16)
    with pytest.raises(ValueError, match="not divisible"):
        patchify(rng.normal(size=(1, 30, 32, 3)), 16)
    with pytest.raises(ValueError, match="not divisible"):
        mllm_image_tokens(336, 336, 14, merge=5)
    with pytest.raises(ValueError, match="positive integer"):
        num_patches(224, 224, 0)
    with pytest.raises(ValueError, match="square grid"):
        interpolate_pos_embed(rng.normal(size=(1 + 12, 4)), 4)
    u = unit(rng.normal(size=(8, 4)))
    with pytest.raises(ValueError, match="image batch 8 and text batch 6 differ"):
        clip_loss(u, u[:6], 1.0)
    with pytest.raises(ValueError, match="image batch 8 and text batch 6 differ"):
        siglip_loss(u, u[:6], 1.0, -10.0)
    with pytest.raises(ValueError, match="8 images but 6 texts"):
        train_dual_encoder(u, u[:6], dim=2, batch=4, steps=1)
    with pytest.raises(ValueError, match="cannot be split evenly over 3 devices"):
        siglip_loss_chunked(u, u, 1.0, -10.0, 3)
    for tau in (0.0, -0.07):
        with pytest.raises(ValueError, match="temperature must be positive"):
            log_scale_from_temperature(tau)
        with pytest.raises(ValueError, match="temperature must be positive"):
            train_dual_encoder(u, u, dim=2, batch=4, steps=1, tau_init=tau)
    with pytest.raises(ValueError, match="label set is empty"):
        zero_shot_classify(u, np.zeros((0, 4)))
    with pytest.raises(ValueError, match="shape \\(classes, templates, d\\)"):
        ensemble_prompts(np.zeros((3, 0, 4)))
    with pytest.raises(ValueError, match="at least one class"):
        ToyWorld(classes=0)
    with pytest.raises(ValueError, match="labels must lie in"):
        linear_probe(u, np.array([0, 1, 2, 3, 0, 1, 2, 5]), 4)
