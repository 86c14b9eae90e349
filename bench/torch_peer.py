"""The PyTorch peer of `npm run bench:train`: the same two models, shapes and training step as the tfjs half.

- paper: the published EmoHeal ("TCN+CA-SA+GRU", 213,811 parameters), the very class the parity test checks
  the workstation's weights against (test/fixtures/torch/make_paper_parity.py), input [B, 20, 5].
- native-rate: the workstation's native-rate model mirrored from its TS config (given as JSON): one TCN per
  sensor at its own rate, channel and spatial attention after the TCN, each branch average-pooled to the
  shortest branch's length, concatenated, a BiGRU, dropout, Linear. Written the idiomatic PyTorch way, one
  module per sensor, as a lab would write it.

Training: Adam (lr 5e-4, weight decay 1e-4), cross-entropy, batch 32, shuffled random windows, the loss and
hits read back every step as the tfjs loop does. Inference: one window, eval mode, no_grad, median.
Prints one JSON object. Usage: python torch_peer.py --threads N --native-config JSON [--quick]
"""
import argparse
import io
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "torch"))
from make_paper_parity import CHANNELS, ChannelAttention, Chomp1d, EmoHeal, SpatialAttention  # noqa: E402

BATCH = 32


class NativeBlock(nn.Module):
    """conv -> ReLU -> dropout -> conv -> ReLU -> dropout, ReLU(out + residual), causal, dilated."""

    def __init__(self, n_inputs, n_outputs, kernel_size, dilation, dropout):
        super().__init__()
        padding = (kernel_size - 1) * dilation
        self.net = nn.Sequential(
            nn.Conv1d(n_inputs, n_outputs, kernel_size, padding=padding, dilation=dilation),
            Chomp1d(padding),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Conv1d(n_outputs, n_outputs, kernel_size, padding=padding, dilation=dilation),
            Chomp1d(padding),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.downsample = nn.Conv1d(n_inputs, n_outputs, 1) if n_inputs != n_outputs else None

    def forward(self, x):
        res = x if self.downsample is None else self.downsample(x)
        return F.relu(self.net(x) + res)


class NativeBranch(nn.Module):
    def __init__(self, channels, config, steps, fusion_steps):
        super().__init__()
        blocks = []
        for index, dilation in enumerate(config["dilations"]):
            n_inputs = channels if index == 0 else config["filters"]
            blocks.append(NativeBlock(n_inputs, config["filters"], config["kernelSize"], dilation, config["dropout"]))
        self.tcn = nn.Sequential(*blocks)
        self.attention = config["attention"]
        if self.attention != "after-tcn":
            raise SystemExit(f"the peer mirrors attention 'after-tcn' only, got {self.attention!r}")
        self.ca = ChannelAttention(config["filters"], config["attentionReduction"])
        self.sa = SpatialAttention()
        self.pool = steps // fusion_steps

    def forward(self, x):
        out = self.tcn(x)
        out = self.ca(out) * out
        out = self.sa(out) * out
        return F.avg_pool1d(out, self.pool) if self.pool > 1 else out


class NativeRate(nn.Module):
    """Inputs in config order, each [B, steps, channels] as the tfjs model takes them."""

    def __init__(self, config):
        super().__init__()
        self.steps = [int(s["rateHz"] * config["windowSeconds"]) for s in config["sensors"]]
        self.channels = [s["channels"] for s in config["sensors"]]
        fusion_steps = config.get("fusionSteps") or min(self.steps)
        self.branches = nn.ModuleList(
            NativeBranch(c, config, steps, fusion_steps) for c, steps in zip(self.channels, self.steps)
        )
        features = config["filters"] * len(self.branches)
        self.gru = nn.GRU(
            features, config["gruUnits"], num_layers=config["gruLayers"], batch_first=True, bidirectional=True
        )
        self.dropout = nn.Dropout(config["finalDropout"])
        self.fc = nn.Linear(2 * config["gruUnits"], config["classes"])

    def forward(self, *inputs):
        pooled = [branch(x.transpose(1, 2)) for branch, x in zip(self.branches, inputs)]
        sequence = torch.cat(pooled, dim=1).transpose(1, 2)
        out, _ = self.gru(sequence)
        return self.fc(self.dropout(out[:, -1, :]))


def input_shapes(name, model):
    if name == "paper":
        return [(20, len(CHANNELS))]
    return list(zip(model.steps, model.channels))


def random_windows(shapes, count, generator):
    inputs = [torch.randn(count, steps, channels, generator=generator) for steps, channels in shapes]
    labels = torch.randint(0, 2, (count,), generator=generator)
    return inputs, labels


def train_steps(model, shapes, steps, generator):
    inputs, labels = random_windows(shapes, steps * BATCH, generator)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-4, weight_decay=1e-4)
    model.train()
    started = time.perf_counter()
    order = torch.randperm(steps * BATCH, generator=generator)
    for step in range(steps):
        index = order[step * BATCH : (step + 1) * BATCH]
        optimizer.zero_grad()
        output = model(*[x[index] for x in inputs])
        loss = F.cross_entropy(output, labels[index])
        loss.backward()
        optimizer.step()
        loss.item()
        (output.argmax(1) == labels[index]).sum().item()
    return time.perf_counter() - started


def measure_training(model, shapes, quick, generator):
    train_steps(model, shapes, 3, generator)
    per_step = train_steps(model, shapes, 5, generator) / 5
    budget, low, high = (2, 5, 20) if quick else (25, 60, 400)
    steps = max(low, min(high, round(budget / per_step)))
    seconds = train_steps(model, shapes, steps, generator)
    return {"windowsPerSecond": steps * BATCH / seconds, "steps": steps, "seconds": seconds}


def measure_inference(model, shapes, quick, generator):
    inputs, _ = random_windows(shapes, 1, generator)
    model.eval()
    times = []
    with torch.no_grad():
        for _ in range(10):
            torch.softmax(model(*inputs), dim=1).numpy()
        deadline = time.perf_counter() + (1 if quick else 8)
        while len(times) < (50 if quick else 500) and (len(times) < 5 or time.perf_counter() < deadline):
            started = time.perf_counter()
            torch.softmax(model(*inputs), dim=1).numpy()
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "medianMs": statistics.median(times),
        "p10Ms": times[int(0.1 * len(times))],
        "p90Ms": times[min(len(times) - 1, int(0.9 * len(times)))],
        "runs": len(times),
    }


def size_on_disk(model):
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--native-config", required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(1)
    generator = torch.Generator().manual_seed(1)
    models = {"paper": EmoHeal(), "native-rate": NativeRate(json.loads(args.native_config))}
    results = []
    for name, model in models.items():
        shapes = input_shapes(name, model)
        started = time.perf_counter()
        training = measure_training(model, shapes, args.quick, generator)
        inference = measure_inference(model, shapes, args.quick, generator)
        results.append(
            {
                "model": name,
                "parameters": sum(p.numel() for p in model.parameters() if p.requires_grad),
                "sizeBytes": size_on_disk(model),
                "training": training,
                "inference": inference,
            }
        )
        print(
            f"[bench:torch] {args.threads} thread(s) {name}: {training['windowsPerSecond']:.0f} windows/s, "
            f"inference {inference['medianMs']:.2f} ms ({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
        )
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "python": sys.executable, "results": results}))


if __name__ == "__main__":
    main()
