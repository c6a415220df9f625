"""BERT-family pre-training: MLM 80/10/10 masking, static vs dynamic masks, parameter counts from configs."""
import numpy as np
import pytest

from snippets.attention.bert import (
    IGNORE, KEPT, MASKED, NONE, RANDOM, bert_params, epoch_masks, jaccard, mlm_mask, modernbert_params,
)

V, MASK_ID, CLS, SEP = 1000, 3, 1, 2


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def stream(rng, n=200_000):
    t = rng.integers(10, V, n)
    t[::128] = CLS
    t[127::128] = SEP
    return t


def test_proportions_within_binomial_bounds(rng):
    t = stream(rng)
    inputs, labels, kind = mlm_mask(t, rng, V, MASK_ID, special_ids=(CLS, SEP))
    eligible = ~np.isin(t, [CLS, SEP])
    sel = kind != NONE
    n, k = eligible.sum(), sel.sum()
    assert abs(k / n - 0.15) < 4 * np.sqrt(0.15 * 0.85 / n)
    for which, p in ((MASKED, 0.8), (RANDOM, 0.1), (KEPT, 0.1)):
        assert abs(np.mean(kind[sel] == which) - p) < 4 * np.sqrt(p * (1 - p) / k)


def test_labels_inputs_and_special_tokens(rng):
    t = stream(rng, 20_000)
    inputs, labels, kind = mlm_mask(t, rng, V, MASK_ID, special_ids=(CLS, SEP))
    sel = kind != NONE
    assert np.array_equal(labels[sel], t[sel]) and np.all(labels[~sel] == IGNORE)
    assert np.all(inputs[kind == MASKED] == MASK_ID)
    assert np.array_equal(inputs[(kind == NONE) | (kind == KEPT)], t[(kind == NONE) | (kind == KEPT)])
    assert not np.any(sel[np.isin(t, [CLS, SEP])])


def test_degenerate_probabilities(rng):
    t = stream(rng, 5000)
    _, labels, _ = mlm_mask(t, rng, V, MASK_ID, mask_prob=0.0)
    assert np.all(labels == IGNORE)
    inputs, _, kind = mlm_mask(t, rng, V, MASK_ID, mask_prob=1.0, p_mask=1.0, p_random=0.0)
    assert np.all(inputs == MASK_ID) and np.all(kind == MASKED)


def test_static_masks_repeat_every_dupe_factor_epochs_dynamic_do_not(rng):
    t = stream(rng, 5000)
    kw = dict(vocab_size=V, mask_id=MASK_ID)
    static = epoch_masks(t, 40, rng, dynamic=False, dupe_factor=10, **kw)
    dynamic = epoch_masks(t, 40, rng, dynamic=True, **kw)
    assert all(np.array_equal(static[e], static[e + 10]) for e in range(30))
    assert len({m.tobytes() for m in static}) == 10
    assert len({m.tobytes() for m in dynamic}) == 40
    # independent 15 % selections overlap with Jaccard p^2 / (2p - p^2) ~ 0.081
    j = np.mean([jaccard(dynamic[e], dynamic[e + 1]) for e in range(39)])
    assert abs(j - 0.15 ** 2 / (2 * 0.15 - 0.15 ** 2)) < 0.01
    assert jaccard(static[0], static[10]) == 1.0


def test_parameter_counts_match_published_sizes():
    assert abs(bert_params(30522, 768, 12, 3072) / 110e6 - 1) < 0.01            # BERT-base "110M"
    assert abs(bert_params(30522, 1024, 24, 4096) / 340e6 - 1) < 0.02           # BERT-large "340M"
    roberta_large = bert_params(50265, 1024, 24, 4096, max_pos=514, type_vocab=1)
    assert abs(roberta_large / 355e6 - 1) < 0.005                               # RoBERTa "355M"
    assert abs(bert_params(30000, 768, 12, 3072, embed_dim=128, share_layers=True) / 12e6 - 1) < 0.05
    assert modernbert_params(50368, 768, 22, 1152) == 149_655_232               # ModernBERT-base


def test_byte_bpe_adds_about_15m_and_20m_parameters():
    for hidden, layers, d_ff, extra in ((768, 12, 3072, 15e6), (1024, 24, 4096, 20e6)):
        diff = (bert_params(50265, hidden, layers, d_ff, max_pos=514, type_vocab=1)
                - bert_params(30522, hidden, layers, d_ff))
        assert abs(diff / extra - 1) < 0.05


def test_albert_sharing_keeps_compute_but_not_parameters():
    shared = bert_params(30000, 768, 12, 3072, embed_dim=128, share_layers=True)
    assert shared == bert_params(30000, 768, 1, 3072, embed_dim=128)


def test_bad_input_raises(rng):
    t = np.arange(10, 20)
    with pytest.raises(ValueError, match=r"mask_prob = 1.5 is not a probability in \[0, 1\]"):
        mlm_mask(t, rng, V, MASK_ID, mask_prob=1.5)
    with pytest.raises(ValueError, match="p_random = -0.1 is not a probability"):
        mlm_mask(t, rng, V, MASK_ID, p_random=-0.1)
    with pytest.raises(ValueError, match="exceeds 1"):
        mlm_mask(t, rng, V, MASK_ID, p_mask=0.8, p_random=0.3)
    with pytest.raises(ValueError, match="mask_id 1000 is not a token"):
        mlm_mask(t, rng, V, 1000)
    with pytest.raises(ValueError, match="must be >= 1"):
        epoch_masks(t, 0, rng, vocab_size=V, mask_id=MASK_ID)
