"""viz.summary, viz.feature_maps and viz.graph on teachnn models (and PyTorch for parity)."""
import matplotlib
matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import teachnn  # noqa: E402
import teachnn.nn as nn  # noqa: E402
import teachnn.nn.functional as F  # noqa: E402
import viz  # noqa: E402
from tests.parity import requires_torch, torch  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")


class Net(nn.Module):
    """[N, 1, 8, 8] -> pool -> [N, 1, 4, 4] -> flatten 16 -> 8 -> 3."""

    def __init__(self):
        super().__init__()
        self.pool = nn.MaxPool2d(2)
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(16, 8), nn.ReLU())
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(self.body(self.pool(x)))


def test_summary_rows_shapes_and_totals(capsys):
    teachnn.manual_seed(0)
    model = Net()
    result = viz.summary(model, (2, 1, 8, 8))
    printed = capsys.readouterr().out
    rows = [(r["name"], r["type"], r["depth"], r["output_shape"], r["params"])
            for r in result.rows]
    assert rows == [
        ("Net", "Net", 0, [2, 3], None),
        ("pool", "MaxPool2d", 1, [2, 1, 4, 4], 0),
        ("body", "Sequential", 1, [2, 8], None),
        ("body.0", "Flatten", 2, [2, 16], 0),
        ("body.1", "Linear", 2, [2, 8], 16 * 8 + 8),
        ("body.2", "ReLU", 2, [2, 8], 0),
        ("head", "Linear", 1, [2, 3], 8 * 3 + 3),
    ]
    assert result.total_params == 136 + 27 == result.trainable_params
    assert "Total params: 163" in printed and "[2, 1, 4, 4]" in printed
    assert "  pool (MaxPool2d)" in printed


def test_summary_counts_frozen_params_and_restores_training_mode():
    model = Net()
    model.head.weight.requires_grad_(False)
    model.train()
    result = viz.summary(model, (1, 1, 8, 8), verbose=False)
    assert result.trainable_params == 163 - 24 and result.non_trainable_params == 24
    assert all(m.training for m in model.modules())           # mode restored
    assert not model.pool._forward_hooks and not model._forward_pre_hooks   # hooks removed


@requires_torch
def test_summary_totals_match_pytorch_model():
    tmodel = torch.nn.Sequential(torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                                 torch.nn.Linear(16, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    model = nn.Sequential(nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16, 8), nn.ReLU(),
                          nn.Linear(8, 3))
    result = viz.summary(model, (4, 1, 8, 8), verbose=False)
    assert result.total_params == sum(p.numel() for p in tmodel.parameters())
    shapes, x = [], torch.zeros(4, 1, 8, 8)
    for layer in tmodel:
        x = layer(x)
        shapes.append(list(x.shape))
    assert [r["output_shape"] for r in result.rows[1:]] == shapes


def test_feature_maps_show_every_layer_with_its_shape():
    teachnn.manual_seed(1)
    model = Net()
    x = teachnn.randn(1, 1, 8, 8)
    fig = viz.feature_maps(model, x)
    expected = [("pool", "MaxPool2d", (1, 1, 4, 4)), ("body.0", "Flatten", (1, 16)),
                ("body.1", "Linear", (1, 8)), ("body.2", "ReLU", (1, 8)),
                ("head", "Linear", (1, 3))]
    assert fig.feature_maps == expected
    assert fig._repr_png_()[0][:4] == b"\x89PNG"
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]
    assert titles[:2] == ["x  (입력) [1, 1, 8, 8]", "pool: MaxPool2d → [1, 1, 4, 4]"]
    # the image of the pool layer holds exactly what the layer computes
    pooled = F.max_pool2d(x, 2)._data[0, 0]
    np.testing.assert_allclose(fig.layer_axes["pool"][0].images[0].get_array(), pooled)
    np.testing.assert_allclose(fig.layer_axes["x"][0].images[0].get_array(), x._data[0, 0])
    with pytest.raises(ValueError, match="Did you mean 'head'"):
        viz.feature_maps(model, x, layers=["haed"])


def test_graph_walks_grad_fn_to_the_leaves():
    teachnn.manual_seed(2)
    model = Net()
    x = teachnn.randn(2, 1, 8, 8)
    loss = F.cross_entropy(model(x), teachnn.tensor([0, 2]))
    fig = viz.graph(loss, params=dict(model.named_parameters()))
    nodes = {n["id"]: n for n in fig.graph_nodes}
    leaves = [n for n in fig.graph_nodes if n["kind"] == "leaf"]
    labels = sorted(n["label"].split("\n")[1] for n in leaves)
    assert labels == sorted(name for name, _ in model.named_parameters())
    for leaf in leaves:
        name = leaf["label"].split("\n")[1]
        shape = list(dict(model.named_parameters())[name].shape)
        assert leaf["label"].endswith("[" + ", ".join(map(str, shape)) + "]")
    ops = [n for n in fig.graph_nodes if n["kind"] == "operation"]
    assert ops[0]["label"].split("\n")[0] == loss.grad_fn.name() and ops[0]["depth"] == 1
    # every edge goes from a deeper node to a shallower one (inputs below outputs)
    for child, parent in fig.graph_edges:
        assert nodes[child]["depth"] > nodes[parent]["depth"]
    # head's parameters are closer to the loss than body's
    depth = {n["label"].split("\n")[1]: n["depth"] for n in leaves}
    assert depth["head.weight"] < depth["body.1.weight"]


def test_graph_of_a_leaf_explains():
    with pytest.raises(ValueError, match="no grad_fn"):
        viz.graph(teachnn.ones(3, requires_grad=True))


@requires_torch
def test_graph_structure_matches_pytorch():
    """Same expression, same graph: node names per depth and leaf shapes agree."""
    def build(lib):
        x = lib.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        w = lib.tensor(np.ones((3, 4)), requires_grad=True)
        b = lib.tensor(np.zeros(4), requires_grad=True)
        return ((x @ w + b).relu() * 2.0).sum()

    def layers(fig):
        out = {}
        for n in fig.graph_nodes:
            out.setdefault(n["depth"], []).append(n["label"].split("\n")[0] if n["kind"] !=
                                                  "leaf" else n["label"].split("\n")[-1])
        return {d: sorted(v) for d, v in out.items()}

    ours, theirs = viz.graph(build(teachnn)), viz.graph(build(torch))
    assert layers(ours) == layers(theirs)


@requires_torch
def test_summary_of_a_cnn_explains_the_flatten_size():
    """The notes' question: where does the Linear layer's input size come from?"""
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3),
                          nn.Flatten(), nn.Linear(8 * 3 * 3, 10))
    tmodel = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(),
                                 torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 8, 3),
                                 torch.nn.Flatten(), torch.nn.Linear(8 * 3 * 3, 10))
    result = viz.summary(model, (1, 1, 12, 12), verbose=False)
    x, shapes = torch.zeros(1, 1, 12, 12), []
    for layer in tmodel:
        x = layer(x)
        shapes.append(list(x.shape))
    assert [r["output_shape"] for r in result.rows[1:]] == shapes
    assert [r["params"] for r in result.rows[1:]] == [
        sum(p.numel() for p in layer.parameters()) for layer in tmodel]
    assert result.rows[4]["output_shape"] == [1, 8, 3, 3]          # 8*3*3 = 72 = Flatten


def test_conv_scene_from_a_real_layer_weight():
    teachnn.manual_seed(3)
    layer = nn.Conv2d(2, 3, 3, bias=False)
    x = teachnn.randn(1, 2, 5, 5)
    scene = viz.conv2d(x, layer.weight, out_channel=2, stride=2)
    np.testing.assert_allclose(scene.plan.result, F.conv2d(x, layer.weight, stride=2)._data[0, 2],
                               rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="out_channel=3 does not exist"):
        viz.conv2d(x, layer.weight, out_channel=3)
