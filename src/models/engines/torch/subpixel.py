"""Transposed convolution as one ordinary convolution and a pixel shuffle (the sub-pixel form).

On the CPU, PyTorch 1.13 runs F.conv_transpose2d through its slow reference kernel
(slow_conv_transpose2d, not oneDNN): DuRN-S-P's two upsampling layers took ~90 % of a training step.
Written as a stride-1 convolution with s² phase kernels, then a pixel shuffle, the same operator
runs on oneDNN, 13–22× faster forward + backward at DuRN-S-P's shapes (`npm run bench -- deconv`),
equal to float rounding, gradients included (test/models/engines/torch/subpixel.test.ts). CUDA
keeps cuDNN's own kernel.

Derivation: a transposed convolution writes input row y, tap ky, to output row Y = s·y − p + ky.
For output Y = s·m + a (phase a in [0, s)) the taps that reach it are ky ≡ a + p (mod s), read
from input row y = m + d with d = (a + p − ky) / s. So phase a is a plain convolution of x over
offsets d in [d_min, d_max] with the taps w[..., ky]; all phases share one convolution with
s²·out channels, and pixel_shuffle interleaves them (channel o·s² + a·s + c is output (o, a, c)).
"""
import torch
import torch.nn.functional as F

_taps = {}


def _tap_index(k, s, p, device):
    """Per phase (a, c) and offset (d, e): the flat tap ky·k + kx, or k² (a zero) where none."""
    key = (k, s, p, str(device))
    if key not in _taps:
        # Along one axis: (phase, tap, input offset) for every tap that reaches that phase.
        axis = [(a, t, (a + p - t) // s) for a in range(s) for t in range(k) if (a + p - t) % s == 0]
        lo = min(d for _, _, d in axis)
        span = max(d for _, _, d in axis) - lo + 1
        idx = torch.full((s, s, span, span), k * k, dtype=torch.long)
        for a, ky, d in axis:
            for c, kx, e in axis:
                idx[a, c, d - lo, e - lo] = ky * k + kx
        _taps[key] = (idx.flatten().to(device), lo, span)
    return _taps[key]


def conv_transpose2d(x, w, b, s, p):
    """F.conv_transpose2d(x, w, b, s, p) for a square kernel w [in, out, k, k], no output padding."""
    n, cin, h, wd = x.shape
    cout, k = w.shape[1], w.shape[2]
    idx, lo, span = _tap_index(k, s, p, x.device)
    taps = F.pad(w.transpose(0, 1).reshape(cout, cin, k * k), (0, 1))  # tap k² is the zero
    kernel = taps[:, :, idx].view(cout, cin, s, s, span, span)
    kernel = kernel.permute(0, 2, 3, 1, 4, 5).reshape(cout * s * s, cin, span, span)
    out_h, out_w = (h - 1) * s - 2 * p + k, (wd - 1) * s - 2 * p + k
    rows, cols = -(-out_h // s), -(-out_w // s)  # phase rows m needed: ceil(out / s)
    # Pad (or crop, when negative) so the convolution yields exactly rows × cols positions.
    x = F.pad(x, (-lo, cols + span - 1 - wd + lo, -lo, rows + span - 1 - h + lo))
    bias = None if b is None else b.repeat_interleave(s * s)
    y = F.pixel_shuffle(F.conv2d(x, kernel, bias), s)
    return y[:, :, :out_h, :out_w]
