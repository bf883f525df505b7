"""Train example-mlp-digits, write it in Hub layout and record what was published.

    python -m zoo_example.train HUB_DIR      # writes HUB_DIR/zoo-examples/example-mlp-digits

The commit id, sha256 and test accuracy go to ``zoo_example/weights.json``, which the plugin's
catalog reads: nothing is typed by hand.
"""

import json
import sys
from pathlib import Path

import torch

REPO = "zoo-examples/example-mlp-digits"


def train(hub_dir: str, steps: int = 400, seed: int = 0) -> dict:
    import zoo
    from zoo_core.hubserver import HubFolder
    from zoo_example.task import DigitsClassification

    torch.manual_seed(seed)
    model = zoo.create("example-mlp-digits")
    task = DigitsClassification()
    images, labels = task.dataset("train").tensors
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        loss = torch.nn.functional.cross_entropy(model(images), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    folder = Path(hub_dir) / REPO
    model.save_pretrained(folder)
    config = json.loads((folder / "config.json").read_text())
    published = {"revision": HubFolder(hub_dir).commit(folder), "files": config["files"],
                 "results": task.evaluate(model)}
    Path(__file__).with_name("weights.json").write_text(json.dumps(published, indent=2) + "\n")
    return published


if __name__ == "__main__":
    print(json.dumps(train(sys.argv[1]), indent=2))
