"""BERT-family pre-training in numpy: MLM masking (80/10/10), static vs dynamic masks, and parameter
counts of BERT, RoBERTa, ALBERT and ModernBERT computed from their configurations."""
# --8<-- [start:mlm_mask]
import numpy as np

IGNORE = -100   # label of positions that carry no MLM loss (the convention of PyTorch's cross_entropy)
NONE, MASKED, RANDOM, KEPT = 0, 1, 2, 3


def check_prob(name, p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name} = {p} is not a probability in [0, 1]")


def mlm_mask(tokens, rng, vocab_size, mask_id, mask_prob=0.15, p_mask=0.8, p_random=0.1, special_ids=()):
    """Select each non-special token with probability mask_prob; of the selected ones replace p_mask
    by [MASK], p_random by a uniformly random token (it may equal the original), keep the rest.

    Returns (inputs, labels, kind): labels hold the original token at selected positions and IGNORE
    elsewhere; kind is NONE / MASKED / RANDOM / KEPT per position.
    """
    for name, p in (("mask_prob", mask_prob), ("p_mask", p_mask), ("p_random", p_random)):
        check_prob(name, p)
    if p_mask + p_random > 1.0:
        raise ValueError(f"p_mask + p_random = {p_mask + p_random} exceeds 1")
    if vocab_size < 1 or not 0 <= mask_id < vocab_size:
        raise ValueError(f"mask_id {mask_id} is not a token of a vocabulary of size {vocab_size}")
    tokens = np.asarray(tokens)
    selected = (rng.random(tokens.shape) < mask_prob) & ~np.isin(tokens, list(special_ids))
    u = rng.random(tokens.shape)
    kind = np.full(tokens.shape, NONE)
    kind[selected & (u < p_mask)] = MASKED
    kind[selected & (u >= p_mask) & (u < p_mask + p_random)] = RANDOM
    kind[selected & (u >= p_mask + p_random)] = KEPT
    inputs = tokens.copy()
    inputs[kind == MASKED] = mask_id
    inputs[kind == RANDOM] = rng.integers(0, vocab_size, int(np.sum(kind == RANDOM)))
    labels = np.where(selected, tokens, IGNORE)
    return inputs, labels, kind
# --8<-- [end:mlm_mask]


# --8<-- [start:static_dynamic]
def epoch_masks(tokens, n_epochs, rng, dynamic=True, dupe_factor=10, **mask_kw):
    """The MLM selection used in each epoch (boolean array per epoch).

    Static (original BERT data pipeline): the data is masked once per copy, dupe_factor copies, and
    epoch e sees copy e mod dupe_factor. Dynamic (RoBERTa): a fresh mask every time a sequence is fed.
    """
    if n_epochs < 1 or dupe_factor < 1:
        raise ValueError(f"n_epochs = {n_epochs} and dupe_factor = {dupe_factor} must be >= 1")
    if dynamic:
        return [mlm_mask(tokens, rng, **mask_kw)[1] != IGNORE for _ in range(n_epochs)]
    copies = [mlm_mask(tokens, rng, **mask_kw)[1] != IGNORE for _ in range(dupe_factor)]
    return [copies[e % dupe_factor] for e in range(n_epochs)]


def jaccard(a, b):
    """|a and b| / |a or b| of two boolean selections."""
    union = np.sum(a | b)
    return float(np.sum(a & b) / union) if union else 1.0
# --8<-- [end:static_dynamic]


# --8<-- [start:param_counts]
def bert_params(vocab, hidden, layers, d_ff, max_pos=512, type_vocab=2, pooler=True,
                embed_dim=None, share_layers=False):
    """BERT / RoBERTa / ALBERT encoder parameters (with biases and LayerNorm gain + bias).

    embed_dim (ALBERT's E) factorises the embeddings: V x E tables plus an E x H projection.
    share_layers (ALBERT) stores one layer's weights for all `layers` layers.
    """
    E = hidden if embed_dim is None else embed_dim
    emb = (vocab + max_pos + type_vocab) * E + 2 * E                  # three tables + LayerNorm
    if E != hidden:
        emb += E * hidden + hidden                                     # projection E -> H
    layer = (4 * hidden * hidden + 4 * hidden                          # Q, K, V, O with biases
             + 2 * hidden * d_ff + d_ff + hidden                       # FFN with biases
             + 2 * 2 * hidden)                                         # two LayerNorms
    n_stored = 1 if share_layers else layers
    return emb + n_stored * layer + (hidden * hidden + hidden if pooler else 0)


def modernbert_params(vocab, hidden, layers, d_ff):
    """ModernBERT (masked-LM model, Warner et al. 2024): no biases except the decoder's, LayerNorm
    without bias, GeGLU FFN (W_in is hidden x 2 d_ff), no LayerNorm before the first attention,
    an MLM head (dense + norm) and a decoder tied to the token embedding (only its bias is new)."""
    emb = vocab * hidden + hidden                                      # token table + norm
    layer = 3 * hidden * hidden + hidden * hidden + hidden * 2 * d_ff + d_ff * hidden
    norms = (2 * layers - 1) * hidden + hidden                         # per-layer norms + final norm
    head = hidden * hidden + hidden + vocab                            # dense, norm, decoder bias
    return emb + layers * layer + norms + head
# --8<-- [end:param_counts]
