"""Release example-mlp-digits with the Zoo runtime: train, evaluate, publish.

    python -m zoo_example.release HUB_DIR [--steps N]

Writes HUB_DIR/zoo-examples/example-mlp-digits in Hub layout (weights, config.json, model
card with results) and ``zoo_example/weights.json`` (commit, sha256, results), which the
plugin's catalog reads: nothing is typed by hand. The same steps by hand are
``zoo train``, ``zoo eval --weights DIR --write`` and ``zoo publish DIR --local HUB_DIR``.
"""

import argparse
import json
import tempfile
from pathlib import Path

REPO = "zoo-examples/example-mlp-digits"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hub_dir")
    parser.add_argument("--steps", type=int, default=None)
    args = parser.parse_args()

    from zoo_core.eval import evaluate, write_card_results
    from zoo_core.publish import publish
    from zoo_core.train import train

    out = train("example-mlp-digits", out=Path(tempfile.mkdtemp()) / "run", steps=args.steps)
    results = evaluate("example-mlp-digits", weights=out)
    write_card_results(out / "README.md", results, name="example-mlp-digits", task="classification/digits")
    weights = publish(out, REPO, local=args.hub_dir)
    published = {"revision": weights["revision"], "files": weights["files"], "results": results}
    Path(__file__).with_name("weights.json").write_text(json.dumps(published, indent=2) + "\n")
    print(json.dumps(published, indent=2))


if __name__ == "__main__":
    main()
