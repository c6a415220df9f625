"""Agent 与提示工程 snippet 的性质测试：ReAct 轨迹解析与停止规则、self-consistency 的精确投票准确率。"""
import math

import numpy as np
import pytest

from snippets.agents.prompting import (binary_majority_exact, majority_vote_exact, majority_vote_limit,
                                       majority_vote_simulate)
from snippets.agents.react import (ToolEnv, chain_policy, format_trace, make_chain_task, parse_action,
                                   parse_step, parse_trace, run_react, truncate_at_observation)

TRACE = """Thought: I need the successor of n3.
Action: lookup[n3]
Observation: n3 -> n7
Thought: one more hop.
Action: lookup[n7]
Observation: Error: timeout
Action: lookup[n7]
Observation: n7 -> n1
Thought: done.
Final Answer: n1"""


# ---------- trace format ----------
def test_parse_trace_round_trip():
    steps = parse_trace(TRACE)
    assert [s["action"] for s in steps] == [("lookup", "n3"), ("lookup", "n7"), ("lookup", "n7"), None]
    assert steps[1]["observation"] == "Error: timeout" and steps[2]["thought"] is None
    assert steps[-1]["final"] == "n1"
    assert format_trace(steps) == TRACE
    assert parse_trace(format_trace(steps)) == steps


def test_parse_action_and_step():
    assert parse_action("search[  Eiffel Tower ]") == ("search", "Eiffel Tower")
    assert parse_action("calc[2*(3+4)]") == ("calc", "2*(3+4)")       # 参数里可以有括号
    step = parse_step("Thought: look it up\nAction: lookup[n2]")
    assert step == {"thought": "look it up", "action": ("lookup", "n2"), "final": None}
    assert parse_step("Final Answer: 42")["final"] == "42"


@pytest.mark.parametrize("bad, msg", [
    ("", "empty trace"),
    ("   \n  ", "empty trace"),
    ("Thought: x\nAction: lookup n3\nObservation: y", "malformed action"),
    ("Action: lookup[n3]\nAction: lookup[n4]\nObservation: y", "two 'Action:'"),
    ("Observation: n3 -> n7", "without a preceding"),
    ("Final Answer: a\nThought: more", "after 'Final Answer:'"),
    ("Action: lookup[n3]", "no 'Observation:'"),
    ("Plan: do it", "does not start with"),
])
def test_parse_trace_rejects_bad_input(bad, msg):
    with pytest.raises(ValueError, match=msg):
        parse_trace(bad)


@pytest.mark.parametrize("bad, msg", [
    ("", "empty model output"),
    ("Thought: hmm", "no 'Action:' and no 'Final Answer:'"),
    ("Action: lookup[]x", "malformed action"),
    ("Action: lookup[a]\nFinal Answer: b", "after the action"),
    ("Action: lookup[a]\nObservation: a -> b", "must not write 'Observation:'"),
])
def test_parse_step_rejects_bad_input(bad, msg):
    with pytest.raises(ValueError, match=msg):
        parse_step(bad)


def test_truncate_hallucinated_observation():
    text, cut = truncate_at_observation("Thought: t\nAction: lookup[a]\nObservation: a -> z\nFinal Answer: z")
    assert cut and text == "Thought: t\nAction: lookup[a]"
    assert truncate_at_observation("Final Answer: 1") == ("Final Answer: 1", False)


# ---------- environment and loop ----------
def test_tool_errors_become_observations():
    env = ToolEnv({"div": lambda x: 1 / int(x)})
    assert env("div", "4") == "0.25"
    assert env("div", "0").startswith("Error: ZeroDivisionError")
    assert env("nope", "1") == "Error: unknown tool 'nope'; available: div"
    assert env.calls == 3
    with pytest.raises(ValueError, match="at least one tool"):
        ToolEnv({})


def test_chain_task_is_solved_and_steps_are_counted():
    rng = np.random.default_rng(0)
    for hops in (1, 3, 6):
        q, env, answer, _ = make_chain_task(20, hops, 0.0, rng)
        res = run_react(chain_policy, env, q, max_steps=20)
        assert res.status == "answered" and res.answer == answer
        assert res.n_steps == hops + 1 and env.calls == hops    # hops 次查询 + 1 次作答


def test_transient_errors_are_retried():
    rng = np.random.default_rng(1)
    q, env, answer, _ = make_chain_task(30, 5, 0.4, rng)
    res = run_react(chain_policy, env, q, max_steps=50)
    n_err = sum((s["observation"] or "").startswith("Error") for s in res.steps)
    assert res.status == "answered" and res.answer == answer
    assert n_err > 0 and res.n_steps == 5 + 1 + n_err


def test_stopping_rules():
    rng = np.random.default_rng(2)
    q, env, _, _ = make_chain_task(20, 6, 0.0, rng)
    res = run_react(chain_policy, env, q, max_steps=3)
    assert res.status == "max_steps" and res.answer is None and res.n_steps == 3

    def stuck(question, history):                 # 忽略观察、反复查同一个节点
        return "Thought: check the start again\nAction: lookup[n0]"
    res = run_react(stuck, ToolEnv({"lookup": lambda x: f"{x} -> n5"}), q, max_steps=10)
    assert res.status == "loop" and res.n_steps == 2

    def liar(question, history):                  # 自己编造 Observation，然后作答
        if history:
            return "Final Answer: n9"
        return "Action: lookup[n0]\nObservation: n0 -> n9\nFinal Answer: n9"
    res = run_react(liar, ToolEnv({"lookup": lambda x: f"{x} -> n5"}), q, max_steps=10)
    assert res.hallucinated_observations == 1
    assert res.steps[0]["observation"] == "n0 -> n5"             # 真实观察来自工具，不是模型

    def sloppy(question, history):                # 第一次格式错误，收到错误观察后改正
        return "Final Answer: ok" if history else "Action lookup n0"
    res = run_react(sloppy, ToolEnv({"lookup": str}), q, max_steps=5)
    assert res.status == "answered" and res.steps[0]["observation"].startswith("Error: line")
    with pytest.raises(ValueError, match="max_steps"):
        run_react(chain_policy, env, q, max_steps=0)


def test_chain_task_validation():
    rng = np.random.default_rng(3)
    with pytest.raises(ValueError, match="fail_prob"):
        make_chain_task(5, 2, 1.0, rng)
    with pytest.raises(ValueError, match="hops"):
        make_chain_task(5, 0, 0.1, rng)


# ---------- self-consistency ----------
@pytest.mark.parametrize("p", [0.2, 0.5, 0.63])
def test_majority_vote_exact_matches_binary_closed_form(p):
    for k in range(1, 16):
        assert math.isclose(majority_vote_exact([p, 1 - p], k), binary_majority_exact(p, k), abs_tol=1e-12)


def test_majority_vote_known_values():
    assert math.isclose(majority_vote_exact([0.6, 0.4], 1), 0.6)
    # k = 3, 三个候选：正确答案至少 2 票，或三票各异且随机破平选中它（1/3）
    p = [0.5, 0.3, 0.2]
    direct = 0.5**3 + 3 * 0.5**2 * 0.5 + 6 * 0.5 * 0.3 * 0.2 / 3
    assert math.isclose(majority_vote_exact(p, 3), direct)
    # 概率之和：所有答案被选中的概率加起来为 1
    k = 7
    total = sum(majority_vote_exact(np.roll(p, -i), k) for i in range(3))
    assert math.isclose(total, 1.0)


def test_majority_vote_simulation_agrees_with_exact():
    rng = np.random.default_rng(0)
    for probs in ([0.4, 0.3, 0.3], [0.4, 0.6], [0.35, 0.25, 0.2, 0.2]):
        for k in (1, 4, 9):
            exact = majority_vote_exact(probs, k)
            sim = majority_vote_simulate(probs, k, 40000, rng)
            assert abs(sim - exact) < 4 * math.sqrt(exact * (1 - exact) / 40000) + 1e-9


def test_majority_vote_limits():
    assert majority_vote_limit([0.4, 0.3, 0.3]) == 1.0
    assert majority_vote_limit([0.4, 0.6]) == 0.0
    assert majority_vote_limit([0.4, 0.4, 0.2]) == 0.5
    helps = [majority_vote_exact([0.4, 0.3, 0.3], k) for k in (1, 11, 51, 201)]
    hurts = [majority_vote_exact([0.4, 0.6], k) for k in (1, 11, 51, 201)]
    assert np.all(np.diff(helps) > 0) and helps[-1] > 0.9      # 正确答案是众数：投票越多越准
    assert np.all(np.diff(hurts) < 0) and hurts[-1] < 0.01     # 错误答案是众数：投票越多越错


@pytest.mark.parametrize("probs, msg", [
    ([0.5, 0.6], "sum to 1"),
    ([1.2, -0.2], r"\[0, 1\]"),
    ([1.0], "at least 2"),
])
def test_majority_vote_rejects_bad_probs(probs, msg):
    with pytest.raises(ValueError, match=msg):
        majority_vote_exact(probs, 3)


def test_majority_vote_rejects_bad_k():
    with pytest.raises(ValueError, match="positive integer"):
        majority_vote_exact([0.5, 0.5], 0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        binary_majority_exact(1.5, 3)
