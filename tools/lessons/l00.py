import csv
from pathlib import Path

import importlib
import re

from common import IMPORTS, beyond_notes, code, from_notes, header, md, next_lesson, predict

_BATCH_CSV = Path(__file__).resolve().parents[2] / "tests" / "grading_batch" / "expected_grades.csv"


def lesson_table():
    """The table of contents, from the first line ("# NN. title") of every lesson module, so a
    new lesson module appears here without editing this file."""
    rows = ["| 번호 | 노트북 | 내용 |", "|---|---|---|",
            "| 00 | [00_start](00_start.ipynb) | 시작하기: teachnn 소개, 노트북과 연습 문제 사용법 |"]
    for path in sorted(Path(__file__).resolve().parent.glob("l[0-9][0-9]*.py")):
        if path.stem == "l00":
            continue
        module = importlib.import_module(path.stem)
        stem = module.FILENAME[:-len(".ipynb")]
        first_line = module.CELLS[0][1].splitlines()[0]
        match = re.match(r"# \d\d\. (.*)", first_line)
        title = match.group(1) if match else first_line.lstrip("# ")
        number = stem[:2]
        rows.append(f"| {number} | [{stem}]({module.FILENAME}) | {title} |")
    return "\n".join(rows)


def grades_table():
    """The made-up batch's expected CSV as a Markdown table (tests/test_grade.py checks the CSV)."""
    with open(_BATCH_CSV, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)


FILENAME, PREFIX = "00_start.ipynb", "l00"

CELLS = [
    header(
        "00. 시작하기 — 읽고, 돌려 보고, 지켜보는 `torch.nn`",
        goals=[
            "teachnn이 무엇이고 왜 만들었는지 압니다.",
            "강의 노트북을 어떻게 실행하고, 연습 문제를 어떻게 푸는지 익힙니다.",
            "앞으로 배울 강의의 순서를 훑어봅니다.",
        ],
        uses=[
            "파이썬 기초(변수, 리스트, 함수 정의)만 있으면 됩니다.",
            "처음 보는 것: 텐서 `torch.tensor`와 모양 `.shape`, 그리고 맛보기로 선형 레이어 `nn.Linear`"
            "(01강에서 한 번 더 쓰고, 06강에서 자세히 배웁니다).",
        ],
        source=from_notes("과정 전체의 순서는 노트의 목차(레이어, 활성화 함수, 손실 함수, 컨테이너)를 따릅니다"),
    ),
    md("""
    ## teachnn이란?

    teachnn은 PyTorch의 `torch.nn`을 **배우기 위해 다시 만든** 작은 라이브러리입니다.

    - **import 줄만 바꾸면 됩니다.** `torch.nn`으로 쓴 코드를 `import teachnn as torch`로 바꾸기만 하면
      그대로 돌아가고, 같은 숫자를 냅니다. 그래서 여기서 익힌 코드는 진짜 PyTorch에서도 그대로 쓸 수 있습니다.
    - **모든 부품을 열어 읽을 수 있습니다.** 텐서(tensor)와 자동 미분(autograd), 레이어, 손실 함수가 모두
      짧은 파이썬 코드로 되어 있습니다. 궁금한 레이어가 있으면 `nn.Linear??`처럼 물음표 두 개를 붙여 소스를 열어 보세요.
    - **움직이는 모습을 볼 수 있습니다.** 합성곱(convolution)과 풀링(pooling)은 Numba로 빠르게 계산하고,
      `viz` 패키지는 커널(kernel)이 입력 위를 지나가는 모습을 애니메이션으로 보여 줍니다.
    """),
    md("""
    ## 노트북 사용법

    1. 셀을 선택하고 **Shift + Enter**를 누르면 실행되고 다음 셀로 넘어갑니다.
    2. 강의는 **위에서 아래로** 차례대로 실행하세요. 아래 셀은 위에서 만든 변수를 씁니다.
    3. 막히면 메뉴의 *Kernel → Restart Kernel and Run All Cells*로 처음부터 다시 실행할 수 있습니다.

    먼저 teachnn을 불러옵니다. 주석에 적힌 것처럼, PyTorch로 옮길 때는 이 세 줄만 바꾸면 됩니다.
    그리고 숫자 여섯 개를 두 줄로 적은 텐서(tensor) `x`를 만듭니다.
    """),
    predict("""
    `x`는 `[[1, 2, 3], [4, 5, 6]]`입니다. 출력될 모양(shape)은 `[2, 3]`일까요, `[3, 2]`일까요, `[6]`일까요?
    """),
    code("""
    import teachnn as torch                 # PyTorch라면: import torch
    import teachnn.nn as nn                 # PyTorch라면: import torch.nn as nn
    import teachnn.nn.functional as F       # PyTorch라면: import torch.nn.functional as F

    x = torch.tensor([[1.0, 2.0, 3.0],
                      [4.0, 5.0, 6.0]])
    print(x)
    print("모양(shape):", x.shape)
    print("자료형(dtype):", x.dtype)
    """),
    md("""
    텐서의 **모양(shape)** 은 바깥 괄호부터 안쪽 괄호 순서로 원소 수를 센 것입니다.
    위의 `x`는 행이 2개, 각 행에 숫자가 3개이므로 `[2, 3]`입니다. 앞으로 모든 강의에서 모양을 자주 따져 볼 거예요.

    작은 선형 레이어(linear layer) 하나를 만들어 `x`를 통과시켜 보겠습니다. `nn.Linear(3, 2)`는 숫자 3개짜리
    입력 한 줄마다, 세 숫자에 가중치를 곱해 더한 값을 **2개** 만듭니다(가중치는 처음에 무작위로 정해집니다).
    자세한 내용은 06강에서 다룹니다.
    """),
    predict("""
    `x`에는 줄이 2개, 줄마다 숫자가 3개 있습니다. `layer(x)`의 출력 모양은 무엇일까요?
    """),
    code("""
    torch.manual_seed(0)          # 난수를 고정하면 누가 실행해도 같은 숫자가 나옵니다
    layer = nn.Linear(3, 2)       # 특성 3개 -> 2개
    y = layer(x)
    print(layer)
    print(y)
    print("출력 모양:", y.shape)
    """),
    md("""
    ## 연습 문제 푸는 법

    각 강의 끝에는 **연습 문제**가 있습니다. 대부분은 자동으로 채점되고, 말로 답하는 문제는 모범 답안과 나란히 보여 줍니다.

    - 답을 적을 자리에는 `____`(밑줄 네 개)가 들어 있습니다. 이것을 여러분의 답으로 바꾸세요.
    - `q1.check()`를 실행하면 결과가 나옵니다.
      - **정답입니다** — 맞았습니다.
      - **다시 확인해 보세요** — 어디가 다른지 알려 줍니다 (정답 자체는 알려 주지 않습니다).
      - **아직 풀지 않았습니다** — `____`를 아직 채우지 않았습니다. 틀린 것이 아니니 걱정하지 마세요.
      - **답을 적었습니다 — 모범 답안과 비교해 보세요** — 말로 답하는 문제는 자동으로 채점하지 않습니다. 내 답과 모범 답안을 나란히 보여 줍니다(선생님이 읽습니다).
    - `q1.hint()`는 첫 번째 힌트를, `q1.hint(2)`는 더 자세한 힌트를 보여 줍니다.
    - `q1.solution()`은 정답 예시를 보여 줍니다. 충분히 고민한 다음에 열어 보세요!

    아래 셀에서 연습 문제를 불러옵니다.
    """),
    code("""
    from teachnn.exercises.lesson00 import q1, q2, q3, q4, ____
    """),
    md("""
    ## 강의 목차

    {LESSON_TABLE}

    번호는 01이 아니라 **00**부터 시작합니다.
    """),
    md("""
    ## 연습 문제

    **문제 1.** 강의 번호는 00부터 시작하고, 마지막 강의는 14번입니다. 강의는 모두 몇 개인가요? 정수로 적으세요.
    """),
    code("""
    n_lessons = ____
    q1.check()
    """),
    md("""
    **문제 2.** 아래 중첩 리스트를 `torch.tensor`로 만들면 모양이 어떻게 될까요? `(행의 수, 열의 수)` 순서의 튜플로 적으세요.
    (코드로 확인하기 전에 먼저 눈으로 세어 보세요.)

    ```python
    grid = [[7, 8, 9],
            [1, 2, 3]]
    ```
    """),
    code("""
    grid_shape = ____
    q2.check()
    """),
    md("""
    **문제 3.** 함수를 채점하는 문제도 있습니다. 입력 `x`를 받아 두 배를 돌려주는 함수 `double`을 완성하세요.
    채점기는 여러분의 함수를 몇 가지 입력으로 불러 봅니다. 그중 일부는 **공개되지 않은 테스트**입니다.
    """),
    code("""
    def double(x):
        return ____

    q3.check()
    """),
    md("""
    **문제 4.** 말로 답하는 문제입니다. PyTorch로 쓴 코드를 teachnn에서 돌리려면 무엇만 바꾸면 되나요?
    따옴표 안에 한 문장으로 적어 보세요. 답을 적으면 모범 답안을 나란히 보여 줍니다(자동으로 채점하지 않습니다).
    """),
    code("""
    what_changes = ____
    q4.check()
    """),
    md("""
    막히면 힌트를 열어 보세요. (아래 셀은 예시입니다. 다른 문제 번호로 바꿔 실행해도 됩니다.)
    """),
    code("""
    q1.hint()
    """),
    md("""
    ## 배운 점 요약

    1. teachnn은 `torch.nn`을 학습용으로 다시 만든 라이브러리입니다. **import 줄만 바꾸면** 같은 코드가 같은 숫자를 냅니다.
    2. 노트북은 위에서 아래로 실행합니다. 텐서의 **모양(shape)** 은 바깥 괄호부터 센 원소 수입니다.
    3. 연습 문제는 `____`를 채우고 `q.check()`로 확인합니다. 막히면 `q.hint()`, `q.hint(2)`, 마지막으로 `q.solution()`.
    """),
    next_lesson("01_module.ipynb", "신경망을 클래스로 정의하는 방법(`nn.Module` 상속)과, 파라미터가 학습되는 원리(자동 미분과 옵티마이저)를 배웁니다."),
    md("""
    ---
    ## 선생님께: 제출물 채점하기

    학습자가 제출한 노트북은 명령 한 줄로 채점할 수 있습니다. 노트북마다 새 커널에서 처음부터 실행하고
    (시간 제한이 있고, 여러 개를 동시에 실행합니다), 채점기가 가진 정답과 공개되지 않은 테스트로 채점합니다.
    노트북 안에서 `check`를 바꿔치기해도 점수는 바뀌지 않습니다.

    ```bash
    teachnn-grade 제출물/*.ipynb --out grades.csv --workers 2 --timeout 300
    ```

    Windows PowerShell은 `*.ipynb`를 파일 이름으로 펼쳐 주지 않으므로 목록을 직접 넘깁니다.

    ```powershell
    teachnn-grade (Get-ChildItem 제출물\*.ipynb).FullName --out grades.csv --workers 2 --timeout 300
    ```

    결과는 `grades.csv`(학습자마다 한 줄, 문제마다 한 열, 합계), 말로 답한 문제의 답을 모범 답안과 나란히 모은
    `grades_answers.csv`(선생님이 읽고 판단합니다), 학습자별 피드백 파일(`grades_feedback/이름.txt`)입니다.
    말로 답하는 문제는 점수에 넣지 않고 `written` 열에 답한 개수만 셉니다. `--seed 숫자`를 주면 공개되지 않은 테스트를
    채점할 때 새로 뽑으므로, 패키지에 들어 있는 테스트 값을 외워 두어도 통하지 않습니다. 각 노트북은 샌드박스(bubblewrap)
    안에서 실행되어 다른 학생의 파일이나 성적표를 건드릴 수 없습니다(자세한 내용은 `docs/grading.md`).
    teachnn 소스 저장소에 있는 예시 제출물 묶음을 채점하면 다음 표가 나옵니다
    (`status`: 정상 `ok`, 오류 셀 있음 `cell_errors`, 시간 초과로 중단한 셀 있음 `cell_timeout`,
    노트북 전체 시간 초과 `timeout`, 커널이 죽음 `kernel_died`, 파일을 읽을 수 없음 `unreadable`,
    어느 강의의 노트북인지 알 수 없음 `no_lesson`. `timeout`부터는 채점하지 못해 모두 0점입니다).

    {GRADES_TABLE}

    (이 표는 그 예시 묶음의 기대 결과에서 만들었고, teachnn의 테스트가 매번 실제로 채점해 이 표와 같은지 확인합니다.)
    """),
]

CELLS = [(kind, text.replace("{GRADES_TABLE}", grades_table()).replace("{LESSON_TABLE}", lesson_table()))
         for kind, text in CELLS]
