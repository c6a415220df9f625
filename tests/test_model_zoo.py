"""模型结构表的计算：由 config 重建参数量、每 token 的 KV cache，以及线性注意力的递推形式。"""
import numpy as np
import pytest

from snippets.llm.model_zoo import (ACTIVE_CONVENTION, CONFIGS, active_by_convention, attention_params,
                                    kv_cache_bytes_per_token, linear_attention_parallel,
                                    linear_attention_recurrent, param_count)

# 官方公布的总参数 / 激活参数（单位 B，来源见 docs/llm/model-zoo.md）
PUBLISHED = {
    "Llama-3.1-405B": (405, None), "Llama-4-Maverick": (400, 17), "Qwen3-235B-A22B": (235, 22),
    "DeepSeek-V3": (671, 36.7), "GLM-4.5": (355, 32), "gpt-oss-120b": (117, 5.1), "gpt-oss-20b": (21, 3.6),
    "Kimi-K2": (1000, 32),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_reconstructed_totals_match_published(name):
    p = param_count(CONFIGS[name])
    total, active = PUBLISHED[name]
    tol = 0.03 if name == "Kimi-K2" else 0.01          # Kimi 的 README 把 1.03T 写成 “1T”
    assert p["total"] / 1e9 == pytest.approx(total, rel=tol)
    if active is not None:
        assert active_by_convention(p, ACTIVE_CONVENTION[name]) / 1e9 == pytest.approx(active, rel=0.02)


def test_dense_models_have_total_equal_active_plus_input_embedding():
    for name in ["Llama-2-7B", "Llama-3-8B", "Llama-3.1-405B", "Qwen2.5-72B"]:
        p = param_count(CONFIGS[name])
        assert p["total"] == p["active"] + p["embedding"]
    assert param_count(CONFIGS["Llama-2-7B"])["total"] == 6_738_415_616


def test_moe_gap_is_the_unused_experts():
    c = CONFIGS["DeepSeek-V3"]
    p = param_count(c)
    expert = 3 * c["hidden_size"] * c["moe_intermediate_size"]
    moe_layers = c["num_hidden_layers"] - c["first_k_dense_replace"]
    gap = moe_layers * (c["num_local_experts"] - c["num_experts_per_tok"]) * expert
    assert p["total"] - p["active"] - p["embedding"] == gap


def test_gqa_with_all_kv_heads_is_mha():
    d, h = 1024, 16
    cfg = dict(attention="gqa", hidden_size=d, num_attention_heads=h, num_key_value_heads=h, head_dim=d // h)
    assert attention_params(cfg) == 4 * d * d
    cfg1 = dict(cfg, num_key_value_heads=1)              # MQA：K、V 各只剩一个头
    assert attention_params(cfg1) == 2 * d * d + 2 * d * (d // h)


def test_kv_cache_bytes():
    assert kv_cache_bytes_per_token(CONFIGS["Llama-3.1-405B"]) == 2 * 126 * 8 * 128 * 2
    assert kv_cache_bytes_per_token(CONFIGS["DeepSeek-V3"]) == 61 * (512 + 64) * 2   # 68.6 KiB，同 mla.md
    assert kv_cache_bytes_per_token(CONFIGS["Kimi-K2"]) == kv_cache_bytes_per_token(CONFIGS["DeepSeek-V3"])
    # gpt-oss 只有一半层是全局层，另一半的 128 token 滑窗不随序列增长
    assert kv_cache_bytes_per_token(CONFIGS["gpt-oss-120b"]) == 18 * 2 * 8 * 64 * 2
    mla, gqa = (kv_cache_bytes_per_token(CONFIGS[n]) for n in ("DeepSeek-V3", "Llama-3.1-405B"))
    assert gqa / mla > 7


def test_linear_attention_recurrence_equals_parallel_form():
    rng = np.random.default_rng(0)
    T, d, dv = 50, 8, 6
    Q, K, V = rng.standard_normal((T, d)), rng.standard_normal((T, d)), rng.standard_normal((T, dv))
    assert np.allclose(linear_attention_parallel(Q, K, V), linear_attention_recurrent(Q, K, V))


def test_model_zoo_bad_inputs():
    with pytest.raises(ValueError, match="missing required keys: vocab_size"):
        param_count({k: v for k, v in CONFIGS["Llama-3-8B"].items() if k != "vocab_size"})
    with pytest.raises(ValueError, match="missing required keys: kv_lora_rank"):
        param_count({k: v for k, v in CONFIGS["DeepSeek-V3"].items() if k != "kv_lora_rank"})
    with pytest.raises(ValueError, match="missing required keys: num_experts_per_tok, moe_intermediate_size"):
        param_count(dict(CONFIGS["Llama-3-8B"], num_local_experts=8))
    with pytest.raises(ValueError, match="6 KV heads do not divide 32 query heads"):
        param_count(dict(CONFIGS["Llama-3-8B"], num_key_value_heads=6))
    with pytest.raises(ValueError, match="unknown attention type 'linear'"):
        kv_cache_bytes_per_token(dict(CONFIGS["Llama-3-8B"], attention="linear"))
    with pytest.raises(ValueError, match="num_experts_per_tok = 9 must be between 1 and 8"):
        param_count(dict(CONFIGS["Llama-3-8B"], num_local_experts=8, num_experts_per_tok=9,
                         moe_intermediate_size=1024))
    with pytest.raises(ValueError, match="unknown convention"):
        active_by_convention(param_count(CONFIGS["Llama-3-8B"]), "per_layer")


def test_deepseek_v3_mtp_module_matches_readme():
    from snippets.llm.model_zoo import mtp_module_params
    # README_WEIGHTS：MTP 模块 11.5B 独有参数（不含共享的 embedding 与输出层）；HF 上总计 671B + 14B = 685B
    assert mtp_module_params(CONFIGS["DeepSeek-V3"]) / 1e9 == pytest.approx(11.5, rel=0.015)
