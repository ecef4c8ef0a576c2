# Sourced by the training benchmarks (bench/peers.sh, bench/scaling.sh):
# model_file NAME -> the model file of examples/NAME.mlir, or for resnet18
# torchvision's ResNet-18 with a 1-channel 3x3 stem exported to ONNX as in
# the README (into $tmp, once; PyTorch is installed here when missing, a
# benchmark dependency only). Needs $root, $tmp and $py.
model_file() {
  if [ "$1" != resnet18 ]; then echo "$root/examples/$1.mlir"; return; fi
  if [ ! -f "$tmp/resnet18.onnx" ]; then
    "$py" -c "import torch, torchvision" 2>/dev/null || {
      sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
      DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q \
        --no-install-recommends python3-torch python3-torchvision >&2; }
    (cd "$tmp" && "$py" -c "import torch, torchvision; m = torchvision.models.resnet18(num_classes=10); \
m.conv1 = torch.nn.Conv2d(1, 64, 3, 1, 1, bias=False); m.maxpool = torch.nn.Identity(); \
torch.onnx.export(m, torch.zeros(1, 1, 28, 28), 'resnet18.onnx', training=torch.onnx.TrainingMode.TRAINING, \
do_constant_folding=False, input_names=['x'], dynamic_axes={'x': {0: 'N'}}, opset_version=15)" >/dev/null 2>&1)
  fi
  echo "$tmp/resnet18.onnx"
}
