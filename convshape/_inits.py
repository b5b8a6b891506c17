"""The generated ``__init__`` of every spec class of convshape, compiled ahead (see
``convshape._frozen._make_init``).  Written by ``python -m convshape._frozen``: do not edit;
tests/test_core.py checks that it matches the classes."""

INITS = {}


def __init__(self, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (name,))
  else:
    _set(self, '__class__', twin)
    try:
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.attention.MatMul'] = (((), ('name',), ('name',), True), __init__.__code__)


def __init__(self, embed_dim, num_heads, *, bias=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (embed_dim, num_heads, bias, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.embed_dim = embed_dim if embed_dim.__class__ in _plain else _integral(embed_dim)
      self.num_heads = num_heads if num_heads.__class__ in _plain else _integral(num_heads)
      self.bias = bias if bias.__class__ in _plain else _integral(bias)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.attention.MultiheadAttention'] = ((('embed_dim', 'num_heads'), ('bias', 'name'), ('bias', 'name'), True), __init__.__code__)


def __init__(self, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (name,))
  else:
    _set(self, '__class__', twin)
    try:
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.attention.ScaledDotProductAttention'] = (((), ('name',), ('name',), True), __init__.__code__)


def __init__(self, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (name,))
  else:
    _set(self, '__class__', twin)
    try:
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.containers.Add'] = ((('name',), (), ('name',), True), __init__.__code__)


def __init__(self, axis=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (axis, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.axis = axis if axis.__class__ in _plain else _integral(axis)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.containers.Cat'] = ((('axis', 'name'), (), ('axis', 'name'), True), __init__.__code__)


def __init__(self, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (name,))
  else:
    _set(self, '__class__', twin)
    try:
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.containers.CropCat'] = ((('name',), (), ('name',), True), __init__.__code__)


def __init__(self, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (name,))
  else:
    _set(self, '__class__', twin)
    try:
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.containers.Multiply'] = ((('name',), (), ('name',), True), __init__.__code__)


def __init__(self, shape, *, op=None, params=None, macs=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (shape, op, params, macs, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.shape = shape if shape.__class__ in _plain else _integral(shape)
      self.op = op if op.__class__ in _plain else _integral(op)
      self.params = params if params.__class__ in _plain else _integral(params)
      self.macs = macs if macs.__class__ in _plain else _integral(macs)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.elementwise.Learned'] = ((('shape',), ('op', 'params', 'macs', 'name'), ('op', 'params', 'macs', 'name'), True), __init__.__code__)


def __init__(self, num_parameters=None, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (num_parameters, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.num_parameters = num_parameters if num_parameters.__class__ in _plain else _integral(num_parameters)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.elementwise.PReLU'] = ((('num_parameters',), ('name',), ('num_parameters', 'name'), True), __init__.__code__)


def __init__(self, axis=None, *, log=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (axis, log, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.axis = axis if axis.__class__ in _plain else _integral(axis)
      self.log = log if log.__class__ in _plain else _integral(log)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.elementwise.Softmax'] = ((('axis',), ('log', 'name'), ('axis', 'log', 'name'), True), __init__.__code__)


def __init__(self, p=None, *, mode=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (p, mode, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.p = p if p.__class__ in _plain else _integral(p)
      self.mode = mode if mode.__class__ in _plain else _integral(mode)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.elementwise.StochasticDepth'] = ((('p',), ('mode', 'name'), ('p', 'mode', 'name'), True), __init__.__code__)


def __init__(self, function=None, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (function, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.function = function if function.__class__ in _plain else _integral(function)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.Activation'] = ((('function',), ('name',), ('function', 'name'), True), __init__.__code__)


def __init__(self, output_size, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (output_size, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.output_size = output_size if output_size.__class__ in _plain else _integral(output_size)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.AdaptiveAvgPool'] = ((('output_size',), ('name',), ('name',), True), __init__.__code__)


def __init__(self, output_size, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (output_size, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.output_size = output_size if output_size.__class__ in _plain else _integral(output_size)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.AdaptiveMaxPool'] = ((('output_size',), ('name',), ('name',), True), __init__.__code__)


def __init__(self, kernel_size, *, stride=None, padding=None, dilation=None, ceil_mode=None, convention=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (kernel_size, stride, padding, dilation, ceil_mode, convention, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.kernel_size = kernel_size if kernel_size.__class__ in _plain else _integral(kernel_size)
      self.stride = stride if stride.__class__ in _plain else _integral(stride)
      self.padding = padding if padding.__class__ in _plain else _integral(padding)
      self.dilation = dilation if dilation.__class__ in _plain else _integral(dilation)
      self.ceil_mode = ceil_mode if ceil_mode.__class__ in _plain else _integral(ceil_mode)
      self.convention = convention if convention.__class__ in _plain else _integral(convention)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.AvgPool'] = ((('kernel_size',), ('stride', 'padding', 'dilation', 'ceil_mode', 'convention', 'name'), ('stride', 'padding', 'dilation', 'ceil_mode', 'convention', 'name'), True), __init__.__code__)


def __init__(self, *, affine=None, center=None, scale=None, batches_tracked=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (affine, center, scale, batches_tracked, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.affine = affine if affine.__class__ in _plain else _integral(affine)
      self.center = center if center.__class__ in _plain else _integral(center)
      self.scale = scale if scale.__class__ in _plain else _integral(scale)
      self.batches_tracked = batches_tracked if batches_tracked.__class__ in _plain else _integral(batches_tracked)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.BatchNorm'] = (((), ('affine', 'center', 'scale', 'batches_tracked', 'name'), ('affine', 'center', 'scale', 'batches_tracked', 'name'), True), __init__.__code__)


def __init__(self, out_channels, kernel_size, *, stride=None, padding=None, dilation=None, groups=None, bias=None, in_channels=None, connections=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (out_channels, kernel_size, stride, padding, dilation, groups, bias, in_channels, connections, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.out_channels = out_channels if out_channels.__class__ in _plain else _integral(out_channels)
      self.kernel_size = kernel_size if kernel_size.__class__ in _plain else _integral(kernel_size)
      self.stride = stride if stride.__class__ in _plain else _integral(stride)
      self.padding = padding if padding.__class__ in _plain else _integral(padding)
      self.dilation = dilation if dilation.__class__ in _plain else _integral(dilation)
      self.groups = groups if groups.__class__ in _plain else _integral(groups)
      self.bias = bias if bias.__class__ in _plain else _integral(bias)
      self.in_channels = in_channels if in_channels.__class__ in _plain else _integral(in_channels)
      self.connections = connections if connections.__class__ in _plain else _integral(connections)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.Conv'] = ((('out_channels', 'kernel_size'), ('stride', 'padding', 'dilation', 'groups', 'bias', 'in_channels', 'connections', 'name'), ('stride', 'padding', 'dilation', 'groups', 'bias', 'in_channels', 'connections', 'name'), True), __init__.__code__)


def __init__(self, out_channels, kernel_size, *, stride=None, padding=None, output_padding=None, dilation=None, groups=None, bias=None, in_channels=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (out_channels, kernel_size, stride, padding, output_padding, dilation, groups, bias, in_channels, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.out_channels = out_channels if out_channels.__class__ in _plain else _integral(out_channels)
      self.kernel_size = kernel_size if kernel_size.__class__ in _plain else _integral(kernel_size)
      self.stride = stride if stride.__class__ in _plain else _integral(stride)
      self.padding = padding if padding.__class__ in _plain else _integral(padding)
      self.output_padding = output_padding if output_padding.__class__ in _plain else _integral(output_padding)
      self.dilation = dilation if dilation.__class__ in _plain else _integral(dilation)
      self.groups = groups if groups.__class__ in _plain else _integral(groups)
      self.bias = bias if bias.__class__ in _plain else _integral(bias)
      self.in_channels = in_channels if in_channels.__class__ in _plain else _integral(in_channels)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.ConvTranspose'] = ((('out_channels', 'kernel_size'), ('stride', 'padding', 'output_padding', 'dilation', 'groups', 'bias', 'in_channels', 'name'), ('stride', 'padding', 'output_padding', 'dilation', 'groups', 'bias', 'in_channels', 'name'), True), __init__.__code__)


def __init__(self, p=None, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (p, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.p = p if p.__class__ in _plain else _integral(p)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.Dropout'] = ((('p',), ('name',), ('p', 'name'), True), __init__.__code__)


def __init__(self, out_features, *, in_features=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (out_features, in_features, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.out_features = out_features if out_features.__class__ in _plain else _integral(out_features)
      self.in_features = in_features if in_features.__class__ in _plain else _integral(in_features)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.EuclideanRBF'] = ((('out_features',), ('in_features', 'name'), ('in_features', 'name'), True), __init__.__code__)


def __init__(self, start_dim=None, end_dim=None, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (start_dim, end_dim, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.start_dim = start_dim if start_dim.__class__ in _plain else _integral(start_dim)
      self.end_dim = end_dim if end_dim.__class__ in _plain else _integral(end_dim)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.Flatten'] = ((('start_dim', 'end_dim'), ('name',), ('start_dim', 'end_dim', 'name'), True), __init__.__code__)


def __init__(self, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (name,))
  else:
    _set(self, '__class__', twin)
    try:
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.Identity'] = (((), ('name',), ('name',), True), __init__.__code__)


def __init__(self, out_features, *, bias=None, in_features=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (out_features, bias, in_features, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.out_features = out_features if out_features.__class__ in _plain else _integral(out_features)
      self.bias = bias if bias.__class__ in _plain else _integral(bias)
      self.in_features = in_features if in_features.__class__ in _plain else _integral(in_features)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.Linear'] = ((('out_features',), ('bias', 'in_features', 'name'), ('bias', 'in_features', 'name'), True), __init__.__code__)


def __init__(self, kernel_size, *, stride=None, padding=None, dilation=None, ceil_mode=None, convention=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (kernel_size, stride, padding, dilation, ceil_mode, convention, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.kernel_size = kernel_size if kernel_size.__class__ in _plain else _integral(kernel_size)
      self.stride = stride if stride.__class__ in _plain else _integral(stride)
      self.padding = padding if padding.__class__ in _plain else _integral(padding)
      self.dilation = dilation if dilation.__class__ in _plain else _integral(dilation)
      self.ceil_mode = ceil_mode if ceil_mode.__class__ in _plain else _integral(ceil_mode)
      self.convention = convention if convention.__class__ in _plain else _integral(convention)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.MaxPool'] = ((('kernel_size',), ('stride', 'padding', 'dilation', 'ceil_mode', 'convention', 'name'), ('stride', 'padding', 'dilation', 'ceil_mode', 'convention', 'name'), True), __init__.__code__)


def __init__(self, padding, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (padding, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.padding = padding if padding.__class__ in _plain else _integral(padding)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.Pad'] = ((('padding',), ('name',), ('name',), True), __init__.__code__)


def __init__(self, layer, *, params=None, of=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (layer, params, of, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.layer = layer if layer.__class__ in _plain else _integral(layer)
      self.params = params if params.__class__ in _plain else _integral(params)
      self.of = of if of.__class__ in _plain else _integral(of)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.Shared'] = ((('layer',), ('params', 'of', 'name'), ('params', 'of', 'name'), True), __init__.__code__)


def __init__(self, kernel_size, *, stride=None, padding=None, ceil_mode=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (kernel_size, stride, padding, ceil_mode, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.kernel_size = kernel_size if kernel_size.__class__ in _plain else _integral(kernel_size)
      self.stride = stride if stride.__class__ in _plain else _integral(stride)
      self.padding = padding if padding.__class__ in _plain else _integral(padding)
      self.ceil_mode = ceil_mode if ceil_mode.__class__ in _plain else _integral(ceil_mode)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.Subsample'] = ((('kernel_size',), ('stride', 'padding', 'ceil_mode', 'name'), ('stride', 'padding', 'ceil_mode', 'name'), True), __init__.__code__)


def __init__(self, params, *, module=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (params, module, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.params = params if params.__class__ in _plain else _integral(params)
      self.module = module if module.__class__ in _plain else _integral(module)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.Unused'] = ((('params',), ('module', 'name'), ('module', 'name'), True), __init__.__code__)


def __init__(self, *, scale_factor=None, size=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (scale_factor, size, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.scale_factor = scale_factor if scale_factor.__class__ in _plain else _integral(scale_factor)
      self.size = size if size.__class__ in _plain else _integral(size)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.layers.Upsample'] = (((), ('scale_factor', 'size', 'name'), ('scale_factor', 'size', 'name'), True), __init__.__code__)


def __init__(self, num_groups, *, affine=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (num_groups, affine, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.num_groups = num_groups if num_groups.__class__ in _plain else _integral(num_groups)
      self.affine = affine if affine.__class__ in _plain else _integral(affine)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.normalization.GroupNorm'] = ((('num_groups',), ('affine', 'name'), ('affine', 'name'), True), __init__.__code__)


def __init__(self, *, affine=None, track_running_stats=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (affine, track_running_stats, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.affine = affine if affine.__class__ in _plain else _integral(affine)
      self.track_running_stats = track_running_stats if track_running_stats.__class__ in _plain else _integral(track_running_stats)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.normalization.InstanceNorm'] = (((), ('affine', 'track_running_stats', 'name'), ('affine', 'track_running_stats', 'name'), True), __init__.__code__)


def __init__(self, normalized_dims=None, *, channels_first=None, elementwise_affine=None, bias=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (normalized_dims, channels_first, elementwise_affine, bias, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.normalized_dims = normalized_dims if normalized_dims.__class__ in _plain else _integral(normalized_dims)
      self.channels_first = channels_first if channels_first.__class__ in _plain else _integral(channels_first)
      self.elementwise_affine = elementwise_affine if elementwise_affine.__class__ in _plain else _integral(elementwise_affine)
      self.bias = bias if bias.__class__ in _plain else _integral(bias)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.normalization.LayerNorm'] = ((('normalized_dims',), ('channels_first', 'elementwise_affine', 'bias', 'name'), ('normalized_dims', 'channels_first', 'elementwise_affine', 'bias', 'name'), True), __init__.__code__)


def __init__(self, size, *, alpha=None, beta=None, k=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (size, alpha, beta, k, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.size = size if size.__class__ in _plain else _integral(size)
      self.alpha = alpha if alpha.__class__ in _plain else _integral(alpha)
      self.beta = beta if beta.__class__ in _plain else _integral(beta)
      self.k = k if k.__class__ in _plain else _integral(k)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.normalization.LocalResponseNorm'] = ((('size',), ('alpha', 'beta', 'k', 'name'), ('alpha', 'beta', 'k', 'name'), True), __init__.__code__)


def __init__(self, path, label, kind, input_shape, output_shape, kernels, params, buffers, macs, receptive_field, rows, notes):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (path, label, kind, input_shape, output_shape, kernels, params, buffers, macs, receptive_field, rows, notes))
  else:
    _set(self, '__class__', twin)
    try:
      self.path = path if path.__class__ in _plain else _integral(path)
      self.label = label if label.__class__ in _plain else _integral(label)
      self.kind = kind if kind.__class__ in _plain else _integral(kind)
      self.input_shape = input_shape if input_shape.__class__ in _plain else _integral(input_shape)
      self.output_shape = output_shape if output_shape.__class__ in _plain else _integral(output_shape)
      self.kernels = kernels if kernels.__class__ in _plain else _integral(kernels)
      self.params = params if params.__class__ in _plain else _integral(params)
      self.buffers = buffers if buffers.__class__ in _plain else _integral(buffers)
      self.macs = macs if macs.__class__ in _plain else _integral(macs)
      self.receptive_field = receptive_field if receptive_field.__class__ in _plain else _integral(receptive_field)
      self.rows = rows if rows.__class__ in _plain else _integral(rows)
      self.notes = notes if notes.__class__ in _plain else _integral(notes)
    finally:
      self.__class__ = cls
INITS['convshape.render.Line'] = ((('path', 'label', 'kind', 'input_shape', 'output_shape', 'kernels', 'params', 'buffers', 'macs', 'receptive_field', 'rows', 'notes'), (), (), False), __init__.__code__)


def __init__(self, batch_size, dtype, dtype_bytes, params, buffers, input_bytes, forward_backward_bytes, params_bytes, buffers_bytes, activation_bytes):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (batch_size, dtype, dtype_bytes, params, buffers, input_bytes, forward_backward_bytes, params_bytes, buffers_bytes, activation_bytes))
  else:
    _set(self, '__class__', twin)
    try:
      self.batch_size = batch_size if batch_size.__class__ in _plain else _integral(batch_size)
      self.dtype = dtype if dtype.__class__ in _plain else _integral(dtype)
      self.dtype_bytes = dtype_bytes if dtype_bytes.__class__ in _plain else _integral(dtype_bytes)
      self.params = params if params.__class__ in _plain else _integral(params)
      self.buffers = buffers if buffers.__class__ in _plain else _integral(buffers)
      self.input_bytes = input_bytes if input_bytes.__class__ in _plain else _integral(input_bytes)
      self.forward_backward_bytes = forward_backward_bytes if forward_backward_bytes.__class__ in _plain else _integral(forward_backward_bytes)
      self.params_bytes = params_bytes if params_bytes.__class__ in _plain else _integral(params_bytes)
      self.buffers_bytes = buffers_bytes if buffers_bytes.__class__ in _plain else _integral(buffers_bytes)
      self.activation_bytes = activation_bytes if activation_bytes.__class__ in _plain else _integral(activation_bytes)
    finally:
      self.__class__ = cls
INITS['convshape.render.Memory'] = ((('batch_size', 'dtype', 'dtype_bytes', 'params', 'buffers', 'input_bytes', 'forward_backward_bytes', 'params_bytes', 'buffers_bytes', 'activation_bytes'), (), (), False), __init__.__code__)


def __init__(self, size, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (size, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.size = size if size.__class__ in _plain else _integral(size)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.reshaping.CenterCrop'] = ((('size',), ('name',), ('name',), True), __init__.__code__)


def __init__(self, groups, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (groups, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.groups = groups if groups.__class__ in _plain else _integral(groups)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.reshaping.ChannelShuffle'] = ((('groups',), ('name',), ('name',), True), __init__.__code__)


def __init__(self, chunks, index, *, axis=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (chunks, index, axis, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.chunks = chunks if chunks.__class__ in _plain else _integral(chunks)
      self.index = index if index.__class__ in _plain else _integral(index)
      self.axis = axis if axis.__class__ in _plain else _integral(axis)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.reshaping.Chunk'] = ((('chunks', 'index'), ('axis', 'name'), ('axis', 'name'), True), __init__.__code__)


def __init__(self, cropping, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (cropping, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.cropping = cropping if cropping.__class__ in _plain else _integral(cropping)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.reshaping.Crop'] = ((('cropping',), ('name',), ('name',), True), __init__.__code__)


def __init__(self, shape, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (shape, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.shape = shape if shape.__class__ in _plain else _integral(shape)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.reshaping.Expand'] = ((('shape',), ('name',), ('name',), True), __init__.__code__)


def __init__(self, dims, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (dims, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.dims = dims if dims.__class__ in _plain else _integral(dims)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.reshaping.Permute'] = ((('dims',), ('name',), ('name',), True), __init__.__code__)


def __init__(self, factor, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (factor, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.factor = factor if factor.__class__ in _plain else _integral(factor)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.reshaping.PixelShuffle'] = ((('factor',), ('name',), ('name',), True), __init__.__code__)


def __init__(self, factor, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (factor, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.factor = factor if factor.__class__ in _plain else _integral(factor)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.reshaping.PixelUnshuffle'] = ((('factor',), ('name',), ('name',), True), __init__.__code__)


def __init__(self, op, axes, *, keepdim=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (op, axes, keepdim, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.op = op if op.__class__ in _plain else _integral(op)
      self.axes = axes if axes.__class__ in _plain else _integral(axes)
      self.keepdim = keepdim if keepdim.__class__ in _plain else _integral(keepdim)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.reshaping.Reduce'] = ((('op', 'axes'), ('keepdim', 'name'), ('keepdim', 'name'), True), __init__.__code__)


def __init__(self, shape, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (shape, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.shape = shape if shape.__class__ in _plain else _integral(shape)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.reshaping.Reshape'] = ((('shape',), ('name',), ('name',), True), __init__.__code__)


def __init__(self, axis, start=None, stop=None, step=None, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (axis, start, stop, step, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.axis = axis if axis.__class__ in _plain else _integral(axis)
      self.start = start if start.__class__ in _plain else _integral(start)
      self.stop = stop if stop.__class__ in _plain else _integral(stop)
      self.step = step if step.__class__ in _plain else _integral(step)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.reshaping.Slice'] = ((('axis', 'start', 'stop', 'step'), ('name',), ('start', 'stop', 'step', 'name'), True), __init__.__code__)


def __init__(self, *, sizes=None, chunks=None, axis=None, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (sizes, chunks, axis, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.sizes = sizes if sizes.__class__ in _plain else _integral(sizes)
      self.chunks = chunks if chunks.__class__ in _plain else _integral(chunks)
      self.axis = axis if axis.__class__ in _plain else _integral(axis)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.reshaping.Split'] = (((), ('sizes', 'chunks', 'axis', 'name'), ('sizes', 'chunks', 'axis', 'name'), True), __init__.__code__)


def __init__(self, dims=None, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (dims, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.dims = dims if dims.__class__ in _plain else _integral(dims)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.reshaping.Squeeze'] = ((('dims',), ('name',), ('dims', 'name'), True), __init__.__code__)


def __init__(self, dim0, dim1, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (dim0, dim1, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.dim0 = dim0 if dim0.__class__ in _plain else _integral(dim0)
      self.dim1 = dim1 if dim1.__class__ in _plain else _integral(dim1)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.reshaping.Transpose'] = ((('dim0', 'dim1'), ('name',), ('name',), True), __init__.__code__)


def __init__(self, dim, *, name=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (dim, name))
  else:
    _set(self, '__class__', twin)
    try:
      self.dim = dim if dim.__class__ in _plain else _integral(dim)
      self.name = name if name.__class__ in _plain else _integral(name)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.reshaping.Unsqueeze'] = ((('dim',), ('name',), ('name',), True), __init__.__code__)


def __init__(self, fan_in, *, seed=None):
  cls = self.__class__
  twin = cls._open
  if twin is None or twin._twin_of is not cls:
    twin = _open_twin(cls)
  if twin is None:
    _store(self, _names, (fan_in, seed))
  else:
    _set(self, '__class__', twin)
    try:
      self.fan_in = fan_in if fan_in.__class__ in _plain else _integral(fan_in)
      self.seed = seed if seed.__class__ in _plain else _integral(seed)
    finally:
      self.__class__ = cls
  try:
    self.__post_init__()
  except ValueError as err:
    _fill(self, err)
    raise
INITS['convshape.tables.RandomTable'] = ((('fan_in',), ('seed',), ('seed',), True), __init__.__code__)
