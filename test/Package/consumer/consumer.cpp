// Uses the quant4 dialect and Numerics library from an installed package.
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "quant4/Dialect/Quant4/IR/Quant4.h"
#include "quant4/Numerics/Numerics.h"

#include <cstdio>

int main() {
  mlir::MLIRContext ctx;
  ctx.loadDialect<mlir::quant4::Quant4Dialect, mlir::func::FuncDialect>();
  const char *ir = R"(
    func.func @f(%x: tensor<4xf32>, %s: tensor<f32>) -> tensor<4xf32> {
      %y = quant4.fake_quant %x, %s to !quant4.log<4, 3, 0> rounding<nearest>
          : tensor<4xf32>, tensor<f32>
      return %y : tensor<4xf32>
    })";
  auto module = mlir::parseSourceString<mlir::ModuleOp>(ir, &ctx);
  if (!module || mlir::failed(mlir::verify(*module)))
    return 1;
  module->print(llvm::outs());
  llvm::outs() << "\n";
  auto t = mlir::quant4::LogType::get(&ctx, 4, 3, 1);
  auto f = *mlir::quant4::getFormat(t);
  std::printf("%s max=%g code7=%g\n", f.str().c_str(), f.maxValue(),
              quant4::num::decode(f, 7));
  return 0;
}
