"""SFT 数据：Self-Instruct 式的 ROUGE-L 去重，多轮对话的 chat template 与 assistant-only 标签，
以及“一次前向 vs 按轮拆成多条样本”的 loss 与 token 代价（用一个因果注意力玩具模型验证）。"""
import numpy as np

from snippets.metrics.text_metrics import rouge_l

IGNORE = -100
# 玩具词表里的特殊 token（类似 ChatML 的 <|im_start|>role ... <|im_end|>）
IM_START, IM_END = 1, 2
ROLE_TOKEN = {"system": 3, "user": 4, "assistant": 5}
FIRST_CONTENT_ID = 10


# --8<-- [start:dedup]
def rouge_l_filter(candidates, pool=(), threshold=0.7):
    """Self-Instruct 的多样性过滤：候选指令与已有指令（种子 + 已接受的）任意一条的 ROUGE-L F 值超过阈值就丢弃。

    按顺序贪心处理，返回被接受的候选；文本按空白切成词。
    """
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"ROUGE-L threshold must be in [0, 1], got {threshold}")
    kept_tokens = [p.split() for p in pool]
    accepted = []
    for text in candidates:
        toks = text.split()
        if not toks:
            continue
        if all(rouge_l(toks, k)["f"] <= threshold for k in kept_tokens):
            accepted.append(text)
            kept_tokens.append(toks)
    return accepted
# --8<-- [end:dedup]


# --8<-- [start:chat_template]
def render_chat(turns):
    """turns: [(role, [content token ids]), ...] → (input_ids, labels)。

    每轮渲染成 <|im_start|> role 内容 <|im_end|>；labels 只在 assistant 的内容和它的 <|im_end|> 上取 token 本身
    （模型要学会在回答结束时输出结束符），其余位置为 IGNORE。labels 与 input_ids 对齐，错位在算 loss 时做。
    """
    ids, labels = [], []
    for k, (role, content) in enumerate(turns):
        if role not in ROLE_TOKEN:
            raise ValueError(f"turn {k}: unknown role {role!r} (expected one of {sorted(ROLE_TOKEN)})")
        if role == "assistant" and len(content) == 0:
            raise ValueError(f"turn {k}: empty assistant turn, nothing to train on")
        seg = [IM_START, ROLE_TOKEN[role], *content, IM_END]
        train = role == "assistant"
        ids += seg
        labels += [IGNORE, IGNORE] + (list(content) + [IM_END] if train else [IGNORE] * (len(content) + 1))
    return np.array(ids), np.array(labels)


def split_by_assistant_turn(turns):
    """拆成多条样本：第 j 条 = 截至第 j 个 assistant 轮的全部历史，只有第 j 个 assistant 轮算 loss。"""
    samples = []
    for j, (role, _) in enumerate(turns):
        if role != "assistant":
            continue
        ids, labels = render_chat(turns[:j + 1])
        n_last = len(turns[j][1]) + 2                       # 最后一轮：im_start、role、内容、im_end
        labels = np.where(np.arange(len(ids)) >= len(ids) - n_last, labels, IGNORE)
        samples.append((ids, labels))
    if not samples:
        raise ValueError("the conversation has no assistant turn")
    return samples
# --8<-- [end:chat_template]


# --8<-- [start:toy_lm]
def init_toy_lm(vocab, d, rng):
    """单层、单头的因果注意力语言模型（无位置编码），参数放在 dict 里。"""
    return {k: rng.standard_normal(s) * 0.5 for k, s in
            dict(E=(vocab, d), Wq=(d, d), Wk=(d, d), Wv=(d, d), Wo=(d, vocab)).items()}


def toy_lm_logprobs(params, ids):
    """返回每个位置对下一个 token 的对数概率，形状 (len(ids), vocab)。位置 t 只看得到 0..t。"""
    x = params["E"][ids]
    q, k, v = x @ params["Wq"], x @ params["Wk"], x @ params["Wv"]
    scores = q @ k.T / np.sqrt(x.shape[1])
    scores = np.where(np.tril(np.ones((len(ids), len(ids)), dtype=bool)), scores, -np.inf)
    att = np.exp(scores - scores.max(-1, keepdims=True))
    att /= att.sum(-1, keepdims=True)
    logits = (att @ v + x) @ params["Wo"]
    m = logits.max(-1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(-1, keepdims=True))


def summed_loss(params, ids, labels):
    """按 HF 约定错一格：位置 t 的输出预测 labels[t+1]；返回（交叉熵之和，计入的 token 数）。"""
    logp = toy_lm_logprobs(params, ids)
    tgt = labels[1:]
    keep = tgt != IGNORE
    nll = -logp[:-1][keep, tgt[keep]]
    return float(nll.sum()), int(keep.sum())
# --8<-- [end:toy_lm]


# --8<-- [start:costs]
def multiturn_costs(turns):
    """一次前向与按轮拆分的代价：处理的 token 数，以及注意力打分的次数（因果注意力约 L(L+1)/2）。"""
    full_len = len(render_chat(turns)[0])
    split_lens = [len(ids) for ids, _ in split_by_assistant_turn(turns)]
    return {
        "tokens_one_pass": full_len,
        "tokens_split": sum(split_lens),
        "attn_one_pass": full_len * (full_len + 1) // 2,
        "attn_split": sum(L * (L + 1) // 2 for L in split_lens),
    }
# --8<-- [end:costs]
