"""teachnn.geometry: hand-worked examples, brute force, and PyTorch's shapes as oracles."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from teachnn import geometry as g
from tests.parity import requires_torch, torch


# --- hand-worked examples --------------------------------------------------------------

def test_conv_output_size_by_hand():
    assert g.conv_output_size(5, 3) == 3                       # (5-3)/1+1
    assert g.conv_output_size(5, 3, stride=2, pad_left=1) == 3  # (5+2-3)/2+1
    assert g.conv_output_size(7, 3, dilation=2) == 3           # span 5: (7-5)/1+1
    assert g.conv_output_size(32, 5, stride=2) == 14           # floor(27/2)+1
    assert g.conv_output_size(2, 3) == 0                       # kernel does not fit


def test_transposed_output_size_by_hand():
    assert g.conv_transpose_output_size(4, 4, stride=2, padding=1) == 8
    assert g.conv_transpose_output_size(3, 3, stride=2, output_padding=1) == 8


def test_pool_ceil_mode_drops_window_starting_in_right_padding():
    assert g.pool_output_size(5, 2, 2) == 2
    assert g.pool_output_size(5, 2, 2, ceil_mode=True) == 3
    # L=4, k=2, s=2, p=1: ceil((4+2-2)/2)+1 = 3; the third window starts at 4-1=3 (inside)
    assert g.pool_output_size(4, 2, 2, padding=1, ceil_mode=True) == 3
    # L=2, k=1, s=2, p=0, ceil: ceil((2-1)/2)+1 = 2, 2nd window starts at 2 = L -> dropped
    assert g.pool_output_size(2, 1, 2, ceil_mode=True) == 1


def test_notes_adaptive_example_windows():
    # 4 -> 2: windows [0,2) and [2,4); the notes' 4x4 example averages 2x2 blocks
    assert g.adaptive_ranges(4, 2) == [(0, 2), (2, 4)]
    x = np.arange(1, 17, dtype=float).reshape(4, 4)
    out = [[x[slice(*g.adaptive_range(i, 4, 2)), slice(*g.adaptive_range(j, 4, 2))].mean()
            for j in range(2)] for i in range(2)]
    assert out == [[3.5, 5.5], [11.5, 13.5]]


def test_adaptive_overlap_and_upsampling():
    assert g.adaptive_ranges(5, 3) == [(0, 2), (1, 4), (3, 5)]   # overlapping windows
    assert g.adaptive_ranges(2, 4) == [(0, 1), (0, 1), (1, 2), (1, 2)]  # O > L repeats


def test_same_padding_split_like_pytorch():
    assert g.resolve_conv_padding("same", (3,), (1,), (1,), 1) == ((1, 1),)
    assert g.resolve_conv_padding("same", (4,), (1,), (1,), 1) == ((1, 2),)  # odd total: extra right
    assert g.resolve_conv_padding("same", (3, 4), (2, 1), (1, 1), 2) == ((2, 2), (1, 2))
    assert g.resolve_conv_padding("valid", (3, 3), (1, 1), (1, 1), 2) == ((0, 0), (0, 0))
    assert g.resolve_conv_padding(2, (3, 3), (1, 1), (1, 1), 2) == ((2, 2), (2, 2))


def test_padding_errors_teach():
    with pytest.raises(ValueError, match="stride"):
        g.resolve_conv_padding("same", (3,), (1,), (2,), 1)
    with pytest.raises(ValueError, match="'same' or 'valid'"):
        g.resolve_conv_padding("full", (3,), (1,), (1,), 1)


def test_ntuple():
    assert g.ntuple(3, 2, "kernel_size") == (3, 3)
    assert g.ntuple((3, 5), 2, "kernel_size") == (3, 5)
    assert g.ntuple(np.int64(2), 3, "stride") == (2, 2, 2)
    with pytest.raises(ValueError, match="kernel_size"):
        g.ntuple((3, 5, 7), 2, "kernel_size")
    with pytest.raises(TypeError, match="stride"):
        g.ntuple("2", 2, "stride")


def test_window_and_targets_by_hand():
    assert g.window(1, 3, stride=2, pad_left=1) == [1, 2, 3]
    assert g.window(0, 3, dilation=2) == [0, 2, 4]
    assert g.transposed_targets(1, 3, stride=2) == [2, 3, 4]
    assert g.transposed_targets(0, 3, stride=1, padding=1) == [-1, 0, 1]


# --- brute force: the formulas agree with counting windows -------------------------------

@given(L=st.integers(1, 30), k=st.integers(1, 6), s=st.integers(1, 4), p=st.integers(0, 3),
       d=st.integers(1, 3))
def test_conv_output_size_counts_windows(L, k, s, p, d):
    # count the window starts whose last tap lands inside the padded input
    count = sum(1 for start in range(0, L + 2 * p, s) if start + d * (k - 1) < L + 2 * p)
    ours = g.conv_output_size(L, k, s, p, p, d)
    if count == 0:
        assert ours <= 0
    else:
        assert ours == count


@given(L=st.integers(1, 20), k=st.integers(1, 5), s=st.integers(1, 4), d=st.integers(1, 3),
       p=st.integers(0, 3))
def test_transposed_is_adjoint_geometry(L, k, s, d, p):
    # every output position i of conv(length O) reads window(i); transposed conv maps back:
    # input cell j of the transposed conv writes to the conv-input positions of window(j)
    O = g.conv_output_size(L, k, s, p, p, d)
    if O <= 0:
        return
    for j in range(O):
        assert g.transposed_targets(j, k, s, p, d) == g.window(j, k, s, p, d)
    # the transposed output size recovers L up to the cells the stride skipped at the end
    extra = L - g.conv_transpose_output_size(O, k, s, p, d, 0)
    assert extra == (L + 2 * p - d * (k - 1) - 1) % s


@given(L=st.integers(1, 40), O=st.integers(1, 40))
def test_adaptive_windows_cover_input(L, O):
    ranges = g.adaptive_ranges(L, O)
    assert ranges[0][0] == 0 and ranges[-1][1] == L
    for (a, b), (c, e) in zip(ranges, ranges[1:]):
        assert a < b and c <= b and a <= c      # non-empty, no gaps, monotone
    assert all(b - a >= 1 for a, b in ranges)


# --- PyTorch: same shapes ----------------------------------------------------------------

@requires_torch
@given(L=st.integers(1, 25), k=st.integers(1, 5), s=st.integers(1, 4), p=st.integers(0, 2),
       d=st.integers(1, 3))
def test_conv_sizes_match_torch(L, k, s, p, d):
    ours = g.conv_output_size(L, k, s, p, p, d)
    x = torch.zeros(1, 1, L)
    w = torch.zeros(1, 1, k)
    if ours <= 0:
        with pytest.raises(RuntimeError):
            torch.nn.functional.conv1d(x, w, stride=s, padding=p, dilation=d)
        return
    assert torch.nn.functional.conv1d(x, w, stride=s, padding=p, dilation=d).shape[-1] == ours


@requires_torch
@given(L=st.integers(1, 25), k=st.integers(1, 5), s=st.integers(1, 4), data=st.data(),
       d=st.integers(1, 2), ceil=st.booleans())
def test_pool_sizes_match_torch(L, k, s, data, d, ceil):
    p = data.draw(st.integers(0, k // 2))
    ours = g.pool_output_size(L, k, s, p, d, ceil)
    x = torch.zeros(1, 1, L)
    if ours <= 0:
        with pytest.raises(RuntimeError):
            torch.nn.functional.max_pool1d(x, k, s, p, d, ceil_mode=ceil)
        return
    assert torch.nn.functional.max_pool1d(x, k, s, p, d, ceil_mode=ceil).shape[-1] == ours


@requires_torch
@given(L=st.integers(1, 12), O=st.integers(1, 12))
def test_adaptive_ranges_match_torch(L, O):
    # with one-hot inputs, adaptive max pooling reveals exactly which cells each window covers
    eye = torch.eye(L).reshape(L, 1, L)
    covered = torch.nn.functional.adaptive_max_pool1d(eye, O).reshape(L, O)
    for i, (a, b) in enumerate(g.adaptive_ranges(L, O)):
        expect = np.zeros(L)
        expect[a:b] = 1
        np.testing.assert_array_equal(covered[:, i].numpy(), expect)


@requires_torch
@given(L=st.integers(1, 10), k=st.integers(1, 4), s=st.integers(1, 3), d=st.integers(1, 2),
       data=st.data())
def test_transposed_sizes_match_torch(L, k, s, d, data):
    p = data.draw(st.integers(0, 2))
    op = data.draw(st.integers(0, max(s, d) - 1))
    ours = g.conv_transpose_output_size(L, k, s, p, d, op)
    x = torch.zeros(1, 1, L)
    w = torch.zeros(1, 1, k)
    if ours <= 0:
        with pytest.raises(RuntimeError):
            torch.nn.functional.conv_transpose1d(x, w, stride=s, padding=p, output_padding=op,
                                                 dilation=d)
        return
    out = torch.nn.functional.conv_transpose1d(x, w, stride=s, padding=p, output_padding=op,
                                               dilation=d)
    assert out.shape[-1] == ours
