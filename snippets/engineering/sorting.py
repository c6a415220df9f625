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


# --8<-- [start:introsort]
def introsort(a, depth_factor=2, small=16):
    """内省排序（Musser 1997）：快速排序 + 深度上限后改用堆排序 + 小区间插入排序。

    仍用首元素作枢轴（便于和 quicksort 对照最坏输入）；划分层数超过 depth_factor·⌊log2 n⌋
    的子区间改用堆排序，所以最坏时间 O(n log n)。返回 (有序列表, 比较次数, 改用堆排序的次数)。
    """
    if not isinstance(depth_factor, int) or depth_factor < 1:
        raise ValueError(f"depth_factor must be a positive int, got {depth_factor!r}")
    if not isinstance(small, int) or small < 1:
        raise ValueError(f"small must be a positive int, got {small!r}")
    a = list(a)
    stats = {"cmp": 0, "heapsorts": 0}

    def less(x, y):
        stats["cmp"] += 1
        return x < y

    def insertion_sort(lo, hi):                  # 闭区间 [lo, hi]
        for i in range(lo + 1, hi + 1):
            x, j = a[i], i - 1
            while j >= lo and less(x, a[j]):
                a[j + 1] = a[j]
                j -= 1
            a[j + 1] = x

    def heapsort(lo, hi):                        # 在 a[lo..hi] 上原地建大顶堆再逐个取出
        n = hi - lo + 1

        def sift_down(root, end):                # 堆下标相对 lo，end 为堆大小
            while 2 * root + 1 < end:
                child = 2 * root + 1
                if child + 1 < end and less(a[lo + child], a[lo + child + 1]):
                    child += 1
                if not less(a[lo + root], a[lo + child]):
                    return
                a[lo + root], a[lo + child] = a[lo + child], a[lo + root]
                root = child

        for root in range(n // 2 - 1, -1, -1):
            sift_down(root, n)
        for end in range(n - 1, 0, -1):
            a[lo], a[lo + end] = a[lo + end], a[lo]
            sift_down(0, end)

    def partition(lo, hi):                       # 与 quicksort 相同：Lomuto，枢轴 a[lo]
        pivot, i = a[lo], lo
        for j in range(lo + 1, hi + 1):
            if less(a[j], pivot):
                i += 1
                a[i], a[j] = a[j], a[i]
        a[lo], a[i] = a[i], a[lo]
        return i

    def sort(lo, hi, limit):
        while hi - lo + 1 > small:
            if limit == 0:                       # 划分得太深：剩下的交给堆排序
                stats["heapsorts"] += 1
                heapsort(lo, hi)
                return
            limit -= 1
            m = partition(lo, hi)
            if m - lo < hi - m:                  # 递归短的一段，长的一段留给循环
                sort(lo, m - 1, limit)
                lo = m + 1
            else:
                sort(m + 1, hi, limit)
                hi = m - 1
        insertion_sort(lo, hi)

    if len(a) > 1:
        sort(0, len(a) - 1, depth_factor * (len(a).bit_length() - 1))
    return a, stats["cmp"], stats["heapsorts"]
# --8<-- [end:introsort]
