//===- Passes.td - from a forward model to a training step -*- tablegen -*-===//
#ifndef QUANT4_TRAINING_PASSES_TD
#define QUANT4_TRAINING_PASSES_TD

include "mlir/Pass/PassBase.td"

def Quant4BuildTrainingStep
    : Pass<"quant4-build-training-step", "::mlir::ModuleOp"> {
  let summary = "Build a joint training step (forward, loss, backward, SGD) "
                "from a forward function";
  let description = [{
    For each forward function `@f(%p0, ..., %pN-1, %x) -> logits` (every
    argument but the last is a trainable f32 parameter, the last is the
    batch, f32 or integer token ids, the single result is
    `tensor<BxCxf32>`), adds

    ```mlir
    func.func @f_train_step(%p0, ..., %pN-1,      // parameters
                            %v0, ..., %vN-1,      // momentum buffers
                            %x, %labels: tensor<Bxi32>,
                            %lr: tensor<f32>, %momentum: tensor<f32>,
                            %weight_decay: tensor<f32>)
        -> (new %p0..%pN-1, new %v0..%vN-1,
            %loss: tensor<f32>, %correct: tensor<i32>)
    ```

    computing the forward pass, the mean softmax cross-entropy against
    integer labels (stabilized by subtracting the row maximum), the number
    of correct predictions (first arg-max == label), the gradients by
    reverse-mode differentiation of the forward ops, and SGD with momentum
    and weight decay: `g += wd·p; v = momentum·v + g; p -= lr·v`.

    Every GEMM and convolution of the step carries `quant4.role`
    (`"fwd"`, `"dgrad"` or `"wgrad"`) and `quant4.layer` (the 0-based
    position of its forward GEMM/convolution in the forward function), the
    attributes that role analysis and training recipes consume.

    Every forward op that depends on a parameter is differentiated by its
    derivative rule, an external model of `quant4::AdjointOpInterface`
    (scalar ops of `linalg.generic` bodies: `ScalarAdjointOpInterface`)
    attached by lib/Training/Rules: `linalg.matmul` (also with transposed
    operand maps), `batch_matmul`, `conv_2d_nhwc_hwcf`,
    `depthwise_conv_2d_nhwc_hwc`, `conv_2d_nhwgc_gfhwc`, `pooling_nhwc_max`,
    `pooling_nhwc_sum`, `transpose`, `fill`; `linalg.generic` maps,
    sum/max/min reductions and gathers (`tensor.extract` of a captured
    tensor); named element-wise linalg ops (generalized first); and
    `tensor.collapse_shape/expand_shape/reshape/pad/extract_slice/
    insert_slice/cast`. Ops that do not depend on a parameter are copied
    without a derivative. Any other op that depends on a parameter fails
    the pass with a diagnostic naming it, as does a function with another
    signature. See docs/Training.md.

    With `split=true` the step is two functions instead (docs/Training.md,
    "Split steps"):

    ```mlir
    func.func @f_grad_step(%p0, ..., %pN-1, %x, %labels [, %seed])
        -> (%g0, ..., %gP-1 {quant4.grad = "<param>"}, new buffers,
            %loss, %correct)
    func.func @f_update_step(%p.. {quant4.param}, %g.. {quant4.grad},
                             optimizer state.., hyper-parameters..)
        -> (new parameters, new optimizer state)
    ```

    whose composition computes the same values as `@f_train_step`.
  }];
  // quant4 for its attribute contract (the step's quant4.* attributes are
  // verified by the dialect); the step itself has no quant4 ops.
  let dependentDialects = ["::mlir::quant4::Quant4Dialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::func::FuncDialect"];
  let options = [
    Option<"optimizer", "optimizer", "std::string", "\"sgd\"",
           "The update: sgd (momentum and L2 weight decay) or adamw "
           "(decoupled weight decay, bias-corrected moments)">,
    Option<"split", "split", "bool", "false",
           "Emit the step as two functions: @f_grad_step (forward, loss, "
           "backward: the gradients, the buffers, loss and correct count) "
           "and @f_update_step (the optimizer update from parameters, "
           "gradients and optimizer state), for drivers that combine the "
           "gradients of several steps in between (data-parallel training)">,
    ListOption<"forwardFunctions", "forward", "std::string",
               "Forward functions to differentiate (default: every public "
               "function with a body that is not itself a training step nor a "
               "parameters function, quant4.params_of)">,
  ];
}

def Quant4FoldConvSlices
    : Pass<"quant4-fold-conv-slices", "::mlir::func::FuncOp"> {
  let summary = "Compute only the part of a stride-1 convolution that a "
                "slice keeps";
  let description = [{
    The data gradient of a padded convolution is a stride-1 convolution of
    the spread and padded output gradient with the flipped filter, computed
    for the whole padded input, of which the pad's derivative keeps the
    interior (`tensor.extract_slice`): on ResNet-18 at 28x28, layer4's
    dgrads computed 3x3 outputs of which one is kept (9x the work), layer3's
    4x4 of 2x2. This pass rewrites

    ```mlir
    %p = tensor.insert_slice %g into %zeros[...]      // fill of a constant
    %r = linalg.conv_2d_nhwc_hwcf {strides = 1} ins(%p, %w) outs(%fill)
    %s = tensor.extract_slice %r[0, oh, ow, 0] [n, h, w, f] [1, 1, 1, 1]
    ```

    into the convolution of the input window that `%s` needs,
    `%p[0, oh, ow, 0] [n, h + (kh-1)·dh, w + (kw-1)·dw, c]`, into a fill of
    `%s`'s shape, and folds that window of `%p` into a smaller
    `insert_slice` of `%g` into a fill when `%g` lies inside it. Each kept
    output is the same sum of the same products in the same order (the
    convolution's own discardable attributes, its `quant4.role` and
    `quant4.layer`, move to the new one), so a recipe applied afterwards
    computes the same bits on less work. The convolution must have no
    other use and the slice must keep all of N and F with unit strides.
    `quant4-run train` runs the pass after `quant4-build-training-step`.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // QUANT4_TRAINING_PASSES_TD
