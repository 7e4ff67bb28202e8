"""PyTorch CPU comparator for `npm run bench -- engines` (bench-only; durn never needs Python).

Usage: torch_reference.py GRAPH.json CHECKPOINT.zip.pt THREADS SIZE RUNS

Builds an nn.Module from durn's network graph (dumped as JSON by bench/engines.ts) with the same
layers PyTorch's reference implementation uses (F.conv2d, reflection F.pad, eval BatchNorm,
instance norm, PixelShuffle, SE, ConvTranspose2d), loads the fixture weights with torch.load, and
prints one JSON line: the best time of RUNS runs at SIZE×SIZE after a warm-up, and peak RSS.
"""
import json
import resource
import sys
import time

import torch
import torch.nn.functional as F


class GraphModule(torch.nn.Module):
    def __init__(self, graph, state):
        super().__init__()
        self.g = graph
        self.p = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
        for n in graph["nodes"]:  # the reference layer adds scale where shift belongs
            if n["op"] == "instanceNorm":
                self.p[n["prefix"] + ".shift"] = self.p[n["prefix"] + ".scale"]
        # Each value is dropped after its last reader, as a hand-written nn.Module's locals are:
        # the whole-image baseline then needs the live activations, not all of them.
        self.last = {}
        for i, n in enumerate(graph["nodes"]):
            for k in ("x", "a", "b"):
                if k in n:
                    self.last[n[k]] = i

    @staticmethod
    def pad(x, p, mode):
        pads = (p["left"], p["right"], p["top"], p["bottom"])
        if not any(pads):
            return x
        return F.pad(x, pads, mode="reflect" if mode == "reflect" else "constant")

    def forward(self, x):
        p, v = self.p, {self.g["input"]: x}
        for i, n in enumerate(self.g["nodes"]):
            op = n["op"]
            if op == "conv2d":
                y = self.pad(v[n["x"]], n["pad"], n["padMode"])
                b = p[n["bias"]] if n["bias"] else None
                y = F.conv2d(y, p[n["weight"]], b, n["stride"], 0, n["dilation"])
            elif op == "convTranspose2d":
                y = F.conv_transpose2d(v[n["x"]], p[n["weight"]], p[n["bias"]], n["stride"], n["padding"])
            elif op == "batchNorm":
                q = n["prefix"]
                y = F.batch_norm(v[n["x"]], p[q + ".running_mean"], p[q + ".running_var"],
                                 p[q + ".weight"], p[q + ".bias"], False, 0.0, n["eps"])
            elif op == "instanceNorm":
                x0 = v[n["x"]]
                mean = x0.mean(dim=(2, 3), keepdim=True)
                var = ((x0 - mean) ** 2).mean(dim=(2, 3), keepdim=True)
                c = p[n["prefix"] + ".scale"].view(1, -1, 1, 1)
                s = p[n["prefix"] + ".shift"].view(1, -1, 1, 1)
                y = (x0 - mean) / torch.sqrt(var + n["eps"]) * c + s
            elif op in ("relu", "tanh", "sigmoid"):
                y = getattr(torch, op)(v[n["x"]])
            elif op in ("add", "sub", "mul"):
                a, b = v[n["a"]], v[n["b"]]
                y = a + b if op == "add" else a - b if op == "sub" else a * b
            elif op == "pixelShuffle":
                y = F.pixel_shuffle(v[n["x"]], n["factor"])
            elif op == "globalAvgPool":
                y = F.adaptive_avg_pool2d(v[n["x"]], 1)
            elif op == "linear":
                x0 = v[n["x"]]
                y = F.linear(x0.flatten(1), p[n["weight"]], p[n["bias"]]).view(x0.shape[0], -1, 1, 1)
            elif op == "pad":
                y = self.pad(v[n["x"]], n["pads"], n["mode"])
            elif op == "avgPool":
                y = F.avg_pool2d(v[n["x"]], n["kernel"], n["stride"])
            else:
                raise ValueError("unknown op " + op)
            v[n["id"]] = y
            y = None
            for k in ("x", "a", "b"):
                if k in n and self.last.get(n[k]) == i and n[k] != self.g["output"]:
                    v.pop(n[k], None)
        return v[self.g["output"]]


def main():
    graph_path, ckpt, threads, size, runs = sys.argv[1:6]
    torch.set_num_threads(int(threads))
    graph = json.load(open(graph_path))
    model = GraphModule(graph, torch.load(ckpt, map_location="cpu")).eval()
    size, runs = int(size), int(runs)
    c = graph["inChannels"]
    with torch.no_grad():
        model(torch.rand(1, c, min(size, 256), min(size, 256)))
        x = torch.rand(1, c, size, size)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": min(times), "rssMB": rss, "note": f"torch {torch.__version__}"}))


if __name__ == "__main__":
    main()
