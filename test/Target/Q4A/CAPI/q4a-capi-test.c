/* The Q4A C API: parse assembly, emit assembly and binary.
 * RUN: q4a-capi-test 2>&1 | FileCheck %s
 */
#include "mlir-c/IR.h"
#include "quant4-c/Q4A.h"

#include <stdio.h>
#include <string.h>

static void printText(MlirStringRef s, void *user) {
  (void)user;
  fwrite(s.data, 1, s.length, stdout);
}

static void countBytes(MlirStringRef s, void *user) {
  *(size_t *)user += s.length;
}

int main(void) {
  MlirContext ctx = mlirContextCreate();
  mlirDialectHandleRegisterDialect(mlirGetDialectHandle__q4a__(), ctx);
  const char *text = ".program capi\n.dram 0x100\n.text\n  sync mask=0x2\n"
                     "  halt\n";
  MlirModule m = quant4Q4AParseAssembly(ctx, mlirStringRefCreateFromCString(text));
  if (mlirModuleIsNull(m))
    return 1;
  MlirOperation op = mlirModuleGetOperation(m);
  /* CHECK: .program capi
   * CHECK: sync mask=0x2
   * CHECK: halt
 */
  if (mlirLogicalResultIsFailure(quant4Q4ATranslateToAssembly(op, printText, NULL)))
    return 2;
  size_t n = 0;
  if (mlirLogicalResultIsFailure(quant4Q4ATranslateToBinary(op, countBytes, &n)))
    return 3;
  /* 80-byte header + 2 instructions + string table + CRC.
   * CHECK: binary: 132 bytes
 */
  printf("binary: %zu bytes\n", n);
  fflush(stdout);
  /* CHECK: error: missing '.program NAME' directive
   */
  MlirModule bad = quant4Q4AParseAssembly(ctx, mlirStringRefCreateFromCString(".text\n"));
  /* CHECK: bad: null
   */
  printf("bad: %s\n", mlirModuleIsNull(bad) ? "null" : "module");
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
  return 0;
}
