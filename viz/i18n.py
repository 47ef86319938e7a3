"""The figures' language (Korean by default, English on request) and the font that draws it.

Plans (``viz.plan``) keep their texts in English, as plain data that tests read; the
renderer passes every text through ``tr`` just before drawing, so ``set_language`` also
changes how an existing scene is drawn the next time.

Korean text is drawn with NanumGothic, the font file shipped by the PyPI package
``koreanize-matplotlib`` (a dependency of teachnn). We do not import that package: its
import changes matplotlib's global settings. We only register its font file with
matplotlib's font manager, so nothing is downloaded and nothing global changes.
Texts name a font list: ``["NanumGothic", "DejaVu Sans"]`` draws Hangul with NanumGothic
and lets DejaVu Sans draw the few symbols NanumGothic lacks (such as the minus sign of
colour-bar ticks). A glyph neither font has still triggers matplotlib's "Glyph missing"
warning, which the tests turn into an error.
"""
from __future__ import annotations

import importlib.util
import os
import re

__all__ = ["set_language", "get_language", "tr", "say", "sans", "mono", "korean_font_path",
           "KOREAN_FONT", "LANGUAGES"]

LANGUAGES = ("ko", "en")
KOREAN_FONT = "NanumGothic"
LATIN_FONT = "DejaVu Sans"
LATIN_MONO = "DejaVu Sans Mono"

_state = {"language": "ko", "registered": None}


def korean_font_path() -> str | None:
    """Path of NanumGothic.ttf inside the installed ``koreanize-matplotlib`` package (found
    without importing it), or None if the package is missing."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "fonts", "NanumGothic.ttf")
    return path if os.path.exists(path) else None


def _register_korean_font() -> bool:
    """Add NanumGothic to matplotlib's font manager once; False if it is not installed."""
    if _state["registered"] is None:
        path = korean_font_path()
        if path is not None:
            from matplotlib import font_manager
            font_manager.fontManager.addfont(path)
            bold = path.replace("NanumGothic.ttf", "NanumGothicBold.ttf")
            if os.path.exists(bold):
                font_manager.fontManager.addfont(bold)
        _state["registered"] = path is not None
    return _state["registered"]


def set_language(language: str) -> None:
    """Draw figures in ``"ko"`` (Korean, the default) or ``"en"`` (English).

    Scenes already built are drawn in the new language the next time they are drawn.
    """
    if language not in LANGUAGES:
        raise ValueError(f"지원하는 언어는 'ko'와 'en'입니다 (입력: {language!r}).\n"
                         f"language must be 'ko' or 'en', but got {language!r}.")
    if language == "ko" and not _register_korean_font():
        raise RuntimeError("한국어 글꼴(NanumGothic)이 없습니다: pip install koreanize-matplotlib\n"
                           "The Korean font (NanumGothic) is missing: "
                           "pip install koreanize-matplotlib")
    _state["language"] = language


def get_language() -> str:
    """The language figures are drawn in: ``"ko"`` or ``"en"`` (English also when the Korean
    font is not installed, so that no figure shows empty boxes for Hangul)."""
    if _state["language"] == "ko" and not _register_korean_font():
        return "en"
    return _state["language"]


def sans() -> list[str]:
    """Font list for figure text in the current language."""
    if get_language() == "ko" and _register_korean_font():
        return [KOREAN_FONT, LATIN_FONT]
    return [LATIN_FONT]


def mono() -> list[str]:
    """Font list for the monospaced arithmetic (Korean only in short notes after it)."""
    if get_language() == "ko" and _register_korean_font():
        return [LATIN_MONO, KOREAN_FONT]
    return [LATIN_MONO]


def say(korean: str, english: str) -> str:
    """The sentence in the current language (for texts viz writes itself)."""
    return korean if get_language() == "ko" else english


# Whole texts (legend labels) first, then phrases; applied in order, so longer phrases
# come before the words they contain. Vocabulary: shared GLOSSARY_ko.md.
_EXACT = {
    "input cell": "입력 칸",
    "padding (zeros)": "패딩 (0)",
    "padding (0)": "패딩 (0)",
    "padding (-inf)": "패딩 (-inf)",
    "read now": "지금 읽는 칸",
    "kernel weight": "커널 가중치",
    "kernel weight / bias": "커널 가중치 / 편향",
    "output being written": "지금 쓰는 출력 칸",
    "in the window": "창 안의 칸",
    "in the region": "영역 안의 칸",
    "outside the input (ceil_mode)": "입력 바깥 (ceil_mode)",
    "chosen maximum": "고른 최댓값",
    "written now": "지금 더하는 칸",
    "input cell scattering": "흩뿌리는 입력 칸",
    "cropped by padding": "padding으로 잘리는 칸",
    "added by output_padding": "output_padding으로 생긴 칸",
    "inserted zero": "끼워 넣은 0",
    "flipped kernel": "뒤집은 커널",
    "input with zeros inserted and padding": "0을 끼우고 패딩한 입력",
    "crop: the output is what is left inside the padding": "자르기: 패딩 안쪽에 남은 것이 출력",
    "the kernel spans all channels and slides along the length only":
        "커널은 모든 채널을 덮고 길이 방향으로만 움직입니다",
    "neighbouring regions overlap: the input size is not a multiple of the output size":
        "이웃한 영역이 겹칩니다: 입력 크기가 출력 크기의 배수가 아닙니다",
    "the volume is drawn as a row of depth slices, one grid per depth index":
        "부피는 깊이 조각을 한 줄로 늘어놓아 그립니다 (깊이 인덱스마다 격자 하나)",
    "coloured bars: the input range of each output position":
        "색 막대: 출력 위치마다 읽는 입력 범위",
    "coloured bars: the input range of each output row (right) and column (below)":
        "색 막대: 출력의 행(오른쪽)과 열(아래)마다 읽는 입력 범위",
    "coloured bars: the input range of each output row (right) and column (below); "
    "the depth range is the first line of each step":
        "색 막대: 출력의 행(오른쪽)과 열(아래)마다 읽는 입력 범위; 깊이 범위는 "
        "각 단계의 첫 줄",
    "ceil_mode: minus 1 where the last window would start in the right padding":
        "ceil_mode: 마지막 창이 오른쪽 패딩에서 시작하면 1을 뺍니다",
}
_PHRASES = [
    (r"^showing output channel (\d+) of (\d+): its kernel w\[(\d+)\] and bias b\[(\d+)\]$",
     r"출력 채널 \2개 중 \1번: 커널 w[\3]와 편향 b[\4]"),
    (r"^showing output channel (\d+) of (\d+): its kernel w\[(\d+)\]$",
     r"출력 채널 \2개 중 \1번: 커널 w[\3]"),
    (r"^each output cell sums the products over all (\d+) input channels$",
     r"출력 칸마다 입력 채널 \1개 모두의 곱을 더합니다"),
    (r"^input (\S+) -> output (\S+), drawn as rows of depth slices; each window reads (\d+) "
     r"of them$", r"입력 \1 -> 출력 \2, 깊이 조각을 한 줄로 그림; 창 하나가 \3개를 읽습니다"),
    (r"^scatter view: each input cell adds \(its value x kernel\) to the output; overlaps "
     r"are summed$", "흩뿌리기(scatter): 입력 칸마다 (값 × 커널)을 출력에 더하고, 겹치면 합칩니다"),
    (r"^direct view: the same result: zeros between inputs, padding around, flipped kernel, "
     r"stride 1$", "직접 계산(direct): 같은 결과 — 입력 사이에 0, 둘레에 패딩, 뒤집은 커널, "
     "스트라이드 1"),
    (r"^input cell \[([^\]]*)\] scatters a weighted kernel copy$",
     r"입력 칸 [\1]이 가중된 커널을 흩뿌립니다"),
    (r"^output = the sums at positions ", "출력 = 위치 "),
    (r"\[channels=(\d+), length=(\d+)\]", r"[채널 \1, 길이 \2]"),
    (r"\(hatched: cropped\)", "(빗금: 잘림)"),
    (r"^region of output cell i:", "출력 칸 i의 영역:"),
    (r"^with ", ""),
    (r"\bdepth L=", "깊이 L="), (r"\brows L=", "행 L="), (r"\bcols L=", "열 L="),
    (r"^output size:", "출력 크기:"),
    (r" per axis:", " (축마다):"),
    (r"\(input ([^)]*)\)$", r"(입력 \1)"),
    (r"^output cell \[", "출력 칸 ["),
    (r"^output channel (\d+)", r"출력 채널 \1"),
    (r"^output(?= |$)", "출력"),
    (r"^input x\b", "입력 x"),
    (r"^input(?= |$)", "입력"),
    (r"^kernel w", "커널 w"),
    (r"^bias b", "편향 b"),
    (r"^pad d=", "패딩 d="),
    (r"^outside d=", "바깥 d="),
    (r"\(channel (\d+): ", r"(채널 \1: "),
    (r"^rows \[", "행 ["), (r"^cols \[", "열 ["), (r"^depth \[", "깊이 ["), (r"^cells \[", "칸 ["),
    (r"\(bias: ", "(편향: "),
    (r"\(padding zeros counted\)", "(패딩의 0도 셉니다)"),
    (r"\(padding not counted: count_include_pad=False\)",
     "(패딩은 세지 않음: count_include_pad=False)"),
    (r"^the window hangs over the edge \(ceil_mode\): those cells do not exist$",
     "창이 가장자리 밖으로 나갑니다 (ceil_mode): 그 칸들은 없습니다"),
    (r"; purple cells exist only because of output_padding \(0 where no kernel copy "
     r"reaches\)", "; 보라색 칸은 output_padding 때문에만 있습니다 (커널이 닿지 않으면 0)"),
    (r"\(padding is -inf: never the maximum\)", "(패딩은 -inf: 최댓값이 되지 않습니다)"),
    (r" scatters (\S+) × kernel:", r"이 \1 × 커널을 흩뿌립니다:"),
    (r"; hatched cells \(the outermost padding positions\) are cropped away",
     "의 합; 빗금 칸(맨 바깥 패딩 위치)은 잘려 나갑니다"),
]
_PHRASES = [(re.compile(pattern), replacement) for pattern, replacement in _PHRASES]


def tr(text: str, language: str | None = None) -> str:
    """``text`` (English, from a plan) in ``language`` (default: the current one)."""
    if (language or get_language()) == "en" or not text:
        return text
    lines = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped in _EXACT:
            lines.append(line.replace(stripped, _EXACT[stripped]))
            continue
        for pattern, replacement in _PHRASES:
            line = pattern.sub(replacement, line)
        lines.append(line)
    return "\n".join(lines)
