"""快速排序（带递归深度与比较次数计数）与归并排序，只用标准库。"""

# --8<-- [start:quicksort]
def quicksort(a, smaller_first=False):
    """首元素作枢轴的快速排序（Lomuto 划分），返回 (有序列表, 最大递归深度, 比较次数)。

    smaller_first=False：对左右两段都递归，已排序输入时深度退化为 n-1。
    smaller_first=True：只对较短的一段递归、较长的一段用循环处理（手工尾递归消除），
    栈深度保证不超过 log2(n)，但最坏时间仍是 O(n^2)。
    """
    a = list(a)
    stats = {"depth": 0, "cmp": 0}

    def partition(lo, hi):             # 闭区间 [lo, hi]，枢轴 a[lo]
        pivot, i = a[lo], lo
        for j in range(lo + 1, hi + 1):
            stats["cmp"] += 1
            if a[j] < pivot:
                i += 1
                a[i], a[j] = a[j], a[i]
        a[lo], a[i] = a[i], a[lo]
        return i

    def sort(lo, hi, depth):
        while lo < hi:                 # 至少 2 个元素才算一次“划分调用”
            stats["depth"] = max(stats["depth"], depth)
            m = partition(lo, hi)
            if not smaller_first:
                sort(lo, m - 1, depth + 1)
                sort(m + 1, hi, depth + 1)
                return
            if m - lo < hi - m:        # 递归短的一段，长的一段留给 while 循环
                sort(lo, m - 1, depth + 1)
                lo = m + 1
            else:
                sort(m + 1, hi, depth + 1)
                hi = m - 1

    sort(0, len(a) - 1, 1)
    return a, stats["depth"], stats["cmp"]
# --8<-- [end:quicksort]


# --8<-- [start:merge_sort]
def merge_sort(a, key=lambda x: x):
    """自顶向下归并排序：O(n log n) 时间、O(n) 额外空间、稳定。"""
    a = list(a)
    if len(a) <= 1:
        return a
    mid = len(a) // 2
    left, right = merge_sort(a[:mid], key), merge_sort(a[mid:], key)
    out, i, j = [], 0, 0
    while i < len(left) and j < len(right):
        if key(right[j]) < key(left[i]):   # 严格小于才取右边：相等时左边先出，保证稳定
            out.append(right[j])
            j += 1
        else:
            out.append(left[i])
            i += 1
    return out + left[i:] + right[j:]
# --8<-- [end:merge_sort]
