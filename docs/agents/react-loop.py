# %% [markdown]
# ---
# description: 在一个可脚本化的多跳查找环境里运行 ReAct 循环：解析 Thought/Action/Observation 轨迹，验证 Final Answer、max_steps 与死循环三种停止规则，编造的 Observation 被截断，工具错误作为观察回传；步数分布与 max_steps 下的成功率和负二项分布的闭式解一致，闭卷推理的正确率按 q^k 衰减。
# tags:
#   - Agent
#   - ReAct
#   - 工具调用
#   - 动手验证
# ---
# # ReAct 循环：轨迹格式、停止规则与步数预算
#
# 对应问题：[ReAct 是什么？](agent.md#react) ·
# [ReAct 循环什么时候停？怎么防止死循环？](agent.md#react-stopping-loops) ·
# [ReAct 有哪些典型失败？](agent.md#react-failure-modes)
#
# 没有模型权重、也不联网：“模型”是一个确定性的策略函数，它读问题和历史，输出一轮 `Thought:` + `Action:`
# 或 `Final Answer:`。环境是一张随机的后继表：`lookup[x]` 返回 `x -> y`，并以概率 f 返回瞬时错误 `Error: timeout`。
# 任务是“从某个节点出发沿 next 走 h 步，停在哪里”，需要 h 次工具调用再加一次作答。
#
# ## 一条完整的轨迹 {#trace-example}

# %%
import math

import numpy as np
import matplotlib.pyplot as plt
from snippets.agents.react import (ToolEnv, chain_policy, format_trace, make_chain_task, parse_trace,
                                   run_react)

rng = np.random.default_rng(0)
question, env, answer, succ = make_chain_task(n_nodes=12, hops=3, fail_prob=0.3, rng=rng)
res = run_react(chain_policy, env, question, max_steps=10)
print(question)
print(format_trace(res.steps))
print("status:", res.status, "| steps:", res.n_steps, "| tool calls:", env.calls)

n_err = sum((s["observation"] or "").startswith("Error") for s in res.steps)
assert res.status == "answered" and res.answer == answer
assert res.n_steps == 3 + n_err + 1                      # 3 次成功查询 + 重试 + 1 次作答
assert parse_trace(format_trace(res.steps)) == [{k: s[k] for k in ("thought", "action", "observation", "final")}
                                                 for s in res.steps]

# %% [markdown]
# ## 三种停止规则与两种失败模式 {#stopping-failures}
#
# - 策略忽略观察、每轮写出同样的 Thought 和 Action：第二次得到同样的结果时判为死循环，第 2 步就停，不会耗光预算。
# - 策略自己写出 `Observation:`（编造观察，说 n0 的后继是并不存在的 n42）：循环在那一行截断，只执行它的 Action，真实观察来自工具。
# - 步数预算不够：到 `max_steps` 停止，没有答案。

# %%
def stuck(q, history):
    return "Thought: look at the start node again.\nAction: lookup[n0]"


def liar(q, history):
    if history:
        return f"Thought: the tool says {history[-1]['observation']}.\nFinal Answer: n42"
    return "Thought: I know this one.\nAction: lookup[n0]\nObservation: n0 -> n42\nFinal Answer: n42"


lookup_env = ToolEnv({"lookup": lambda x: f"{x} -> {succ.get(x, '?')}"})
r_loop = run_react(stuck, lookup_env, question, max_steps=10)
r_liar = run_react(liar, lookup_env, question, max_steps=10)
q6, env6, _, _ = make_chain_task(12, 6, 0.0, np.random.default_rng(1))
r_budget = run_react(chain_policy, env6, q6, max_steps=4)
print("stuck:", r_loop.status, r_loop.n_steps, "| liar hallucinated:", r_liar.hallucinated_observations,
      "real observation:", r_liar.steps[0]["observation"], "| budget:", r_budget.status, r_budget.n_steps)
assert r_loop.status == "loop" and r_loop.n_steps == 2
assert r_liar.hallucinated_observations == 1 and r_liar.steps[0]["observation"] == f"n0 -> {succ['n0']}"
assert r_budget.status == "max_steps" and r_budget.answer is None and r_budget.n_steps == 4

# %% [markdown]
# ## 步数分布与 max_steps {#steps-vs-max-steps}
#
# 每次查询独立地以概率 f 失败并被重试，所以 h 跳任务需要的步数是 $S = h + 1 + F$，
# 其中失败次数 F 服从负二项分布（在第 h 次成功之前失败的次数），$\mathbb{E}[F]=h\,f/(1-f)$。
# 预算为 m 时成功率就是 $P(S\le m)$。跑 1500 个任务（h 在 1 到 6 之间均匀，f = 0.2），
# 用足够大的预算记下每个任务实际用的步数，再与闭式解比较；并抽查几个 m：限制预算重跑同一批任务，成功率与 $P(S\le m)$ 完全一致。

# %%
f, H, n_tasks = 0.2, np.arange(1, 7), 1500
hops = rng.integers(1, 7, size=n_tasks)
steps = np.empty(n_tasks, dtype=int)
for t, h in enumerate(hops):
    q_t, env_t, ans_t, _ = make_chain_task(30, int(h), f, np.random.default_rng(1000 + t))
    r = run_react(chain_policy, env_t, q_t, max_steps=100)
    assert r.status == "answered" and r.answer == ans_t
    steps[t] = r.n_steps

F = steps - hops - 1
se = F.std() / math.sqrt(n_tasks)
print(f"mean failures per task: {F.mean():.3f} (theory {np.mean(hops) * f / (1 - f):.3f})")
assert abs(F.mean() - np.mean(hops * f / (1 - f))) < 4 * se


def negbin_cdf(x, h, f):
    """P(F <= x)，F = 第 h 次成功前的失败次数。"""
    return sum(math.comb(h + j - 1, j) * (1 - f) ** h * f**j for j in range(int(x) + 1)) if x >= 0 else 0.0


budgets = np.arange(1, 21)
emp = np.array([np.mean(steps <= m) for m in budgets])
theory = np.array([np.mean([negbin_cdf(m - h - 1, h, f) for h in H]) for m in budgets])
print("max |empirical - theory| =", np.abs(emp - theory).max().round(4))
assert np.abs(emp - theory).max() < 0.04

for m in (4, 7, 10):                                     # 真的限制预算重跑：停止规则与步数统计一致
    ok = []
    for t, h in enumerate(hops[:300]):
        q_t, env_t, _, _ = make_chain_task(30, int(h), f, np.random.default_rng(1000 + t))
        ok.append(run_react(chain_policy, env_t, q_t, max_steps=int(m)).status == "answered")
    assert np.mean(ok) == np.mean(steps[:300] <= m)

# %%
#| alt: 横轴是步数预算 max_steps，纵轴是任务成功率：模拟的阶梯曲线与负二项分布闭式解几乎重合，从 1 步时的 0 上升到 12 步左右接近 1；读者应看出预算太小会截断本可以完成的多跳任务
fig, ax = plt.subplots()
ax.step(budgets, emp, where="post", label="simulated ReAct")
ax.plot(budgets, theory, "o", ms=4, label="negative binomial")
ax.set(xlabel="max_steps", ylabel="success rate", title="Success vs step budget (f = 0.2)")
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# ## 闭卷推理与 ReAct {#closed-book-vs-react}
#
# 对照组是“只推理不行动”：模型凭参数里的记忆沿链条走，每条事实以概率 q = 0.9 记对，记错时得到一个错误的中间结论，
# 之后的推理都建立在它上面。正确率约为 $q^h$，随跳数指数衰减；ReAct 每一步都由工具校正，
# 只受步数预算限制（这里 max_steps = 8，代价是每跳一次工具调用）。

# %%
q_mem, n_rep, N = 0.9, 4000, 1000
closed = []
for h in H:
    correct = 0
    for _ in range(n_rep):
        cur_true = cur_mem = 0                          # 节点编号无关紧要：只关心记忆里的链是否偏离真实的链
        for _ in range(h):
            nxt = int(rng.integers(1, N))                # 真实后继
            if cur_mem == cur_true and rng.random() < q_mem:
                cur_mem = nxt                            # 这条事实记对了
            else:                                        # 记错了，或者已经走偏：落到一个随机的错误节点
                cur_mem = -int(rng.integers(1, N))
            cur_true = nxt
        correct += cur_mem == cur_true
    closed.append(correct / n_rep)
closed = np.array(closed)
react8 = np.array([negbin_cdf(8 - h - 1, h, f) for h in H])
print("closed-book:", closed.round(3), "\nq^h:        ", (q_mem**H).round(3), "\nReAct @ 8 steps:", react8.round(3))
assert np.all(np.abs(closed - q_mem**H) < 0.03)           # 错误会沿链条累积
assert np.all(np.diff(closed) < 0) and react8[0] > closed[0]

# %%
#| alt: 横轴是跳数 h，纵轴是正确率：闭卷推理的点沿 0.9 的 h 次方曲线从 0.9 降到约 0.53；ReAct 在 8 步预算下前几跳接近 1，跳数增多后因预算不够而下降；读者应看出闭卷推理的错误会逐跳累积，而 ReAct 的瓶颈变成步数与调用成本
fig, ax = plt.subplots()
ax.plot(H, closed, "o", label="closed-book chain (simulated)")
ax.plot(H, q_mem**H, "--", color="gray", label="q^h")
ax.plot(H, react8, "s-", label="ReAct, max_steps = 8")
ax.set(xlabel="hops h", ylabel="accuracy", ylim=(0, 1.05), title="Errors compound without tools")
ax.legend(loc="lower left")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 轨迹格式可以严格解析：缺 Observation、Observation 没有对应的 Action、Final Answer 之后还有内容，都是格式错误。
# - 三种停止规则各管一种情况：Final Answer 正常结束，重复的“同一步、同一结果”判为死循环并提前停止，max_steps 是兜底。
# - 工具失败作为 Observation 回传，策略可以重试；瞬时错误让步数服从负二项分布，预算 m 下的成功率就是 $P(S\le m)$。
# - 不用工具时，多跳推理的正确率按 $q^h$ 衰减（q = 0.9 时 6 跳只剩约 0.53）；ReAct 用每跳一次调用换来了可校验的中间结果。
