"""durn's PyTorch engine: one long-lived process serving one network on one device.

durn (Node.js) starts it as `python3 durn_torch.py` and speaks length-prefixed binary frames on
stdin/stdout: u32 LE JSON length, u64 LE payload length, the JSON header, then the payload (the
header's "arrays" in order, each raw little-endian float32). The network is built by
interpreting durn's graph JSON with torch ops: there is no copy of the networks here.

Requests: init (graph, device, weights), run (inference; with frozen statistics when the request
carries `<node>.stat_mean` / `<node>.stat_var` arrays), collect (the statistic nodes' statistics:
each instance norm's per-channel mean and biased variance, each global average pool's mean, see
src/models/graph/statistics.ts), train_init, step (forward, loss,
backward, clip, Adam, EMA), predict (eval mode with the trained or averaged weights), get / set
(flat training state in durn's engine layout), close. The process exits when stdin closes, when
its parent dies (PR_SET_PDEATHSIG, and a parent-pid watchdog), and ignores SIGINT so that durn
decides how a Ctrl-C ends.
"""
import json
import math
import os
import signal
import struct
import sys
import threading
import time

PARENT = os.getppid()


def guard_parent():
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:  # Linux: die with the parent even if it is SIGKILLed mid-step
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != PARENT:
                os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


guard_parent()
STDIN = sys.stdin.buffer
STDOUT = os.fdopen(os.dup(1), "wb")
sys.stdout = sys.stderr  # nothing else may write to the frame stream

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import subpixel  # noqa: E402  (this script's folder is on sys.path)


def read_exact(n):
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = STDIN.readinto(view[got:])
        if not k:
            sys.exit(0)  # durn closed the pipe: the run is over
        got += k
    return buf


def read_frame():
    jl, pl = struct.unpack("<IQ", read_exact(12))
    header = json.loads(read_exact(jl).decode("utf-8"))
    payload = read_exact(pl) if pl else bytearray()
    arrays, at = {}, 0
    for a in header.get("arrays", []):
        n = 1
        for d in a["shape"]:
            n *= d
        t = torch.frombuffer(payload, dtype=torch.float32, count=n, offset=at) if n else torch.zeros(0)
        arrays[a["name"]] = t.view(a["shape"])
        at += 4 * n
    return header, arrays


def write_frame(header, arrays=()):
    blobs, specs = [], []
    for name, t in arrays:
        t = t.detach().to("cpu", torch.float32).contiguous()
        specs.append({"name": name, "shape": list(t.shape)})
        blobs.append(t.numpy().tobytes())
    header = dict(header, arrays=specs)
    j = json.dumps(header).encode("utf-8")
    STDOUT.write(struct.pack("<IQ", len(j), sum(len(b) for b in blobs)) + j)
    for b in blobs:
        STDOUT.write(b)
    STDOUT.flush()


class Net:
    """The graph, interpreted. `p` maps parameter names to tensors (possibly views of a flat one)."""

    def __init__(self, graph, cuda):
        self.g = graph
        self.cuda = cuda

    @staticmethod
    def pad(x, p, mode):
        pads = (p["left"], p["right"], p["top"], p["bottom"])
        if not any(pads):
            return x
        return F.pad(x, pads, mode="reflect" if mode == "reflect" else "constant")

    def forward(self, x, p, training, frozen=None, collect=None):
        """`frozen`: statistics by name (`<id>.stat_mean`, `<id>.stat_var`) used by the statistic
        nodes instead of their input's; `collect`: a dict that receives the input's statistics."""
        v = {self.g["input"]: x}
        for n in self.g["nodes"]:
            op = n["op"]
            if op == "conv2d":
                y = self.pad(v[n["x"]], n["pad"], n["padMode"])
                b = p[n["bias"]] if n["bias"] else None
                y = F.conv2d(y, p[n["weight"]], b, n["stride"], 0, n["dilation"])
            elif op == "convTranspose2d":
                b = p[n["bias"]] if n["bias"] else None
                # PyTorch's CPU kernel for it is 13-22x slower than this lowering (subpixel.py).
                ct = F.conv_transpose2d if self.cuda else subpixel.conv_transpose2d
                y = ct(v[n["x"]], p[n["weight"]], b, n["stride"], n["padding"])
            elif op == "batchNorm":
                q = n["prefix"]
                y = F.batch_norm(v[n["x"]], p[q + ".running_mean"], p[q + ".running_var"],
                                 p[q + ".weight"], p[q + ".bias"], training, n["momentum"], n["eps"])
            elif op == "instanceNorm" and collect is None and n["id"] + ".stat_mean" not in (frozen or {}):
                # One fused kernel instead of ~9 elementwise ones (mean, var, normalise), forward
                # and backward: the bulk of DuRN-U's non-convolution time.
                q = n["prefix"]
                y = F.instance_norm(v[n["x"]].float(), weight=p[q + ".scale"], bias=p[q + ".shift"],
                                    eps=n["eps"])
            elif op == "instanceNorm":
                x0 = v[n["x"]].float()
                name = n["id"] + ".stat_mean"
                if frozen is not None and name in frozen:
                    mean = frozen[name].float().view(1, -1, 1, 1)
                    var = frozen[n["id"] + ".stat_var"].float().view(1, -1, 1, 1)
                else:
                    mean = x0.mean(dim=(2, 3), keepdim=True)
                    var = ((x0 - mean) ** 2).mean(dim=(2, 3), keepdim=True)
                if collect is not None:
                    collect[name] = mean.reshape(-1)
                    collect[n["id"] + ".stat_var"] = var.reshape(-1)
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
                x0 = v[n["x"]]
                name = n["id"] + ".stat_mean"
                if frozen is not None and name in frozen:
                    y = frozen[name].view(1, -1, 1, 1).to(x0.dtype).expand(x0.shape[0], -1, 1, 1)
                else:
                    y = x0.mean(dim=(2, 3), keepdim=True)
                if collect is not None:
                    collect[name] = y[0].float().reshape(-1)
            elif op == "linear":
                x0 = v[n["x"]]
                b = p[n["bias"]] if n["bias"] else None
                y = F.linear(x0.flatten(1), p[n["weight"]], b).view(x0.shape[0], -1, 1, 1)
            elif op == "pad":
                y = self.pad(v[n["x"]], n["pads"], n["mode"])
            elif op == "avgPool":
                y = F.avg_pool2d(v[n["x"]], n["kernel"], n["stride"])
            else:
                raise ValueError("unknown op " + op)
            v[n["id"]] = y
        return v[self.g["output"]]


def gaussian_taps(size=11, sigma=1.5):
    c = (size - 1) / 2
    t = [math.exp(-((i - c) ** 2) / (2 * sigma * sigma)) for i in range(size)]
    s = sum(t)
    return torch.tensor([x / s for x in t], dtype=torch.float32)


class Loss:
    """durn's training losses (src/models/training/losses.ts): L2, or 1.1·(1 − SSIM) + 0.75·L1."""

    def __init__(self, kind, channels, device):
        self.kind = kind
        taps = gaussian_taps().to(device)
        self.kv = taps.view(1, 1, 11, 1).repeat(channels, 1, 1, 1)
        self.kh = taps.view(1, 1, 1, 11).repeat(channels, 1, 1, 1)
        self.c = channels

    def blur(self, t):
        return F.conv2d(F.conv2d(t, self.kv, groups=self.c), self.kh, groups=self.c)

    def ssim(self, a, b):
        mu_a, mu_b = self.blur(a), self.blur(b)
        mu_a2, mu_b2, mu_ab = mu_a * mu_a, mu_b * mu_b, mu_a * mu_b
        s_a = self.blur(a * a) - mu_a2
        s_b = self.blur(b * b) - mu_b2
        s_ab = self.blur(a * b) - mu_ab
        c1, c2 = 0.01 ** 2, 0.03 ** 2
        num = (2 * mu_ab + c1) * (2 * s_ab + c2)
        den = (mu_a2 + mu_b2 + c1) * (s_a + s_b + c2)
        return (num / den).mean()

    def __call__(self, pred, target):
        if self.kind == "l2":
            return ((pred - target) ** 2).mean()
        return 1.1 * (1 - self.ssim(pred, target)) + 0.75 * (pred - target).abs().mean()


class Layout:
    """durn's flat training arrays (engine layout, conv weights HWIO) ↔ one flat torch tensor."""

    def __init__(self, entries):
        self.entries = entries  # {name, offset, size, shape (PyTorch), layout}
        self.size = sum(e["size"] for e in entries)

    def views(self, flat):
        return {e["name"]: flat[e["offset"]:e["offset"] + e["size"]].view(e["shape"]) for e in self.entries}

    def from_engine(self, src, dst):
        for e in self.entries:
            seg = src[e["offset"]:e["offset"] + e["size"]]
            s = e["shape"]
            if e["layout"] == "oihw→hwio":
                seg = seg.view(s[2], s[3], s[1], s[0]).permute(3, 2, 0, 1)
            elif e["layout"] == "linear→transposed":
                seg = seg.view(s[1], s[0]).t()
            dst[e["offset"]:e["offset"] + e["size"]].view(s).copy_(seg.reshape(s))

    def to_engine(self, src):
        out = torch.empty(self.size, dtype=torch.float32)
        src = src.detach().float().cpu()
        for e in self.entries:
            seg = src[e["offset"]:e["offset"] + e["size"]].view(e["shape"])
            if e["layout"] == "oihw→hwio":
                seg = seg.permute(2, 3, 1, 0)
            elif e["layout"] == "linear→transposed":
                seg = seg.t()
            out[e["offset"]:e["offset"] + e["size"]] = seg.reshape(-1)
        return out


class Server:
    def __init__(self):
        self.net = None
        self.device = torch.device("cpu")
        self.bf16 = False
        self.weights = {}
        self.train = None

    def place(self, t):
        t = t.to(self.device)
        # NHWC is what cuDNN's and oneDNN's bf16 (AMX) convolutions run fastest on.
        if (self.device.type == "cuda" or self.bf16) and t.dim() == 4:
            t = t.contiguous(memory_format=torch.channels_last)
        return t

    def autocast(self):
        if self.bf16:
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return torch.autocast("cpu", enabled=False)

    def init(self, h, a):
        if h.get("threads"):
            torch.set_num_threads(int(h["threads"]))
        self.device = torch.device(h.get("device", "cpu"))
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
            torch.backends.cudnn.benchmark = True
        self.bf16 = h.get("precision") == "bf16"
        self.net = Net(h["graph"], self.device.type == "cuda")
        self.weights = {k: self.place(v.clone()) for k, v in a.items()}
        info = {"torch": torch.__version__, "device": str(self.device), "threads": torch.get_num_threads()}
        if self.device.type == "cuda":
            info["gpu"] = torch.cuda.get_device_name(self.device)
            info.update(self.memory())
        return info, []

    def memory(self):
        """Free and total bytes on the GPU (what tile choice sizes tiles from); {} on the CPU."""
        if self.device.type != "cuda":
            return {}
        free, total = torch.cuda.mem_get_info(self.device)
        return {"free": int(free), "total": int(total)}

    def statistic_ids(self):
        return [n["id"] for n in self.net.g["nodes"] if n["op"] in ("instanceNorm", "globalAvgPool")]

    def run(self, h, a):
        x = self.place(a["x"])
        frozen = {k: t.to(self.device) for k, t in a.items() if k.endswith((".stat_mean", ".stat_var"))}
        if frozen:
            for i in self.statistic_ids():
                if i + ".stat_mean" not in frozen:
                    raise ValueError("no frozen statistics for " + i)
        with torch.no_grad(), self.autocast():
            y = self.net.forward(x, self.weights, False, frozen=frozen or None)
        return self.memory(), [("y", y.float())]

    def collect(self, h, a):
        x = self.place(a["x"])
        stats = {}
        with torch.no_grad(), self.autocast():
            self.net.forward(x, self.weights, False, collect=stats)
        return {}, list(stats.items())

    def train_init(self, h, a):
        c = h["channels"]
        self.layout = Layout(h["trainable"])
        self.blayout = Layout(h["buffers"])
        d = self.device
        t = {
            "P": torch.zeros(self.layout.size, device=d),
            "B": torch.zeros(self.blayout.size, device=d),
            "m": torch.zeros(self.layout.size, device=d),
            "v": torch.zeros(self.layout.size, device=d),
            "ema": torch.zeros(self.layout.size, device=d) if h.get("ema") is not None else None,
        }
        # One leaf per parameter sharing P's storage: the optimiser works on flat P while autograd
        # accumulates each gradient into its own tensor (views of P as inputs would make every
        # parameter's backward allocate and add a P-sized gradient).
        leaves = {k: v.detach().requires_grad_(True) for k, v in self.layout.views(t["P"]).items()}
        self.train = dict(t, t=0, cfg=h, loss=Loss(h["loss"], c, d), leaves=leaves)
        self.set(h, a)
        return {}, []

    def set(self, h, a):
        s = self.train
        for key, name in (("P", "params"), ("B", "buffers"), ("m", "adamM"), ("v", "adamV"), ("ema", "ema")):
            if name in a and s[key] is not None:
                lay = self.blayout if key == "B" else self.layout
                tmp = torch.empty(lay.size)
                lay.from_engine(a[name], tmp)
                s[key].copy_(tmp)
        if "adamT" in h:
            s["t"] = int(h["adamT"])
        return {}, []

    def get(self, h, a):
        s = self.train
        out = [("params", self.layout.to_engine(s["P"])), ("buffers", self.blayout.to_engine(s["B"])),
               ("adamM", self.layout.to_engine(s["m"])), ("adamV", self.layout.to_engine(s["v"]))]
        if s["ema"] is not None:
            out.append(("ema", self.layout.to_engine(s["ema"])))
        return {"adamT": s["t"]}, out

    def params(self, which):
        s = self.train
        flat = s["ema"] if which == "ema" and s["ema"] is not None else s["P"]
        p = self.layout.views(flat)
        p.update(self.blayout.views(s["B"]))
        return p

    def batch(self, a, name):
        return self.place(a[name].permute(0, 3, 1, 2))  # durn's batches are NHWC

    def step(self, h, a):
        s, cfg = self.train, self.train["cfg"]
        x, y = self.batch(a, "x"), self.batch(a, "y")
        P, leaves = s["P"], s["leaves"]
        for leaf in leaves.values():
            leaf.grad = None
        p = dict(leaves)
        p.update(self.blayout.views(s["B"]))
        with self.autocast():
            out = self.net.forward(x, p, True)
        loss = s["loss"](out.float(), y)
        loss.backward()
        grads = []
        for e in self.layout.entries:  # offset order: the flat gradient in P's layout
            gl = leaves[e["name"]].grad
            grads.append(gl.reshape(-1) if gl is not None else torch.zeros(e["size"], device=P.device))
        g = torch.cat(grads)
        lv = float(loss.item())
        norm = float(g.double().pow(2).sum().sqrt().item())
        if not (math.isfinite(lv) and math.isfinite(norm)):
            return {"loss": lv, "gradNorm": norm, "applied": False}, []
        clip = cfg.get("clip")
        if clip is not None and norm > clip:
            g.mul_(clip / (norm + 1e-6))
        b1, b2, eps, wd = cfg["beta1"], cfg["beta2"], cfg["epsilon"], cfg["weightDecay"]
        lr = float(h["lr"])
        s["t"] += 1
        t = s["t"]
        m, v = s["m"], s["v"]
        m.mul_(b1).add_(g, alpha=1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        denom = (v.sqrt() / math.sqrt(1 - b2 ** t)).add_(eps)
        with torch.no_grad():
            if wd:
                P.mul_(1 - lr * wd)
            P.addcdiv_(m, denom, value=-lr / (1 - b1 ** t))
            if s["ema"] is not None:
                dk = min(cfg["ema"], (1 + t) / (10 + t))
                s["ema"].mul_(dk).add_(P, alpha=1 - dk)
        return {"loss": lv, "gradNorm": norm, "applied": True, "adamT": t}, []

    def predict(self, h, a):
        x, y = self.batch(a, "x"), self.batch(a, "y")
        with torch.no_grad(), self.autocast():
            out = self.net.forward(x, self.params(h.get("weights", "params")), False).float()
        loss = float(self.train["loss"](out, y).item())
        return {"loss": loss}, [("y", out.permute(0, 2, 3, 1))]


def main():
    server = Server()
    while True:
        h, a = read_frame()
        op = h.get("op")
        if op == "close":
            write_frame({"ok": True})
            return
        try:
            fn = {"init": server.init, "run": server.run, "collect": server.collect,
                  "train_init": server.train_init, "step": server.step,
                  "get": server.get, "set": server.set, "predict": server.predict}[op]
            reply, arrays = fn(h, a)
            write_frame(dict(reply, ok=True), arrays)
        except Exception as e:  # reported to durn, which decides; the process stays usable
            oom = isinstance(e, getattr(torch.cuda, "OutOfMemoryError", ())) or "out of memory" in str(e)
            write_frame({"ok": False, "error": f"{type(e).__name__}: {e}", "oom": oom})


if __name__ == "__main__":
    main()
