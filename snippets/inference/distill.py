"""知识蒸馏：带温度的软标签损失（Hinton et al., 2015）。"""
import numpy as np


# --8<-- [start:kd_loss]
def log_softmax(z, T=1.0):
    z = np.asarray(z, dtype=np.float64) / T
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def kd_loss(student_logits, teacher_logits, labels, T=4.0, alpha=0.5):
    """α·CE(y, softmax(z_s)) + (1-α)·T²·KL(softmax(z_t/T) ‖ softmax(z_s/T))，对 batch 取平均。"""
    if T <= 0:
        raise ValueError(f"temperature must be positive, got {T}")
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    log_p_s_T = log_softmax(student_logits, T)
    log_p_t_T = log_softmax(teacher_logits, T)
    kl = np.sum(np.exp(log_p_t_T) * (log_p_t_T - log_p_s_T), axis=-1)
    ce = -np.take_along_axis(log_softmax(student_logits), np.asarray(labels)[:, None], axis=-1)[:, 0]
    return float(np.mean(alpha * ce + (1 - alpha) * T * T * kl))


def kd_soft_grad(student_logits, teacher_logits, T=4.0):
    """软标签项 T²·KL 对学生 logits 的梯度：T·(softmax(z_s/T) - softmax(z_t/T))。"""
    return T * (np.exp(log_softmax(student_logits, T)) - np.exp(log_softmax(teacher_logits, T)))
# --8<-- [end:kd_loss]


# --8<-- [start:kl_direction]
def token_kl(teacher_logits, student_logits, direction="forward"):
    """每个位置的 KL（对最后一维求和）。forward：KL(p_t ‖ p_s)，学生要覆盖教师的所有高概率词；
    reverse：KL(p_s ‖ p_t)，学生只需待在教师的高概率区域里（MiniLLM 用它）。"""
    log_t, log_s = log_softmax(teacher_logits), log_softmax(student_logits)
    if direction == "forward":
        return np.sum(np.exp(log_t) * (log_t - log_s), axis=-1)
    if direction == "reverse":
        return np.sum(np.exp(log_s) * (log_s - log_t), axis=-1)
    raise ValueError(f"direction must be 'forward' or 'reverse', got {direction!r}")
# --8<-- [end:kl_direction]
