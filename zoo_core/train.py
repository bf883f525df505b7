"""``zoo train NAME``: run the training recipe a model's plugin declares.

A plugin declares recipes with the ``zoo_recipes`` hook (``{recipe_name: "module:function"}``);
a catalog entry names its recipe and settings under ``train``::

    train: {recipe: msp, steps: 3000, batch_size: 32, lr: 3.0e-4}

The function is called as ``fn(config=<model config>, **settings)`` and returns a ``Recipe``.
This module runs it: seeded, on one process or under ``torchrun`` (DDP with gloo on the CPU,
nccl on CUDA), with EMA where the recipe asks for it, resumable checkpoints, a tqdm bar and a
JSONL log. The output folder is in Hub layout: ``config.json``, one safetensors file per
component, and a model card ``README.md`` that says how, on what and for how long the weights
were trained.

Determinism: the batch drawn at each step depends only on (seed, draw index), so training N
steps equals N/2 steps, resume, N/2 steps; under DDP each of W processes takes every W-th
example of the same global batch and gradients are averaged, which equals one process with
that global batch (for losses that are means over the batch and use no per-process randomness).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import torch
from torch import nn

from zoo_core.errors import ZooError

LossFn = Callable[[nn.Module, Any, int], "tuple[torch.Tensor, dict[str, float]] | torch.Tensor"]


@dataclasses.dataclass
class Phase:
    """One optimisation phase of a training step (a GAN has a discriminator and a generator phase).

    ``loss(model, batch, step)`` returns a scalar (or ``(scalar, logs)``); ``parameters(model)``
    picks the parameters this phase updates; ``repeat`` runs it several times per step (n_dis);
    ``scheduler(optimizer)`` builds a learning-rate scheduler stepped once per training step.
    """

    name: str
    loss: LossFn
    optimizer: Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]
    parameters: Callable[[nn.Module], Iterable[nn.Parameter]] = lambda m: m.parameters()
    repeat: int = 1
    scheduler: Callable[[torch.optim.Optimizer], Any] | None = None


@dataclasses.dataclass
class Recipe:
    """Everything ``zoo train`` needs from a plugin.

    Args:
        dataset: ``seed -> torch Dataset`` of training examples.
        phases: the optimisation phases of one step, in order.
        steps: number of training steps.
        batch_size: global batch size (split across processes under DDP).
        ema: decay of an exponential moving average of the weights (the EMA weights are saved).
        collate: batch collation (default: torch's).
        data: one line saying what the training data is (goes into the model card).
        card: extra Markdown for the model card.
    """

    dataset: Callable[[int], torch.utils.data.Dataset]
    phases: Sequence[Phase]
    steps: int
    batch_size: int
    ema: float | None = None
    collate: Callable | None = None
    data: str = ""
    card: str = ""


def single_phase(loss: LossFn, lr: float, *, betas=(0.9, 0.999), weight_decay: float = 0.0,
                 optimizer: str = "adam") -> list[Phase]:
    """The common case: one loss, one Adam(W) optimizer over all parameters."""
    cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[optimizer]
    return [Phase("main", loss, lambda params: cls(params, lr=lr, betas=betas, weight_decay=weight_decay))]


# --- distributed helpers -------------------------------------------------------------------

def _dist_setup() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    rank = torch.distributed.get_rank() if world > 1 else 0
    return rank, world


def _average_gradients(params: list[nn.Parameter], world: int) -> None:
    if world == 1:
        return
    for p in params:
        if p.grad is not None:
            torch.distributed.all_reduce(p.grad)
            p.grad /= world


class _Batches:
    """Global batch for draw ``d``: a slice of a permutation seeded by (seed, epoch); stateless."""

    def __init__(self, dataset, batch_size: int, seed: int, rank: int, world: int, collate) -> None:
        self.dataset, self.batch_size, self.seed = dataset, batch_size, seed
        self.rank, self.world = rank, world
        self.collate = collate or torch.utils.data.default_collate
        self.per_epoch = len(dataset) // batch_size
        if self.per_epoch == 0:
            raise ZooError(f"the training set has {len(dataset)} examples, fewer than one batch of {batch_size}")
        if batch_size % world:
            raise ZooError(f"batch size {batch_size} must be divisible by the {world} processes")
        self._perm: tuple[int, torch.Tensor] | None = None

    def __call__(self, draw: int):
        epoch, j = divmod(draw, self.per_epoch)
        if self._perm is None or self._perm[0] != epoch:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._perm = (epoch, torch.randperm(len(self.dataset), generator=g))
        idx = self._perm[1][j * self.batch_size:(j + 1) * self.batch_size][self.rank::self.world]
        return self.collate([self.dataset[int(i)] for i in idx])


# --- the loop ------------------------------------------------------------------------------

def recipe_for(name: str, **settings: Any) -> tuple[Any, Recipe]:
    """The catalog entry and the Recipe for model ``name`` (settings override the catalog's)."""
    import zoo

    entry = zoo.registry().resolve(name)
    train = {**entry.train, **settings}
    if "recipe" not in train:
        raise ZooError(f"{name!r} has no training recipe (catalog field train.recipe); "
                       "only models with a recipe can be trained with `zoo train`")
    recipe_name = train.pop("recipe")
    fn = zoo.resolve_ref("zoo_recipes", recipe_name, plugin=entry.plugin)
    return entry, fn(config=dict(entry.config), **train)


def train(name: str, *, out: str | Path | None = None, steps: int | None = None, seed: int = 0,
          resume: bool = False, overwrite: bool = False, save_every: int | None = None,
          progress: bool = True, **settings: Any) -> Path:
    """Train model ``name`` with its recipe and write the Hub-layout folder; returns its path.

    An ``out`` folder that holds an earlier run is refused unless ``resume`` (continue from its
    checkpoint) or ``overwrite`` (replace it). Works in one process and under
    ``torchrun --nproc_per_node W`` (each process runs this).
    """
    import zoo
    from zoo_core.checks import SEED_MAX, require

    rank, world = _dist_setup()
    entry, recipe = recipe_for(name, **settings)
    total = int(steps if steps is not None else recipe.steps)
    require(total, 1, "steps" if steps is not None else f"the recipe of {entry.name!r} (train.steps)",
            "a number of steps")
    require(save_every, 1, "save_every", "a number of steps")
    require(seed, 0, "seed", "a seed", high=SEED_MAX)
    if resume and overwrite:
        raise ZooError("--resume continues the run in --out and --overwrite replaces it: pass one of them")
    out = Path(out or Path("runs") / name)
    ckpt_path = out / "checkpoints" / "last.pt"
    state = _resume_state(ckpt_path, total) if resume else None
    if rank == 0:
        _prepare_out(out, resume=resume, overwrite=overwrite)
    torch.manual_seed(seed)
    model = zoo.create(name)
    model.train()
    phases = list(recipe.phases)
    params = {ph.name: [p for p in ph.parameters(model) if p.requires_grad] for ph in phases}
    optims = {ph.name: ph.optimizer(params[ph.name]) for ph in phases}
    scheds = {ph.name: ph.scheduler(optims[ph.name]) for ph in phases if ph.scheduler}
    ema = None
    if recipe.ema:
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(recipe.ema), use_buffers=True)
    batches = _Batches(recipe.dataset(seed), recipe.batch_size, seed, rank, world, recipe.collate)
    start, draws, history = 0, 0, []
    if state is not None:
        model.load_state_dict(state["model"])
        for k, o in optims.items():
            o.load_state_dict(state["optimizers"][k])
        for k, sch in scheds.items():
            sch.load_state_dict(state["schedulers"][k])
        if ema is not None:
            ema.load_state_dict(state["ema"])
        start, draws = state["step"], state["draws"]
        history = list(state.get("history", []))  # earlier invocations: steps, processes, seconds
        torch.set_rng_state(state["rng"])
    log = _open_log(out / "train_log.jsonl", upto=start if resume else None) if rank == 0 else None
    bar = None
    if progress and rank == 0:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, initial=start, desc=f"train {name}", unit="step", disable=None)
    t0, earlier = time.time(), sum(h["seconds"] for h in history)  # log times include earlier invocations

    def segment(end: int) -> list[dict]:
        """The run's history including this invocation up to step ``end``."""
        return history + [{"start": start, "end": end, "world": world, "threads": torch.get_num_threads(),
                           "seconds": time.time() - t0}]

    step = start
    for step in range(start, total):
        logs: dict[str, float] = {}
        for ph in phases:
            for _ in range(ph.repeat):
                batch = batches(draws)
                draws += 1
                result = ph.loss(model, batch, step)
                loss, extra = result if isinstance(result, tuple) else (result, {})
                optims[ph.name].zero_grad(set_to_none=True)
                loss.backward()
                _average_gradients(params[ph.name], world)
                optims[ph.name].step()
                logs[f"{ph.name}/loss"] = float(loss.detach())
                logs.update({f"{ph.name}/{k}": float(v) for k, v in extra.items()})
        for sch in scheds.values():
            sch.step()
        if ema is not None:
            ema.update_parameters(model)
        if log is not None:
            log.write(json.dumps({"step": step + 1, **logs, "time_s": round(earlier + time.time() - t0, 3)}) + "\n")
        if bar is not None:
            bar.update(1)
            bar.set_postfix({k: f"{v:.4g}" for k, v in list(logs.items())[:3]})
        if save_every and (step + 1) % save_every == 0 and step + 1 < total:
            _checkpoint(ckpt_path, model, optims, scheds, ema, step + 1, draws, rank, segment(step + 1))
    if bar is not None:
        bar.close()
    _checkpoint(ckpt_path, model, optims, scheds, ema, total, draws, rank, segment(total))
    if log is not None:
        log.close()
    if rank == 0:
        final = ema.module if ema is not None else model
        final.__dict__.update(zoo_name=model.zoo_name, config=model.config, builder=model.builder,
                              zoo_plugin=model.zoo_plugin)
        final.eval()
        card = model_card(entry, recipe, steps=total, seed=seed, history=segment(total),
                          log_path=out / "train_log.jsonl")
        final.save_pretrained(out, card=card)
    if world > 1:
        torch.distributed.barrier()
    return out


RUN_FILES = ("config.json", "README.md", "train_log.jsonl", "checkpoints")  # and *.safetensors


def _earlier_run(out: Path) -> list[str]:
    """The names in ``out`` that an earlier ``zoo train`` wrote there."""
    if not out.is_dir():
        return []
    return sorted(p.name for p in out.iterdir() if p.name in RUN_FILES or p.suffix == ".safetensors")


def _prepare_out(out: Path, *, resume: bool, overwrite: bool) -> None:
    """Make ``out`` ready to write, losing nothing the caller did not ask to lose."""
    if out.exists() and not out.is_dir():
        raise ZooError(f"--out {out} is a file, not a folder; choose a folder for the run")
    earlier = _earlier_run(out)
    if earlier and not (resume or overwrite):
        raise ZooError(f"--out {out} holds an earlier run ({', '.join(earlier)}); pass --resume to "
                       "continue it, --overwrite to replace it, or another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=out).close()
    except OSError as exc:
        raise ZooError(f"cannot write the run to --out {out}: {exc.strerror or exc}; "
                       "choose a folder you can write to") from None
    if overwrite:
        for name in earlier:
            path = out / name
            shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


def _resume_state(ckpt_path: Path, total: int) -> dict:
    """The checkpoint to resume from, checked against the ``total`` steps asked for."""
    if not ckpt_path.is_file():
        raise ZooError(f"--resume: no checkpoint at {ckpt_path}; start without --resume")
    state = torch.load(ckpt_path, map_location="cpu", weights_only=True)
    if state["step"] >= total:
        raise ZooError(f"--resume: the checkpoint at {ckpt_path} has trained {state['step']} steps "
                       f"already, so {total} steps leaves nothing to do; pass --steps with more than "
                       f"{state['step']} to train further")
    return state


def _open_log(path: Path, *, upto: int | None):
    """The JSONL log, opened to append; resuming from step ``upto`` keeps only the records up to
    it (steps after the checkpoint are trained again, so their records would appear twice)."""
    if upto is None:
        return open(path, "w")

    def step(line: str) -> float:  # a line cut short by a killed run counts as after the checkpoint
        try:
            return json.loads(line)["step"]
        except (ValueError, KeyError, TypeError):
            return float("inf")

    lines = path.read_text().splitlines(keepends=True) if path.is_file() else []
    path.write_text("".join(line for line in lines if step(line) <= upto))
    return open(path, "a")


def _checkpoint(path: Path, model, optims, scheds, ema, step: int, draws: int, rank: int,
                history: list[dict]) -> None:
    if rank != 0:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"model": model.state_dict(), "optimizers": {k: o.state_dict() for k, o in optims.items()},
             "schedulers": {k: s.state_dict() for k, s in scheds.items()},
             "step": step, "draws": draws, "rng": torch.get_rng_state(), "history": history}
    if ema is not None:
        state["ema"] = ema.state_dict()
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def _processes(h: dict) -> str:
    """``"1 process(es) of 2 thread(s)"`` (runs from before the thread count was kept: processes only)."""
    threads = f" of {h['threads']} thread(s)" if "threads" in h else ""
    return f"{h['world']} process(es){threads}"


def describe_history(history: list[dict]) -> str:
    """``"1 process(es) of 1 thread(s), 12.5 min"``, or per invocation when a run was resumed."""
    minutes = sum(h["seconds"] for h in history) / 60
    if len(history) == 1:
        return f"{_processes(history[0])}, {minutes:.1f} min"
    parts = [f"steps {h['start'] + 1}-{h['end']} in {_processes(h)}, {h['seconds'] / 60:.1f} min"
             for h in history]
    return f"{minutes:.1f} min in all, resumed {len(history) - 1} time(s): " + "; ".join(parts)


def model_card(entry, recipe: Recipe, *, steps: int, seed: int, history: list[dict],
               log_path: Path | None = None, results: dict | None = None) -> str:
    """The Hub model card: front matter (license, datasets, tags, model-index) and an honest body.

    ``history`` lists the invocations that trained it: ``{"start", "end", "world", "threads", "seconds"}``.
    """
    from zoo_core.interfaces import ModelCard

    prov = dict(entry.provenance)
    last = {}
    if log_path and log_path.is_file():
        lines = log_path.read_text().strip().splitlines()
        last = json.loads(lines[-1]) if lines else {}
    body = [
        "## Training",
        "",
        f"Trained by this project with `zoo train {entry.name} --seed {seed}` "
        f"({steps} steps, global batch {recipe.batch_size}, {describe_history(history)} "
        f"on {'CUDA' if torch.cuda.is_available() else 'CPU'}"
        f"{', EMA decay ' + str(recipe.ema) if recipe.ema else ''}).",
        "",
        f"Data: {recipe.data or prov.get('data', 'see the recipe')}.",
    ]
    if last:
        body += ["", "Final training losses: " + ", ".join(f"{k} {v:.4g}" for k, v in last.items()
                                                        if k.endswith("loss")) + "."]
    if recipe.card:
        body += ["", recipe.card.strip()]
    body += ["", "## License and provenance", "",
             f"Weights: {prov.get('license', 'see the catalog')} (trained by this project)."]
    if prov.get("code"):
        body += ["", f"Architecture reimplemented from the official code: {prov['code']} "
                     f"(upstream license: {prov.get('code_license', prov.get('license', 'see upstream'))}); "
                     "no upstream code or weights are redistributed."]
    if prov.get("citation"):
        body += ["", "## Citation", "", "```bibtex", str(prov["citation"]).strip(), "```"]
    body += ["", "## Results", "", "Written by `zoo eval --write`; none yet." if not results else
             "\n".join(f"- {k}: {v}" for k, v in results.items())]
    card = ModelCard(name=entry.name, summary=entry.description or entry.name,
                     license=str(prov.get("license", "other")), paper=prov.get("paper"),
                     datasets=[str(prov["dataset_id"])] if prov.get("dataset_id") else [],
                     tags=[entry.task.split("/")[0]] if entry.task else [], results=results or {},
                     task=entry.task, body="\n".join(body))
    return card.render()


__all__ = ["Recipe", "Phase", "single_phase", "train", "recipe_for", "model_card"]
