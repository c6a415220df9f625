# %% [markdown]
# ---
# description: 用一个玩具生成器演示按采样一致性检测幻觉：模型不知道答案时多次采样会各说各的，语义熵（先把同义答案归为一类再算熵）比按字面算的熵更能区分编造与正确回答；模型一贯答错的“系统性错误”则低熵、检测不到。
# tags:
#   - 评测指标
#   - 幻觉
#   - 语义熵
#   - SelfCheckGPT
#   - 动手验证
# ---
# # 采样一致性与语义熵：检测编造型幻觉
#
# 对应问题：[幻觉怎么检测？](llm-eval.md#hallucination-detection) ·
# [语义熵和普通的 token 熵有什么区别？](llm-eval.md#semantic-entropy)
#
# 玩具设定：600 道事实问答题，每题的正确答案是 12 个实体之一。一半题目的回答很短、只有一种说法；另一半的回答措辞多变，
# 同一个实体有 6 种说法（`Paris`、`paris`、`Paris, Europe`、`It is Paris`……）。
# - 模型**知道**的题（60%）：每次采样以 0.9 的概率说出正确实体，说法随机；
# - 模型**不知道**的题（30%）：每次采样从 12 个实体里随机挑一个（编造，confabulation）；
# - 模型**一贯答错**的题（10%）：以 0.9 的概率说同一个错误实体（训练数据里的错误或误解）。
#
# 主回答是第一次采样，它的实体不对就算幻觉。对每题再采样 m 次，计算三个检测分数：这 m 个答案的字面熵、语义熵（按实体归类后的熵），以及其中与主回答同义的比例（取 1 减它作为不一致率）。
#
# ## 三种分数的 AUROC {#detector-auroc}

# %%
import numpy as np
import matplotlib.pyplot as plt
from snippets.metrics.auc import auc_rank
from snippets.metrics.llm_eval import agreement_score, answer_entropy

rng = np.random.default_rng(0)
entities = ["Paris", "Lyon", "Rome", "Milan", "Berlin", "Bonn", "Oslo", "Bern", "Vienna", "Prague", "Madrid", "Lisbon"]
forms = [lambda e: e, lambda e: e.lower(), lambda e: e + ", Europe", lambda e: "It is " + e,
         lambda e: "The answer is " + e, lambda e: e.upper()]


def canon(s):
    """同义归类：去掉固定的前后缀、忽略大小写（真实系统用双向蕴含的 NLI 模型判断两句话是否同义）。"""
    s = s.lower().split(",")[0].strip()
    for prefix in ("the answer is ", "it is "):
        s = s.removeprefix(prefix)
    return s


n_q, m_max = 600, 20
kind = rng.choice(["known", "unknown", "wrong"], size=n_q, p=[0.6, 0.3, 0.1])
n_forms = rng.choice([1, 6], size=n_q)                     # 短答案只有一种说法，长答案有 6 种
truth = rng.integers(0, len(entities), n_q)
wrong = (truth + rng.integers(1, len(entities), n_q)) % len(entities)


def sample(q):
    if kind[q] == "known":
        e = truth[q] if rng.random() < 0.9 else rng.integers(len(entities))
    elif kind[q] == "unknown":
        e = rng.integers(len(entities))
    else:
        e = wrong[q] if rng.random() < 0.9 else rng.integers(len(entities))
    return forms[rng.integers(n_forms[q])](entities[e])


main = [sample(q) for q in range(n_q)]
extra = [[sample(q) for _ in range(m_max)] for q in range(n_q)]
halluc = np.array([canon(main[q]) != entities[truth[q]].lower() for q in range(n_q)]).astype(int)


def scores(m):
    lex = np.array([answer_entropy(extra[q][:m]) for q in range(n_q)])
    sem = np.array([answer_entropy(extra[q][:m], canon) for q in range(n_q)])
    dis = np.array([1 - agreement_score(main[q], extra[q][:m], canon) for q in range(n_q)])
    return lex, sem, dis


lex, sem, dis = scores(10)
auc = {name: auc_rank(halluc, s) for name, s in [("lexical entropy", lex), ("semantic entropy", sem),
                                                  ("1 - agreement", dis)]}
print(f"hallucination rate of the main answer: {halluc.mean():.2f}")
print({k: round(v, 3) for k, v in auc.items()})
assert auc["semantic entropy"] > auc["lexical entropy"] + 0.03
assert auc["semantic entropy"] > 0.75 and auc["1 - agreement"] > 0.75

# 系统性错误：模型一贯说同一个错误答案，语义熵低，检测不到
thr = np.quantile(sem, 0.7)                                 # 把熵最高的 30% 标为“可疑”
flagged = sem > thr
recall = {k: float(flagged[(halluc == 1) & (kind == k)].mean()) for k in ("unknown", "wrong")}
print("recall of flagged hallucinations by kind:", {k: round(v, 2) for k, v in recall.items()})
assert recall["unknown"] > 0.8 and recall["wrong"] < 0.2

# %% [markdown]
# ## 采样次数 m 的影响 {#samples-m}

# %%
ms = np.array([2, 3, 5, 8, 12, 20])
curves = np.array([[auc_rank(halluc, s) for s in scores(int(m))] for m in ms])
print("AUROC vs m (lexical, semantic, disagreement):\n", np.c_[ms, curves.round(3)])
assert curves[2, 1] > curves[0, 1] + 0.05 and np.all(curves[:, 1] > curves[:, 0])
assert np.all(curves[:, 2] > curves[:, 1])       # 直接比对主回答：还能发现“知道但这次说错了”的情形

# %%
#| alt: 横轴是额外采样次数 m（2 到 20），纵轴是检测幻觉的 AUROC：与主回答的不一致率最高，约 0.84 到 0.85；语义熵从约 0.71 升到约 0.78 后持平；字面熵始终最低，从约 0.62 慢慢升到约 0.74；读者应看出先把同义答案归类再算熵更可靠，而一贯答错的题目让所有方法都有上限
fig, ax = plt.subplots()
for a, (label, style) in enumerate([("lexical entropy", "o--"), ("semantic entropy", "s-"), ("1 - agreement", "^-")]):
    ax.plot(ms, curves[:, a], style, label=label)
ax.set(xlabel="extra samples m", ylabel="AUROC (hallucination)", title="Sampling-consistency detectors")
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# ## 结论 {#conclusion}
#
# - 不知道答案时模型“各说各的”，多次采样的答案分散；按含义归类后的语义熵比字面熵更能区分编造，因为同一个正确答案的不同说法不再被当成分歧。
# - 这类方法只能发现**编造**（答案随采样变化）：模型一贯给出同一个错误答案时熵很低，需要检索或外部事实核查。
# - 与主回答逐一比对的不一致率（SelfCheckGPT 的做法）还能抓到“模型大体知道、这次恰好说错”的情形，这里 AUROC 最高（约 0.85）。
# - 采样次数越多估计越稳，成本也随之线性增加；这里 m 到 5 左右语义熵就不再提升，剩下的漏检来自一贯答错的题目。
