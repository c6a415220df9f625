"""Bradley–Terry 奖励模型与 DPO 损失（numpy 版）。"""
import numpy as np


# --8<-- [start:bradley_terry]
def log_sigmoid(x):
    """数值稳定的 log σ(x) = -log(1 + e^{-x})。"""
    return -np.logaddexp(0.0, -np.asarray(x, dtype=np.float64))


def bt_prob(r_w, r_l):
    """Bradley–Terry：P(y_w ≻ y_l | x) = σ(r_w - r_l) = e^{r_w} / (e^{r_w} + e^{r_l})。"""
    return np.exp(log_sigmoid(np.asarray(r_w) - np.asarray(r_l)))


def reward_model_loss(r_w, r_l):
    """奖励模型的成对损失：-E[log σ(r_w - r_l)]。"""
    return float(np.mean(-log_sigmoid(np.asarray(r_w) - np.asarray(r_l))))
# --8<-- [end:bradley_terry]


# --8<-- [start:dpo_loss]
def sequence_logprob(token_logprobs, mask):
    """log π(y|x) = Σ_t log π(y_t | x, y_<t)，只对 response 部分（mask=1）求和。"""
    return np.sum(np.asarray(token_logprobs) * np.asarray(mask), axis=-1)


def dpo_loss(pi_w, pi_l, ref_w, ref_l, beta=0.1):
    """DPO：-log σ(β[(log π_θ(y_w) - log π_ref(y_w)) - (log π_θ(y_l) - log π_ref(y_l))])。

    参数都是整条 response 的对数概率（已对 token 求和）。返回 (平均损失, 隐式奖励差)。
    """
    if not beta > 0:
        raise ValueError(f"beta (KL strength) must be positive, got {beta}")
    margin = beta * ((np.asarray(pi_w) - ref_w) - (np.asarray(pi_l) - ref_l))
    return float(np.mean(-log_sigmoid(margin))), margin


def dpo_grad_weight(margin):
    """∂loss/∂log π_θ(y_w) = -β σ(-margin)，∂loss/∂log π_θ(y_l) = +β σ(-margin)；这里返回 σ(-margin)。

    隐式奖励已经把 y_w 排得越靠前，权重越小：DPO 自带的“难例加权”。
    """
    return np.exp(log_sigmoid(-np.asarray(margin)))
# --8<-- [end:dpo_loss]
