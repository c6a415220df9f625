"""ReAct 循环：Thought / Action / Observation 轨迹的解析、停止规则、死循环检测，以及一个可脚本化的工具环境。

只用标准库；“模型”是一个确定性的策略函数 policy(question, history) -> str，便于测试停止规则与失败模式。
"""
import re
from dataclasses import dataclass, field

# --8<-- [start:parse]
ACTION_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\[(.*)\]$")
FIELDS = ("Thought", "Action", "Observation", "Final Answer")


def parse_action(text):
    """'lookup[Paris]' -> ('lookup', 'Paris')；格式不对就报错，错误信息会作为 Observation 回给模型。"""
    m = ACTION_RE.match(text.strip())
    if m is None:
        raise ValueError(f"malformed action {text.strip()!r}: expected tool[argument]")
    return m.group(1), m.group(2).strip()


def split_field(line):
    """'Thought: ...' -> ('Thought', '...')；不以已知字段开头的行报错。"""
    for name in FIELDS:
        if line.startswith(name + ":"):
            return name, line[len(name) + 1:].strip()
    raise ValueError(f"line {line!r} does not start with one of {', '.join(f + ':' for f in FIELDS)}")


def truncate_at_observation(text):
    """模型自己写出的 'Observation:' 是编造的观察：截断在它之前（相当于 stop 序列），并报告是否截断过。"""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith("Observation:"):
            return "\n".join(lines[:i]), True
    return text, False


def parse_step(text):
    """解析模型的一轮输出：可选的 Thought，然后恰好一个 Action 或 Final Answer。"""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise ValueError("empty model output: expected 'Thought:' then 'Action:' or 'Final Answer:'")
    step = {"thought": None, "action": None, "final": None}
    for line in lines:
        name, value = split_field(line)
        if name == "Observation":
            raise ValueError("the model must not write 'Observation:'; observations come from the tools")
        if step["action"] is not None or step["final"] is not None:
            raise ValueError(f"unexpected {name!r} after the action / final answer of this step")
        if name == "Thought":
            step["thought"] = value
        elif name == "Action":
            step["action"] = parse_action(value)
        else:
            step["final"] = value
    if step["action"] is None and step["final"] is None:
        raise ValueError("step has no 'Action:' and no 'Final Answer:'")
    return step
# --8<-- [end:parse]


# --8<-- [start:trace]
def parse_trace(text):
    """解析整条轨迹：[Thought] Action Observation ... [Thought] Final Answer。返回步骤列表。"""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise ValueError("empty trace")
    steps, cur = [], {"thought": None, "action": None, "observation": None, "final": None}
    for line in lines:
        name, value = split_field(line)
        if cur["final"] is not None:
            raise ValueError(f"{name!r} after 'Final Answer:'; the trace must end there")
        if name == "Thought":
            if cur["action"] is not None:          # Action 没有等到 Observation 就开始下一步
                raise ValueError("'Thought:' before the previous action's 'Observation:'")
            cur["thought"] = value
        elif name == "Action":
            if cur["action"] is not None:
                raise ValueError("two 'Action:' lines without an 'Observation:' between them")
            cur["action"] = parse_action(value)
        elif name == "Observation":
            if cur["action"] is None:
                raise ValueError("'Observation:' without a preceding 'Action:'")
            cur["observation"] = value
            steps.append(cur)
            cur = {"thought": None, "action": None, "observation": None, "final": None}
        else:
            if cur["action"] is not None:
                raise ValueError("'Final Answer:' before the previous action's 'Observation:'")
            cur["final"] = value
            steps.append(cur)
    if cur["action"] is not None:
        raise ValueError("trace ends with an 'Action:' that has no 'Observation:'")
    return steps


def format_trace(steps):
    """parse_trace 的逆：把步骤列表写回文本。"""
    out = []
    for s in steps:
        if s.get("thought") is not None:
            out.append(f"Thought: {s['thought']}")
        if s.get("action") is not None:
            tool, arg = s["action"]
            out.append(f"Action: {tool}[{arg}]")
            out.append(f"Observation: {s['observation']}")
        if s.get("final") is not None:
            out.append(f"Final Answer: {s['final']}")
    return "\n".join(out)
# --8<-- [end:trace]


# --8<-- [start:env]
class ToolEnv:
    """把工具名映射到 Python 函数；未知工具、参数错误、异常都变成以 'Error:' 开头的观察，而不是让循环崩溃。"""

    def __init__(self, tools):
        if not tools:
            raise ValueError("a tool environment needs at least one tool")
        self.tools = dict(tools)
        self.calls = 0

    def __call__(self, tool, arg):
        self.calls += 1
        if tool not in self.tools:
            return f"Error: unknown tool {tool!r}; available: {', '.join(sorted(self.tools))}"
        try:
            return str(self.tools[tool](arg))
        except Exception as e:                    # noqa: BLE001 — 工具的任何失败都回传给模型
            return f"Error: {type(e).__name__}: {e}"
# --8<-- [end:env]


# --8<-- [start:loop]
@dataclass
class ReActResult:
    status: str                      # "answered" | "max_steps" | "loop"
    answer: str | None
    steps: list = field(default_factory=list)
    hallucinated_observations: int = 0

    @property
    def n_steps(self):
        return len(self.steps)


def run_react(policy, env, question, max_steps=10):
    """ReAct 主循环。停止规则：给出 Final Answer；或模型第二次写出完全相同的一步（同样的 Thought 与 Action）
    并得到同样的（非错误）结果，判为死循环；或达到 max_steps。模型编造的 Observation 被截断并计数；格式错误与工具错误都作为 Observation 回传。"""
    if not isinstance(max_steps, int) or max_steps < 1:
        raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
    result, seen = ReActResult("max_steps", None), {}
    for _ in range(max_steps):
        text, hallucinated = truncate_at_observation(policy(question, result.steps))
        result.hallucinated_observations += hallucinated
        try:
            step = parse_step(text)
        except ValueError as e:                   # 格式错误：作为观察回传，让模型自己改
            result.steps.append({"thought": None, "action": None, "observation": f"Error: {e}", "final": None})
            continue
        if step["final"] is not None:
            result.steps.append({**step, "observation": None})
            result.status, result.answer = "answered", step["final"]
            return result
        obs = env(*step["action"])
        result.steps.append({**step, "observation": obs})
        key = (step["thought"], step["action"], obs)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] >= 2 and not obs.startswith("Error"):   # 同一步、同一结果：没有新信息
            result.status = "loop"
            return result
    return result
# --8<-- [end:loop]


# --8<-- [start:chain_task]
def make_chain_task(n_nodes, hops, fail_prob, rng):
    """多跳查找任务：节点 n0..n{N-1} 各有一个后继（随机置换），问题是“从 start 沿 next 走 hops 步到哪”。
    工具 lookup[x] 返回 'x -> y'，以 fail_prob 的概率返回瞬时错误 'Error: timeout'。返回 (question, env, answer, succ)。"""
    if n_nodes < 2 or hops < 1:
        raise ValueError(f"need n_nodes >= 2 and hops >= 1, got {n_nodes} and {hops}")
    if not 0.0 <= fail_prob < 1.0:
        raise ValueError(f"fail_prob must be in [0, 1), got {fail_prob}")
    perm = rng.permutation(n_nodes)
    succ = {f"n{i}": f"n{perm[i]}" for i in range(n_nodes)}
    start = f"n{rng.integers(n_nodes)}"
    answer = start
    for _ in range(hops):
        answer = succ[answer]

    def lookup(x):
        if x not in succ:
            raise KeyError(f"no node named {x!r}")
        if rng.random() < fail_prob:
            return "Error: timeout"
        return f"{x} -> {succ[x]}"

    question = f"Start at {start} and follow 'next' {hops} times. Where do you end?"
    return question, ToolEnv({"lookup": lookup}), answer, succ


QUESTION_RE = re.compile(r"Start at (\S+) and follow 'next' (\d+) times")


def chain_policy(question, history):
    """确定性的“规划器”：从历史里的观察恢复状态（当前节点、已走几步），出错就重试，走够了就作答。"""
    start, hops = QUESTION_RE.search(question).groups()
    cur, done = start, 0
    for s in history:
        obs = s.get("observation") or ""
        if " -> " in obs:
            cur, done = obs.split(" -> ")[1], done + 1
    if done == int(hops):
        return f"Thought: I followed {done} links and reached {cur}.\nFinal Answer: {cur}"
    if history and (history[-1].get("observation") or "").startswith("Error"):
        return f"Thought: Looking up {cur} failed ({done} of {hops} links done); retry.\nAction: lookup[{cur}]"
    return f"Thought: {done} of {hops} links done; look up the successor of {cur}.\nAction: lookup[{cur}]"
# --8<-- [end:chain_task]
