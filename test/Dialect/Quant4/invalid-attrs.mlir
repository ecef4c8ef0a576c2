// RUN: quant4-opt %s -split-input-file -verify-diagnostics
// Every rule of the quant4 attribute contract (docs/Recipes.md, "The
// attribute contract", A1-A7), checked by the dialect's attribute verifiers.

// A1: an undeclared quant4 attribute on an operation.
// expected-error@+1 {{'func.func' op unknown attribute 'quant4.foo' (quant4 declares quant4.role, quant4.layer, quant4.layer_name, quant4.recipe, quant4.counter, quant4.counters, quant4.profile_regions, quant4.num_layers, quant4.forward, quant4.init_state_of, quant4.calibrate_state_of, quant4.params_of, quant4.signature on operations)}}
func.func @unknown_op_attr() attributes {quant4.foo = 1 : i64} {
  return
}

// -----

// A1: on an argument.
// expected-error@+1 {{'func.func' op argument 0: unknown attribute 'quant4.weight' (quant4 declares quant4.param, quant4.momentum, quant4.second_moment, quant4.buffer, quant4.state, quant4.grad, quant4.hyper, quant4.seed, quant4.batch, quant4.non_negative, quant4.labels on function arguments)}}
func.func @unknown_arg_attr(%a: tensor<f32> {quant4.weight = "w"}) {
  return
}

// -----

// A1: on a result.
// expected-error@+1 {{'func.func' op result 0: unknown attribute 'quant4.logits' (quant4 declares quant4.param, quant4.momentum, quant4.second_moment, quant4.buffer, quant4.state, quant4.state_grad, quant4.grad, quant4.loss, quant4.correct on function results)}}
func.func @unknown_result_attr(%a: tensor<f32>) -> (tensor<f32> {quant4.logits}) {
  return %a : tensor<f32>
}

// -----

// A2: an argument/result attribute on an operation.
func.func @param_on_op(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error@+1 {{'linalg.matmul' op attribute 'quant4.param' belongs on function arguments and results, not on this operation}}
  %y = linalg.matmul {quant4.param = "w"} ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// A2: a function attribute on another operation.
func.func @forward_on_op(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error@+1 {{'linalg.matmul' op attribute 'quant4.forward' belongs on functions, not on this operation}}
  %y = linalg.matmul {quant4.forward = @f} ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// A2: a result attribute on an argument.
// expected-error@+1 {{'func.func' op argument 0: attribute 'quant4.loss' belongs on function results, not on function argument}}
func.func @loss_on_arg(%a: tensor<f32> {quant4.loss}) {
  return
}

// -----

// A2: an argument attribute on a result.
// expected-error@+1 {{'func.func' op result 0: attribute 'quant4.seed' belongs on function arguments, not on function result}}
func.func @seed_on_result(%a: i64) -> (i64 {quant4.seed}) {
  return %a : i64
}

// -----

// A2: quant4.state_grad is a result attribute.
// expected-error@+1 {{'func.func' op argument 0: attribute 'quant4.state_grad' belongs on function results, not on function argument}}
func.func @state_grad_on_arg(%a: tensor<f32> {quant4.state_grad = "fc.act.pact_alpha"}) {
  return
}

// -----

// A2: an operation attribute on an argument.
// expected-error@+1 {{'func.func' op argument 0: attribute 'quant4.role' belongs on operations, not on function argument}}
func.func @role_on_arg(%a: tensor<f32> {quant4.role = "fwd"}) {
  return
}

// -----

// A3: quant4.role must be a string.
func.func @role_kind(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error@+1 {{'linalg.matmul' op attribute 'quant4.role' must be a string: "fwd", "dgrad" or "wgrad", got 1 : i64}}
  %y = linalg.matmul {quant4.role = 1} ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// A3: quant4.layer is a non-negative integer.
func.func @layer_kind(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error@+1 {{'linalg.matmul' op attribute 'quant4.layer' must be a non-negative integer, got "one"}}
  %y = linalg.matmul {quant4.layer = "one"} ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

func.func @layer_negative(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error@+1 {{'linalg.matmul' op attribute 'quant4.layer' must be a non-negative integer, got -1 : i64}}
  %y = linalg.matmul {quant4.layer = -1} ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// A3: quant4.layer_name is a non-empty string.
func.func @layer_name_empty(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error@+1 {{'linalg.matmul' op attribute 'quant4.layer_name' must be a non-empty string, got ""}}
  %y = linalg.matmul {quant4.layer_name = ""} ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// A3: quant4.num_layers is a non-negative integer.
// expected-error@+1 {{'func.func' op attribute 'quant4.num_layers' must be a non-negative integer, got 2.000000e+00 : f32}}
func.func @num_layers_kind() attributes {quant4.num_layers = 2.0 : f32} {
  return
}

// -----

// A3: quant4.forward and quant4.init_state_of are symbol references.
// expected-error@+1 {{'func.func' op attribute 'quant4.forward' must be a symbol reference (@name), got "f"}}
func.func @forward_kind() attributes {quant4.forward = "f"} {
  return
}

// -----

// expected-error@+1 {{'func.func' op attribute 'quant4.init_state_of' must be a symbol reference (@name), got unit}}
func.func @init_state_of_kind() attributes {quant4.init_state_of} {
  return
}

// -----

// quant4.params_of (the ONNX importer's parameters function) too.
// expected-error@+1 {{'func.func' op attribute 'quant4.params_of' must be a symbol reference (@name), got "main"}}
func.func @params_of_kind() -> tensor<2xf32> attributes {quant4.params_of = "main"} {
  %c = arith.constant dense<1.0> : tensor<2xf32>
  return %c : tensor<2xf32>
}

// -----

// A2: quant4.params_of belongs on functions.
func.func @params_of_on_op(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error@+1 {{'linalg.matmul' op attribute 'quant4.params_of' belongs on functions, not on this operation}}
  %y = linalg.matmul {quant4.params_of = @f} ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// A3: quant4.signature is a function type.
// expected-error@+1 {{'func.func' op attribute 'quant4.signature' must be a function type, got i32}}
func.func @signature_kind() attributes {quant4.signature = i32} {
  return
}

// -----

// A3: quant4.param is a non-empty string.
// expected-error@+1 {{'func.func' op argument 0: attribute 'quant4.param' must be a non-empty string, got unit}}
func.func @param_kind(%w: tensor<4xf32> {quant4.param}) {
  return
}

// -----

// A3: marker attributes carry no value.
// expected-error@+1 {{'func.func' op argument 0: attribute 'quant4.seed' must be a unit attribute (no value), got 1 : i64}}
func.func @seed_kind(%s: i64 {quant4.seed = 1}) {
  return
}

// -----

// A3: the data-sign marker carries no value either.
// expected-error@+1 {{'func.func' op argument 0: attribute 'quant4.non_negative' must be a unit attribute (no value), got true}}
func.func @non_negative_kind(%x: tensor<2x4xf32> {quant4.non_negative = true}) {
  return
}

// -----

// A2: the data-sign marker is a promise about an argument, not a result.
// expected-error@+1 {{'func.func' op result 0: attribute 'quant4.non_negative' belongs on function arguments, not on function result}}
func.func @non_negative_on_result(%x: tensor<2x4xf32>) -> (tensor<2x4xf32> {quant4.non_negative}) {
  return %x : tensor<2x4xf32>
}

// -----

// expected-error@+1 {{'func.func' op result 0: attribute 'quant4.correct' must be a unit attribute (no value), got "yes"}}
func.func @correct_kind(%c: tensor<i32>) -> (tensor<i32> {quant4.correct = "yes"}) {
  return %c : tensor<i32>
}

// -----

// A4: the legal roles (the analysis has its own message for roles set by a
// pass before verification).
func.func @bad_role(%a: tensor<8x16xf32>, %b: tensor<16x4xf32>, %c: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error@+1 {{'linalg.matmul' op attribute 'quant4.role' = "sideways" is not a GEMM role (expected "fwd", "dgrad" or "wgrad")}}
  %y = linalg.matmul {quant4.role = "sideways"} ins(%a, %b : tensor<8x16xf32>, tensor<16x4xf32>) outs(%c : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %y : tensor<8x4xf32>
}

// -----

// A4: the legal recipes.
func.func @bad_recipe(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error@+1 {{'linalg.matmul' op attribute 'quant4.recipe' = "int3" is not a recipe (expected "ultralow4", "luq", "mxfp4", "nvfp4", "fp8" or "fp32")}}
  %y = linalg.matmul {quant4.recipe = "int3"} ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// A4: the legal hyper-parameters.
// expected-error@+1 {{'func.func' op argument 0: attribute 'quant4.hyper' = "beta" is not a hyper-parameter (expected "lr", "momentum", "weight_decay", "beta1", "beta2", "epsilon" or "step")}}
func.func @bad_hyper(%h: tensor<f32> {quant4.hyper = "beta"}) {
  return
}

// -----

// A5: one role per argument.
// expected-error@+1 {{'func.func' op argument 0: carries both 'quant4.param' and 'quant4.state'; an argument or result of a step has one role}}
func.func @two_slots_arg(%w: tensor<4xf32> {quant4.param = "w", quant4.state = "w.act.scale"}) {
  return
}

// -----

// A5: one role per result.
// expected-error@+1 {{'func.func' op result 0: carries both 'quant4.correct' and 'quant4.loss'; an argument or result of a step has one role}}
func.func @two_slots_result(%l: tensor<f32>) -> (tensor<f32> {quant4.loss, quant4.correct}) {
  return %l : tensor<f32>
}

// -----

// A6: state names are <layer>.<site>.<kind>.
// expected-error@+1 {{'func.func' op argument 0: attribute 'quant4.state' = "fc1.pact_alpha" is not a state name "<layer>.<site>.<kind>" (site act, weight, grad, dgrad, wgrad; kind pact_alpha, gradscale, amax_history, scale)}}
func.func @state_no_site(%s: tensor<f32> {quant4.state = "fc1.pact_alpha"}) {
  return
}

// -----

// expected-error@+1 {{'func.func' op result 0: attribute 'quant4.state' = "fc1.act.alpha" is not a state name}}
func.func @state_bad_kind(%s: tensor<f32>) -> (tensor<f32> {quant4.state = "fc1.act.alpha"}) {
  return %s : tensor<f32>
}

// -----

// expected-error@+1 {{'func.func' op result 0: attribute 'quant4.state_grad' = ".act.pact_alpha" is not a state name}}
func.func @state_grad_no_layer(%s: tensor<f32>) -> (tensor<f32> {quant4.state_grad = ".act.pact_alpha"}) {
  return %s : tensor<f32>
}

// -----

// A6: a state name is a string (argument 0: a layer name may contain dots).
// expected-error@+1 {{'func.func' op argument 1: attribute 'quant4.state' must be a string "<layer>.<site>.<kind>", got 0 : i64}}
func.func @state_kind(%t: tensor<f32> {quant4.state = "fc1.weight.act.pact_alpha"}, %s: tensor<f32> {quant4.state = 0}) {
  return
}

// -----

// A3: quant4.buffer and quant4.second_moment are non-empty strings.
// expected-error@+1 {{'func.func' op argument 0: attribute 'quant4.buffer' must be a non-empty string, got ""}}
func.func @buffer_empty(%a: tensor<4xf32> {quant4.buffer = ""}) {
  return
}

// -----

// expected-error@+1 {{'func.func' op result 0: attribute 'quant4.second_moment' must be a non-empty string, got unit}}
func.func @second_moment_unit() -> (tensor<4xf32> {quant4.second_moment}) {
  %c = arith.constant dense<0.0> : tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

// A3: quant4.grad (a split step's gradient) is a non-empty string, on
// arguments and results.
// expected-error@+1 {{'func.func' op result 0: attribute 'quant4.grad' must be a non-empty string, got 1 : i64}}
func.func @grad_integer() -> (tensor<4xf32> {quant4.grad = 1}) {
  %c = arith.constant dense<0.0> : tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----

// expected-error@+1 {{'func.func' op argument 0: attribute 'quant4.grad' must be a non-empty string, got ""}}
func.func @grad_empty(%a: tensor<4xf32> {quant4.grad = ""}) {
  return
}

// -----

// A5: a buffer is not also a parameter.
// expected-error@+1 {{'func.func' op argument 0: carries both 'quant4.buffer' and 'quant4.param'; an argument or result of a step has one role}}
func.func @buffer_and_param(%a: tensor<4xf32> {quant4.buffer = "bn.running_mean", quant4.param = "bn.running_mean"}) {
  return
}

// -----

// A2: quant4.buffer belongs on arguments and results.
func.func @buffer_on_op(%a: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<4x4xf32> {
  // expected-error@+1 {{'linalg.add' op attribute 'quant4.buffer' belongs on function arguments and results}}
  %c = linalg.add {quant4.buffer = "x"} ins(%a, %b : tensor<4x4xf32>, tensor<4x4xf32>) outs(%a : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %c : tensor<4x4xf32>
}

// -----

// A7: quant4.counter on an op that is not counted.
module attributes {quant4.counters = ["l/fwd/act"]} {
  func.func @counter_on_add(%a: tensor<4xf32>) -> tensor<4xf32> {
    // expected-error@+1 {{'arith.addf' op attribute 'quant4.counter' belongs on quant4.quantize, quant4.fake_quant, quant4.matmul or quant4.conv2d}}
    %0 = arith.addf %a, %a {quant4.counter = 0 : i64} : tensor<4xf32>
    return %0 : tensor<4xf32>
  }
}

// -----

// A7: a counter index beyond the module's quant4.counters.
module attributes {quant4.counters = ["l/fwd/act"]} {
  func.func @counter_out_of_range(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<4x!quant4.int<4>> {
    // expected-error@+1 {{'quant4.quantize' op attribute 'quant4.counter' = 1 names no counter: the module declares 1 in 'quant4.counters'}}
    %q = quant4.quantize %x, %s rounding<nearest> {quant4.counter = 1 : i64} : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.int<4>>
    return %q : tensor<4x!quant4.int<4>>
  }
}

// -----

// A7: a counter without quant4.counters on the module.
func.func @counter_without_names(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<4x!quant4.int<4>> {
  // expected-error@+1 {{'quant4.quantize' op attribute 'quant4.counter' = 0 names no counter: the module declares 0 in 'quant4.counters'}}
  %q = quant4.quantize %x, %s rounding<nearest> {quant4.counter = 0 : i64} : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.int<4>>
  return %q : tensor<4x!quant4.int<4>>
}

// -----

// A3: quant4.counter must be a non-negative integer.
module attributes {quant4.counters = ["l/fwd/act"]} {
  func.func @counter_negative(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<4x!quant4.int<4>> {
    // expected-error@+1 {{'quant4.quantize' op attribute 'quant4.counter' must be a non-negative integer, got -1 : i64}}
    %q = quant4.quantize %x, %s rounding<nearest> {quant4.counter = -1 : i64} : tensor<4xf32>, tensor<f32> -> tensor<4x!quant4.int<4>>
    return %q : tensor<4x!quant4.int<4>>
  }
}

// -----

// A3: quant4.counters must be an array of non-empty strings.
// expected-error@+1 {{'builtin.module' op attribute 'quant4.counters' must be an array of non-empty strings, got ["a", ""]}}
module attributes {quant4.counters = ["a", ""]} {
}

// -----

// A7: quant4.counters belongs on a module.
// expected-error@+1 {{'func.func' op attribute 'quant4.counters' belongs on a module}}
func.func @counters_on_func() attributes {quant4.counters = ["a"]} {
  return
}

// -----

// A7: quant4.profile_regions belongs on a module.
// expected-error@+1 {{'func.func' op attribute 'quant4.profile_regions' belongs on a module}}
func.func @regions_on_func() attributes {quant4.profile_regions = ["a"]} {
  return
}

// -----

// A3: quant4.profile_regions is an array of non-empty strings.
// expected-error@+1 {{'builtin.module' op attribute 'quant4.profile_regions' must be an array of non-empty strings, got [1]}}
module attributes {quant4.profile_regions = [1]} {
}
