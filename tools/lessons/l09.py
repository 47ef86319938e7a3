from common import IMPORTS, beyond_notes, code, from_notes, header, md, next_lesson, predict

FILENAME, PREFIX = "09_losses.ipynb", "l09"

CELLS = [
    header(
        "09. 손실 함수: `CrossEntropyLoss`, `MSELoss`, `L1Loss`",
        goals=[
            "손실 함수(loss function)가 \"예측이 정답에서 얼마나 먼가\"를 숫자 하나로 만든다는 것을 이해합니다.",
            "노트의 예제로 `nn.CrossEntropyLoss()`(클래스)와 `F.cross_entropy`(함수)가 같은 값을 내는지 확인합니다.",
            "회귀에 쓰는 `MSELoss`와 `L1Loss`(MAE)를 손으로 계산해 봅니다.",
        ],
        uses=[
            '01강: 직선 맞추기에서 손으로 쓴 제곱 평균 손실, `backward()`',
            '08강: 같은 계산을 클래스(`nn.ReLU()`)와 함수(`F.relu`)로 쓰는 두 방식',
            '처음 보는 것: `torch.randint`, `reduction=` 인자, 손실 함수 클래스와 `F.cross_entropy`',
        ],
        source=from_notes("손실 함수 부분과 `CrossEntropyLoss`/`F.cross_entropy` 예제를 따릅니다"),
    ),
    code(IMPORTS),
    md("""
    ## 1. 노트의 예제: 클래스로 쓰는 손실 함수

    활성화 함수와 마찬가지로, `torch.nn`의 손실 함수는 클래스입니다. 먼저 **손실 함수 객체**(흔히 `criterion`이라고 부릅니다)를
    만들고, 그 객체를 `(출력, 정답)`으로 불러 손실 값을 얻습니다.
    """),
    code("""
    torch.manual_seed(0)
    criterion = nn.CrossEntropyLoss()          # 손실 함수 객체 만들기
    output = torch.randn(10, 5)                # 샘플 10개, 클래스 5개에 대한 점수(logit)
    target = torch.randint(0, 5, (10,))        # 샘플마다 정답 클래스 번호 0~4
    loss = criterion(output, target)           # 객체를 불러 손실 계산
    print(target)
    print(loss)
    """),
    md("""
    ## 2. 함수로 쓰는 손실 함수

    `torch.nn.functional`의 손실 함수는 객체를 만들지 않고 바로 값을 계산합니다. 같은 입력이면 값도 같습니다.
    """),
    code("""
    loss_f = F.cross_entropy(output, target)   # 함수를 바로 호출
    print(loss_f)
    print("같은가요?", torch.allclose(loss, loss_f))
    """),
    md("""
    ## 3. 교차 엔트로피가 계산하는 것

    `CrossEntropyLoss`는 두 단계를 한 번에 합니다.
    1. 점수(logit)를 softmax로 확률로 바꿉니다: $p_k = e^{z_k} / \\sum_j e^{z_j}$
    2. 정답 클래스의 확률에 $-\\log$를 취하고, 배치 전체의 평균을 냅니다.

    정답 확률이 1에 가까우면 손실은 0에 가깝고, 0에 가까우면 손실이 커집니다. 샘플 하나로 직접 확인해 봅시다.
    """),
    code("""
    logits = torch.tensor([[2.0, 1.0, 0.1]])   # 클래스 3개에 대한 점수
    label = torch.tensor([0])                  # 정답은 0번 클래스

    probs = torch.softmax(logits, dim=1)
    print("확률:", probs)
    print("직접 계산:", -torch.log(probs[0, 0]))
    print("F.cross_entropy:", F.cross_entropy(logits, label))
    """),
    md("""
    주의: `CrossEntropyLoss`에는 softmax를 거치기 **전의** 점수를 넣습니다. 모델 끝에서 softmax를 한 번 더 하면 softmax를 두 번 하게 됩니다.

    `reduction` 인자로 평균을 낼지 정할 수 있습니다. 기본값 `'mean'`은 스칼라 하나, `'none'`은 샘플마다 값 하나를 돌려줍니다.
    """),
    code("""
    print(F.cross_entropy(output, target, reduction="none"))
    print(F.cross_entropy(output, target, reduction="sum"), "= 샘플 손실의 합")
    """),
    md("""
    ## 4. 회귀 손실: `MSELoss`와 `L1Loss`(MAE)

    숫자 자체를 맞히는 회귀 문제에서는 예측과 정답의 차이를 직접 봅니다.
    - `nn.MSELoss()`: 차이의 **제곱**의 평균 (Mean Squared Error)
    - `nn.L1Loss()`: 차이의 **절댓값**의 평균 (Mean Absolute Error, MAE)
    """),
    predict("""
    예측 `[2.5, 0.0, 2.0, 8.0]`, 정답 `[3.0, -0.5, 2.0, 7.0]`의 차이는 `[-0.5, 0.5, 0, 1]`입니다.
    MSE(제곱의 평균)와 MAE(절댓값의 평균)는 각각 얼마일까요?
    """),
    code("""
    pred = torch.tensor([2.5, 0.0, 2.0, 8.0])
    truth = torch.tensor([3.0, -0.5, 2.0, 7.0])

    mse_loss = nn.MSELoss()
    l1_loss = nn.L1Loss()
    print("MSE:", mse_loss(pred, truth), F.mse_loss(pred, truth))
    print("MAE:", l1_loss(pred, truth), F.l1_loss(pred, truth))
    print("차이:", pred - truth)
    """),
    md("""
    차이가 작을 때(1보다 작을 때)는 제곱이 더 작고, 클 때는 제곱이 훨씬 커집니다.
    그래서 MSE는 큰 오차(이상치)에 더 민감하고, MAE는 덜 민감합니다. 그림으로 비교해 봅시다.
    """),
    code("""
    import matplotlib.pyplot as plt

    err = torch.linspace(-3, 3, 121)
    zero = torch.zeros(121)
    squared = F.mse_loss(err, zero, reduction="none")
    absolute = F.l1_loss(err, zero, reduction="none")

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(err.numpy(), squared.numpy(), label="MSE: error^2")
    ax.plot(err.numpy(), absolute.numpy(), label="L1: |error|")
    ax.set_xlabel("prediction - target")
    ax.set_ylabel("loss")
    ax.legend()
    plt.show()
    """),
    md("""
    ## 연습 문제
    """),
    code("""
    from teachnn.exercises.lesson09 import q1, q2, q3, q4, q5, ____
    """),
    md("""
    **문제 1.** 위의 `pred = [2.5, 0.0, 2.0, 8.0]`, `truth = [3.0, -0.5, 2.0, 7.0]`에 대한 MSE를 **손으로** 계산해 숫자로 적으세요.
    (코드로 계산한 값을 옮겨 적지 말고, 식을 따라가 보세요.)
    """),
    code("""
    mse = ____
    q1.check()
    """),
    md("""
    **문제 2.** 같은 예측과 정답에 대한 L1Loss(MAE)를 손으로 계산해 적으세요.
    """),
    code("""
    mae = ____
    q2.check()
    """),
    md("""
    **문제 3.** `F.cross_entropy`를 쓰지 않고 `F.log_softmax`로 교차 엔트로피 함수를 직접 만드세요.
    입력은 `output`(`[N, C]` 점수)과 `target`(`[N]` 정답 번호)이고, 배치 평균을 돌려줍니다.
    """),
    code("""
    def my_cross_entropy(output, target):
        return ____

    q3.check()
    """),
    md("""
    **문제 4.** `output`이 `[10, 5]`, `target`이 `[10]`일 때 `F.cross_entropy(output, target, reduction='none')`의 모양은?
    """),
    code("""
    none_shape = ____
    q4.check()
    """),
    md("""
    **문제 5.** `nn.CrossEntropyLoss()`와 `F.cross_entropy`는 어떻게 다른가요? 한두 문장으로 적어 보세요.
    """),
    code("""
    class_vs_function = ____
    q5.check()
    """),
    md("""
    ## 배운 점 요약

    1. 손실 함수는 예측과 정답의 거리를 숫자 하나로 만듭니다. 학습은 이 숫자를 줄이는 과정입니다.
    2. `nn.CrossEntropyLoss()`는 객체를 만든 뒤 호출하고, `F.cross_entropy`는 함수로 바로 계산합니다. 값은 같습니다.
    3. 교차 엔트로피 = softmax 확률 중 정답 클래스의 $-\\log$를 평균낸 값. softmax 전의 점수를 넣습니다.
    4. `MSELoss`는 제곱 오차의 평균, `L1Loss`(MAE)는 절대 오차의 평균입니다. MSE가 큰 오차에 더 민감합니다.
    """),
    next_lesson('10_containers.ipynb', '레이어를 한데 묶는 컨테이너 `Sequential`, `ModuleList`, `ModuleDict`를 배웁니다.'),
]
