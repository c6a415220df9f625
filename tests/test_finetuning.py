"""微调页（training/finetuning.md）：LoRA 初始化与显存粗算、SFT packing 的标签错位。"""
import numpy as np
import pytest

from snippets.training.lora import (finetune_memory_gb, llama_linear_shapes, lora_forward, lora_init,
                                    lora_merge, lora_param_count, qlora_bits_per_param)
from snippets.training.packing import IGNORE, next_token_targets, pack, reduce_loss

# Llama-2 的公开 config：(d, d_ff, 层数, 头数, KV 头数)，词表 32000
LLAMA2_7B = (4096, 11008, 32, 32, 32)
LLAMA2_70B = (8192, 28672, 80, 64, 8)
VOCAB = 32000


def _llama_counts(cfg):
    d, d_ff, n_layers, _, _ = cfg
    shapes = llama_linear_shapes(*cfg)
    n_linear = sum(i * o for i, o in shapes)
    n_other = 2 * VOCAB * d + (2 * n_layers + 1) * d          # 嵌入、输出层、RMSNorm 的 γ
    return shapes, n_linear, n_other


# ---------------------------------------------------------------- LoRA 初始化
def test_kaiming_uniform_A_matches_loralib_bound():
    rng = np.random.default_rng(0)
    d_in = 256
    A, B = lora_init(d_in, 128, 8, rng, "B_zero", a_dist="kaiming_uniform")
    bound = 1 / np.sqrt(d_in)
    assert np.all(np.abs(A) <= bound) and np.abs(A).max() > 0.99 * bound
    assert A.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)  # U(-b, b) 的标准差 b/√3
    assert np.all(B == 0)
    X = rng.standard_normal((5, d_in))
    W0 = rng.standard_normal((128, d_in))
    assert np.array_equal(lora_forward(X, W0, A, B, 16.0), X @ W0.T)   # 起点仍是基座


def test_lora_init_validation():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="unknown LoRA init mode"):
        lora_init(8, 8, 2, rng, "gauss")
    with pytest.raises(ValueError, match="rank r = 16"):
        lora_init(8, 8, 16, rng)
    with pytest.raises(ValueError, match="a_dist"):
        lora_init(8, 8, 2, rng, a_dist="xavier")


def test_merge_scaling_alpha_over_r():
    rng = np.random.default_rng(1)
    A, B = rng.standard_normal((4, 6)), rng.standard_normal((5, 4))
    W0 = rng.standard_normal((5, 6))
    assert np.allclose(lora_merge(W0, A, B, 8.0) - W0, 2.0 * B @ A)    # α/r = 8/4
    # 拆回：W - (α/r)BA 恢复 W0（多 adapter 切换时用）
    assert np.allclose(lora_merge(W0, A, B, 8.0) - 2.0 * B @ A, W0)


# ---------------------------------------------------------------- 参数量与显存
def test_llama2_parameter_counts_match_published_totals():
    for cfg, total in ((LLAMA2_7B, 6_738_415_616), (LLAMA2_70B, 68_976_648_192)):
        _, n_linear, n_other = _llama_counts(cfg)
        assert n_linear + n_other == total


def test_lora_param_counts_all_linear_r16():
    shapes7, n7, _ = _llama_counts(LLAMA2_7B)
    shapes70, n70, _ = _llama_counts(LLAMA2_70B)
    assert lora_param_count(shapes7, 16) == 39_976_960          # ≈ 0.59% of 6.74B
    assert lora_param_count(shapes70, 16) == 207_093_760        # ≈ 0.30% of 69.0B
    assert lora_param_count(shapes7, 16) / 6_738_415_616 == pytest.approx(0.00593, abs=5e-5)
    # 单个 4096×4096 矩阵、r = 8：65,536 对 16,777,216，约 0.39%
    assert lora_param_count([(4096, 4096)], 8) / 4096 ** 2 == pytest.approx(0.0039, abs=1e-4)


def test_qlora_bits_per_param():
    assert qlora_bits_per_param(double_quant=False) == pytest.approx(4.5)
    assert qlora_bits_per_param() == pytest.approx(4.127, abs=5e-4)
    saved = qlora_bits_per_param(double_quant=False) - qlora_bits_per_param()
    assert saved == pytest.approx(0.373, abs=1e-3)
    assert 65e9 * saved / 8 / 1e9 == pytest.approx(3.0, abs=0.05)   # 65B 模型约省 3 GB


def test_memory_table_7b_70b():
    rows = {}
    for name, cfg in (("7B", LLAMA2_7B), ("70B", LLAMA2_70B)):
        shapes, n_linear, n_other = _llama_counts(cfg)
        n_lora = lora_param_count(shapes, 16)
        rows[name] = (
            finetune_memory_gb(0, 0, n_linear + n_other, 0, trainable_bytes=16),      # 全参，混合精度 Adam
            finetune_memory_gb(n_linear, n_other, n_lora, 16),                        # LoRA，16 位基座
            finetune_memory_gb(n_linear, n_other, n_lora, qlora_bits_per_param()),    # QLoRA
        )
    assert rows["7B"] == pytest.approx((107.8, 14.0, 4.3), abs=0.05)
    assert rows["70B"] == pytest.approx((1103.6, 140.4, 38.8), abs=0.05)
    assert rows["70B"][2] < 48 < rows["70B"][1]                  # 70B 只有 QLoRA 能放进一张 48 GB 卡（激活另算）


def test_llama_shapes_validation():
    with pytest.raises(ValueError, match="heads must divide"):
        llama_linear_shapes(4096, 11008, 32, 30, 10)


# ---------------------------------------------------------------- packing 的标签错位
def test_label_shift_never_crosses_a_sample_boundary():
    # 没有 prompt 的样本（例如续写预训练文本）：第一个 token 就有 label，错位最容易跨样本
    out = pack([([], [1, 2, 3]), ([], [4, 5]), ([7], [8, 9])])
    naive = np.append(out["labels"][1:], IGNORE)                # 整行错一格（HF 模型内部就是这样做的）
    ends = np.flatnonzero(np.diff(out["seg_ids"]) != 0)        # 每条样本最后一个位置
    assert np.all(naive[ends] == IGNORE)                        # 上一条的最后一个 token 不预测下一条的开头
    tgt = next_token_targets(out["labels"], out["seg_ids"])
    assert np.array_equal(tgt, naive)                           # 两种做法给出同样的目标
    assert tgt.tolist() == [2, 3, IGNORE, 5, IGNORE, 8, 9, IGNORE]


def test_next_token_targets_match_per_sample_shift():
    samples = [([5, 6, 7], [8, 9]), ([1, 2], [3, 4, 10, 11]), ([12], [13, 14])]
    out = pack(samples)
    tgt = next_token_targets(out["labels"], out["seg_ids"])
    start = 0
    for p, r in samples:
        n = len(p) + len(r)
        sep = pack([(p, r)])
        expect = np.append(sep["labels"][1:], IGNORE)           # 逐条训练时的目标
        assert np.array_equal(tgt[start:start + n], expect)
        start += n


def test_packing_validation():
    with pytest.raises(ValueError, match="at least one"):
        pack([])
    with pytest.raises(ValueError, match="empty response"):
        pack([([1, 2], [])])
    out = pack([([1], [2, 3])])
    with pytest.raises(ValueError, match="mode must be"):
        reduce_loss(np.ones(3), out["labels"], out["seg_ids"], "batch")
    with pytest.raises(ValueError, match="equal-length"):
        next_token_targets(out["labels"], out["seg_ids"][:2])


def test_explicit_mask_size_at_32k():
    n = 32768
    assert n * n * np.dtype(bool).itemsize / 1e9 == pytest.approx(1.07, abs=0.005)


# ---------------------------------------------------------------- SFT 数据：去重与多轮对话（training/sft-data.md）
from snippets.training.sft_data import (IGNORE as SFT_IGNORE, IM_END, init_toy_lm, multiturn_costs,  # noqa: E402
                                        render_chat, rouge_l_filter, split_by_assistant_turn, summed_loss)


def _conversation(rng, vocab=40):
    lens = [("system", 3), ("user", 7), ("assistant", 11), ("user", 5), ("assistant", 17), ("user", 4),
            ("assistant", 9)]
    return [(role, list(rng.integers(10, vocab, n))) for role, n in lens]


def test_rouge_l_filter_drops_near_duplicates():
    pool = ["give three tips for staying healthy"]
    cands = ["give three tips for staying healthy today", "write a poem about the sea",
             "write a short poem about the sea", "translate the sentence into french"]
    kept = rouge_l_filter(cands, pool, threshold=0.7)
    assert kept == ["write a poem about the sea", "translate the sentence into french"]
    assert rouge_l_filter(cands, pool, threshold=1.0) == cands       # 阈值 1：只丢完全相同的
    with pytest.raises(ValueError, match="threshold"):
        rouge_l_filter(cands, pool, threshold=1.5)


def test_assistant_only_labels_include_end_of_turn():
    turns = [("user", [11, 12]), ("assistant", [21, 22, 23])]
    ids, labels = render_chat(turns)
    assert ids.tolist() == [1, 4, 11, 12, 2, 1, 5, 21, 22, 23, 2]
    assert labels.tolist() == [SFT_IGNORE] * 7 + [21, 22, 23, IM_END]
    with pytest.raises(ValueError, match="unknown role"):
        render_chat([("tool_x", [1])])
    with pytest.raises(ValueError, match="no assistant turn"):
        split_by_assistant_turn([("user", [11])])


def test_one_pass_equals_sum_of_per_turn_samples():
    rng = np.random.default_rng(0)
    turns = _conversation(rng)
    params = init_toy_lm(40, 16, rng)
    full, n_full = summed_loss(params, *render_chat(turns))
    parts = [summed_loss(params, ids, lab) for ids, lab in split_by_assistant_turn(turns)]
    assert full == pytest.approx(sum(p[0] for p in parts), rel=1e-12)
    assert n_full == sum(p[1] for p in parts) == (11 + 1) + (17 + 1) + (9 + 1)
    # 按“先样本内平均、再样本间平均”归一化时两者不同：一次前向等价于按 token 加权
    per_sample_mean = np.mean([p[0] / p[1] for p in parts])
    assert not np.isclose(full / n_full, per_sample_mean)


def test_multiturn_costs():
    rng = np.random.default_rng(0)
    c = multiturn_costs(_conversation(rng))
    # 每轮多 3 个特殊 token（<|im_start|>、角色、<|im_end|>）
    prefix = [3 * 3 + 3 + 7 + 11, 3 * 5 + 3 + 7 + 11 + 5 + 17, 3 * 7 + 3 + 7 + 11 + 5 + 17 + 4 + 9]
    assert c["tokens_one_pass"] == prefix[-1] == 77
    assert c["tokens_split"] == sum(prefix) == 165
    assert c["attn_split"] == sum(L * (L + 1) // 2 for L in prefix)
