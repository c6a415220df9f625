"""FlashAttention in numpy: tiled forward with online softmax, backward by recomputation, counted HBM
accesses, variable-length batches and block masks, split-KV decoding, roofline intensities and the
FP8 incoherent-processing transform of FlashAttention-3.

Everything works on one attention head: Q (N, d), K (N_k, d), V (N_k, d_v). "HBM" traffic is counted in
elements (multiply by the bytes per element for bytes); a tile that the simulated kernel loads or stores
is counted once per load or store.
"""
import numpy as np


# --8<-- [start:checks]
def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _check_qkv(Q, K, V):
    Q, K, V = (np.asarray(a, dtype=float) for a in (Q, K, V))
    if Q.ndim != 2 or K.ndim != 2 or V.ndim != 2:
        raise ValueError(f"Q, K, V must be 2-D (tokens, dim), got shapes {Q.shape}, {K.shape}, {V.shape}")
    if Q.shape[1] != K.shape[1]:
        raise ValueError(f"Q and K must have the same head dim, got {Q.shape[1]} and {K.shape[1]}")
    if K.shape[0] != V.shape[0]:
        raise ValueError(f"K and V must have the same number of tokens, got {K.shape[0]} and {V.shape[0]}")
    return Q, K, V


class HBMCounter:
    """Counts the elements a simulated kernel reads from and writes to HBM."""

    def __init__(self):
        self.reads = 0
        self.writes = 0

    def read(self, n):
        self.reads += int(n)

    def write(self, n):
        self.writes += int(n)

    @property
    def total(self):
        return self.reads + self.writes
# --8<-- [end:checks]


# --8<-- [start:standard]
def standard_attention(Q, K, V, causal=False, mask=None, scale=None, io=None):
    """Algorithm 0 of the FlashAttention paper: S, [mask], P, O as separate kernels through HBM.

    mask: boolean (N, N_k), True = keep. Rows with no kept key give an output of 0.
    Returns O (N, d_v) and P (N, N_k); P is what a standard backward pass keeps for later.
    """
    Q, K, V = _check_qkv(Q, K, V)
    io = HBMCounter() if io is None else io
    N, d = Q.shape
    scale = 1.0 / np.sqrt(d) if scale is None else scale
    keep = _keep_mask(N, K.shape[0], causal, mask)

    S = (Q @ K.T) * scale                      # kernel 1: read Q, K; write S
    io.read(Q.size + K.size)
    io.write(S.size)
    if keep is not None:                       # kernel 2: read S, write masked S
        io.read(S.size)
        S = np.where(keep, S, -np.inf)
        io.write(S.size)
    io.read(S.size)                            # kernel 3: read S, write P (row softmax)
    m = S.max(axis=1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    E = np.exp(S - m)
    den = E.sum(axis=1, keepdims=True)
    P = np.divide(E, den, out=np.zeros_like(E), where=den > 0)
    io.write(P.size)
    io.read(P.size + V.size)                   # kernel 4: read P, V; write O
    O = P @ V
    io.write(O.size)
    return O, P
# --8<-- [end:standard]


# --8<-- [start:online_update]
def online_softmax_update(m, l, acc, S_blk, V_blk, rescale_output=True):
    """Fold one block of scores into the running statistics of a block of rows.

    m: (B_r,) running row max; l: (B_r,) running sum of exp(s - m); acc: (B_r, d_v) running
    un-normalised output sum_j exp(s_j - m) v_j. S_blk: (B_r, B_c) scores (-inf = masked); V_blk: (B_c, d_v).
    rescale_output=False reproduces the common bug of rescaling l but not acc (for demonstration only).
    """
    m_new = np.maximum(m, S_blk.max(axis=1))
    shift = np.where(np.isfinite(m_new), m_new, 0.0)   # a row with nothing kept yet stays at 0 / 0
    alpha = np.exp(m - shift)                          # e^{m_old - m_new} <= 1 rescales the old sums
    P = np.exp(S_blk - shift[:, None])
    l_new = alpha * l + P.sum(axis=1)
    acc_new = (alpha[:, None] if rescale_output else 1.0) * acc + P @ V_blk   # rescale the output too
    return m_new, l_new, acc_new
# --8<-- [end:online_update]


# --8<-- [start:block_mask]
EMPTY, PARTIAL, FULL = 0, 1, 2


def classify_blocks(keep, block_q, block_k):
    """Tile a dense keep-mask into (block_q x block_k) tiles: EMPTY tiles are skipped, FULL tiles need no
    mask, PARTIAL tiles apply the element mask (FlexAttention's BlockMask stores the same split)."""
    keep = np.asarray(keep, dtype=bool)
    block_q = _positive_int("block_q", block_q)
    block_k = _positive_int("block_k", block_k)
    nq, nk = -(-keep.shape[0] // block_q), -(-keep.shape[1] // block_k)
    kinds = np.empty((nq, nk), dtype=int)
    for i in range(nq):
        for j in range(nk):
            tile = keep[i * block_q:(i + 1) * block_q, j * block_k:(j + 1) * block_k]
            kinds[i, j] = FULL if tile.all() else (PARTIAL if tile.any() else EMPTY)
    return kinds


def mask_from_mask_mod(mask_mod, n_q, n_k):
    """Dense keep-mask from a FlexAttention-style predicate mask_mod(q_idx, kv_idx) -> bool."""
    q_idx = np.arange(n_q)[:, None]
    kv_idx = np.arange(n_k)[None, :]
    return np.broadcast_to(np.asarray(mask_mod(q_idx, kv_idx), dtype=bool), (n_q, n_k)).copy()


def _keep_mask(N, Nk, causal, mask):
    """Combined boolean keep-mask (N, N_k) from the causal flag and an optional mask; None = keep all."""
    keep = None
    if causal:
        if N != Nk:
            raise ValueError(f"causal attention here needs as many queries as keys, got {N} and {Nk}")
        keep = np.tril(np.ones((N, N), dtype=bool))
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (N, Nk):
            raise ValueError(f"mask must have shape {(N, Nk)}, got {mask.shape}")
        keep = mask if keep is None else keep & mask
    return keep
# --8<-- [end:block_mask]


# --8<-- [start:forward]
def sram_footprint(block_q, block_k, d, d_v=None):
    """Elements on chip for one step: Q_i, acc_i, m_i, l_i (kept across the inner loop) + K_j, V_j, S_ij."""
    d_v = d if d_v is None else d_v
    return block_q * d + block_q * d_v + 2 * block_q + block_k * d + block_k * d_v + block_q * block_k


def flash_attention_forward(Q, K, V, block_q=64, block_k=64, causal=False, mask=None, scale=None,
                            sram=None, io=None):
    """Exact attention by tiles (FlashAttention-2 loop order: outer over query blocks, inner over key blocks).

    Never forms the N x N matrix: each query block keeps (m, l, acc) on chip while key/value blocks stream
    past. Returns O (N, d_v) and the row log-sum-exp L = m + log l (N,), the only statistic saved for the
    backward pass. sram: on-chip capacity in elements; ValueError if one tile does not fit.
    """
    Q, K, V = _check_qkv(Q, K, V)
    block_q = _positive_int("block_q", block_q)
    block_k = _positive_int("block_k", block_k)
    io = HBMCounter() if io is None else io
    N, d = Q.shape
    Nk, d_v = V.shape
    scale = 1.0 / np.sqrt(d) if scale is None else scale
    if sram is not None and sram_footprint(block_q, block_k, d, d_v) > sram:
        raise ValueError(f"SRAM of {sram} elements cannot hold one tile: block_q={block_q}, block_k={block_k}, "
                         f"d={d} need {sram_footprint(block_q, block_k, d, d_v)} elements")
    keep = _keep_mask(N, Nk, causal, mask)
    kinds = None if keep is None else classify_blocks(keep, block_q, block_k)
    O, L = np.zeros((N, d_v)), np.full(N, -np.inf)
    for bi, q0 in enumerate(range(0, N, block_q)):
        q1 = min(q0 + block_q, N)
        Qi = Q[q0:q1]
        io.read(Qi.size)
        m, l, acc = np.full(q1 - q0, -np.inf), np.zeros(q1 - q0), np.zeros((q1 - q0, d_v))
        for bj, k0 in enumerate(range(0, Nk, block_k)):
            if kinds is not None and kinds[bi, bj] == EMPTY:
                continue                                    # skipped tile: no load, no FLOPs
            k1 = min(k0 + block_k, Nk)
            Kj, Vj = K[k0:k1], V[k0:k1]
            io.read(Kj.size + Vj.size)
            S = (Qi @ Kj.T) * scale
            if kinds is not None and kinds[bi, bj] == PARTIAL:
                S = np.where(keep[q0:q1, k0:k1], S, -np.inf)
            m, l, acc = online_softmax_update(m, l, acc, S, Vj)
        O[q0:q1] = np.divide(acc, l[:, None], out=np.zeros_like(acc), where=l[:, None] > 0)
        with np.errstate(divide="ignore"):
            L[q0:q1] = m + np.log(l)                        # -inf for a row with no kept key
        io.write(O[q0:q1].size + (q1 - q0))
    return O, L
# --8<-- [end:forward]


# --8<-- [start:io]
def standard_attention_io(N, d, causal=False, d_v=None):
    """HBM element accesses of standard_attention (the masking pass only when causal)."""
    N, d = _positive_int("N", N), _positive_int("d", d)
    d_v = d if d_v is None else _positive_int("d_v", d_v)
    io = 2 * N * d + N * N                     # read Q, K; write S
    if causal:
        io += 2 * N * N                        # read S, write masked S
    io += 2 * N * N                            # read S, write P
    io += N * N + N * d_v + N * d_v            # read P, V; write O
    return io


def flash_attention_io(N, d, block_q, block_k, causal=False, d_v=None):
    """HBM element accesses of flash_attention_forward: Q read once, K and V once per query block
    (causal: only up to the diagonal), O and L written once."""
    N, d = _positive_int("N", N), _positive_int("d", d)
    block_q, block_k = _positive_int("block_q", block_q), _positive_int("block_k", block_k)
    d_v = d if d_v is None else _positive_int("d_v", d_v)
    kv_rows = 0
    for q0 in range(0, N, block_q):
        q1 = min(q0 + block_q, N)
        kv_rows += min(-(-q1 // block_k) * block_k, N) if causal else N
    return N * d + kv_rows * (d + d_v) + N * d_v + N


def block_sizes_for_sram(M, d, N=None):
    """Block sizes that fit an SRAM of M elements: block_q = floor(M / 6d) query rows stay on chip,
    block_k = min(block_q, d) keys stream; then HBM traffic ~ 2 N d * N / block_q = 12 N^2 d^2 / M."""
    M, d = _positive_int("M", M), _positive_int("d", d)
    block_q = M // (6 * d)
    if block_q < 1:
        raise ValueError(f"SRAM of {M} elements is too small for one block with head dim {d}: "
                         f"needs at least {6 * d} elements")
    if N is not None:
        block_q = min(block_q, _positive_int("N", N))
    return block_q, min(block_q, d)
# --8<-- [end:io]


# --8<-- [start:backward]
def flash_attention_backward(Q, K, V, O, dO, L, block_q=64, block_k=64, causal=False, scale=None, io=None):
    """dQ, dK, dV from Q, K, V, O, dO and the saved log-sum-exp L only (FlashAttention-2 backward order:
    outer over key blocks, whose dK_j, dV_j stay on chip; inner over query blocks). P is recomputed per tile."""
    Q, K, V = _check_qkv(Q, K, V)
    O, dO, L = (np.asarray(a, dtype=float) for a in (O, dO, L))
    N, d = Q.shape
    Nk, d_v = V.shape
    if O.shape != (N, d_v) or dO.shape != (N, d_v) or L.shape != (N,):
        raise ValueError(f"O and dO must have shape {(N, d_v)} and L shape {(N,)}, "
                         f"got {O.shape}, {dO.shape}, {L.shape}")
    block_q = _positive_int("block_q", block_q)
    block_k = _positive_int("block_k", block_k)
    io = HBMCounter() if io is None else io
    scale = 1.0 / np.sqrt(d) if scale is None else scale
    keep = _keep_mask(N, Nk, causal, None)
    kinds = None if keep is None else classify_blocks(keep, block_q, block_k)

    D = np.sum(dO * O, axis=1)                    # D_i = rowsum(dO * O) = rowsum(P * dP)
    io.read(dO.size + O.size)
    io.write(N)
    Lf = np.where(np.isfinite(L), L, np.inf)      # a row with no kept key has P = 0
    dQ, dK, dV = np.zeros_like(Q), np.zeros_like(K), np.zeros_like(V)
    for bj, k0 in enumerate(range(0, Nk, block_k)):
        k1 = min(k0 + block_k, Nk)
        Kj, Vj = K[k0:k1], V[k0:k1]
        io.read(Kj.size + Vj.size)
        dKj, dVj = np.zeros_like(Kj), np.zeros_like(Vj)
        for bi, q0 in enumerate(range(0, N, block_q)):
            if kinds is not None and kinds[bi, bj] == EMPTY:
                continue
            q1 = min(q0 + block_q, N)
            Qi, dOi = Q[q0:q1], dO[q0:q1]
            io.read(Qi.size + dOi.size + 2 * (q1 - q0) + dQ[q0:q1].size)    # Q_i, dO_i, L_i, D_i, dQ_i
            S = (Qi @ Kj.T) * scale
            if kinds is not None and kinds[bi, bj] == PARTIAL:
                S = np.where(keep[q0:q1, k0:k1], S, -np.inf)
            P = np.exp(S - Lf[q0:q1, None])       # recomputed probabilities, exact because L is exact
            dVj += P.T @ dOi
            dP = dOi @ Vj.T
            dS = P * (dP - D[q0:q1, None])
            dQ[q0:q1] += scale * (dS @ Kj)
            io.write(dQ[q0:q1].size)
            dKj += scale * (dS.T @ Qi)
        dK[k0:k1], dV[k0:k1] = dKj, dVj
        io.write(dKj.size + dVj.size)
    return dQ, dK, dV


def standard_attention_backward(Q, K, V, P, dO, scale=None, io=None):
    """Backward pass that reads the stored N x N matrix P (and writes dP, dS through HBM)."""
    Q, K, V = _check_qkv(Q, K, V)
    P, dO = np.asarray(P, dtype=float), np.asarray(dO, dtype=float)
    io = HBMCounter() if io is None else io
    scale = 1.0 / np.sqrt(Q.shape[1]) if scale is None else scale
    dV = P.T @ dO                                  # read P, dO; write dV
    io.read(P.size + dO.size)
    io.write(dV.size)
    dP = dO @ V.T                                  # read dO, V; write dP (N x N)
    io.read(dO.size + V.size)
    io.write(dP.size)
    dS = P * (dP - np.sum(P * dP, axis=1, keepdims=True))   # read P, dP; write dS (N x N)
    io.read(P.size + dP.size)
    io.write(dS.size)
    dQ = scale * (dS @ K)                          # read dS, K; write dQ
    io.read(dS.size + K.size)
    io.write(dQ.size)
    dK = scale * (dS.T @ Q)                        # read dS, Q; write dK
    io.read(dS.size + Q.size)
    io.write(dK.size)
    return dQ, dK, dV
# --8<-- [end:backward]


# --8<-- [start:varlen]
def cu_seqlens_from_lengths(lengths):
    """Cumulative sequence lengths [0, l_1, l_1 + l_2, ...], the int32 offsets a varlen kernel takes."""
    lengths = [_positive_int("sequence length", n) for n in lengths]
    if not lengths:
        raise ValueError("need at least one sequence")
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)


def _check_cu_seqlens(cu_seqlens, total):
    cu = np.asarray(cu_seqlens)
    if cu.ndim != 1 or cu.size < 2 or cu[0] != 0 or np.any(np.diff(cu) <= 0) or cu[-1] != total:
        raise ValueError(f"cu_seqlens must start at 0, increase strictly and end at {total} tokens, got {cu.tolist()}")
    return cu


def document_mask(cu_seqlens, causal=True):
    """Keep-mask of a packed batch: token i may attend to token j only inside the same document."""
    cu = _check_cu_seqlens(cu_seqlens, int(np.asarray(cu_seqlens)[-1]))
    doc = np.repeat(np.arange(cu.size - 1), np.diff(cu))
    keep = doc[:, None] == doc[None, :]
    return np.tril(keep) if causal else keep


def varlen_attention(Q, K, V, cu_seqlens, causal=True, block_q=64, block_k=64, io=None):
    """Packed (total_tokens, d) inputs, one attention per document, no padding and no cross-document keys."""
    Q, K, V = _check_qkv(Q, K, V)
    if Q.shape[0] != K.shape[0]:
        raise ValueError(f"packed self-attention needs as many queries as keys, got {Q.shape[0]} and {K.shape[0]}")
    cu = _check_cu_seqlens(cu_seqlens, Q.shape[0])
    O, L = np.zeros((Q.shape[0], V.shape[1])), np.zeros(Q.shape[0])
    for s, e in zip(cu[:-1], cu[1:]):
        O[s:e], L[s:e] = flash_attention_forward(Q[s:e], K[s:e], V[s:e], block_q, block_k, causal=causal, io=io)
    return O, L
# --8<-- [end:varlen]


# --8<-- [start:split_kv]
def merge_partial_attention(O_parts, L_parts):
    """Combine attention over disjoint key chunks: L = logsumexp_s L_s, O = sum_s exp(L_s - L) O_s."""
    O_parts, L_parts = np.asarray(O_parts, dtype=float), np.asarray(L_parts, dtype=float)
    if O_parts.ndim != 3 or L_parts.shape != O_parts.shape[:2]:
        raise ValueError(f"O_parts must be (splits, rows, d_v) and L_parts (splits, rows), "
                         f"got {O_parts.shape} and {L_parts.shape}")
    L_max = np.max(L_parts, axis=0)
    shift = np.where(np.isfinite(L_max), L_max, 0.0)
    w = np.exp(L_parts - shift)                       # (splits, rows)
    total = w.sum(axis=0)
    O = np.divide(np.einsum("sr,srd->rd", w, O_parts), total[:, None],
                  out=np.zeros(O_parts.shape[1:]), where=total[:, None] > 0)
    with np.errstate(divide="ignore"):
        L = shift + np.log(total)
    return O, L


def split_kv_attention(q, K, V, num_splits, scale=None):
    """Flash-Decoding: split the keys of a short query (e.g. one decode token) into chunks, attend to every
    chunk independently (in parallel on a GPU), then merge the partial outputs by their log-sum-exp."""
    q, K, V = _check_qkv(q, K, V)
    num_splits = _positive_int("num_splits", num_splits)
    if num_splits > K.shape[0]:
        raise ValueError(f"num_splits {num_splits} exceeds the {K.shape[0]} cached keys")
    parts = [flash_attention_forward(q, K[idx], V[idx], block_q=q.shape[0], block_k=len(idx), scale=scale)
             for idx in np.array_split(np.arange(K.shape[0]), num_splits)]
    return merge_partial_attention([p[0] for p in parts], [p[1] for p in parts])
# --8<-- [end:split_kv]


# --8<-- [start:roofline]
def gemm_intensity(m, k, n, bytes_per_elem=2):
    """FLOP per byte of C = A B with A (m x k), B (k x n): 2mkn FLOPs over reading A, B and writing C once."""
    m, k, n = (_positive_int(name, v) for name, v in (("m", m), ("k", k), ("n", n)))
    return 2.0 * m * k * n / (bytes_per_elem * (m * k + k * n + m * n))


def elementwise_intensity(flops_per_elem, bytes_per_elem=2, reads=1, writes=1):
    """FLOP per byte of an elementwise pass (mask, softmax, dropout) that reads and writes each element."""
    if flops_per_elem <= 0 or reads + writes <= 0:
        raise ValueError(f"need positive FLOPs and memory traffic, got {flops_per_elem} and {reads + writes}")
    return flops_per_elem / (bytes_per_elem * (reads + writes))


def decode_attention_intensity(n_ctx, head_dim, q_per_kv=1, bytes_per_elem=2):
    """One decode step of one KV head: q_per_kv query heads (GQA group) against n_ctx cached keys/values."""
    n, d, g = (_positive_int(name, v) for name, v in (("n_ctx", n_ctx), ("head_dim", head_dim), ("q_per_kv", q_per_kv)))
    flops = 4.0 * g * n * d                              # q K^T and p V
    bytes_ = bytes_per_elem * (2 * n * d + 2 * g * d)    # read K, V (and q); write o
    return flops / bytes_


def fused_attention_intensity(n, head_dim, causal=False, bytes_per_elem=2):
    """Prefill attention fused into one kernel, ideal traffic (Q, K, V read once, O written once)."""
    n, d = _positive_int("n", n), _positive_int("head_dim", head_dim)
    flops = 4.0 * n * n * d / (2 if causal else 1)
    return flops / (bytes_per_elem * 4 * n * d)


def ridge_point(peak_flops, mem_bw):
    """Arithmetic intensity (FLOP/B) where the roofline turns from the bandwidth slope to the compute roof."""
    if peak_flops <= 0 or mem_bw <= 0:
        raise ValueError(f"peak FLOP/s and bandwidth must be positive, got {peak_flops} and {mem_bw}")
    return peak_flops / mem_bw
# --8<-- [end:roofline]


# --8<-- [start:incoherent]
def random_hadamard(d, rng):
    """Orthogonal M = H diag(s) / sqrt(d): Sylvester-Hadamard H with random signs s (d a power of 2)."""
    d = _positive_int("d", d)
    if d & (d - 1):
        raise ValueError(f"the Hadamard transform needs d a power of 2, got {d}")
    H = np.ones((1, 1))
    while H.shape[0] < d:
        H = np.block([[H, H], [H, -H]])
    return H * rng.choice([-1.0, 1.0], size=d)[None, :] / np.sqrt(d)


def round_to_e4m3(x):
    """Round to FP8 e4m3 after one per-tensor scale (amax -> 448): 3 mantissa bits, exponents -6..8."""
    x = np.asarray(x, dtype=float)
    amax = np.max(np.abs(x))
    if amax == 0:
        return x.copy()
    y = x * (448.0 / amax)
    e = np.clip(np.floor(np.log2(np.maximum(np.abs(y), 2.0 ** -9))), -6, 8)
    step = 2.0 ** (e - 3)
    return np.clip(np.round(y / step) * step, -448, 448) * (amax / 448.0)
# --8<-- [end:incoherent]
