"""推理服务：PagedAttention 的块分配与 copy-on-write、静态与连续批处理的模拟、前缀缓存的基数树、
单卡并发估算、KV cache 量化的误差。"""
import numpy as np


# --8<-- [start:paging]
def blocks_needed(n_tokens, block_size):
    """存 n_tokens 个 token 的 KV 要几个块：ceil(n / B)。"""
    if isinstance(block_size, bool) or int(block_size) != block_size or block_size <= 0:
        raise ValueError(f"block size must be a positive integer, got {block_size}")
    if n_tokens < 0:
        raise ValueError(f"token count must be >= 0, got {n_tokens}")
    return -(-int(n_tokens) // int(block_size))


def paged_waste_tokens(lengths, block_size):
    """按块分配时浪费的槽位：只有每条序列最后一个块没填满，每条至多 B - 1 个。"""
    return sum(blocks_needed(n, block_size) * block_size - n for n in lengths)


def contiguous_waste_tokens(lengths, max_len):
    """按最大长度连续预留时浪费的槽位：每条序列 max_len - n。"""
    if any(n > max_len for n in lengths):
        raise ValueError(f"a sequence is longer than max_len={max_len}")
    return sum(max_len - n for n in lengths)


class BlockAllocator:
    """KV cache 的块管理器（只记账，不存数据）：每条序列一张块表，物理块带引用计数，
    fork 时共享所有块，往共享的块里写新 token 前先复制（copy-on-write）。"""

    def __init__(self, num_blocks, block_size):
        blocks_needed(0, block_size)                  # 校验 block_size
        if num_blocks <= 0:
            raise ValueError(f"number of blocks must be positive, got {num_blocks}")
        self.block_size = int(block_size)
        self.free = list(range(int(num_blocks)))[::-1]
        self.refcount = {}
        self.tables = {}                              # seq_id -> 物理块号列表（块表）
        self.lengths = {}
        self.copies = 0                               # copy-on-write 复制过的块数

    def _new_block(self):
        if not self.free:
            raise MemoryError("out of KV cache blocks (a real scheduler would preempt a sequence)")
        b = self.free.pop()
        self.refcount[b] = 1
        return b

    def allocate(self, seq_id, n_tokens):
        if seq_id in self.tables:
            raise ValueError(f"sequence {seq_id!r} already exists")
        self.tables[seq_id] = [self._new_block() for _ in range(blocks_needed(n_tokens, self.block_size))]
        self.lengths[seq_id] = int(n_tokens)

    def append_token(self, seq_id):
        table, n = self.tables[seq_id], self.lengths[seq_id]
        if n % self.block_size == 0:                  # 最后一块已满（或还没有块）：要一个新块
            table.append(self._new_block())
        elif self.refcount[table[-1]] > 1:            # 最后一块与别的序列共享：先复制再写
            self.refcount[table[-1]] -= 1
            table[-1] = self._new_block()
            self.copies += 1
        self.lengths[seq_id] = n + 1

    def fork(self, parent, child):
        """并行采样 / beam search：子序列共享父序列的全部块。"""
        if child in self.tables:
            raise ValueError(f"sequence {child!r} already exists")
        self.tables[child] = list(self.tables[parent])
        self.lengths[child] = self.lengths[parent]
        for b in self.tables[child]:
            self.refcount[b] += 1

    def release(self, seq_id):
        for b in self.tables.pop(seq_id):
            self.refcount[b] -= 1
            if self.refcount[b] == 0:
                del self.refcount[b]
                self.free.append(b)
        del self.lengths[seq_id]

    def used_blocks(self):
        return len(self.refcount)
# --8<-- [end:paging]


# --8<-- [start:batching]
def simulate_static_batching(output_lens, slots):
    """静态批处理：每次取 slots 个请求，整批跑到最长的那条结束才换下一批。
    每步每个在跑的请求产出 1 个 token。返回 (总步数, 槽位利用率, 每个请求完成的步号)。"""
    if slots < 1:
        raise ValueError(f"batch slots must be >= 1, got {slots}")
    lens = [int(n) for n in output_lens]
    if any(n < 1 for n in lens):
        raise ValueError("every request must generate at least one token")
    steps, done = 0, []
    for i in range(0, len(lens), slots):
        batch = lens[i:i + slots]
        done += [steps + n for n in batch]
        steps += max(batch)
    return steps, sum(lens) / (steps * slots), done


def simulate_continuous_batching(output_lens, slots):
    """连续批处理（Orca 的 iteration-level scheduling）：每一步结束后，完成的请求立刻离开，
    排队的请求立刻补进空出的槽位。返回值同 simulate_static_batching。"""
    if slots < 1:
        raise ValueError(f"batch slots must be >= 1, got {slots}")
    lens = [int(n) for n in output_lens]
    if any(n < 1 for n in lens):
        raise ValueError("every request must generate at least one token")
    queue, running, done = list(range(len(lens)))[::-1], {}, [0] * len(lens)
    steps = 0
    while queue or running:
        while queue and len(running) < slots:
            r = queue.pop()
            running[r] = lens[r]
        steps += 1
        for r in list(running):
            running[r] -= 1
            if running[r] == 0:
                del running[r]
                done[r] = steps
    return steps, sum(lens) / (steps * slots), done
# --8<-- [end:batching]


# --8<-- [start:radix]
class _Node:
    __slots__ = ("key", "children", "parent", "last_access")

    def __init__(self, key=(), parent=None):
        self.key, self.children, self.parent, self.last_access = key, {}, parent, 0


class RadixCache:
    """前缀缓存的基数树（RadixAttention 的思路）：边上存一段 token，路径就是缓存过的前缀；
    容量按 token 计，超出时按 LRU 淘汰叶子节点。"""

    def __init__(self, capacity_tokens=None):
        if capacity_tokens is not None and capacity_tokens < 0:
            raise ValueError(f"capacity must be >= 0 tokens, got {capacity_tokens}")
        self.root, self.capacity, self.size, self.clock = _Node(), capacity_tokens, 0, 0

    def _walk(self, tokens):
        """沿树匹配 tokens，返回 (匹配长度, 最后一个节点, 该节点边上匹配的长度)。"""
        node, i = self.root, 0
        while i < len(tokens) and tokens[i] in node.children:
            child = node.children[tokens[i]]
            m = 0
            while m < len(child.key) and i + m < len(tokens) and child.key[m] == tokens[i + m]:
                m += 1
            self.clock += 1
            child.last_access = self.clock
            i += m
            if m < len(child.key):
                return i, child, m
            node = child
        return i, node, len(node.key)

    def match_prefix(self, tokens):
        """已缓存的最长前缀长度（这些 token 的 KV 不用再算）。"""
        return self._walk(tuple(tokens))[0]

    def insert(self, tokens):
        """把 tokens 的 KV 放进缓存，返回新写入的 token 数。"""
        tokens = tuple(tokens)
        i, node, m = self._walk(tokens)
        if m < len(node.key):                         # 在边的中间分叉：把边拆成两段
            head = _Node(node.key[:m], node.parent)
            head.last_access = node.last_access
            node.parent.children[head.key[0]] = head
            node.key, node.parent = node.key[m:], head
            head.children[node.key[0]] = node
            node = head
        if i < len(tokens):
            leaf = _Node(tokens[i:], node)
            self.clock += 1
            leaf.last_access = self.clock
            node.children[tokens[i]] = leaf
            self.size += len(tokens) - i
        self._evict()
        return len(tokens) - i

    def _evict(self):
        while self.capacity is not None and self.size > self.capacity:
            leaves, stack = [], [self.root]
            while stack:
                n = stack.pop()
                stack += n.children.values()
                if not n.children and n is not self.root:
                    leaves.append(n)
            victim = min(leaves, key=lambda n: n.last_access)
            del victim.parent.children[victim.key[0]]
            self.size -= len(victim.key)
# --8<-- [end:radix]


# --8<-- [start:capacity]
def kv_bytes_per_token(n_layers, n_kv_heads, head_dim, bytes_per_elem=2):
    """每个 token 在所有层里的 K 与 V：2 x L x n_kv x d_h x 字节数。"""
    return 2 * n_layers * n_kv_heads * head_dim * bytes_per_elem


def llama_param_count(cfg):
    """LLaMA 结构（GQA 注意力、SwiGLU、RMSNorm）按 config.json 字段数参数。"""
    d, L, V = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["vocab_size"]
    h, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d_h = cfg.get("head_dim", d // h)
    attn = d * h * d_h + 2 * d * kv * d_h + h * d_h * d          # q, k, v, o
    mlp = 3 * d * cfg["intermediate_size"]                         # gate, up, down
    per_layer = attn + mlp + 2 * d                                 # 两个 RMSNorm
    emb = V * d * (1 if cfg.get("tie_word_embeddings", False) else 2)
    return L * per_layer + emb + d                                 # 最后一个 RMSNorm


def max_concurrent_sequences(gpu_bytes, weight_bytes, kv_per_token, context_len,
                             utilization=0.9, reserve_bytes=0, block_size=16):
    """一张卡能同时放下多少条长度为 context_len 的序列（按块向上取整）。"""
    budget = gpu_bytes * utilization - weight_bytes - reserve_bytes
    if budget <= 0:
        raise ValueError(f"weights and reserve ({(weight_bytes + reserve_bytes) / 1e9:.1f} GB) do not fit "
                         f"in {gpu_bytes * utilization / 1e9:.1f} GB")
    per_seq = blocks_needed(context_len, block_size) * block_size * kv_per_token
    return int(budget // per_seq)
# --8<-- [end:capacity]


# --8<-- [start:lora]
def lora_param_count(cfg, rank, targets=("q", "k", "v", "o")):
    """一个 LoRA adapter 的参数：每个目标矩阵 r x (d_in + d_out)。"""
    d, h, kv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d_h = cfg.get("head_dim", d // h)
    shapes = {"q": (d, h * d_h), "k": (d, kv * d_h), "v": (d, kv * d_h), "o": (h * d_h, d),
              "gate": (d, cfg["intermediate_size"]), "up": (d, cfg["intermediate_size"]),
              "down": (cfg["intermediate_size"], d)}
    return cfg["num_hidden_layers"] * sum(rank * sum(shapes[t]) for t in targets)
# --8<-- [end:lora]


# --8<-- [start:kv_quant]
def fake_quant(x, n_bits, axis):
    """非对称 min-max 量化再反量化；统计量沿 axis 求，即 axis 上的一组数共享一个 scale 和 zero point。
    x 形状 (tokens, channels) 时：axis=0 是 per-channel（每个通道一组），axis=1 是 per-token。"""
    if isinstance(n_bits, bool) or int(n_bits) != n_bits or not 1 <= n_bits <= 16:
        raise ValueError(f"bit width must be an integer in [1, 16], got {n_bits}")
    x = np.asarray(x, dtype=float)
    lo, hi = x.min(axis=axis, keepdims=True), x.max(axis=axis, keepdims=True)
    levels = 2 ** int(n_bits) - 1
    scale = np.where(hi > lo, (hi - lo) / levels, 1.0)
    q = np.clip(np.round((x - lo) / scale), 0, levels)
    return q * scale + lo
# --8<-- [end:kv_quant]
