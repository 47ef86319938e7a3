from common import IMPORTS, beyond_notes, code, header, md, next_lesson, predict

FILENAME, PREFIX = "13_fast_conv.ipynb", "l13"

CELLS = [
    header(
        "13. 더 나아가기: 합성곱을 빠르게",
        goals=[
            "기준 반복문을 **여러분의 컴퓨터에서** 재 보고, 파이썬 반복문과 Numba `@njit` 반복문의 속도를 비교합니다.",
            "느린 이유 세 가지(짧은 안쪽 반복문, 메모리를 읽는 순서, 벡터 명령을 못 씀)를 이해하고, 반복문 순서만 바꿔 빨라지는 것을 확인합니다.",
            "**im2col + 행렬 곱 한 번**으로 합성곱을 계산하고, 그 대가(메모리)를 실제 레이어의 크기로 계산합니다.",
            "**캐시 블로킹**과 **레지스터 타일**이 무엇인지 NumPy로 보고, teachnn의 빠른 합성곱(`teachnn/kernels/fast_conv/`)의 각 단계가 "
            "기준 반복문의 어느 부분을 바꾼 것인지 표로 정리합니다.",
        ],
        uses=[
            "03강: 2차원 합성곱의 정의와 출력 크기 공식, 반복문으로 쓴 합성곱; 06강: 행렬 곱 `@`",
            "처음 보는 것: `numba.njit`, `time.perf_counter`, im2col, 캐시, 벡터 레지스터",
        ],
        source=beyond_notes("노트의 합성곱 레이어가 실제로 어떻게 빠르게 계산되는지 들여다보는 더 나아가기 강의입니다."),
    ),
    md("""
    03강에서 합성곱(convolution)을 반복문 몇 겹으로 직접 써 보았습니다. 그 반복문은 정의를 그대로 옮긴 것이라 읽기 쉽지만,
    `F.conv2d`보다 수천, 수만 배 느립니다. 같은 계산이 어떻게 그렇게 빨라질까요?

    > 시간 측정은 컴퓨터마다, 실행할 때마다 다릅니다. 아래 숫자는 여러분의 컴퓨터에서 잰 값이고, 크기를 작게 잡아서 몇 초 안에 끝납니다.
    > 비율(몇 배 빠른가)을 보세요. 방법끼리 공정하게 비교하려고 처음에는 모두 **CPU 코어 하나**로 잽니다. 코어를 여럿 쓰는 것은 마지막 단계입니다.
    """),
    code("""
import os
os.environ["OPENBLAS_NUM_THREADS"] = "1"     # NumPy의 행렬 곱(OpenBLAS)도 코어 하나만 쓰게: NumPy를 불러오기 전에 정합니다
""" + IMPORTS + """
import time
import numpy as np
import matplotlib.pyplot as plt
from numba import njit


def best_time(fn, repeat=3):
    \"\"\"fn()을 한 번 미리 실행한 뒤(컴파일·캐시 준비), repeat번 재서 가장 짧은 시간(초)을 돌려줍니다.\"\"\"
    fn()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def gmacs(macs, seconds):
    \"\"\"1초에 곱셈-덧셈을 몇 십억(10^9) 번 했는지.\"\"\"
    return macs / seconds / 1e9

torch.set_num_threads(1)                    # teachnn의 커널도 코어 하나로 (6절의 마지막 단계 전까지)
print("준비 완료, 스레드:", torch.get_num_threads())"""),
    md("""
    ## 1. 기준 반복문: 정의 그대로

    출력 한 칸은 창 안의 모든 (채널, 커널 칸)에 대해 곱해 더한 것입니다 (편향은 빼고 봅니다).

    $$y[n, m, i, j] = \\sum_{c}\\sum_{u}\\sum_{v} w[m, c, u, v]\\; x[n, c,\\; i\\,s + u - p,\\; j\\,s + v - p]$$

    범위 밖(패딩)의 $x$는 0입니다. 반복문은 일곱 겹입니다: 출력 쪽 `n, m, i, j`, 합 쪽 `c, u, v`.
    곱셈-덧셈 (multiply-add)의 횟수는 $N \\cdot C_{out} \\cdot H_{out} W_{out} \\cdot C_{in} k_H k_W$ 입니다. 속도는 "1초에 곱셈-덧셈을 몇 번 했는가"(GMAC/s, 10억 번 단위)로 비교합니다.

    teachnn에는 이런 읽기 쉬운 반복문이 `teachnn/kernels/reference/`에 들어 있습니다(기준 커널, reference kernel). 여기서는 같은 반복문을 직접 씁니다.
    """),
    code("""
    def conv2d_loops(x, w, stride=1, padding=0):
        # x: [N, C, H, W], w: [O, C, kH, kW] (NumPy 배열) -> y: [N, O, oH, oW]
        N, C, H, W = x.shape
        O, _, kh, kw = w.shape
        oH = (H + 2 * padding - kh) // stride + 1
        oW = (W + 2 * padding - kw) // stride + 1
        y = np.zeros((N, O, oH, oW), dtype=x.dtype)
        for n in range(N):
            for m in range(O):
                for i in range(oH):
                    for j in range(oW):
                        total = 0.0
                        for c in range(C):
                            for u in range(kh):
                                for v in range(kw):
                                    r = i * stride + u - padding
                                    q = j * stride + v - padding
                                    if 0 <= r < H and 0 <= q < W:      # 패딩 칸은 0
                                        total += x[n, c, r, q] * w[m, c, u, v]
                        y[n, m, i, j] = total
        return y


    rng = np.random.default_rng(0)
    x_small = rng.standard_normal((1, 4, 16, 16)).astype(np.float32)
    w_small = rng.standard_normal((8, 4, 3, 3)).astype(np.float32)
    y_loops = conv2d_loops(x_small, w_small, stride=1, padding=1)
    y_F = F.conv2d(torch.from_numpy(x_small), torch.from_numpy(w_small), padding=1).numpy()
    print("F.conv2d와의 가장 큰 차이:", np.abs(y_loops - y_F).max())

    macs_small = 1 * 8 * 16 * 16 * 4 * 3 * 3
    t_python = best_time(lambda: conv2d_loops(x_small, w_small, 1, 1), repeat=1)
    print(f"파이썬 반복문: 곱셈-덧셈 {macs_small:,}번에 {t_python * 1e3:.1f} ms -> {gmacs(macs_small, t_python):.4f} GMAC/s")"""),
    md("""
    곱셈-덧셈 7만 번에 수십 밀리초가 걸렸습니다. 파이썬은 한 줄마다 "이 값이 무슨 타입인가"를 확인하고 객체를 만들므로, 한 번의 곱셈-덧셈에
    수백 나노초가 듭니다.
    """),
    predict("""
    같은 함수에 `@njit`만 붙이면 Numba가 기계어로 컴파일합니다. 몇 배쯤 빨라질까요? `F.conv2d`와 비교하면 어떨까요?
    이번에는 조금 더 큰 레이어(배치 8, 채널 32 -> 32, 34x34 입력, 3x3 커널)를 씁니다. 파이썬 반복문으로는 이 레이어에 몇 분이 걸리므로 재지 않고,
    위에서 잰 속도로 어림만 합니다(파이썬 반복문의 속도는 크기에 거의 상관없습니다).
    """),
    code("""
    conv2d_njit = njit(conv2d_loops)          # 똑같은 반복문을 기계어로

    x = rng.standard_normal((8, 32, 34, 34)).astype(np.float32)
    w = rng.standard_normal((32, 32, 3, 3)).astype(np.float32)
    macs = 8 * 32 * 32 * 32 * 32 * 3 * 3       # N * O * oH * oW * C * kH * kW
    x_t, w_t = torch.from_numpy(x), torch.from_numpy(w)
    y_ref = F.conv2d(x_t, w_t).numpy()

    start = time.perf_counter()
    y_njit = conv2d_njit(x, w, 1, 0)          # 첫 호출: 컴파일 포함
    print(f"첫 호출(컴파일 포함): {time.perf_counter() - start:.2f} s,  F.conv2d와의 차이: {np.abs(y_njit - y_ref).max():.1e}")

    timings = {}                                # 이름 -> GMAC/s (마지막 그림에 씁니다)
    timings["Python loops"] = gmacs(macs_small, t_python)
    timings["@njit loops"] = gmacs(macs, best_time(lambda: conv2d_njit(x, w, 1, 0)))
    timings["F.conv2d"] = gmacs(macs, best_time(lambda: F.conv2d(x_t, w_t)))

    print(f"이 레이어의 곱셈-덧셈: {macs / 1e6:.0f}백만 번")
    print(f"파이썬 반복문(어림): {macs / (timings['Python loops'] * 1e9):8.1f} s")
    for name in ["@njit loops", "F.conv2d"]:
        print(f"{name:20s}: {macs / (timings[name] * 1e9) * 1e3:8.1f} ms  ({timings[name]:.2f} GMAC/s)")"""),
    md("""
    `@njit`만으로 파이썬보다 수백 배 빨라졌지만, `F.conv2d`는 그보다도 수십 배 이상 빠릅니다(둘 다 코어 하나). 둘 다 같은 곱셈-덧셈을 같은 횟수만큼 합니다.
    차이는 **어떤 순서로, 한 번에 몇 개씩** 하느냐에서 옵니다.

    ## 2. 왜 느릴까?

    CPU 안을 아주 간단히 그려 보면 이렇습니다.
    - **레지스터 (register)**: 계산이 실제로 일어나는 곳. 아주 빠르지만 몇십 개뿐입니다. 요즘 CPU의 **벡터 레지스터**는 float32를
      한 번에 **8개**(AVX2), **16개**(AVX-512) 또는 4개(ARM NEON) 담고, 명령 하나로 그 8개나 16개를 한꺼번에 곱해 더합니다(벡터 명령, SIMD).
    - **캐시 (cache)**: 최근에 읽은 메모리를 가까이 두는 작은 저장소. 1단계 캐시(L1)는 수십 KB, 2단계(L2)는 1 MB 안팎입니다.
      메모리는 보통 64바이트(float32 16개) 묶음으로 캐시에 올라옵니다.
    - **메인 메모리 (RAM)**: 크지만 멀어서, 캐시에 없는 값을 가져오는 데 곱셈-덧셈 수백 번의 시간이 걸립니다.

    여러분의 CPU는 벡터 하나에 float32를 몇 개 담을까요? Numba가 쓰는 컴파일러(LLVM)에게 물어봅시다.
    """),
    code("""
    import llvmlite.binding as llvm

    cpu = llvm.get_host_cpu_name()
    try:
        features = llvm.get_host_cpu_features()
    except RuntimeError:                       # 기능 목록을 알려 주지 않는 컴퓨터도 있습니다
        features = {}
    if features.get("avx512f"):
        lanes = "AVX-512: 벡터 레지스터 32개, 하나에 float32 16개"
    elif features.get("avx2"):
        lanes = "AVX2: 벡터 레지스터 16개, 하나에 float32 8개"
    elif features.get("neon") or "arm" in cpu or "apple" in cpu:
        lanes = "ARM NEON: 벡터 레지스터 32개, 하나에 float32 4개"
    else:
        lanes = "알 수 없음 (적어도 하나에 float32 4개)"
    print("CPU:", cpu, "->", lanes)"""),
    md("""
    이 그림으로 기준 반복문을 보면 느린 이유가 셋 보입니다.
    1. **가장 안쪽 반복문이 너무 짧습니다.** `for v in range(kw)`는 3번만 돕니다. 반복문을 시작하고 끝내는 비용과 `if` 검사(패딩인가?)가
       곱셈-덧셈보다 더 많습니다.
    2. **메모리를 읽는 순서가 나쁩니다.** 안쪽 세 반복 `c, u, v`가 창 하나를 훑는 동안 `x`는 행이 바뀔 때마다 W칸, 채널이 바뀔 때마다
       H*W칸씩 건너뛰며 읽힙니다. 그리고 같은 입력 값을 출력 채널 `m`마다, 그 값을 덮는 창마다 다시 읽습니다.
    3. **벡터 명령을 못 씁니다.** 합 `total` 하나에 차례로 더하므로, 곱셈-덧셈 8개를 한꺼번에 할 수가 없습니다.
    """),
    predict("""
    같은 계산에서 반복문의 순서만 바꿔, 가장 안쪽에서 **출력의 열 `j`** 가 움직이게 하면 어떨까요?
    그러면 `y[n, m, i, j]`와 `x[n, c, r, j + ...]`가 모두 메모리에 붙어 있는 순서대로 읽히고, 안쪽 반복은 출력 너비(32)만큼 깁니다.
    가중치 `w[m, c, u, v]`는 안쪽 반복 동안 그대로인 숫자 하나입니다.
    """),
    code("""
    @njit
    def conv2d_rows_inner(x, w, stride=1, padding=0):
        N, C, H, W = x.shape
        O, _, kh, kw = w.shape
        oH = (H + 2 * padding - kh) // stride + 1
        oW = (W + 2 * padding - kw) // stride + 1
        y = np.zeros((N, O, oH, oW), dtype=x.dtype)
        for n in range(N):
            for m in range(O):
                for c in range(C):
                    for u in range(kh):
                        for v in range(kw):
                            wv = w[m, c, u, v]                  # 안쪽 두 반복 동안 변하지 않는 숫자 하나
                            for i in range(oH):
                                r = i * stride + u - padding
                                if r < 0 or r >= H:
                                    continue
                                for j in range(oW):             # 가장 안쪽: 출력의 열 j (메모리에 붙어 있음)
                                    q = j * stride + v - padding
                                    if 0 <= q < W:
                                        y[n, m, i, j] += wv * x[n, c, r, q]
        return y

    y_rows = conv2d_rows_inner(x, w, 1, 0)
    print("F.conv2d와의 차이:", np.abs(y_rows - y_ref).max())
    timings["@njit, j innermost"] = gmacs(macs, best_time(lambda: conv2d_rows_inner(x, w, 1, 0)))
    for name in ["@njit loops", "@njit, j innermost", "F.conv2d"]:
        print(f"{name:20s}: {timings[name]:6.2f} GMAC/s")"""),
    md("""
    곱셈과 덧셈의 횟수는 전혀 바뀌지 않았는데 몇 배 빨라졌습니다. 가장 안쪽 반복이 길고 메모리에 붙은 값을 차례로 읽으니, 컴파일러(LLVM)가
    이웃한 `j` 8개나 16개를 벡터 명령 하나로 묶을 수 있게 되었습니다. 빠른 커널을 만드는 첫째 규칙은 **가장 안쪽 반복문이 길고, 메모리를 차례로 읽게** 하는 것입니다.

    ## 3. im2col: 합성곱을 행렬 곱 한 번으로

    반복문의 합 쪽 `c, u, v`를 한 축으로 펴고, 출력 쪽 `i, j`를 다른 축으로 펴 봅시다.
    입력의 창 하나하나를 **열 하나**로 꺼내 늘어놓은 행렬을 `col`이라고 하면,

    $$col[(c, u, v),\\; (i, j)] = x[c,\\; i\\,s + u - p,\\; j\\,s + v - p]$$

    - `col`: `[C_in * kH * kW, oH * oW]` — 행 하나가 (채널, 커널 칸) 하나, 열 하나가 출력 칸 하나
    - 가중치를 `[C_out, C_in * kH * kW]`로 펴면, 합성곱은 **행렬 곱 한 번**입니다: `y[n] = w_2d @ col` -> `[C_out, oH * oW]`

    이것이 im2col ("image to columns")입니다. 행렬 곱(GEMM)은 수십 년 동안 다듬어진 BLAS 라이브러리(NumPy의 `@`가 부르는 OpenBLAS 등)가
    아주 빠르게 계산해 줍니다. 아래는 스트라이드 1, 패딩 0만 되는 가장 단순한 im2col입니다(창마다 한 열).
    """),
    code("""
    def im2col_simple(x, kh, kw):
        # x: [C, H, W] -> col: [C*kh*kw, oH*oW]  (스트라이드 1, 패딩 0)
        C, H, W = x.shape
        oH, oW = H - kh + 1, W - kw + 1
        col = np.empty((C * kh * kw, oH * oW), dtype=x.dtype)
        for i in range(oH):
            for j in range(oW):
                col[:, i * oW + j] = x[:, i:i + kh, j:j + kw].reshape(-1)    # 창 하나 -> 열 하나, (c, u, v) 순서
        return col


    def conv2d_im2col(x, w):
        N, C, H, W = x.shape
        O, _, kh, kw = w.shape
        w_2d = w.reshape(O, C * kh * kw)                       # [O, C*kh*kw]
        y = np.empty((N, O, H - kh + 1, W - kw + 1), dtype=x.dtype)
        for n in range(N):
            col = im2col_simple(x[n], kh, kw)                  # [C*kh*kw, oH*oW]
            y[n] = (w_2d @ col).reshape(O, H - kh + 1, W - kw + 1)
        return y

    col = im2col_simple(x[0], 3, 3)
    print("입력 한 장:", x[0].shape, " -> col:", col.shape, "  가중치:", w.reshape(32, -1).shape)
    print("F.conv2d와의 차이:", np.abs(conv2d_im2col(x, w) - y_ref).max())

    cols = [im2col_simple(x[n], 3, 3) for n in range(8)]
    w_2d = w.reshape(32, -1)
    t_col = best_time(lambda: [im2col_simple(x[n], 3, 3) for n in range(8)])
    t_mm = best_time(lambda: [w_2d @ cols[n] for n in range(8)])
    timings["im2col + matmul"] = gmacs(macs, t_col + t_mm)
    timings["matmul alone"] = gmacs(macs, t_mm)
    print(f"im2col (창마다 한 열, 파이썬): {t_col * 1e3:7.1f} ms")
    print(f"행렬 곱 (BLAS)              : {t_mm * 1e3:7.1f} ms  -> 행렬 곱만 보면 {timings['matmul alone']:.1f} GMAC/s")
    print(f"합계                        : {(t_col + t_mm) * 1e3:7.1f} ms  -> {timings['im2col + matmul']:.2f} GMAC/s")"""),
    md("""
    행렬 곱 자체는 `F.conv2d`에 버금갈 만큼 빠르지만, 파이썬으로 창을 하나씩(샘플마다 1024번) 꺼내는 im2col이 시간의 대부분을 씁니다.
    연습 문제 1에서 커널 칸 `(u, v)`마다 **한 번씩만** 잘라 내는 빠른 im2col을 직접 씁니다(그러면 파이썬 반복은 kH * kW = 9번뿐입니다).
    그래도 im2col은 공짜가 아닙니다. 다음 절에서 그 대가를 봅니다.

    ### im2col의 대가: 메모리

    입력의 값 하나는 그 값을 덮는 창의 수만큼, 즉 대략 kH * kW 번 `col`에 복사됩니다. 실제 레이어로 재 봅시다
    (배치 1장, float32 = 4바이트).
    """),
    code("""
    def col_size(C, H, W, k, stride, padding):
        oH = (H + 2 * padding - k) // stride + 1
        oW = (W + 2 * padding - k) // stride + 1
        return (C * k * k) * (oH * oW)

    layers = [   # (이름, C_in, H, W, 커널, 스트라이드, 패딩)
        ("ResNet conv1 7x7/2", 3, 224, 224, 7, 2, 3),
        ("VGG 3x3, 64ch 224", 64, 224, 224, 3, 1, 1),
        ("ResNet 3x3, 64ch 56", 64, 56, 56, 3, 1, 1),
        ("ResNet 3x3, 256ch 14", 256, 14, 14, 3, 1, 1),
    ]
    names, input_mb, col_mb = [], [], []
    for name, C, H, W, k, s, p in layers:
        names.append(name)
        input_mb.append(C * H * W * 4 / 1e6)
        col_mb.append(col_size(C, H, W, k, s, p) * 4 / 1e6)
        print(f"{name:22s} 입력 {input_mb[-1]:7.2f} MB -> col {col_mb[-1]:7.2f} MB ({col_mb[-1] / input_mb[-1]:4.1f}배)")

    positions = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.barh(positions - 0.2, input_mb, height=0.4, label="input (one sample)")
    ax.barh(positions + 0.2, col_mb, height=0.4, label="im2col matrix")
    ax.set_yticks(positions, names)
    ax.set_xscale("log")
    ax.set_xlabel("MB (float32, batch 1, log scale)")
    ax.invert_yaxis()
    ax.set_title("What im2col costs in memory")
    ax.legend()
    plt.tight_layout()
    plt.show()"""),
    md("""
    VGG의 첫 3x3 레이어에서는 한 장에 100 MB가 넘습니다. 배치 32장이면 3 GB입니다! 게다가 이 큰 행렬을 한 번 쓰고(im2col) 다시
    읽으므로(행렬 곱), 데이터가 캐시에 머물지 못하고 메인 메모리를 오갑니다.

    그래서 실제 라이브러리는 `col`을 통째로 만들지 않습니다.
    - **조각으로 나눠 만들기**: 출력 몇 줄씩만 im2col하고 곱합니다(조각이 캐시에 들어가는 크기).
    - **암묵적 im2col (implicit GEMM)**: `col`을 아예 만들지 않고, 행렬 곱이 `col`의 값을 필요할 때 입력에서 바로 읽습니다.
      teachnn이 이 방법을 씁니다: `col`의 한 행 `(c, u, v)`는 (패딩을 두른) 입력 안에서 **연속된 한 구간**이기 때문입니다.

    PyTorch도 한 가지 방법만 쓰지 않습니다. CPU에서는 보통 **oneDNN** (옛 이름 MKL-DNN) 라이브러리가 레이어 모양에 맞춰
    **직접 합성곱 (direct convolution)**(이 강의의 반복문을 레지스터 타일로 다시 짠 것), **im2col + GEMM**, **Winograd**(3x3 커널에서 곱셈 수를
    2.25배 줄이는 변환) 중에서 고르고, 그럴 수 없을 때는 ATen의 im2col + GEMM 구현(`slow_conv2d`)으로 계산합니다.
    GPU의 cuDNN에는 IMPLICIT_GEMM, GEMM, **FFT**(푸리에 변환으로 곱하기; 큰 커널에 유리), WINOGRAD 같은 알고리즘이 있고,
    `torch.backends.cudnn.benchmark = True`이면 처음에 재 보고 가장 빠른 것을 고릅니다. teachnn은 Winograd도 시험해 보았지만,
    이 과정에서 쓰는 크기에서는 im2col + 직접 만든 행렬 곱보다 느려서 쓰지 않습니다.

    ## 4. 캐시 블로킹과 레지스터 타일

    이제 남은 것은 행렬 곱 `C = A @ B` 자체를 빠르게 하는 일입니다(합성곱에서 `A`는 펴 놓은 가중치, `B`는 `col`).
    빠른 행렬 곱은 두 가지 생각으로 만들어집니다.

    **캐시 블로킹 (cache blocking).** 곱을 블록으로 나눠, 한 블록을 계산하는 동안 쓰는 데이터가 캐시에 다 들어가게 합니다.
    블록들의 곱을 더하면 원래 곱과 같습니다:
    $C[:, J] = \\sum_{K} A[:, K]\\, B[K, J]$ (K, J는 인덱스 구간).
    """),
    code("""
    A = w.reshape(32, -1)                # [O, C*kh*kw] = [32, 288]  펴 놓은 가중치
    B = im2col_simple(x[0], 3, 3)        # [288, 1024]               샘플 하나의 col

    def matmul_blocked_numpy(A, B, kb=192, nb=48):
        M, K = A.shape
        N = B.shape[1]
        C = np.zeros((M, N), dtype=A.dtype)
        for j0 in range(0, N, nb):                  # 열 블록 J
            for k0 in range(0, K, kb):              # 합의 블록 K: B[K, J]는 kb*nb*4 바이트
                C[:, j0:j0 + nb] += A[:, k0:k0 + kb] @ B[k0:k0 + kb, j0:j0 + nb]
        return C

    print("A @ B와의 차이:", np.abs(matmul_blocked_numpy(A, B) - A @ B).max())
    print(f"B의 블록 하나: 192 x 48 x 4 바이트 = {192 * 48 * 4 / 1024:.0f} KB  (1단계 캐시: 32~48 KB)")"""),
    md("""
    B의 블록(192 x 48, 36 KB)은 1단계 캐시 크기 정도입니다. A의 모든 행이 이 블록을 지나가는 동안 블록은 캐시에 머물러 있으므로,
    B의 값은 메인 메모리에서 한 번만 읽힙니다. (teachnn의 `tiles.py`도 합을 192걸음씩 자르고, 48열 조각을 씁니다.)

    **레지스터 타일 (register tile).** 블록 안에서는 한 단계 더 작게, 결과 `C`의 작은 타일(예: 8행 x 48열)을 계산하는 동안
    **레지스터에** 붙잡아 둡니다. 한 걸음 `k`마다 A의 숫자 8개와 B의 숫자 48개를 읽고, 그 바깥 곱(outer product) 8 x 48 = 384번의
    곱셈-덧셈을 타일에 더합니다. AVX-512에서 48열은 16칸 벡터 3개이므로 타일은 벡터 레지스터 8 x 3 = **24개**를 차지하고(모두 32개가 있습니다),
    한 걸음은 "B 벡터 3개 읽기, A 숫자 8개 퍼뜨리기, 벡터 곱셈-덧셈(FMA) 24번"입니다. 읽는 것보다 계산이 훨씬 많아서, CPU가 메모리를
    기다리지 않고 거의 매 순간 계산합니다. 아래는 이 타일의 NumPy 쌍둥이입니다(teachnn의 `tiles.py`에도 같은 NumPy 쌍둥이가 있습니다).
    """),
    code("""
    def tile_numpy(A, B, i0, j0, MR=8, NR=48):
        tile = np.zeros((MR, NR), dtype=A.dtype)     # 이 8 x 48 숫자가 레지스터 24개에 들어 있다고 생각하세요
        for k in range(A.shape[1]):                  # 한 걸음 = 바깥 곱 하나: 곱셈-덧셈 8 x 48번
            tile += np.outer(A[i0:i0 + MR, k], B[k, j0:j0 + NR])
        return tile

    print("A @ B의 같은 타일과의 차이:", np.abs(tile_numpy(A, B, 8, 96) - (A @ B)[8:16, 96:144]).max())"""),
    md("""
    Numba로 이 생각을 어디까지 따라갈 수 있는지 재 봅시다. 합성곱의 행렬 곱 모양 그대로(`A`: 32 x 288, `B`: 288 x 1024) 세 가지를 비교합니다.
    - `matmul_rows`: 2절의 교훈대로 가장 안쪽 반복이 `C`와 `B`의 한 행을 차례로 훑습니다.
    - `matmul_4rows`: `C`의 **네 행**을 함께 계산해, B에서 읽은 숫자 하나를 곱셈-덧셈 4번에 씁니다(작은 레지스터 타일).
    - `A @ B`: NumPy가 부르는 BLAS(OpenBLAS). 블로킹, 패킹(블록을 연속된 메모리로 복사), 어셈블리로 쓴 레지스터 타일을 모두 갖췄습니다.
    """),
    code("""
    @njit
    def matmul_rows(A, B):
        M, K = A.shape
        N = B.shape[1]
        C = np.zeros((M, N), dtype=A.dtype)
        for i in range(M):
            for k in range(K):
                a = A[i, k]
                for j in range(N):                  # C의 행과 B의 행을 차례로
                    C[i, j] += a * B[k, j]
        return C


    @njit
    def matmul_4rows(A, B):
        M, K = A.shape                              # M은 4의 배수라고 가정합니다
        N = B.shape[1]
        C = np.zeros((M, N), dtype=A.dtype)
        for i in range(0, M, 4):
            c0, c1, c2, c3 = C[i], C[i + 1], C[i + 2], C[i + 3]
            for k in range(K):
                a0, a1, a2, a3 = A[i, k], A[i + 1, k], A[i + 2, k], A[i + 3, k]
                b = B[k]
                for j in range(N):
                    bj = b[j]                       # B의 숫자 하나를 네 번 씁니다
                    c0[j] += a0 * bj
                    c1[j] += a1 * bj
                    c2[j] += a2 * bj
                    c3[j] += a3 * bj
        return C


    macs_mm = 32 * 288 * 1024
    mm = {}
    for name, fn in [("matmul_rows", matmul_rows), ("matmul_4rows", matmul_4rows), ("A @ B (BLAS)", np.matmul)]:
        assert np.allclose(fn(A, B), A @ B, atol=1e-3)
        mm[name] = gmacs(macs_mm, best_time(lambda: fn(A, B), repeat=5))
        print(f"{name:14s}: {mm[name]:6.1f} GMAC/s")

    fig, ax = plt.subplots(figsize=(6, 2.6))
    ax.barh(list(mm), list(mm.values()), color=["tab:blue", "tab:blue", "tab:green"])
    ax.invert_yaxis()
    ax.set_xlabel("GMAC/s (higher is faster)")
    ax.set_title("One matrix product, 32x288 @ 288x1024")
    plt.tight_layout()
    plt.show()"""),
    md("""
    `matmul_4rows`가 `matmul_rows`보다 빨라지는지는 컴퓨터마다 다릅니다. 네 행의 값을 레지스터에 붙잡아 둘지는 컴파일러가 정하기 때문입니다.
    분명한 것은 Numba로 쓴 반복문이 BLAS에 한참 못 미친다는 점입니다. Numba(파이썬 문법)에는 "이 16개 숫자를 벡터 레지스터 하나에 두어라"라고 쓸 방법이 없어서,
    타일을 레지스터에 붙잡아 두는 일을 컴파일러의 짐작에 맡겨야 하기 때문입니다. 그래서 teachnn의 `tiles.py`는 타일을 **LLVM IR**
    (Numba가 기계어를 만들기 직전의 언어)로 직접 만듭니다: `<16 x float>` 벡터 24개를 타일로 쓰는, 위 `tile_numpy`와 똑같은 반복문입니다.
    teachnn의 측정에서 이 타일은 합성곱에서 나오는 크기의 행렬 곱을 OpenBLAS보다 빠르게 계산했습니다(숫자는 `docs/performance.md`에 있습니다).

    ## 5. 전체 그림

    지금까지 잰 합성곱의 속도를 한 그림에 모아 봅시다. 가로축은 로그 눈금입니다(한 칸이 10배).
    `matmul alone`은 `col`이 이미 있다고 치고 행렬 곱만 잰 것입니다. im2col을 거의 공짜로 하거나 아예 하지 않을 때 닿을 수 있는 속도이고,
    `F.conv2d`(teachnn의 빠른 커널)는 `col`을 만들지 않고 직접 만든 레지스터 타일로 계산해, 코어 하나로 `matmul alone`과 비슷하거나
    더 빠른 속도를 냅니다. 마지막 막대처럼 샘플들을 여러 코어에 나누면 코어 수에 가까운 배수만큼 더 빨라집니다.
    다른 프로그램이 코어를 쓰고 있으면 덜 빨라지고 측정값도 흔들리니, 셀을 몇 번 다시 실행해 보세요.
    """),
    code("""
    cores = os.cpu_count()
    torch.set_num_threads(cores)                # 마지막 단계: 샘플들을 모든 코어에 나눕니다
    timings[f"F.conv2d, {cores} threads"] = gmacs(macs, best_time(lambda: F.conv2d(x_t, w_t)))
    torch.set_num_threads(1)

    order = ["Python loops", "@njit loops", "@njit, j innermost", "im2col + matmul", "matmul alone", "F.conv2d",
             f"F.conv2d, {cores} threads"]
    values = [timings[name] for name in order]
    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.barh(order, values, color=["tab:gray"] * 5 + ["tab:green"] * 2)
    ax.set_xscale("log")
    ax.set_xlim(right=max(values) * 8)          # 막대 끝의 숫자가 들어갈 자리
    ax.set_xlabel("GMAC/s (log scale, higher is faster)")
    ax.set_title("Conv2d (8, 32, 34, 34) -> 32 channels, 3x3, one core unless noted")
    for position, value in enumerate(values):
        ax.text(value, position, f" {value:.3g}", va="center")
    ax.invert_yaxis()
    plt.tight_layout()
    plt.show()
    for name in order[1:]:
        print(f"{name:20s}: 파이썬 반복문의 {timings[name] / timings['Python loops']:9,.0f}배")"""),
    md("""
    ## 6. teachnn의 빠른 합성곱: 단계마다 무엇을 바꾸나

    teachnn의 빠른 합성곱은 `teachnn/kernels/fast_conv/`에 단계별 모듈로 나뉘어 있습니다. 각 모듈은 1절의 기준 반복문의 한 부분을 바꾼 것입니다.
    읽을 때는 기준 커널(`teachnn/kernels/reference/`)을 옆에 펴 두세요. 두 구현의 결과는 반올림 차이 안에서 같고, 
    `teachnn.kernels.use("reference")`로 기준 커널로 바꿔 실행해 볼 수도 있습니다.

    | 단계 | 모듈 | 기준 반복문의 어느 부분을 바꾸나 |
    |---|---|---|
    | 계획 (plan) | `fast_conv/plans.py` | 반복문의 범위와 인덱스 공식(`oH`, `oW`, `r = i*s + u*d - p`)을 `teachnn.geometry`에서 한 번 계산해, 순전파·역전파·전치 합성곱의 계획(Forward / Backward / Transpose plan)에 담습니다. |
    | 페이즈 (layout) | `fast_conv/layout.py` | 안쪽의 `if 0 <= r < H` 검사와 스트라이드 `s`만큼 건너뛰는 읽기를 없앱니다. 입력을 0으로 패딩하고 스트라이드에 따라 나눈 "페이즈"로 한 번 모으면(gather) 모든 커널 칸이 보폭 1로, 연속해서 읽힙니다. 역방향에서는 거꾸로 흩어 놓습니다(scatter). |
    | 구간 표 (runs) | `fast_conv/runs.py` | 합 쪽 반복 `c, u, v`: `col`의 행 `(c, u, v)`가 페이즈 안의 연속된 구간이라는 사실을 (시작, 길이) 표로 만듭니다. im2col이 복사가 아니라 "주소 목록"이 됩니다. |
    | 합친 곱 (products) | `fast_conv/products.py` | `c, u, v`에 대한 합 전체를 행렬 곱으로 계산합니다. 순전파는 모으기 + 곱(`col`을 만들지 않고 페이즈에서 바로 읽음), 입력 기울기는 대개 곱 + 흩기(col2im, im2col의 반대), 그리고 가중치 기울기. |
    | 레지스터 타일 (tiles) | `fast_conv/tiles.py` | 가장 안쪽 곱셈-덧셈: 결과의 8 x 48 타일을 벡터 레지스터 24개에 두고 한 걸음에 벡터 곱셈-덧셈 24번. LLVM IR 생성기와 그 NumPy 쌍둥이가 나란히 있습니다. |
    | 깊이별 합성곱 (depthwise) | `fast_conv/depthwise.py` | `groups == C_in`(채널마다 커널 하나)이면 행렬 곱의 행이 하나뿐이라 im2col이 이득이 없습니다. 이때는 2절처럼 안쪽 반복이 긴 직접 반복문을 씁니다. |
    | 스레드 (threads) | `fast_conv/threads.py` | 가장 바깥 반복 `n`(샘플): 샘플을 CPU 코어들에 나눠 동시에 계산합니다. 두 스레드가 같은 메모리에 쓰는 일이 없습니다. |

    ## 7. 연습 문제
    `____`를 바꾸고 셀을 실행하세요. `q1.hint()`, `q1.solution()`도 쓸 수 있습니다.
    문제 1과 2는 **직접 쓰는** 문제라서, teachnn·PyTorch·SciPy의 합성곱 함수를 부르면 정답으로 인정되지 않습니다.
    """),
    code("""
    from teachnn.exercises.lesson13 import q1, q2, q3, q4, ____"""),
    md("""
    **문제 1 (im2col).** 샘플 하나 `x`(NumPy 배열 `[C, H, W]`)를 받아 `col`(`[C*kh*kw, oH*oW]`)을 돌려주는 `im2col`을 쓰세요.
    이번에는 **스트라이드와 패딩**도 처리합니다. 행은 `(c, u, v)` 순서, 열은 `(i, j)` 순서로 셉니다(3절의 `im2col_simple`과 같은 순서).
    3절처럼 창마다 한 열씩 꺼내도 되지만, 커널 칸 `(u, v)`마다 한 번씩 잘라 내면 훨씬 빠릅니다. 숨은 사례(다른 크기, 스트라이드, 패딩)로도 채점합니다.
    """),
    code("""
    def im2col(x, kh, kw, stride, padding):
        C, H, W = x.shape
        oH = (H + 2 * padding - kh) // stride + 1
        oW = (W + 2 * padding - kw) // stride + 1
        return ____

    q1.check()"""),
    md("""
    **문제 2 (나만의 `@njit` 합성곱).** `F.conv2d(x, w, stride=stride, padding=padding)`와 같은 값을 내는 `my_conv2d(x, w, stride, padding)`를
    `@njit`로 쓰세요.
    - 입력과 출력은 **NumPy 배열**입니다: `x`는 `[N, C, H, W]`, `w`는 `[O, C, kH, kW]`(float32), 결과는 `[N, O, oH, oW]`.
    - `stride`와 `padding`은 정수(가로·세로 같음)이고, 편향·팽창·그룹은 없습니다. 커널은 뒤집지 않습니다.
    - 틀리면 처음 틀린 출력 칸 `[n, m, i, j]`를 알려 줍니다. 2절을 떠올려 빠른 반복문 순서로 써 보세요.
    """),
    code("""
    @njit
    def my_conv2d(x, w, stride, padding):
        N, C, H, W = x.shape
        O, _, kh, kw = w.shape
        oH = ____
        oW = ____
        y = np.zeros((N, O, oH, oW), dtype=x.dtype)
        # 여기에 반복문을 쓰세요
        return y

    q2.check()"""),
    md("""
    **문제 3 (예상하고 설명하기).** 아래 두 함수는 같은 행렬 곱 `C = A @ B`를 계산합니다(`A`: M x K, `B`: K x N, 행 우선 저장).
    반복문의 순서만 다릅니다. 큰 행렬(예: 256 x 256)에서 **어느 쪽이 빠를까요? 왜 그런지** 한두 문장으로 적으세요.
    (자유롭게 쓰는 답이라 자동으로 정답 처리되지 않습니다. 모범 답안과 비교하고, 선생님이 읽습니다.)
    """),
    code("""
    @njit
    def matmul_a(A, B):          # 순서 A: i, j, k (가장 안쪽이 k)
        M, K = A.shape
        N = B.shape[1]
        C = np.zeros((M, N), dtype=A.dtype)
        for i in range(M):
            for j in range(N):
                total = 0.0
                for k in range(K):
                    total += A[i, k] * B[k, j]
                C[i, j] = total
        return C


    @njit
    def matmul_b(A, B):          # 순서 B: i, k, j (가장 안쪽이 j)
        M, K = A.shape
        N = B.shape[1]
        C = np.zeros((M, N), dtype=A.dtype)
        for i in range(M):
            for k in range(K):
                a = A[i, k]
                for j in range(N):
                    C[i, j] += a * B[k, j]
        return C


    faster_order = ____          # 예: "A가 빠릅니다. 왜냐하면 ..."
    q3.check()"""),
    md("""
    답을 적었다면 아래 셀의 주석을 풀고 실행해 예상이 맞았는지 재 보세요.
    """),
    code("""
    # A_big = rng.standard_normal((256, 256)).astype(np.float32)
    # B_big = rng.standard_normal((256, 256)).astype(np.float32)
    # for name, fn in [("A: i, j, k", matmul_a), ("B: i, k, j", matmul_b)]:
    #     print(f"{name}: {best_time(lambda: fn(A_big, B_big)) * 1e3:.2f} ms")"""),
    md("""
    **문제 4 (col의 크기).** `nn.Conv2d(64, 128, kernel_size=3, padding=1)`(스트라이드 1)에 `[1, 64, 56, 56]` 입력 한 장을 넣을 때,
    im2col이 만드는 `col` 행렬에는 숫자가 몇 개 들어 있나요? 정수로 적으세요.
    """),
    code("""
    col_numbers = ____
    q4.check()"""),
    md("""
    ## 배운 점 요약
    1. 같은 곱셈-덧셈을 하더라도 **순서와 묶음**에 따라 속도가 수천 배 달라집니다. 파이썬 반복문 -> `@njit` -> 반복문 순서 바꾸기 -> im2col + BLAS -> `F.conv2d`.
    2. 빠른 반복문의 첫째 규칙: 가장 안쪽 반복이 **길고**, 메모리를 **차례로** 읽게 하세요. 그래야 컴파일러가 8개나 16개씩 묶는 벡터 명령을 씁니다.
    3. **im2col**은 창을 열로 펴서 합성곱을 행렬 곱 한 번으로 바꿉니다. 대가는 메모리(입력의 약 kH * kW 배)이고, 그래서 빠른 구현은 `col`을 조각으로 만들거나 아예 만들지 않습니다(암묵적 im2col).
    4. 빠른 행렬 곱은 **캐시 블로킹**(블록이 캐시에 머물게)과 **레지스터 타일**(결과의 작은 타일을 레지스터에 붙잡고 바깥 곱을 더하기)으로 만들어집니다.
    5. PyTorch는 레이어에 따라 직접 합성곱, im2col + GEMM, Winograd, FFT 같은 알고리즘을 고릅니다(CPU에서는 주로 oneDNN).
    6. teachnn의 `kernels/fast_conv/`는 계획 -> 페이즈 -> 구간 표 -> 합친 곱 -> 레지스터 타일 -> 스레드의 단계로, 각 단계가 기준 반복문의 한 부분을 바꿉니다.
    """),
    next_lesson("14_batchnorm_dropout.ipynb", "훈련할 때와 평가할 때 다르게 동작하는 두 레이어, `BatchNorm`과 `Dropout`을 배웁니다."),
]
