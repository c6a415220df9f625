"""近似最近邻（ANN）索引的 numpy 实现：精确 k-NN、k-means、IVF、乘积量化（PQ，含非对称距离 ADC）、IVF-PQ、HNSW，
以及各索引每个向量占多少字节。距离一律是平方欧氏距离（L2）；向量先归一化时，它与余弦 / 内积给出同样的排序。"""
import heapq
import math

import numpy as np


# --8<-- [start:sq_dists]
def _check_k(k, n):
    if not 1 <= k <= n:
        raise ValueError(f"k = {k} must be between 1 and the number of indexed vectors {n}")


def sq_dists(Q, X):
    """Q (q, d) 与 X (n, d) 两两之间的平方 L2 距离，形状 (q, n)。"""
    Q, X = np.atleast_2d(Q), np.atleast_2d(X)
    d = (Q * Q).sum(1)[:, None] - 2.0 * Q @ X.T + (X * X).sum(1)[None, :]
    return np.maximum(d, 0.0)
# --8<-- [end:sq_dists]


def clustered_vectors(n, d=64, intrinsic=16, n_clusters=30, noise=0.05, seed=0):
    """像 embedding 的合成向量：低维（intrinsic 维）高斯混合，经随机线性映射到 d 维，再加一点各向同性噪声。

    同一个 seed 给出同一组簇中心和映射，所以可以用不同的 `sample_seed` 从同一分布里另取查询。"""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(intrinsic, d)) / np.sqrt(intrinsic)
    C = rng.normal(size=(n_clusters, intrinsic)) * 1.5

    def sample(m, sample_seed):
        r = np.random.default_rng(sample_seed)
        z = C[r.integers(n_clusters, size=m)] + r.normal(size=(m, intrinsic))
        return z @ A + noise * r.normal(size=(m, d))

    return sample(n, seed + 1), sample


# --8<-- [start:exact]
def exact_knn(X, Q, k):
    """暴力 k-NN：算出每个查询到全部向量的距离再取最小的 k 个，返回 (q, k) 的下标（近的在前）。"""
    _check_k(k, len(X))
    d = sq_dists(Q, X)
    idx = np.argpartition(d, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(d, idx, axis=1).argsort(axis=1, kind="stable")
    return np.take_along_axis(idx, order, axis=1)


def knn_recall(found, truth):
    """recall@k：近似结果与精确 k 近邻的交集大小 / k，对查询取平均。"""
    found, truth = np.atleast_2d(found), np.atleast_2d(truth)
    k = truth.shape[1]
    return float(np.mean([len(set(f[:k]) & set(t)) / k for f, t in zip(found, truth)]))
# --8<-- [end:exact]


# --8<-- [start:kmeans]
def kmeans(X, n_clusters, n_iter=20, seed=0):
    """Lloyd 算法：随机取 n_clusters 个样本作初始中心，交替“分配到最近中心”和“中心取均值”。"""
    X = np.asarray(X, dtype=float)
    if not 1 <= n_clusters <= len(X):
        raise ValueError(f"cannot make {n_clusters} clusters from {len(X)} training vectors")
    rng = np.random.default_rng(seed)
    C = X[rng.choice(len(X), n_clusters, replace=False)].copy()
    for _ in range(n_iter):
        assign = sq_dists(X, C).argmin(1)
        counts = np.bincount(assign, minlength=n_clusters)
        onehot = np.zeros((n_clusters, len(X)))
        onehot[assign, np.arange(len(X))] = 1.0
        sums = onehot @ X
        empty = counts == 0
        C[~empty] = sums[~empty] / counts[~empty, None]
        C[empty] = X[rng.choice(len(X), empty.sum(), replace=False)]   # 空簇：重新取一个样本
    return C
# --8<-- [end:kmeans]


# --8<-- [start:ivf]
class IVFFlat:
    """倒排文件索引（IVF）：k-means 粗量化器把向量分到 nlist 个簇（倒排表），查询只扫最近的 nprobe 个簇。"""

    def __init__(self, nlist, seed=0):
        if nlist < 1:
            raise ValueError(f"nlist must be >= 1, got {nlist}")
        self.nlist, self.seed = nlist, seed

    def train(self, X):
        self.centroids = kmeans(X, self.nlist, seed=self.seed)
        return self

    def add(self, X):
        self.X = np.asarray(X, dtype=float)
        self._xn = (self.X ** 2).sum(1)                        # 缓存 ||x||²：||q-x||² = ||q||² - 2q·x + ||x||²
        self._cn = (self.centroids ** 2).sum(1)
        assign = sq_dists(self.X, self.centroids).argmin(1)
        self.lists = [np.flatnonzero(assign == c) for c in range(self.nlist)]
        return self

    def _probe(self, q, nprobe):
        if not 1 <= nprobe <= self.nlist:
            raise ValueError(f"nprobe = {nprobe} must be between 1 and nlist = {self.nlist}")
        dc = self._cn - 2.0 * self.centroids @ q
        return np.argsort(dc, kind="stable")[:nprobe]

    def search(self, Q, k, nprobe=1):
        """返回 (下标 (q, k), 每个查询平均算了多少次距离)；候选不足 k 个时用 -1 补齐。"""
        _check_k(k, len(self.X))
        out, cost = np.full((len(Q), k), -1), 0
        for i, q in enumerate(np.atleast_2d(Q)):
            cand = np.concatenate([self.lists[c] for c in self._probe(q, nprobe)])
            d = self._xn[cand] - 2.0 * self.X[cand] @ q + q @ q
            best = cand[np.argsort(d, kind="stable")[:k]]
            out[i, : len(best)] = best
            cost += self.nlist + len(cand)
        return out, cost / len(Q)
# --8<-- [end:ivf]


# --8<-- [start:pq]
class ProductQuantizer:
    """乘积量化（Jégou et al. 2011）：d 维向量切成 m 段、每段 d/m 维，每段各用 2^nbits 个中心做 k-means，
    一个向量存成 m 个码字下标（nbits = 8 时每段 1 字节）。"""

    def __init__(self, d, m, nbits=8, seed=0):
        if m < 1 or d % m != 0:
            raise ValueError(f"PQ needs the number of sub-vectors m = {m} to divide the dimension d = {d}")
        if not 1 <= nbits <= 8:
            raise ValueError(f"nbits must be in 1..8 (codes are stored as uint8), got {nbits}")
        self.d, self.m, self.nbits, self.seed = d, m, nbits, seed
        self.ds, self.ksub = d // m, 2 ** nbits

    def _sub(self, X, j):
        return X[:, j * self.ds:(j + 1) * self.ds]

    def train(self, X, n_iter=10):
        X = np.asarray(X, dtype=float)
        if X.shape[1] != self.d:
            raise ValueError(f"vectors have dimension {X.shape[1]}, the quantizer expects {self.d}")
        self.codebooks = np.stack([kmeans(self._sub(X, j), self.ksub, n_iter, seed=self.seed + j)
                                   for j in range(self.m)])              # (m, ksub, ds)
        return self

    def encode(self, X):
        X = np.asarray(X, dtype=float)
        return np.stack([sq_dists(self._sub(X, j), self.codebooks[j]).argmin(1)
                         for j in range(self.m)], axis=1).astype(np.uint8)   # (n, m)

    def decode(self, codes):
        return np.concatenate([self.codebooks[j][codes[:, j]] for j in range(self.m)], axis=1)

    def distance_table(self, q):
        """非对称距离（ADC）的查表：查询第 j 段到第 j 个码本每个中心的平方距离，形状 (m, ksub)。"""
        qs = np.asarray(q, dtype=float).reshape(self.m, 1, self.ds)
        return ((self.codebooks - qs) ** 2).sum(axis=2)

    def adc(self, table, codes):
        """查表求和：||q - x̂||² = sum_j table[j, code_j]，每个向量只做 m 次查表和加法。"""
        return table[np.arange(self.m), codes].sum(axis=1)
# --8<-- [end:pq]


# --8<-- [start:ivfpq]
class IVFPQ:
    """IVF-PQ（IVFADC）：粗量化器分簇，簇内存的是向量减去簇中心后的残差的 PQ 码；
    查询对每个被探查的簇用 (q - 簇中心) 建一张 ADC 表。"""

    def __init__(self, d, nlist, m, nbits=8, seed=0):
        self.ivf = IVFFlat(nlist, seed)
        self.pq = ProductQuantizer(d, m, nbits, seed)
        self.nlist = nlist

    def train(self, X):
        """在训练样本上学粗量化器和残差的 PQ 码本（FAISS 同样只用一个样本训练）。"""
        X = np.asarray(X, dtype=float)
        self.ivf.train(X)
        assign = sq_dists(X, self.ivf.centroids).argmin(1)
        pq, C = self.pq, self.ivf.centroids
        pq.train(X - C[assign])
        # ||q - c - y||² 按段展开 = ||q - c||² - 2 q·y + 2 c·y + ||y||²：c·y 与 ||y||² 和查询无关，预先算好
        self._cy = np.einsum("cjd,jkd->cjk", C.reshape(self.nlist, pq.m, pq.ds), pq.codebooks)
        self._yy = (pq.codebooks ** 2).sum(axis=2)                              # (m, ksub)
        return self

    def add(self, X):
        X = np.asarray(X, dtype=float)
        self.ivf.add(X)
        self.n = len(X)
        self.codes = [self.pq.encode(X[ids] - self.ivf.centroids[c]) for c, ids in enumerate(self.ivf.lists)]
        return self

    def search(self, Q, k, nprobe=1, refine=0):
        """返回 (下标 (q, k), 每个查询平均查了多少个 PQ 码)。

        refine > 0 时先按 ADC 距离取前 refine 个候选，再用原始向量的精确距离重排（FAISS 的 IVFPQR / RFlat 思路），
        代价是还要保存原始向量（或更精细的码）。
        """
        _check_k(k, self.n)
        if refine and refine < k:
            raise ValueError(f"refine = {refine} must be 0 or >= k = {k}")
        pq, out, cost = self.pq, np.full((len(Q), k), -1), 0
        for i, q in enumerate(np.atleast_2d(Q)):
            probed = self.ivf._probe(q, nprobe)
            r2 = ((q - self.ivf.centroids[probed]) ** 2).reshape(len(probed), pq.m, pq.ds).sum(axis=2)
            qy = np.einsum("jd,jkd->jk", q.reshape(pq.m, pq.ds), pq.codebooks)     # 每个查询只算一次
            tables = r2[:, :, None] - 2.0 * (qy[None] - self._cy[probed]) + self._yy[None]   # 每簇一张 (m, ksub) 表
            ids = np.concatenate([self.ivf.lists[c] for c in probed])
            codes = np.concatenate([self.codes[c] for c in probed])
            which = np.repeat(np.arange(len(probed)), [len(self.codes[c]) for c in probed])
            dist = tables[which[:, None], np.arange(pq.m)[None, :], codes].sum(axis=1)   # 查表再相加
            best = ids[np.argsort(dist, kind="stable")[: max(k, refine)]]
            if refine:
                exact = sq_dists(q, self.ivf.X[best])[0]
                best = best[np.argsort(exact, kind="stable")]
            best = best[:k]
            out[i, : len(best)] = best
            cost += len(ids)
        return out, cost / len(Q)
# --8<-- [end:ivfpq]


# --8<-- [start:hnsw]
class HNSW:
    """分层可导航小世界图（Malkov & Yashunin 2016）。

    每个点的最高层 l = floor(-ln U * mL)，mL = 1 / ln M，所以 P(l >= j) = M^{-j}；
    第 0 层每个点最多 Mmax0 = 2M 条边，其他层最多 M 条；插入时每层用宽度 efConstruction 的束搜索找候选，
    再用启发式挑 M 个邻居（候选若离某个已选邻居比离新点更近就跳过，保留不同方向的边）。
    """

    def __init__(self, M=16, ef_construction=100, seed=0):
        if M < 2:
            raise ValueError(f"M must be >= 2, got {M}")
        if ef_construction < M:
            raise ValueError(f"efConstruction = {ef_construction} must be >= M = {M}")
        self.M, self.M0, self.efc = M, 2 * M, ef_construction
        self.mL = 1.0 / math.log(M)
        self.rng = np.random.default_rng(seed)
        self.n_dist = 0                                   # 距离计算次数（代价计数）

    def _d(self, q, ids):
        self.n_dist += len(ids)
        diff = self.X.take(ids, axis=0)
        diff -= q
        return (diff * diff).sum(1)

    def _search_layer(self, q, entry, ef, layer):
        """贪心束搜索：candidates 是按距离的小顶堆，results 是保留 ef 个最近点的大顶堆。"""
        graph = self.graph[layer]
        visited = set(entry)
        d0 = self._d(q, entry)
        cand = [(float(d), e) for d, e in zip(d0, entry)]
        heapq.heapify(cand)
        res = [(-d, e) for d, e in cand]
        heapq.heapify(res)
        while len(res) > ef:
            heapq.heappop(res)
        while cand:
            dc, c = heapq.heappop(cand)
            if dc > -res[0][0]:
                break                                      # 最近的候选也比结果里最远的还远：停
            nbrs = [n for n in graph[c] if n not in visited]
            if not nbrs:
                continue
            visited.update(nbrs)
            for dn, n in zip(self._d(q, nbrs).tolist(), nbrs):
                if len(res) < ef or dn < -res[0][0]:
                    heapq.heappush(cand, (dn, n))
                    heapq.heappush(res, (-dn, n))
                    if len(res) > ef:
                        heapq.heappop(res)
        return sorted((-d, e) for d, e in res)

    def _select(self, cand, m):
        """启发式选邻居：cand 是按距离升序的 (距离, id)。"""
        if len(cand) <= m:
            return [e for _, e in cand]
        ids = [e for _, e in cand]
        P = self.X[ids]
        pair = sq_dists(P, P).tolist()
        self.n_dist += len(ids) * (len(ids) - 1) // 2
        chosen = []
        for j, (dj, _) in enumerate(cand):
            if all(pair[j][s] >= dj for s in chosen):
                chosen.append(j)
                if len(chosen) == m:
                    break
        return [ids[j] for j in chosen]

    def _link(self, a, b, layer):
        lst = self.graph[layer][a]
        lst.append(b)
        cap = self.M0 if layer == 0 else self.M
        if len(lst) > cap:                                  # 超出容量：对 a 的邻居重新做一次启发式筛选
            d = self._d(self.X[a], lst).tolist()
            self.graph[layer][a] = self._select(sorted(zip(d, lst)), cap)

    def build(self, X):
        self.X = np.asarray(X, dtype=float)
        n = len(self.X)
        if n == 0:
            raise ValueError("cannot build an index over zero vectors")
        u = 1.0 - self.rng.random(n)                        # (0, 1]，避免 log(0)
        self.levels = np.floor(-np.log(u) * self.mL).astype(int)
        self.graph = [dict() for _ in range(self.levels.max() + 1)]
        self.entry, self.top = 0, self.levels[0]
        for layer in range(self.top + 1):
            self.graph[layer][0] = []
        for i in range(1, n):
            q, li = self.X[i], self.levels[i]
            ep = [self.entry]
            for layer in range(self.top, li, -1):           # 上层：宽度 1 的贪心下降
                ep = [self._search_layer(q, ep, 1, layer)[0][1]]
            for layer in range(min(li, self.top), -1, -1):
                W = self._search_layer(q, ep, self.efc, layer)
                self.graph[layer][i] = self._select(W, self.M)
                for nb in self.graph[layer][i]:
                    self._link(nb, i, layer)
                ep = [e for _, e in W]
            for layer in range(self.top + 1, li + 1):       # 新点比当前入口更高：它成为新入口
                self.graph[layer][i] = []
            if li > self.top:
                self.entry, self.top = i, li
        return self

    def search(self, Q, k, ef=None):
        """返回 (下标 (q, k), 每个查询平均算了多少次距离)；ef 是 efSearch，必须 >= k。"""
        _check_k(k, len(self.X))
        ef = k if ef is None else ef
        if ef < k:
            raise ValueError(f"efSearch = {ef} must be >= k = {k}")
        start, out = self.n_dist, np.full((len(Q), k), -1)
        for i, q in enumerate(np.atleast_2d(Q)):
            ep = [self.entry]
            for layer in range(self.top, 0, -1):
                ep = [self._search_layer(q, ep, 1, layer)[0][1]]
            W = self._search_layer(q, ep, ef, 0)
            out[i] = [e for _, e in W[:k]]
        return out, (self.n_dist - start) / len(Q)

    def allocated_link_bytes(self):
        """像 FAISS / hnswlib 那样按容量预留邻居槽位（int32）：第 0 层每点 2M 个，每多一层再加 M 个。"""
        return 4 * (len(self.X) * self.M0 + int(self.levels.sum()) * self.M)
# --8<-- [end:hnsw]


# --8<-- [start:memory]
def bytes_per_vector(index, d=None, m=None, M=None, nbits=8):
    """各索引每个向量的存储（FAISS wiki 的公式；不含码本、簇中心这类与 N 无关的开销）。

    flat: 4d（float32）；ivf_flat: 4d + 8（int64 id）；pq: ceil(m * nbits / 8)；
    ivf_pq: ceil(m * nbits / 8) + 8；hnsw_flat: 4d + 2M * 4（第 0 层 2M 个 int32 邻居）。
    """
    table = {
        "flat": lambda: 4 * d,
        "ivf_flat": lambda: 4 * d + 8,
        "pq": lambda: math.ceil(m * nbits / 8),
        "ivf_pq": lambda: math.ceil(m * nbits / 8) + 8,
        "hnsw_flat": lambda: 4 * d + 2 * M * 4,
    }
    if index not in table:
        raise ValueError(f"unknown index type {index!r}; known: {sorted(table)}")
    return table[index]()
# --8<-- [end:memory]
