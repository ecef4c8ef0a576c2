//===- Q4AAttrs.td - q4a attributes ------------------------*- tablegen -*-===//
#ifndef Q4A_ATTRS_TD
#define Q4A_ATTRS_TD

include "mlir/IR/AttrTypeBase.td"
include "quant4/Dialect/Q4A/IR/Q4ADialect.td"

def Q4A_TensorAttr : AttrDef<Q4A_Dialect, "Tensor"> {
  let mnemonic = "tensor";
  let summary = "A named program input or output in DRAM";
  let description = [{
    `#q4a.tensor<"name", address, type>`: the tensor `name` occupies
    `address` .. `address + size` of DRAM, where the size follows from the
    ranked tensor type. Element types: `f32`, `f16`, `bf16`, `i8`, `ui8`,
    `i32`, `i64`, or a quantized format (`!quant4.int<4>`, ...), stored as
    one code per byte (two bytes for 16-bit formats).

    ```mlir
    #q4a.tensor<"arg0", 0, tensor<16x32xf32>>
    ```
  }];
  let parameters = (ins StringRefParameter<"tensor name">:$name,
                        "uint64_t":$address, "::mlir::Type":$type);
  let assemblyFormat = "`<` $name `,` $address `,` $type `>`";
  let genVerifyDecl = 1;
}

def Q4A_SegmentAttr : AttrDef<Q4A_Dialect, "Segment"> {
  let mnemonic = "segment";
  let summary = "Constant bytes placed in DRAM before the program runs";
  let description = [{
    `#q4a.segment<address, dense<...> : tensor<Nxui8>>`.

    ```mlir
    #q4a.segment<4096, dense<[0, 0, 128, 63]> : tensor<4xui8>>
    ```
  }];
  let parameters = (ins "uint64_t":$address,
                        AttrParameter<"::mlir::DenseIntElementsAttr", "bytes">:$bytes);
  let assemblyFormat = "`<` $address `,` $bytes `>`";
  let genVerifyDecl = 1;
}

#endif // Q4A_ATTRS_TD
