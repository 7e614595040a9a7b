#!/usr/bin/python3
"""Writes src/main/resources/io/odecast/model/scripted-ops.pt, the TorchScript functions odecast's inference calls
where DJL's own operations fall short (io.odecast.model.ScriptedOps):

- forward: a bf16 convolution (the bf16 path, ConvPrecision.BF16);
- upsample_bilinear2x: bilinear x2 up-sampling (align_corners=False) by libtorch's plain kernel. DJL 0.35.1's
  interpolation reaches the anti-aliased kernel (_upsample_bilinear2d_aa), which for up-sampling computes the same
  values (4.8e-7 apart) several times slower.
- every float32 convolution here (and conv2d, for the layers DJL would run) by oneDNN whatever the batch: libtorch
  runs a lone sample's small 3x3 convolutions on its native im2col kernel, 10-37 times slower (see conv).

forward:

DJL's PyTorch engine cannot hold a bf16 tensor (its JNI maps only float32, float64, float16, uint8, int32, int8,
int64, bool and complex; a bf16 cast aborts the JVM), so the casts happen inside this scripted function: float32 in,
float32 out, the convolution itself in bf16 (weights, bias and input rounded to bf16, accumulation as oneDNN does
it). The module holds no weights: the layer's own float32 weights are passed on every call, so model swaps and
BatchNorm folding need nothing new. Stride and padding are the same in both directions (all of odecast's layers).

Run by hand with Debian's python3-torch (scripts/fetch-data.sh --with-torch); the output is committed, since the
build and CI have no Python torch. Checked by Bf16ConvolutionTest and ScriptedOpsTest.
"""
import sys
from typing import List

import torch


def conv(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, stride: int, padding: int) -> torch.Tensor:
    # A float32 convolution by oneDNN whatever the batch. libtorch's own choice (at::_convolution) sends a lone sample
    # with a 3x3 kernel and an input of at most 20480 values to its native im2col kernel instead ("for some case,
    # native is faster"): at the latent grid of odecast's models that kernel is 10-37 times slower than oneDNN on one
    # thread (128 -> 128 channels at 9 x 9: 3.8 ms against 0.2 ms, PyTorch 1.13), and a lone arrival is the common
    # case of a paced stream. From two samples on libtorch picks oneDNN itself for kernels larger than 1x1, so this
    # changes nothing there (odecast sends no 1x1 convolution here).
    return torch.mkldnn_convolution(x, weight, bias, [padding, padding], [stride, stride], [1, 1], 1)


def conv_as(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, stride: int, padding: int,
            bf16: bool) -> torch.Tensor:
    # A convolution whose products are in bf16 if asked (float32 in and out either way), else conv; x's layout.
    if bf16:
        return torch.conv2d(x.to(torch.bfloat16), weight.to(torch.bfloat16), bias.to(torch.bfloat16),
                            [stride, stride], [padding, padding]).to(torch.float32)
    return conv(x, weight, bias, stride, padding)


class ScriptedOps(torch.nn.Module):
    def forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, stride: int,
                padding: int) -> torch.Tensor:
        y = torch.conv2d(x.to(torch.bfloat16), weight.to(torch.bfloat16), bias.to(torch.bfloat16),
                         [stride, stride], [padding, padding])
        # Back to float32 in the plain (N, C, H, W) layout in one copy: libtorch 2.7.1's oneDNN may hand back a bf16
        # result in another memory format, and every later DJL operation on it then pays strided copies (seen:
        # 45 % of a forecast in copies before this).
        return y.to(dtype=torch.float32, memory_format=torch.contiguous_format)

    @torch.jit.export
    def decoder_stage(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, bf16: bool) -> torch.Tensor:
        # One stage of the decoder G: bilinear x2, 3x3 convolution (padding 1), ReLU, in the channels-last layout
        # (oneDNN's own; the plain up-sampling kernel is several times faster there). The result stays channels-last
        # for the next stage; conv2d_contiguous ends the chain.
        h = torch.nn.functional.interpolate(x.contiguous(memory_format=torch.channels_last),
                                            size=[x.size(2) * 2, x.size(3) * 2], mode="bilinear", align_corners=False)
        return torch.relu(conv_as(h, weight, bias, 1, 1, bf16))

    @torch.jit.export
    def conv_relu(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, stride: int, padding: int,
                  bf16: bool, plain: bool) -> torch.Tensor:
        # One stage of the encoder E: convolution then ReLU in the channels-last layout; the result back in the plain
        # layout when plain (the last stage).
        h = x.contiguous(memory_format=torch.channels_last)
        y = torch.relu(conv_as(h, weight, bias, stride, padding, bf16))
        return y.contiguous() if plain else y

    @torch.jit.export
    def ode_field(self, h: torch.Tensor, weights: List[torch.Tensor], biases: List[torch.Tensor],
                  bf16: List[bool]) -> torch.Tensor:
        # The ODE vector field (conv, then tanh-conv per further layer; 3x3, padding 1) as one call in the
        # channels-last layout, each convolution in bf16 where asked; the result in the plain layout.
        x = h.contiguous(memory_format=torch.channels_last)
        for i in range(len(weights)):
            if i > 0:
                x = torch.tanh(x)
            x = conv_as(x, weights[i], biases[i], 1, 1, bf16[i])
        return x.contiguous()

    @torch.jit.export
    def conv2d_contiguous(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                          padding: int) -> torch.Tensor:
        # A float32 convolution (stride 1) whose result is in the plain (N, C, H, W) layout, whatever x's layout.
        return conv(x, weight, bias, 1, padding).contiguous()

    @torch.jit.export
    def conv2d(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, stride: int,
               padding: int) -> torch.Tensor:
        # A float32 convolution by oneDNN (see conv), the result in x's layout.
        return conv(x, weight, bias, stride, padding)

    @torch.jit.export
    def upsample_bilinear2x(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.interpolate(x, size=[x.size(2) * 2, x.size(3) * 2], mode="bilinear",
                                               align_corners=False)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "src/main/resources/io/odecast/model/scripted-ops.pt"
    module = torch.jit.script(ScriptedOps().eval())
    x = torch.randn(2, 32, 9, 9)
    w = torch.randn(16, 32, 3, 3) * 0.05
    b = torch.randn(16) * 0.05
    y = module(x, w, b, 1, 1)
    ref = torch.conv2d(x, w, b, 1, 1)
    err = (y - ref).abs().max().item() / ref.abs().max().item()
    assert err < 2e-2, f"bf16 module off by {err}"
    lone = x[:1]
    exact = torch.conv2d(lone, w, b, 1, 1)
    assert (module.conv2d(lone, w, b, 1, 1) - exact).abs().max().item() < 1e-4 * exact.abs().max().item(), \
        "the oneDNN convolution differs"
    # A strided 4x4 convolution without bias (zeros) on a channels-last lone sample: stride and padding in their
    # places, the layout followed.
    w4 = torch.randn(16, 32, 4, 4) * 0.05
    zero = torch.zeros(16)
    lone_cl = lone.contiguous(memory_format=torch.channels_last)
    exact = torch.conv2d(lone, w4, zero, 2, 1)
    got = module.conv2d(lone_cl, w4, zero, 2, 1)
    assert got.shape == exact.shape and (got - exact).abs().max().item() < 1e-4 * exact.abs().max().item(), \
        "the strided oneDNN convolution differs"
    up = module.upsample_bilinear2x(x)
    ref_up = torch._C._nn._upsample_bilinear2d_aa(x, [18, 18], False)
    assert (up - ref_up).abs().max().item() < 1e-5, "upsampling differs from the anti-aliased kernel"
    module.save(out)
    print(f"wrote {out} (torch {torch.__version__}, check error {err:.2e})")


if __name__ == "__main__":
    main()
