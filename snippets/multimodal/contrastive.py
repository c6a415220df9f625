"""图文对比学习：CLIP 的对称 InfoNCE、SigLIP 的逐对 sigmoid 损失（含分块计算）、两塔线性编码器的训练与零样本分类（numpy 实现，手写梯度）。"""
import numpy as np


# --8<-- [start:common]
def check_pair_batch(img, txt):
    """两个模态的 batch 必须一一配对：形状都是 (N, d) 且 N 相同。"""
    img, txt = np.atleast_2d(np.asarray(img, dtype=float)), np.atleast_2d(np.asarray(txt, dtype=float))
    if img.shape[0] != txt.shape[0]:
        raise ValueError(f"image batch {img.shape[0]} and text batch {txt.shape[0]} differ; pairs must match")
    if img.shape[1] != txt.shape[1]:
        raise ValueError(f"image embeddings have dim {img.shape[1]}, text embeddings {txt.shape[1]}")
    return img, txt


def log_scale_from_temperature(tau):
    """CLIP 学的是 t = log(1/τ)，logit = e^t · cos；温度 τ 必须为正。"""
    if not tau > 0:
        raise ValueError(f"temperature must be positive, got {tau}")
    return float(np.log(1.0 / tau))


def _log_softmax(z, axis):
    m = z.max(axis=axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


def _log_sigmoid(x):
    """log σ(x) = -log(1 + e^{-x})，对大的 |x| 也不溢出。"""
    return -np.logaddexp(0.0, -x)


def _sigmoid(x):
    return np.exp(_log_sigmoid(x))
# --8<-- [end:common]


# --8<-- [start:clip_loss]
def clip_loss(u, v, t):
    """CLIP 的对称 InfoNCE 及其梯度。

    u, v: (N, d)，已 L2 归一化的图像、文本向量，第 i 行互为正样本；t = log(1/τ) 为对数缩放。
    logits S = e^t · u v^T（N×N），损失 = (逐行交叉熵 + 逐列交叉熵) / 2，目标都是对角线。
    返回 (loss, dL/du, dL/dv, dL/dt)。
    """
    u, v = check_pair_batch(u, v)
    n, s = u.shape[0], np.exp(t)
    cos = u @ v.T
    logits = s * cos
    lp_rows = _log_softmax(logits, axis=1)           # 图 -> 文：每行在 N 段文本上 softmax
    lp_cols = _log_softmax(logits, axis=0)           # 文 -> 图：每列在 N 张图上 softmax
    idx = np.arange(n)
    loss = -0.5 * (lp_rows[idx, idx].mean() + lp_cols[idx, idx].mean())
    eye = np.eye(n)
    g_logits = 0.5 / n * ((np.exp(lp_rows) - eye) + (np.exp(lp_cols) - eye))   # dL/dS
    return loss, s * g_logits @ v, s * g_logits.T @ u, float(np.sum(g_logits * logits))
# --8<-- [end:clip_loss]


# --8<-- [start:siglip_loss]
def siglip_loss(u, v, t, b):
    """SigLIP 的逐对 sigmoid 损失及其梯度。

    logit_ij = e^t · u_i·v_j + b，标签 z_ij = +1（i = j）或 -1（i ≠ j），
    L = -(1/N) Σ_i Σ_j log σ(z_ij · logit_ij)：N² 个独立的二分类，除以 N（每张图 1 个正样本）。
    返回 (loss, dL/du, dL/dv, dL/dt, dL/db)。
    """
    u, v = check_pair_batch(u, v)
    n, s = u.shape[0], np.exp(t)
    z = 2.0 * np.eye(n) - 1.0
    cos = u @ v.T
    logits = s * cos + b
    loss = -_log_sigmoid(z * logits).sum() / n
    g_logits = -z * _sigmoid(-z * logits) / n        # d/dl [-log σ(z l)] = -z σ(-z l)
    return loss, s * g_logits @ v, s * g_logits.T @ u, float(np.sum(g_logits * s * cos)), float(g_logits.sum())


def siglip_loss_chunked(u, v, t, b, devices):
    """按 SigLIP 论文的分块方式算同一个损失：D 个设备各持有 N/D 对样本。

    设备 d_i 先算本地块（含正样本），再依次接收邻居的文本块，只算“本地图像 × 邻居文本”的负样本块；
    每块的损失互相独立，直接相加即可，任何时刻只需 (N/D)² 大小的 logits。返回 (loss, 最大块的元素数)。
    """
    u, v = check_pair_batch(u, v)
    n = u.shape[0]
    if not (isinstance(devices, (int, np.integer)) and devices > 0) or n % devices:
        raise ValueError(f"batch {n} cannot be split evenly over {devices} devices")
    m, s = n // devices, np.exp(t)
    total, largest = 0.0, 0
    for di in range(devices):
        ui = u[di * m:(di + 1) * m]
        for shift in range(devices):                 # shift = 0：本地块；其余：轮转收到的邻居块
            dj = (di + shift) % devices
            logits = s * ui @ v[dj * m:(dj + 1) * m].T + b
            z = 2.0 * np.eye(m) - 1.0 if dj == di else -np.ones((m, m))
            total += -_log_sigmoid(z * logits).sum()
            largest = max(largest, logits.size)
    return total / n, largest
# --8<-- [end:siglip_loss]


# --8<-- [start:encoder]
def encode(w, x):
    """线性编码器 + L2 归一化：h = x w^T，u = h / ||h||。返回 (u, h 的范数)。"""
    h = np.asarray(x, dtype=float) @ w.T
    norm = np.linalg.norm(h, axis=1, keepdims=True)
    return h / norm, norm


def encode_backward(g_u, u, norm, x):
    """把对 u 的梯度传回 w：归一化的 Jacobian 是 (I - u u^T)/||h||，再乘输入。"""
    g_h = (g_u - u * np.sum(g_u * u, axis=1, keepdims=True)) / norm
    return g_h.T @ np.asarray(x, dtype=float)


def train_dual_encoder(x_img, x_txt, dim, batch, steps, lr=0.01, loss="clip", tau_init=0.07,
                       max_logit_scale=100.0, seed=0):
    """用 Adam 训练两个线性编码器（图像塔 W_i、文本塔 W_t）和对数缩放 t（以及 SigLIP 的偏置 b）。

    每步从 (x_img, x_txt) 的配对里无放回地取 batch 对；loss = "clip"（对称 InfoNCE）或 "siglip"。
    t 初值 log(1/τ_init)，每步截断在 log(max_logit_scale) 以内（CLIP 的做法）；SigLIP 的 b 初值 -10。
    返回参数字典与每步的损失。
    """
    x_img, x_txt = np.asarray(x_img, dtype=float), np.asarray(x_txt, dtype=float)
    if len(x_img) != len(x_txt):
        raise ValueError(f"{len(x_img)} images but {len(x_txt)} texts; pairs must match")
    if not 2 <= batch <= len(x_img):
        raise ValueError(f"batch must be between 2 and the number of pairs ({len(x_img)}), got {batch}")
    if loss not in ("clip", "siglip"):
        raise ValueError(f"loss must be 'clip' or 'siglip', got {loss!r}")
    rng = np.random.default_rng(seed)
    params = {"w_img": rng.normal(size=(dim, x_img.shape[1])) / np.sqrt(x_img.shape[1]),
              "w_txt": rng.normal(size=(dim, x_txt.shape[1])) / np.sqrt(x_txt.shape[1]),
              "t": np.array(log_scale_from_temperature(tau_init) if loss == "clip" else np.log(10.0)),
              "b": np.array(-10.0)}
    m = {k: np.zeros_like(p) for k, p in params.items()}
    v2 = {k: np.zeros_like(p) for k, p in params.items()}
    history = []
    order = rng.permutation(len(x_img))
    pos = 0
    for step in range(1, steps + 1):
        if pos + batch > len(order):
            order, pos = rng.permutation(len(x_img)), 0
        idx = order[pos:pos + batch]
        pos += batch
        u, nu = encode(params["w_img"], x_img[idx])
        w, nw = encode(params["w_txt"], x_txt[idx])
        if loss == "clip":
            val, g_u, g_w, g_t = clip_loss(u, w, float(params["t"]))
            g_b = 0.0
        else:
            val, g_u, g_w, g_t, g_b = siglip_loss(u, w, float(params["t"]), float(params["b"]))
        grads = {"w_img": encode_backward(g_u, u, nu, x_img[idx]),
                 "w_txt": encode_backward(g_w, w, nw, x_txt[idx]),
                 "t": np.array(g_t), "b": np.array(g_b)}
        for k in params:                               # Adam（β1 = 0.9，β2 = 0.999）
            m[k] = 0.9 * m[k] + 0.1 * grads[k]
            v2[k] = 0.999 * v2[k] + 0.001 * grads[k] ** 2
            params[k] = params[k] - lr * (m[k] / (1 - 0.9 ** step)) / (np.sqrt(v2[k] / (1 - 0.999 ** step)) + 1e-8)
        params["t"] = np.minimum(params["t"], np.log(max_logit_scale))
        history.append(val)
    return params, np.array(history)
# --8<-- [end:encoder]


# --8<-- [start:zero_shot]
def zero_shot_classify(img_emb, class_emb):
    """零样本分类：每张图取余弦相似度最高的类别向量（类别向量 = 该类提示词的文本向量，可先做 ensemble）。"""
    img_emb = np.atleast_2d(np.asarray(img_emb, dtype=float))
    class_emb = np.asarray(class_emb, dtype=float)
    if class_emb.ndim != 2 or class_emb.shape[0] == 0:
        raise ValueError("the label set is empty: zero-shot classification needs at least one class embedding")
    if class_emb.shape[1] != img_emb.shape[1]:
        raise ValueError(f"class embeddings have dim {class_emb.shape[1]}, image embeddings {img_emb.shape[1]}")
    return np.argmax(img_emb @ class_emb.T, axis=1)


def ensemble_prompts(prompt_emb):
    """prompt ensembling：同一类别的多个模板在嵌入空间取平均再归一化，(K, J, d) -> (K, d)。"""
    prompt_emb = np.asarray(prompt_emb, dtype=float)
    if prompt_emb.ndim != 3 or 0 in prompt_emb.shape[:2]:
        raise ValueError(f"prompt embeddings must have shape (classes, templates, d) with both > 0, got {prompt_emb.shape}")
    mean = prompt_emb.mean(axis=1)
    return mean / np.linalg.norm(mean, axis=1, keepdims=True)
# --8<-- [end:zero_shot]


# --8<-- [start:linear_probe]
def linear_probe(features, labels, classes, steps=300, lr=0.5, l2=1e-3):
    """linear probe：冻结编码器，只在其特征上训练一个多类逻辑回归（全批量梯度下降）。返回 (W, b)。"""
    x = np.asarray(features, dtype=float)
    y = np.asarray(labels)
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"need the same positive number of features and labels, got {len(x)} and {len(y)}")
    if classes < 1 or y.min() < 0 or y.max() >= classes:
        raise ValueError(f"labels must lie in [0, {classes}), got range [{y.min()}, {y.max()}]")
    w, b = np.zeros((x.shape[1], classes)), np.zeros(classes)
    onehot = np.eye(classes)[y]
    for _ in range(steps):
        logits = x @ w + b
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        g = (p - onehot) / len(x)
        w -= lr * (x.T @ g + l2 * w)
        b -= lr * g.sum(axis=0)
    return w, b
# --8<-- [end:linear_probe]


# --8<-- [start:toy_world]
class ToyWorld:
    """合成的图文数据：两个模态共享潜在的类别结构。

    每个样本有类别 y 与潜变量 z = c_y + σ_inst·ε（c_y 为类中心，ε 是样本自己的细节）；
    “图像” x = A z + 噪声，“文本” t = B z + 噪声，A、B 是随机线性映射，两个模态的维度与噪声都不同。
    类别的“提示词”是只含类中心的文本 B c_y + 模板噪声（相当于 "a photo of a {label}."）。
    """

    def __init__(self, classes=20, latent=16, d_img=48, d_txt=32, inst=0.8, noise_img=0.6, noise_txt=0.4, seed=0):
        if classes < 1:
            raise ValueError(f"need at least one class, got {classes}")
        rng = np.random.default_rng(seed)
        self.centers = rng.normal(size=(classes, latent))
        self.a = rng.normal(size=(d_img, latent)) / np.sqrt(latent)
        self.b = rng.normal(size=(d_txt, latent)) / np.sqrt(latent)
        self.inst, self.noise_img, self.noise_txt = inst, noise_img, noise_txt

    def pairs(self, n, rng):
        """n 对 (图像, 文本, 类别)。"""
        y = rng.integers(len(self.centers), size=n)
        z = self.centers[y] + self.inst * rng.normal(size=(n, self.centers.shape[1]))
        x_img = z @ self.a.T + self.noise_img * rng.normal(size=(n, self.a.shape[0]))
        x_txt = z @ self.b.T + self.noise_txt * rng.normal(size=(n, self.b.shape[0]))
        return x_img, x_txt, y

    def prompts(self, templates, rng, noise=0.8):
        """每个类别 templates 条提示词的文本输入，(K, J, d_txt)：类中心的文本加上每条模板各自的噪声。"""
        k, d = len(self.centers), self.b.shape[0]
        return (self.centers @ self.b.T)[:, None, :] + noise * rng.normal(size=(k, templates, d))
# --8<-- [end:toy_world]
