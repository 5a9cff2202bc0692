"""Ship a trained reader: copy a train_reader.py folder into rag/data, its low-rank updates in bfloat16.

    python benchmarks/ship_reader.py benchmarks/out/reader-24l [--orders-only] [--note TEXT]

The updates are trained in float32; stored in bfloat16 they take half the room (8.4 MB for all 24 layers
instead of 16.8) and read the same: they are merged into the model's own weights (bfloat16 or float32)
when the reader loads. With --orders-only the reader's threshold is left out of reader.json: the
reader orders the candidates and the sentence scorer decides whether anything answers (the calibrated
threshold stays in `info` for the record).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from rag.reader import BUILTIN_CONFIG, BUILTIN_WEIGHTS  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", type=Path, help="what train_reader.py --out (and tune_reader.py --write) made")
    p.add_argument("--orders-only", action="store_true")
    p.add_argument("--note", default="", help="why, for reader.json's info")
    args = p.parse_args()
    import torch
    from safetensors.torch import load_file, save_file

    state = load_file(str(args.folder / BUILTIN_WEIGHTS.name))
    save_file({k: v.to(torch.bfloat16).contiguous() for k, v in state.items()}, str(BUILTIN_WEIGHTS))
    config = json.loads((args.folder / BUILTIN_CONFIG.name).read_text(encoding="utf-8"))
    if "blend" not in config:
        print("calibrate the blend first: python benchmarks/tune_reader.py --reader-weights FOLDER --write",
              file=sys.stderr)
        return 2
    if args.orders_only:
        config["info"]["calibrated_threshold"] = config["threshold"]
        config["threshold"] = None
    if args.note:
        config["info"]["note"] = args.note
    config["info"]["stored"] = "bfloat16 (trained in float32; python benchmarks/ship_reader.py)"
    BUILTIN_CONFIG.write_text(json.dumps(config, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {BUILTIN_WEIGHTS} ({BUILTIN_WEIGHTS.stat().st_size / 1e6:.1f} MB) and {BUILTIN_CONFIG}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
