"""BERT input embeddings: the sum of three lookups equals one 3-hot vector times a stacked matrix."""
import numpy as np


# --8<-- [start:bert_embedding]
def bert_embedding_sum(tok, pos, seg, E_tok, E_pos, E_seg):
    """What BERT computes (before LayerNorm and dropout): three table lookups, added."""
    return E_tok[tok] + E_pos[pos] + E_seg[seg]


def bert_embedding_three_hot(tok, pos, seg, E_tok, E_pos, E_seg):
    """Same thing written as [onehot(tok); onehot(pos); onehot(seg)] @ [E_tok; E_pos; E_seg]."""
    V, P, G = len(E_tok), len(E_pos), len(E_seg)
    n = len(tok)
    H = np.zeros((n, V + P + G))
    H[np.arange(n), tok] = 1.0
    H[np.arange(n), V + np.asarray(pos)] = 1.0
    H[np.arange(n), V + P + np.asarray(seg)] = 1.0
    E = np.concatenate([E_tok, E_pos, E_seg], axis=0)     # (V+P+G, hidden)
    return H @ E
# --8<-- [end:bert_embedding]
