"""知识蒸馏：带温度的软标签损失（Hinton et al., 2015）。"""
import numpy as np


def log_softmax(z, T=1.0):
    z = np.asarray(z, dtype=np.float64) / T
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


# --8<-- [start:kd_loss]
def kd_loss(student_logits, teacher_logits, labels, T=4.0, alpha=0.5):
    """α·CE(y, softmax(z_s)) + (1-α)·T²·KL(softmax(z_t/T) ‖ softmax(z_s/T))，对 batch 取平均。"""
    log_p_s_T = log_softmax(student_logits, T)
    log_p_t_T = log_softmax(teacher_logits, T)
    kl = np.sum(np.exp(log_p_t_T) * (log_p_t_T - log_p_s_T), axis=-1)
    ce = -np.take_along_axis(log_softmax(student_logits), np.asarray(labels)[:, None], axis=-1)[:, 0]
    return float(np.mean(alpha * ce + (1 - alpha) * T * T * kl))


def kd_soft_grad(student_logits, teacher_logits, T=4.0):
    """软标签项 T²·KL 对学生 logits 的梯度：T·(softmax(z_s/T) - softmax(z_t/T))。"""
    return T * (np.exp(log_softmax(student_logits, T)) - np.exp(log_softmax(teacher_logits, T)))
# --8<-- [end:kd_loss]
