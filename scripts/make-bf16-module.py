#!/usr/bin/python3
"""Writes src/main/resources/io/odecast/model/bf16-conv.pt, the TorchScript module behind odecast's bf16 path.

DJL's PyTorch engine cannot hold a bf16 tensor (its JNI maps only float32, float64, float16, uint8, int32, int8,
int64, bool and complex; a bf16 cast aborts the JVM), so the casts happen inside this scripted function: float32 in,
float32 out, the convolution itself in bf16 (weights, bias and input rounded to bf16, accumulation as oneDNN does
it). The module holds no weights: the layer's own float32 weights are passed on every call, so model swaps and
BatchNorm folding need nothing new. Stride and padding are the same in both directions (all of odecast's layers).

Run by hand with Debian's python3-torch (scripts/fetch-data.sh --with-torch); the output is committed, since the
build and CI have no Python torch. Checked by Bf16ConvolutionTest.
"""
import sys

import torch


class Bf16Conv(torch.nn.Module):
    def forward(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, stride: int,
                padding: int) -> torch.Tensor:
        y = torch.conv2d(x.to(torch.bfloat16), weight.to(torch.bfloat16), bias.to(torch.bfloat16),
                         [stride, stride], [padding, padding])
        return y.to(torch.float32)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "src/main/resources/io/odecast/model/bf16-conv.pt"
    module = torch.jit.script(Bf16Conv().eval())
    x = torch.randn(2, 32, 9, 9)
    w = torch.randn(16, 32, 3, 3) * 0.05
    b = torch.randn(16) * 0.05
    y = module(x, w, b, 1, 1)
    ref = torch.conv2d(x, w, b, 1, 1)
    err = (y - ref).abs().max().item() / ref.abs().max().item()
    assert err < 2e-2, f"bf16 module off by {err}"
    module.save(out)
    print(f"wrote {out} (torch {torch.__version__}, check error {err:.2e})")


if __name__ == "__main__":
    main()
