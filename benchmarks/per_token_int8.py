"""Tried for issue 12, not shipped: per-token (per-row) activation scales in the int8 embedding graph, so that
several texts can share one onnxruntime call without a text's vector depending on its batch.

The shipped graph (``cluster/models/minilm-l6-int8``) quantises each activation tensor with one dynamic scale
(``DynamicQuantizeLinear``), so in a batch every text's scale comes from the whole batch. Here each of those
nodes is rewritten as symmetric uint8 per row (scale = max |x| of the token / 127, zero point 128); the fused
``MatMulIntegerToFloat`` keeps a scalar activation scale of 1 and the row scale is one ``Mul`` after it
(onnxruntime's fusion reads a per-row scale as a per-column one). Prints CPU seconds (1 thread, best of
``--repeat``) at batch 1/8/32 for both graphs and the mean cosine of each to fp32 torch.

    HF_HUB_OFFLINE=1 PYTHONPATH=. python benchmarks/per_token_int8.py [--data DIR] [--texts 800]

Needs the ``onnx`` package (``pip install -e .[train]``).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import data_dir, iter_jsonl

STORIES_FILE = "fnc1_train_stories.jsonl"


def per_row_graph(source: Path, target: Path) -> None:
    """Write ``source`` with every DynamicQuantizeLinear made per-row symmetric (see the module docstring)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    graph.initializer.extend(
        numpy_helper.from_array(np.array(value, dtype), name)
        for name, value, dtype in [("pr_eps", 1e-8, np.float32), ("pr_127", 127.0, np.float32),
                                   ("pr_128f", 128.0, np.float32), ("pr_one", 1.0, np.float32),
                                   ("pr_zp128", 128, np.uint8)]
    )
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    after: dict[str, onnx.NodeProto] = {}
    for node in graph.node:
        if node.op_type != "DynamicQuantizeLinear":
            continue
        scale = node.output[1]
        for mul in consumers[scale]:  # scale × weight scale: the activation's part becomes 1 ...
            mul.input[list(mul.input).index(scale)] = "pr_one"
            (final,) = consumers[mul.output[0]]
            out = final.output[0]
            final.output[0] = out + "_unscaled"  # ... and the row scale multiplies the product after
            after[final.name] = helper.make_node("Mul", [out + "_unscaled", scale], [out], name=final.name + "_row")
    nodes = []
    for node in graph.node:
        if node.op_type == "DynamicQuantizeLinear":
            x, (q, s, z), p = node.input[0], node.output, node.name + "_pr"
            nodes += [
                helper.make_node("Abs", [x], [p + "_abs"]),
                helper.make_node("ReduceMax", [p + "_abs"], [p + "_max"], axes=[-1], keepdims=1),
                helper.make_node("Max", [p + "_max", "pr_eps"], [p + "_maxe"]),
                helper.make_node("Div", [p + "_maxe", "pr_127"], [s]),
                helper.make_node("Div", [x, s], [p + "_xs"]),
                helper.make_node("Round", [p + "_xs"], [p + "_r"]),
                helper.make_node("Add", [p + "_r", "pr_128f"], [p + "_r128"]),
                helper.make_node("Cast", [p + "_r128"], [q], to=TensorProto.UINT8),
                helper.make_node("Identity", ["pr_zp128"], [z]),
            ]
        else:
            nodes.append(node)
            if node.name in after:
                nodes.append(after[node.name])
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(target))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="benchmark data folder (default ../shared/data)")
    parser.add_argument("--texts", type=int, default=800, help="train paragraphs to embed (default 800)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = data_dir(args.data, (STORIES_FILE,))
    if data is None:
        print(f"per_token_int8: {STORIES_FILE} is not there (--data DIR); nothing measured")
        return 0
    from cluster.embed import default_model_path, load_encoder
    from cluster.embed_onnx import SHIPPED, OnnxEncoder

    paragraphs = sorted({p for r in iter_jsonl(data / STORIES_FILE) for p in str(r.get("text", "")).split("\n\n")
                         if len(p) > 40})
    rng = np.random.default_rng(0)
    texts = [paragraphs[i] for i in rng.choice(len(paragraphs), min(args.texts, len(paragraphs)), replace=False)]
    folder = default_model_path()
    reference = load_encoder(backend="torch").encode(texts)
    with tempfile.TemporaryDirectory() as tmp:
        rewritten = Path(tmp) / "model.onnx"
        per_row_graph(SHIPPED / "model.onnx", rewritten)
        for label, graph in (("shipped (per tensor)", SHIPPED / "model.onnx"), ("per token", rewritten)):
            alone = None
            for batch in (1, 8, 32):
                encoder = OnnxEncoder(graph, folder, "x", batch_size=batch, threads=1)
                encoder.encode(texts[:20])
                seconds, vectors = [], None
                for _ in range(args.repeat):
                    start = time.process_time()
                    vectors = encoder.encode(texts)
                    seconds.append(time.process_time() - start)
                assert vectors is not None
                alone = vectors if alone is None else alone
                print(f"{label:22s} batch {batch:2d}: {min(seconds):6.2f} CPU-s  cosine to fp32 "
                      f"{float((vectors * reference).sum(1).mean()):.5f}  min cosine to batch 1 "
                      f"{float((vectors * alone).sum(1).min()):.7f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
