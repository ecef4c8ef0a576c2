//===- Quant4Types.td - quant4 number formats --------------*- tablegen -*-===//
#ifndef QUANT4_TYPES_TD
#define QUANT4_TYPES_TD

include "mlir/IR/AttrTypeBase.td"
include "quant4/Dialect/Quant4/IR/Quant4Dialect.td"

class Quant4_Type<string name, string typeMnemonic, list<Trait> traits = []>
    : TypeDef<Quant4_Dialect, name, traits> {
  let mnemonic = typeMnemonic;
}

def Quant4_LogType : Quant4_Type<"Log", "log"> {
  let summary = "Logarithmic format: sign and exponent bits, no mantissa";
  let description = [{
    `!quant4.log<radix, ebits, phase[, bias]>` stores a sign bit and `ebits`
    exponent bits. Exponent code 0 is zero; codes e = 1 .. 2^ebits - 1 give
    the magnitudes radix^(e - bias), multiplied by sqrt(radix) when
    `phase = 1` (the second grid of Two-Phase Rounding). The format
    saturates: it has no Inf or NaN codes.

    * `radix`: a power of two in [2, 16];
    * `ebits`: 1 .. 7 (the whole format is 1 + ebits ≤ 8 bits wide);
    * `phase`: 0 or 1; 1 only where sqrt(radix) is a power of two (4, 16);
    * `bias`: defaults to 2^(ebits-1), printed only when different; every
      level must be a finite normal float32.

    The radix-4 1-3-0 format of 4-bit training is `!quant4.log<4, 3, 0>`:
    magnitudes 4^-3 .. 4^3 and zero; its other TPR phase is
    `!quant4.log<4, 3, 1>` (2·4^-3 .. 2·4^3: the levels 2·4^k).

    ```mlir
    %g = quant4.quantize %x, %s rounding<nearest>
        : tensor<64x10xf32>, tensor<f32> -> tensor<64x10x!quant4.log<4, 3, 0>>
    ```
  }];
  let parameters = (ins "unsigned":$radix, "unsigned":$ebits,
                        "unsigned":$phase, "int":$bias);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    TypeBuilder<(ins "unsigned":$radix, "unsigned":$ebits, "unsigned":$phase), [{
      return $_get($_ctxt, radix, ebits, phase, defaultBias(ebits));
    }]>
  ];
  let extraClassDeclaration = [{
    static int defaultBias(unsigned ebits);
    unsigned getWidth() const { return 1 + getEbits(); }
  }];
}

def Quant4_IntType : Quant4_Type<"Int", "int"> {
  let summary = "Symmetric signed integer format";
  let description = [{
    `!quant4.int<bits>`, `bits` in 2 .. 8: the symmetric levels
    -(2^(bits-1) - 1) .. 2^(bits-1) - 1 (for 4 bits: -7 .. 7), stored in
    two's complement.

    ```mlir
    %w4 = quant4.quantize %w, %s rounding<nearest>
        : tensor<784x256xf32>, tensor<f32> -> tensor<784x256x!quant4.int<4>>
    ```
  }];
  let parameters = (ins "unsigned":$bits);
  let assemblyFormat = "`<` $bits `>`";
  let genVerifyDecl = 1;
}

def Quant4_UIntType : Quant4_Type<"UInt", "uint"> {
  let summary = "Unsigned integer format";
  let description = [{
    `!quant4.uint<bits>`, `bits` in 2 .. 8: levels 0 .. 2^bits - 1, e.g. for
    post-ReLU or PACT-clipped activations.

    ```mlir
    %a4 = quant4.quantize %a, %s rounding<nearest>
        : tensor<64x256xf32>, tensor<f32> -> tensor<64x256x!quant4.uint<4>>
    ```
  }];
  let parameters = (ins "unsigned":$bits);
  let assemblyFormat = "`<` $bits `>`";
  let genVerifyDecl = 1;
}

#endif // QUANT4_TYPES_TD
