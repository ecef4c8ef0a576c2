// Exercises the quant4 C API: registration, types, attributes, passes.
// RUN: quant4-capi-test 2>&1 | FileCheck %s
#include "quant4-c/Dialects.h"

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"

#include <stdio.h>
#include <stdlib.h>

static void printToStdout(MlirStringRef s, void *user) {
  (void)user;
  fwrite(s.data, 1, s.length, stdout);
}

static MlirLogicalResult onDiagnostic(MlirDiagnostic d, void *user) {
  (void)user;
  fputs("diagnostic: ", stdout);
  mlirDiagnosticPrint(d, printToStdout, NULL);
  fputc('\n', stdout);
  return mlirLogicalResultSuccess();
}

#define EXPECT(cond)                                                           \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stdout, "FAILED: %s (line %d)\n", #cond, __LINE__);              \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)

int main(void) {
  /* Unbuffered, so stdout and the dumps on stderr interleave in order. */
  setvbuf(stdout, NULL, _IONBF, 0);
  MlirContext ctx = mlirContextCreate();
  mlirContextAttachDiagnosticHandler(ctx, onDiagnostic, NULL, NULL);
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  quant4RegisterAllDialects(registry);
  mlirContextAppendDialectRegistry(ctx, registry);
  mlirDialectRegistryDestroy(registry);
  MlirDialectHandle handle = mlirGetDialectHandle__quant4__();
  mlirDialectHandleLoadDialect(handle, ctx);
  MlirStringRef ns = mlirDialectHandleGetNamespace(handle);
  printf("namespace: %.*s\n", (int)ns.length, ns.data);
  // CHECK: namespace: quant4

  MlirLocation loc = mlirLocationUnknownGet(ctx);
  MlirType log4 = quant4LogTypeGetChecked(loc, 4, 3, 0,
                                          quant4LogTypeDefaultBias(3));
  EXPECT(!mlirTypeIsNull(log4));
  EXPECT(quant4TypeIsALog(log4));
  EXPECT(quant4LogTypeGetRadix(log4) == 4 && quant4LogTypeGetEbits(log4) == 3);
  EXPECT(quant4LogTypeGetPhase(log4) == 0 && quant4LogTypeGetBias(log4) == 4);
  EXPECT(quant4FormatGetWidth(log4) == 4);
  mlirTypeDump(log4);
  // CHECK: !quant4.log<4, 3, 0>

  MlirType bad = quant4LogTypeGetChecked(loc, 3, 3, 0, 4);
  EXPECT(mlirTypeIsNull(bad));
  // CHECK: diagnostic: invalid !quant4.log: radix must be a power of two in [2, 16], got 3

  MlirType i4 = quant4IntTypeGetChecked(loc, 4);
  MlirType u4 = quant4UIntTypeGetChecked(loc, 4);
  EXPECT(quant4TypeIsAInt(i4) && !quant4TypeIsAInt(u4));
  EXPECT(quant4TypeIsAUInt(u4));
  EXPECT(mlirTypeIsNull(quant4IntTypeGetChecked(loc, 9)));
  // CHECK: diagnostic: invalid !quant4.int: {{.*}}9
  int64_t shape[] = {2, 3};
  MlirType tensor = mlirRankedTensorTypeGet(2, shape, u4, mlirAttributeGetNull());
  mlirTypeDump(tensor);
  // CHECK: tensor<2x3x!quant4.uint<4>>

  MlirAttribute r =
      quant4RoundingAttrGet(ctx, mlirStringRefCreateFromCString("stochastic"));
  mlirAttributeDump(r);
  // CHECK: #quant4.rounding<stochastic>
  EXPECT(mlirAttributeIsNull(
      quant4RoundingAttrGet(ctx, mlirStringRefCreateFromCString("up"))));

  // Parse, verify and transform a module through the C API.
  const char *ir =
      "func.func @f(%a: tensor<2x4xf32>, %b: tensor<4x3xf32>) -> tensor<2x3xf32> {\n"
      "  %z = arith.constant 0.0 : f32\n"
      "  %e = tensor.empty() : tensor<2x3xf32>\n"
      "  %i = linalg.fill ins(%z : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>\n"
      "  %c = linalg.matmul ins(%a, %b : tensor<2x4xf32>, tensor<4x3xf32>)\n"
      "                     outs(%i : tensor<2x3xf32>) -> tensor<2x3xf32>\n"
      "  return %c : tensor<2x3xf32>\n"
      "}\n";
  MlirModule module =
      mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(ir));
  EXPECT(!mlirModuleIsNull(module));
  quant4RegisterPasses();
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirOpPassManager opm = mlirPassManagerGetAsOpPassManager(pm);
  MlirLogicalResult parsed = mlirParsePassPipeline(
      opm,
      mlirStringRefCreateFromCString(
          "builtin.module(func.func(quant4-quantize-gemms{"
          "lhs-format=!quant4.log<4,3,0> "
          "rhs-format=!quant4.int<4> accumulation=f16}))"),
      printToStdout, NULL);
  EXPECT(mlirLogicalResultIsSuccess(parsed));
  EXPECT(mlirLogicalResultIsSuccess(
      mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module))));
  mlirOperationDump(mlirModuleGetOperation(module));
  // CHECK: quant4.quantize {{.*}} -> tensor<2x4x!quant4.log<4, 3, 0>>
  // CHECK: quant4.quantize {{.*}} -> tensor<4x3x!quant4.int<4>>
  // CHECK: quant4.matmul {{.*}} acc<f16>
  mlirPassManagerDestroy(pm);
  mlirModuleDestroy(module);
  mlirContextDestroy(ctx);
  printf("done\n");
  // CHECK: done
  return 0;
}
