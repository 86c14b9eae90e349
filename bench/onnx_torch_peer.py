"""The PyTorch side of bench/onnx.mjs: the published EmoHeal (the class the parity test checks the workstation
against, test/fixtures/torch/make_paper_parity.py) with the parity test's scaled-up weights, written to
OUT_DIR/weights.safetensors for the workstation to import; its one-window latency in eager mode (eval, no_grad,
median); and the same model exported by torch.onnx.export (opset 17, dynamic batch) to OUT_DIR/torch.onnx, as a
lab would export it. Prints one JSON object.

Usage: python onnx_torch_peer.py OUT_DIR --threads N [--calls C]
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "torch"))
from make_paper_parity import CHANNELS, EmoHeal, scale_up, write_safetensors  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out_dir")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(11)
    model = EmoHeal()
    scale_up(model, torch.Generator().manual_seed(11))
    model.eval()
    write_safetensors(os.path.join(args.out_dir, "weights.safetensors"), model.state_dict())
    x = torch.randn(1, 20, len(CHANNELS))
    times = []
    with torch.no_grad():
        for _ in range(20):
            torch.softmax(model(x), dim=1)
        for _ in range(args.calls):
            start = time.perf_counter()
            torch.softmax(model(x), dim=1).numpy()
            times.append((time.perf_counter() - start) * 1000)
    onnx_file = os.path.join(args.out_dir, "torch.onnx")
    exported = None
    try:
        torch.onnx.export(
            model,
            x,
            onnx_file,
            opset_version=17,
            input_names=["windows"],
            output_names=["logits"],
            dynamic_axes={"windows": {0: "batch"}, "logits": {0: "batch"}},
        )
        exported = onnx_file
    except Exception as error:  # the bench reports it instead of failing
        print(f"torch.onnx.export failed: {error}", file=sys.stderr)
    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "threads": args.threads,
                "eagerMs": statistics.median(times),
                "eagerP10": sorted(times)[len(times) // 10],
                "eagerP90": sorted(times)[len(times) * 9 // 10],
                "onnxFile": exported,
                "onnxBytes": os.path.getsize(exported) if exported else None,
            }
        )
    )


if __name__ == "__main__":
    main()
