#!/usr/bin/python3
"""Reference SSIM/PSNR values for test/models/training/metrics.test.ts, from scikit-image.

Run with Debian's python3-skimage (0.19): /usr/bin/python3 scripts/metrics-ssim-reference.py
Writes test/fixtures/metrics-ssim.json. The test images come from integer formulas that the
TypeScript test recomputes identically (see test/models/training/metrics-images.ts).
"""
import json
import os

import numpy as np
import skimage
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

H, W = 40, 48


def clean(c, seed):
    i, j = np.meshgrid(np.arange(H, dtype=np.int64), np.arange(W, dtype=np.int64), indexing="ij")
    g = (((i // 8) + (j // 8) + c + seed) % 2) * 120
    r = (i * 7919 + j * 104729 + c * 1299709 + seed * 15485863) % 65
    s = (i * 2 + j) % 64
    return np.minimum(30 + g + r + s, 255)


def noisy(v, c, seed):
    i, j = np.meshgrid(np.arange(H, dtype=np.int64), np.arange(W, dtype=np.int64), indexing="ij")
    n = ((i * 31 + j * 17 + c * 7 + seed * 3) * (i + 2 * j + c + 1)) % 41 - 20
    return np.clip(v + n, 0, 255)


def blurred(v):
    p = np.pad(v, 1, mode="edge")
    acc = sum(p[1 + di : 1 + di + H, 1 + dj : 1 + dj + W] for di in (-1, 0, 1) for dj in (-1, 0, 1))
    return acc // 9


def image(kind, channels, seed):
    planes = []
    for c in range(channels):
        v = clean(c, seed)
        if kind == "noisy":
            v = noisy(v, c, seed)
        elif kind == "blurred":
            v = blurred(v)
        planes.append(v)
    return np.stack(planes, axis=-1).astype(np.float64) / 255.0


CASES = [
    ("gray identical", 1, ("clean", 1), ("clean", 1)),
    ("gray noisy", 1, ("clean", 1), ("noisy", 1)),
    ("gray blurred", 1, ("clean", 1), ("blurred", 1)),
    ("gray unrelated", 1, ("clean", 1), ("clean", 2)),
    ("rgb noisy", 3, ("clean", 3), ("noisy", 3)),
    ("rgb blurred", 3, ("clean", 5), ("blurred", 5)),
]


def main():
    out = {"generator": f"scikit-image {skimage.__version__}", "height": H, "width": W, "cases": []}
    for name, ch, (ka, sa), (kb, sb) in CASES:
        a = image(ka, ch, sa)
        b = image(kb, ch, sb)
        if ch == 1:
            a2, b2 = a[..., 0], b[..., 0]
            s = structural_similarity(
                a2, b2, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0
            )
        else:
            a2, b2 = a, b
            s = structural_similarity(
                a2, b2, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0, channel_axis=-1
            )
        p = peak_signal_noise_ratio(a2, b2, data_range=1.0) if ka != kb or sa != sb else None
        out["cases"].append(
            {"name": name, "channels": ch, "a": {"kind": ka, "seed": sa}, "b": {"kind": kb, "seed": sb}, "ssim": s, "psnr": p}
        )
    path = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "metrics-ssim.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
