# %% [markdown]
# ---
# description: 用一个因果注意力玩具模型验证：多轮对话整段一次前向、只对 assistant 轮次算 loss，与按轮拆成多条样本的 loss 之和完全相同，但处理的 token 数和注意力计算量少得多；并说明按样本平均时两者不再相等。
# tags:
#   - SFT
#   - 多轮对话
#   - loss mask
#   - chat template
#   - 动手验证
# ---
# # 多轮对话 SFT：一次前向 vs 按轮拆分
#
# 对应问题：[多轮对话 SFT 怎么构造样本、怎么算 loss？](sft-data.md#multi-turn-sft) ·
# [一次前向和拆成多条样本真的等价吗？](sft-data.md#multi-turn-equivalence)
#
# ## 模板与标签 {#template-labels}
#
# 每轮渲染成 `<|im_start|> 角色 内容 <|im_end|>`。labels 只在 assistant 的内容和它的 `<|im_end|>` 上等于 token 本身，
# 其余（system、user、角色标记）为 −100。按 Hugging Face 的约定，labels 与 input_ids 对齐，算 loss 时错一格。

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.training.sft_data import (IGNORE, init_toy_lm, multiturn_costs, render_chat, split_by_assistant_turn,
                                        summed_loss)

rng = np.random.default_rng(0)
V = 64
spec = [("system", 12), ("user", 30), ("assistant", 60), ("user", 25), ("assistant", 90),
        ("user", 20), ("assistant", 70), ("user", 15), ("assistant", 50)]
turns = [(role, list(rng.integers(10, V, n))) for role, n in spec]
ids, labels = render_chat(turns)
trained = labels != IGNORE
print(f"conversation: {len(ids)} tokens, {trained.sum()} trained (assistant content + <|im_end|>)")
assert trained.sum() == sum(n + 1 for role, n in spec if role == "assistant")

# %% [markdown]
# ## 一次前向 = 按轮拆分的 loss 之和 {#one-pass-equivalence}
#
# 因果掩码下，位置 t 的输出只依赖 0..t 的 token。整段对话里第 j 个 assistant 轮的每个 token，
# 看到的前缀与“截至第 j 轮的那条拆分样本”完全相同，所以逐 token 的交叉熵相同，求和也相同。

# %%
params = init_toy_lm(V, 32, rng)
full_sum, full_n = summed_loss(params, ids, labels)
parts = [summed_loss(params, i, l) for i, l in split_by_assistant_turn(turns)]
split_sum, split_n = sum(p[0] for p in parts), sum(p[1] for p in parts)
print(f"one pass: sum CE = {full_sum:.10f} over {full_n} tokens")
print(f"split   : sum CE = {split_sum:.10f} over {split_n} tokens")
assert abs(full_sum - split_sum) < 1e-9 * abs(full_sum) and full_n == split_n

# 归一化方式不同时就不等价了：一次前向再除以 token 数 = 按 token 加权；
# 拆分后“每条样本先平均、再对样本平均” = 每一轮权重相同，短回复的 token 权重更大
token_mean = full_sum / full_n
sample_mean = np.mean([s / k for s, k in parts])
print(f"token-mean {token_mean:.4f} vs per-sample mean {sample_mean:.4f}")
assert not np.isclose(token_mean, sample_mean)

# %% [markdown]
# ## 代价：token 数与注意力计算量 {#multi-turn-cost}
#
# 拆成 J 条样本时，第 j 条要把前 j 轮的历史重新算一遍：token 数是各前缀长度之和，注意力打分次数是 Σ L_j(L_j+1)/2。
# 轮数越多、历史越长，一次前向省得越多。

# %%
rounds = np.arange(1, 9)
ratio_tokens, ratio_attn = [], []
for R in rounds:
    conv = [("system", list(rng.integers(10, V, 12)))]
    for _ in range(R):
        conv += [("user", list(rng.integers(10, V, 30))), ("assistant", list(rng.integers(10, V, 80)))]
    c = multiturn_costs(conv)
    ratio_tokens.append(c["tokens_split"] / c["tokens_one_pass"])
    ratio_attn.append(c["attn_split"] / c["attn_one_pass"])
ratio_tokens, ratio_attn = np.array(ratio_tokens), np.array(ratio_attn)
c4 = multiturn_costs(turns)
print("4-round example:", c4)
print("split / one-pass tokens:", np.round(ratio_tokens, 2))
print("split / one-pass attention:", np.round(ratio_attn, 2))
assert ratio_tokens[0] == 1.0 and np.all(np.diff(ratio_tokens) > 0)
assert ratio_tokens[-1] > 4 and ratio_attn[-1] > 2.5

#| alt: 横轴是对话轮数（每轮 30 个 user token、80 个 assistant token），纵轴是按轮拆分相对一次前向的代价倍数：处理的 token 数倍数从 1 线性增长到 8 轮时约 4.5 倍，注意力计算量倍数增长得慢一些，读者应看出轮数越多一次前向省得越多
fig, ax = plt.subplots()
ax.plot(rounds, ratio_tokens, "o-", label="tokens processed")
ax.plot(rounds, ratio_attn, "s-", label="attention scores")
ax.set(xlabel="assistant turns", ylabel="split / one pass", title="Cost of splitting a conversation")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## 结论 {#multi-turn-conclusion}
#
# - 因果掩码下，整段对话一次前向、只在 assistant 轮次上算 loss，与按轮拆成多条样本的 loss **之和**逐位相同。
# - 等价只对“求和”（或按全局 token 数归一化）成立；按样本平均时每一轮的权重不同，结果会变。
# - 拆分的代价随轮数增长：8 轮、每轮 110 个 token 的对话，拆分要多处理约 4.5 倍的 token。
