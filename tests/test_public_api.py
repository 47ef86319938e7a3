"""Nothing public disappears when teachnn's insides are rearranged.

The lists below were generated from the code *before* tensor.py was split (``dir()`` of each
namespace, names without a leading underscore, plus Tensor's dunder methods). They are data,
not a copy of the current code: a name removed by a refactoring makes this test fail.
"""
import teachnn
import teachnn.nn.functional as F

TEACHNN = ['BoolTensor', 'ByteTensor', 'CharTensor', 'DoubleTensor', 'FloatTensor', 'Generator', 'HalfTensor',
 'IntTensor', 'LongTensor', 'ShortTensor', 'Size', 'Tensor', 'abs', 'accelerator', 'add', 'all',
 'allclose', 'amax', 'amin', 'any', 'arange', 'argmax', 'argmin', 'argsort', 'argwhere',
 'as_tensor', 'autograd', 'backends', 'bernoulli', 'bincount', 'bmm', 'bool', 'broadcast_to', 'cat',
 'ceil', 'chunk', 'clamp', 'clip', 'clone', 'concat', 'concatenate', 'cos', 'count_nonzero', 'cuda',
 'cumsum', 'default_generator', 'detach', 'device', 'diag', 'div', 'dot', 'double', 'dtype',
 'einsum', 'empty', 'empty_like', 'enable_grad', 'eq', 'equal', 'exp', 'expand_copy', 'expm1',
 'eye', 'flatten', 'flip', 'float', 'float16', 'float32', 'float64', 'floor', 'from_numpy', 'full',
 'full_like', 'gather', 'ge', 'geometry', 'get_default_dtype', 'get_num_threads', 'get_rng_state',
 'gt', 'half', 'index_select', 'inference_mode', 'initial_seed', 'int', 'int16', 'int32', 'int64',
 'int8', 'is_floating_point', 'is_grad_enabled', 'is_tensor', 'isclose', 'isfinite', 'isinf',
 'isnan', 'kernels', 'le', 'linspace', 'load', 'log', 'log1p', 'log_softmax', 'logical_and',
 'logical_not', 'logical_or', 'logsumexp', 'long', 'lt', 'manual_seed', 'masked_fill', 'matmul',
 'max', 'maximum', 'mean', 'meshgrid', 'min', 'minimum', 'mm', 'mul', 'multinomial', 'ne', 'neg',
 'nn', 'no_grad', 'nonzero', 'norm', 'normal', 'numel', 'ones', 'ones_like', 'optim', 'outer',
 'permute', 'pow', 'prod', 'rand', 'rand_like', 'randint', 'randint_like', 'randn', 'randn_like',
 'random', 'randperm', 'reciprocal', 'relu', 'reshape', 'roll', 'round', 'rsqrt', 'save', 'scatter',
 'scatter_add', 'seed', 'set_default_dtype', 'set_grad_enabled', 'set_num_threads',
 'set_printoptions', 'set_rng_state', 'short', 'sigmoid', 'sign', 'sin', 'softmax', 'sort', 'split',
 'sqrt', 'square', 'squeeze', 'stack', 'std', 'sub', 'sum', 't', 'tanh', 'tensor', 'topk',
 'transpose', 'tril', 'triu', 'typename', 'uint8', 'unbind', 'unique', 'unsqueeze', 'utils', 'var',
 'where', 'zeros', 'zeros_like']

TENSOR = ['T', '__abs__', '__add__', '__and__', '__array__', '__array_priority__', '__bool__', '__class__',
 '__contains__', '__deepcopy__', '__delattr__', '__dict__', '__dir__', '__doc__', '__eq__',
 '__float__', '__floordiv__', '__format__', '__ge__', '__getattribute__', '__getitem__',
 '__getstate__', '__gt__', '__hash__', '__iadd__', '__imul__', '__index__', '__init__',
 '__init_subclass__', '__int__', '__invert__', '__isub__', '__iter__', '__itruediv__', '__le__',
 '__len__', '__lt__', '__matmul__', '__mod__', '__module__', '__mul__', '__ne__', '__neg__',
 '__new__', '__or__', '__pos__', '__pow__', '__radd__', '__rand__', '__reduce__', '__reduce_ex__',
 '__repr__', '__rfloordiv__', '__rmatmul__', '__rmul__', '__ror__', '__rpow__', '__rsub__',
 '__rtruediv__', '__rxor__', '__setattr__', '__setitem__', '__sizeof__', '__str__', '__sub__',
 '__subclasshook__', '__truediv__', '__weakref__', '__xor__', 'abs', 'abs_', 'absolute', 'add',
 'add_', 'addcdiv_', 'addcmul_', 'all', 'allclose', 'amax', 'amin', 'any', 'argmax', 'argmin',
 'argsort', 'argwhere', 'backward', 'bernoulli_', 'bmm', 'bool', 'broadcast_to', 'byte', 'ceil',
 'chunk', 'clamp', 'clamp_', 'clamp_max', 'clamp_min', 'clip', 'clip_', 'clone', 'contiguous',
 'copy_', 'cos', 'count_nonzero', 'cpu', 'cuda', 'cumsum', 'data', 'data_ptr', 'detach', 'detach_',
 'device', 'dim', 'div', 'div_', 'divide', 'dot', 'double', 'dtype', 'element_size', 'eq', 'equal',
 'exp', 'exp_', 'expand', 'expand_as', 'expm1', 'exponential_', 'fill_', 'flatten', 'flip', 'float',
 'floor', 'gather', 'ge', 'grad', 'grad_fn', 'greater', 'greater_equal', 'gt', 'half',
 'index_select', 'int', 'is_contiguous', 'is_cuda', 'is_floating_point', 'is_leaf', 'isclose',
 'isfinite', 'isinf', 'isnan', 'item', 'le', 'lerp_', 'less', 'less_equal', 'log', 'log1p',
 'log_softmax', 'logical_and', 'logical_not', 'logical_or', 'logsumexp', 'long', 'lt', 'mT',
 'masked_fill', 'masked_fill_', 'matmul', 'max', 'maximum', 'mean', 'min', 'minimum', 'mm', 'mul',
 'mul_', 'multiply', 'ndim', 'ndimension', 'ne', 'neg', 'neg_', 'negative', 'nelement', 'new_empty',
 'new_full', 'new_ones', 'new_tensor', 'new_zeros', 'nonzero', 'norm', 'normal_', 'not_equal',
 'numel', 'numpy', 'permute', 'pow', 'pow_', 'prod', 'random_', 'reciprocal', 'register_hook',
 'relu', 'relu_', 'remainder', 'repeat', 'requires_grad', 'requires_grad_', 'reshape', 'reshape_as',
 'retain_grad', 'retains_grad', 'roll', 'round', 'rsqrt', 'scatter', 'scatter_', 'scatter_add',
 'scatter_add_', 'shape', 'short', 'sigmoid', 'sign', 'sin', 'size', 'softmax', 'sort', 'split',
 'sqrt', 'sqrt_', 'square', 'squeeze', 'std', 'stride', 'sub', 'sub_', 'subtract', 'sum',
 'swapaxes', 'swapdims', 't', 'tanh', 'to', 'tolist', 'topk', 'transpose', 'tril', 'triu',
 'true_divide', 'type', 'type_as', 'unbind', 'unflatten', 'uniform_', 'unique', 'unsqueeze', 'var',
 'view', 'view_as', 'where', 'zero_']

AUTOGRAD = ['AccumulateGrad', 'BackwardNode', 'Context', 'Function', 'FunctionCtx', 'GradcheckError', 'Node',
 'Variable', 'backward', 'enable_grad', 'engine', 'function', 'grad', 'grad_mode', 'gradcheck',
 'inference_mode', 'is_grad_enabled', 'no_grad', 'set_grad_enabled']

RANDOM_GENERATOR = ['Generator', 'default_generator', 'get_rng_state', 'initial_seed', 'manual_seed', 'seed',
 'set_rng_state']

NN = ['AdaptiveAvgPool1d', 'AdaptiveAvgPool2d', 'AdaptiveAvgPool3d', 'AdaptiveMaxPool1d',
 'AdaptiveMaxPool2d', 'AdaptiveMaxPool3d', 'AvgPool1d', 'AvgPool2d', 'AvgPool3d', 'BCELoss',
 'BCEWithLogitsLoss', 'BatchNorm1d', 'BatchNorm2d', 'BatchNorm3d', 'CELU', 'Conv1d', 'Conv2d',
 'Conv3d', 'ConvTranspose1d', 'ConvTranspose2d', 'ConvTranspose3d', 'CrossEntropyLoss', 'Dropout',
 'Dropout1d', 'Dropout2d', 'ELU', 'Flatten', 'GELU', 'GroupNorm', 'Hardsigmoid', 'Hardswish',
 'Hardtanh', 'HuberLoss', 'Identity', 'L1Loss', 'LPPool1d', 'LPPool2d', 'LPPool3d', 'LayerNorm',
 'LeakyReLU', 'Linear', 'LogSigmoid', 'LogSoftmax', 'MSELoss', 'MaxPool1d', 'MaxPool2d',
 'MaxPool3d', 'MaxUnpool1d', 'MaxUnpool2d', 'MaxUnpool3d', 'Mish', 'Module', 'ModuleDict',
 'ModuleList', 'NLLLoss', 'PReLU', 'Parameter', 'ParameterDict', 'ParameterList', 'ReLU', 'ReLU6',
 'SELU', 'Sequential', 'SiLU', 'Sigmoid', 'SmoothL1Loss', 'Softmax', 'Softmin', 'Softplus',
 'Softsign', 'Tanh', 'Unflatten', 'activation', 'container', 'conv', 'dropout', 'flatten',
 'functional', 'init', 'linear', 'loss', 'module', 'modules', 'normalization', 'parameter',
 'pooling', 'utils']

FUNCTIONAL = ['adaptive_avg_pool1d', 'adaptive_avg_pool2d', 'adaptive_avg_pool3d', 'adaptive_max_pool1d',
 'adaptive_max_pool1d_with_indices', 'adaptive_max_pool2d', 'adaptive_max_pool2d_with_indices',
 'adaptive_max_pool3d', 'adaptive_max_pool3d_with_indices', 'avg_pool1d', 'avg_pool2d',
 'avg_pool3d', 'batch_norm', 'binary_cross_entropy', 'binary_cross_entropy_with_logits', 'celu',
 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d',
 'cross_entropy', 'dropout', 'dropout1d', 'dropout2d', 'elu', 'gelu', 'group_norm', 'hardsigmoid',
 'hardswish', 'hardtanh', 'huber_loss', 'l1_loss', 'layer_norm', 'leaky_relu', 'linear',
 'log_softmax', 'logsigmoid', 'lp_pool1d', 'lp_pool2d', 'lp_pool3d', 'max_pool1d',
 'max_pool1d_with_indices', 'max_pool2d', 'max_pool2d_with_indices', 'max_pool3d',
 'max_pool3d_with_indices', 'max_unpool1d', 'max_unpool2d', 'max_unpool3d', 'mish', 'mse_loss',
 'nll_loss', 'pad', 'prelu', 'relu', 'relu6', 'relu_', 'selu', 'sigmoid', 'silu', 'smooth_l1_loss',
 'softmax', 'softmin', 'softplus', 'softsign', 'tanh']


def _missing(namespace, names):
    return sorted(n for n in names if not hasattr(namespace, n))


def test_teachnn_namespace_kept():
    assert _missing(teachnn, TEACHNN) == []


def test_tensor_methods_kept():
    assert _missing(teachnn.Tensor, TENSOR) == []


def test_autograd_nn_functional_kept():
    assert _missing(teachnn.autograd, AUTOGRAD) == []
    assert _missing(teachnn.nn, NN) == []
    assert _missing(F, FUNCTIONAL) == []


def test_random_generator_api_kept():
    # the tensor factories (rand, randn, ...) are teachnn.rand etc., as torch.rand is
    assert _missing(teachnn.random, RANDOM_GENERATOR) == []
    assert teachnn.manual_seed is not None and teachnn.random.default_generator is teachnn.default_generator


def test_public_functions_still_functions():
    # a name that was a function must not have turned into a module (``teachnn.tensor`` is the factory)
    t = teachnn.tensor([1.0, 2.0])
    assert isinstance(t, teachnn.Tensor) and t.tolist() == [1.0, 2.0]
    assert teachnn.sum(t).item() == 3.0


# pickle.dumps((t, p), protocol=4) made by the code before the split, with
# t = teachnn.tensor([[1.5, -2.0], [0.25, 3.0]], requires_grad=True) and
# p = nn.Parameter(teachnn.tensor([1.0, 2.0])): files saved with teachnn.save still load.
OLD_PICKLE = (
    b'\x80\x04\x95&\x01\x00\x00\x00\x00\x00\x00\x8c\x0eteachnn.tensor\x94\x8c\x0f_rebuild_tensor\x94\x93\x94'
    b'\x8c\x16numpy._core.multiarray\x94\x8c\x0c_reconstruct\x94\x93\x94\x8c\x05numpy\x94\x8c\x07ndarray\x94'
    b'\x93\x94K\x00\x85\x94C\x01b\x94\x87\x94R\x94(K\x01K\x02K\x02\x86\x94h\x06\x8c\x05dtype\x94\x93\x94'
    b'\x8c\x02f4\x94\x89\x88\x87\x94R\x94(K\x03\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t\x94b'
    b'\x89C\x10\x00\x00\xc0?\x00\x00\x00\xc0\x00\x00\x80>\x00\x00@@\x94t\x94b\x88h\x00\x8c\x06Tensor\x94'
    b'\x93\x94\x87\x94R\x94h\x02h\x05h\x08K\x00\x85\x94h\n\x87\x94R\x94(K\x01K\x02\x85\x94h\x12\x89C\x08'
    b'\x00\x00\x80?\x00\x00\x00@\x94t\x94b\x88\x8c\x14teachnn.nn.parameter\x94\x8c\tParameter\x94\x93\x94'
    b'\x87\x94R\x94\x86\x94.'
)


def test_tensors_pickled_before_the_split_still_load():
    import pickle
    t, p = pickle.loads(OLD_PICKLE)
    assert type(t) is teachnn.Tensor and t.requires_grad and t.dtype == teachnn.float32
    assert t.tolist() == [[1.5, -2.0], [0.25, 3.0]]
    assert type(p) is teachnn.nn.Parameter and p.requires_grad and p.tolist() == [1.0, 2.0]
    # and a round trip with the current code
    t2, p2 = pickle.loads(pickle.dumps((t, p)))
    assert t2.tolist() == t.tolist() and type(p2) is teachnn.nn.Parameter
