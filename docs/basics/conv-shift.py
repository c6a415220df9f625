# %% [markdown]
# ---
# description: 用单像素图像验证核 [[0,0,0],[0,0,1],[0,0,0]] 在数学卷积下把图像右移、在深度学习框架的互相关下把图像左移。
# tags:
#   - 基础
#   - 卷积
#   - CNN
#   - 动手验证
# ---
# # 卷积核平移：真卷积右移，互相关左移
#
# 对应问题：[卷积核 [[0,0,0],[0,0,1],[0,0,0]] 会让图像往哪边移？](classic-ml.md#conv-kernel-shift)
#
# ## 单像素实验 {#one-pixel}

# %%
import numpy as np
import matplotlib.pyplot as plt

from snippets.basics.conv import convolve2d, cross_correlate2d

x = np.zeros((7, 7))
x[3, 3] = 1.0
k = np.zeros((3, 3))
k[1, 2] = 1.0

y_conv = convolve2d(x, k)
y_corr = cross_correlate2d(x, k)

fig, axes = plt.subplots(2, 2, figsize=(4.8, 5.2))
panels = [(k, "kernel k"), (x, "input x"), (y_conv, "convolution\n(shifts right)"),
          (y_corr, "conv2d = correlation\n(shifts left)")]
for ax, (img, title) in zip(axes.flat, panels):
    ax.imshow(img, cmap="Blues", vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_xticks(range(0, img.shape[1], 2 if img.shape[1] > 3 else 1))
    ax.set_yticks(range(0, img.shape[0], 2 if img.shape[0] > 3 else 1))
    ax.grid(False)
#| alt: 四个小图：3×3 核只有中间一行最右一格为 1；7×7 输入只有第 3 行第 3 列一个亮点；真卷积的输出亮点移到第 4 列（右移一格）；深度学习框架的 conv2d（互相关）输出亮点在第 2 列（左移一格）
plt.show()

# %%
r, c = np.argwhere(y_conv == 1)[0]
assert (r, c) == (3, 4), "true convolution moves the pixel one column to the right"
r, c = np.argwhere(y_corr == 1)[0]
assert (r, c) == (3, 2), "cross-correlation moves it one column to the left"

# 一般图像：右移 / 左移一列（边界补 0）
rng = np.random.default_rng(0)
img = rng.normal(size=(6, 8))
right = np.zeros_like(img)
right[:, 1:] = img[:, :-1]
left = np.zeros_like(img)
left[:, :-1] = img[:, 1:]
assert np.allclose(convolve2d(img, k), right)
assert np.allclose(cross_correlate2d(img, k), left)
# 两者只差一次核翻转
assert np.allclose(convolve2d(img, k), cross_correlate2d(img, k[::-1, ::-1]))
print("true convolution -> right shift, cross-correlation -> left shift")
