// quant4.conv2d on the CPU for every accumulation mode, with strides,
// dilations and per-output-channel filter scales; compared byte for byte with
// quant4-ref (num::referenceConv2D). 1 and 2 threads give identical bytes.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: quant4-ref gen %t/x.npy --dtype uint8 --shape 3x9x8x4 --codes 1 --bits 4
// RUN: quant4-ref gen %t/k.npy --dtype uint8 --shape 3x3x4x5 --codes 2 --bits 4
// RUN: quant4-ref gen %t/sx.npy --dtype float32 --values 0.5
// RUN: quant4-ref gen %t/sk.npy --dtype float32 --values 0.25
// RUN: quant4-ref gen %t/sf.npy --dtype float32 --shape 5 --values 1,0.5,2,0.125,4
// RUN: quant4-run %s --entry conv --input %t/x.npy --input %t/k.npy --input %t/x.npy --input %t/k.npy --input %t/sx.npy --input %t/sk.npy --input %t/sf.npy --output-dir %t/c1
// RUN: quant4-run %s --entry conv --input %t/x.npy --input %t/k.npy --input %t/x.npy --input %t/k.npy --input %t/sx.npy --input %t/sk.npy --input %t/sf.npy --output-dir %t/c2 --threads 2
// RUN: quant4-ref conv2d %t/x.npy %t/k.npy %t/sx.npy %t/sk.npy %t/r.npy --input-format uint4 --filter-format "log<4,3,0>" --acc f32
// RUN: cmp %t/c1/result0.npy %t/r.npy
// RUN: quant4-ref conv2d %t/x.npy %t/k.npy %t/sx.npy %t/sk.npy %t/r.npy --input-format uint4 --filter-format "log<4,3,0>" --acc f16
// RUN: cmp %t/c1/result1.npy %t/r.npy
// RUN: quant4-ref conv2d %t/x.npy %t/k.npy %t/sx.npy %t/sk.npy %t/r.npy --input-format uint4 --filter-format "log<4,3,0>" --acc f16_chunked:6
// RUN: cmp %t/c1/result2.npy %t/r.npy
// RUN: quant4-ref conv2d %t/x.npy %t/k.npy %t/sx.npy %t/sk.npy %t/r.npy --input-format uint4 --filter-format "log<4,3,0>" --acc exact
// RUN: cmp %t/c1/result3.npy %t/r.npy
// RUN: quant4-ref conv2d %t/x.npy %t/k.npy %t/sx.npy %t/sf.npy %t/r.npy --input-format int4 --filter-format e2m1 --acc exact --strides 2,1 --dilations 1,2 --filter-per-channel
// RUN: cmp %t/c1/result4.npy %t/r.npy
// RUN: for i in 0 1 2 3 4; do cmp %t/c1/result$i.npy %t/c2/result$i.npy || exit 1; done
func.func @conv(%x: tensor<3x9x8x4x!quant4.uint<4>>, %k: tensor<3x3x4x5x!quant4.log<4, 3, 0>>,
                %xi: tensor<3x9x8x4x!quant4.int<4>>, %ke: tensor<3x3x4x5xf4E2M1FN>,
                %sx: tensor<f32>, %sk: tensor<f32>, %sf: tensor<5xf32>)
    -> (tensor<3x7x6x5xf32>, tensor<3x7x6x5xf32>, tensor<3x7x6x5xf32>,
        tensor<3x7x6x5xf32>, tensor<3x4x4x5xf32>) {
  %0 = quant4.conv2d %x, %k scales(%sx, %sk) acc<f32> : tensor<3x9x8x4x!quant4.uint<4>>, tensor<3x3x4x5x!quant4.log<4, 3, 0>>, tensor<f32>, tensor<f32> -> tensor<3x7x6x5xf32>
  %1 = quant4.conv2d %x, %k scales(%sx, %sk) acc<f16> : tensor<3x9x8x4x!quant4.uint<4>>, tensor<3x3x4x5x!quant4.log<4, 3, 0>>, tensor<f32>, tensor<f32> -> tensor<3x7x6x5xf32>
  %2 = quant4.conv2d %x, %k scales(%sx, %sk) acc<f16_chunked, 6> : tensor<3x9x8x4x!quant4.uint<4>>, tensor<3x3x4x5x!quant4.log<4, 3, 0>>, tensor<f32>, tensor<f32> -> tensor<3x7x6x5xf32>
  %3 = quant4.conv2d %x, %k scales(%sx, %sk) acc<exact> : tensor<3x9x8x4x!quant4.uint<4>>, tensor<3x3x4x5x!quant4.log<4, 3, 0>>, tensor<f32>, tensor<f32> -> tensor<3x7x6x5xf32>
  %4 = quant4.conv2d %xi, %ke scales(%sx, %sf) acc<exact> {strides = array<i64: 2, 1>, dilations = array<i64: 1, 2>, filter_granularity = #quant4.granularity<axis = 3>} : tensor<3x9x8x4x!quant4.int<4>>, tensor<3x3x4x5xf4E2M1FN>, tensor<f32>, tensor<5xf32> -> tensor<3x4x4x5xf32>
  return %0, %1, %2, %3, %4 : tensor<3x7x6x5xf32>, tensor<3x7x6x5xf32>, tensor<3x7x6x5xf32>, tensor<3x7x6x5xf32>, tensor<3x4x4x5xf32>
}
