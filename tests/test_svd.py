"""``teachnn.svd``, ``teachnn.linalg.svd`` and ``Tensor.svd`` against PyTorch.

Singular vectors are fixed only up to sign (LAPACK may pick either), so values are compared
through sign-free quantities: the reconstruction U diag(S) Vh, the projections U_k U_k^T and
V_k V_k^T, |U|-free losses; gradients of such losses are compared with PyTorch and gradcheck.
"""
import numpy as np
import pytest
import torch

import teachnn
from teachnn.autograd import gradcheck

SHAPES = [(4, 3), (3, 5), (4, 4), (2, 5, 3), (2, 3, 3, 4)]


def _matrix(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _proj(u):
    return u @ np.swapaxes(u, -1, -2)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("full", [True, False])
def test_linalg_svd_matches_torch_up_to_sign(shape, full):
    a = _matrix(shape)
    U, S, Vh = teachnn.linalg.svd(teachnn.tensor(a), full_matrices=full)
    tU, tS, tVh = torch.linalg.svd(torch.tensor(a), full_matrices=full)
    assert U.shape == tuple(tU.shape) and Vh.shape == tuple(tVh.shape) and S.shape == tuple(tS.shape)
    np.testing.assert_allclose(S.numpy(), tS.numpy(), atol=1e-12)
    k = S.shape[-1]
    u, vh = U.numpy(), Vh.numpy()
    np.testing.assert_allclose((u[..., :k] * S.numpy()[..., None, :]) @ vh[..., :k, :], a, atol=1e-12)
    # each singular pair up to one shared sign: U_i Vh_i^T agrees with PyTorch's
    np.testing.assert_allclose(np.einsum("...mi,...in->...imn", u[..., :k], vh[..., :k, :]),
                               np.einsum("...mi,...in->...imn", tU.numpy()[..., :k], tVh.numpy()[..., :k, :]),
                               atol=1e-10)
    # full bases are orthogonal, so the projections onto them are the identity
    np.testing.assert_allclose(_proj(u), _proj(tU.numpy()), atol=1e-12)
    np.testing.assert_allclose(_proj(np.swapaxes(vh, -1, -2)), _proj(np.swapaxes(tVh.numpy(), -1, -2)), atol=1e-12)


def test_float32_and_return_type():
    a = _matrix((5, 3), np.float32)
    r = teachnn.linalg.svd(teachnn.tensor(a), full_matrices=False)
    t = torch.linalg.svd(torch.tensor(a), full_matrices=False)
    assert r.U.dtype == teachnn.float32 and r.S.dtype == teachnn.float32 and r.Vh.dtype == teachnn.float32
    np.testing.assert_allclose(r.S.numpy(), t.S.numpy(), rtol=1e-5)
    U, S, Vh = r
    assert U is r.U and S is r.S and Vh is r.Vh
    assert repr(r).startswith("teachnn.return_types.linalg_svd(\nU=tensor(")
    assert "\nVh=tensor(" in repr(r)


@pytest.mark.parametrize("some", [True, False])
def test_torch_svd_returns_v(some):
    a = _matrix((2, 5, 3))
    x = teachnn.tensor(a)
    for U, S, V in (teachnn.svd(x, some=some), x.svd(some=some)):
        tU, tS, tV = torch.svd(torch.tensor(a), some=some)
        assert U.shape == tuple(tU.shape) and V.shape == tuple(tV.shape)
        np.testing.assert_allclose(S.numpy(), tS.numpy(), atol=1e-12)
        np.testing.assert_allclose((U.numpy()[..., :3] * S.numpy()[..., None, :]) @ np.swapaxes(V.numpy(), -1, -2),
                                   a, atol=1e-12)
        np.testing.assert_allclose(_proj(U.numpy()[..., :3]), _proj(tU.numpy()[..., :3]), atol=1e-12)
    r = teachnn.svd(x)
    assert repr(r).startswith("teachnn.return_types.svd(") and "\nV=tensor(" in repr(r)


def test_torch_svd_compute_uv_false_gives_zero_u_v():
    a = _matrix((4, 3))
    x = teachnn.tensor(a, requires_grad=True)
    U, S, V = teachnn.svd(x, compute_uv=False)
    tU, tS, tV = torch.svd(torch.tensor(a), compute_uv=False)
    assert U.shape == tuple(tU.shape) == (4, 4) and V.shape == tuple(tV.shape) == (3, 3)
    assert not U.numpy().any() and not V.numpy().any() and U.grad_fn is None
    np.testing.assert_allclose(S.detach().numpy(), tS.numpy(), atol=1e-12)
    S.sum().backward()
    t = torch.tensor(a, requires_grad=True)
    torch.svd(t, compute_uv=False).S.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-12)


def test_graph_node_names_match_torch():
    a = _matrix((4, 3))
    x, t = teachnn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for ours, theirs in ((teachnn.linalg.svd(x), torch.linalg.svd(t)), (teachnn.svd(x), torch.svd(t))):
        for o, p in zip(ours, theirs):
            assert o.grad_fn.name() == p.grad_fn.name()


# sign-free losses of (U, S, Vh); each is also run through PyTorch with the same matrix
def _loss_s(U, S, Vh, lib):
    return (S * lib.arange(1, S.shape[-1] + 1, dtype=S.dtype)).sum()


def _loss_reconstruct(U, S, Vh, lib):
    k = S.shape[-1]
    B = lib.ones(U.shape[:-2] + (U.shape[-2], Vh.shape[-1]), dtype=S.dtype) * 0.3
    return ((U[..., :k] * S.unsqueeze(-2)) @ Vh[..., :k, :] - B).pow(2).sum()


def _loss_projection(U, S, Vh, lib):
    P = U[..., :2] @ U[..., :2].mT                      # span of the top two left singular vectors
    Q = Vh[..., :1, :].mT @ Vh[..., :1, :]
    W = lib.arange(P.shape[-1] * P.shape[-2], dtype=S.dtype).reshape(P.shape[-2:]) / 10
    return (P * W).sum() + Q.pow(3).sum() + S[..., 0].sum()


LOSSES = [_loss_s, _loss_reconstruct, _loss_projection]


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (4, 4), (2, 5, 3)])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("full", [False, True])
def test_gradients_match_torch(shape, loss, full):
    a = _matrix(shape, seed=1)
    x, t = teachnn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    loss(*teachnn.linalg.svd(x, full_matrices=full), teachnn).backward()
    loss(*torch.linalg.svd(t, full_matrices=full), torch).backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3)])
@pytest.mark.parametrize("loss", LOSSES)
def test_gradcheck(shape, loss):
    a = _matrix(shape, seed=2)
    x = teachnn.tensor(a, requires_grad=True)
    assert gradcheck(lambda m: loss(*teachnn.linalg.svd(m, full_matrices=False), teachnn), (x,))


def test_torch_svd_v_gradient_matches_torch():
    a = _matrix((3, 5), seed=3)
    x, t = teachnn.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    U, S, V = teachnn.svd(x)
    (V[:, :2] @ V[:, :2].mT).pow(2).mul(teachnn.arange(25.0, dtype=teachnn.float64).reshape(5, 5)).sum().backward()
    tU, tS, tV = torch.svd(t)
    (tV[:, :2] @ tV[:, :2].mT).pow(2).mul(torch.arange(25.0, dtype=torch.float64).reshape(5, 5)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-10)


def test_repeated_singular_values_like_torch():
    # S alone is differentiable at a repeated value; U's gradient divides by S_i^2 - S_j^2 = 0
    x, t = teachnn.eye(3, dtype=teachnn.float64).requires_grad_(), torch.eye(3, dtype=torch.float64).requires_grad_()
    teachnn.linalg.svd(x).S.sum().backward()
    torch.linalg.svd(t).S.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())
    x.grad = None
    t.grad = None
    teachnn.linalg.svd(x).U.sum().backward()
    torch.linalg.svd(t).U.sum().backward()
    assert np.isnan(t.grad.numpy()).all() and np.isnan(x.grad.numpy()).all()


def test_inplace_change_of_a_factor_is_refused_like_torch():
    for lib in (teachnn, torch):
        x = lib.ones(3, 2, dtype=lib.float64).cumsum(0).requires_grad_()
        U, S, Vh = lib.linalg.svd(x, full_matrices=False)
        loss = (U @ U.mT).pow(2).sum()
        U.mul_(2)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()


@pytest.mark.parametrize("fn", [lambda a: teachnn.linalg.svd(a), lambda a: teachnn.svd(a), lambda a: a.svd()])
def test_errors_like_torch(fn):
    with pytest.raises(RuntimeError, match="Expected a floating point"):
        fn(teachnn.ones(3, 3, dtype=teachnn.int64))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        fn(teachnn.ones(3))
    with pytest.raises(RuntimeError, match="non-finite"):
        fn(teachnn.tensor([[float("nan"), 1.0], [1.0, 1.0]]))
    for bad in (torch.ones(3, 3, dtype=torch.int64), torch.ones(3), torch.tensor([[float("nan"), 1.0], [1.0, 1.0]])):
        with pytest.raises(RuntimeError):                   # PyTorch's type for each case
            torch.linalg.svd(bad)
    with pytest.raises(TypeError):
        teachnn.linalg.svd(np.ones((3, 3)))
    with pytest.raises(NotImplementedError, match="Half"):
        fn(teachnn.ones(2, 2, dtype=teachnn.float16))
    with pytest.raises(NotImplementedError, match="Half"):
        torch.linalg.svd(torch.ones(2, 2, dtype=torch.float16))
    with pytest.raises(NotImplementedError, match="Half"):
        teachnn.linalg.svdvals(teachnn.ones(2, 2, dtype=teachnn.float16))


def test_driver_keyword_refused_on_cpu():
    with pytest.raises(RuntimeError, match="driver="):
        teachnn.linalg.svd(teachnn.eye(2), driver="gesvd")
    with pytest.raises(RuntimeError, match="driver="):
        torch.linalg.svd(torch.eye(2), driver="gesvd")
