"""Task ``generation/digits32``: digits-FID, a digits Inception-Score and intra-class FID.

The feature extractor is :class:`~zoo_sngan.fid.DigitsFeatureNet`, trained **on the fly**
by :func:`~zoo_sngan.fid.train_digits_feature_net` (seed 0, 30 epochs on the digits train
split, single-threaded, a few seconds; cached per process). Training it is deterministic
on a given machine, so no extra weights have to be published and every number below is
reproducible from the code alone. The numbers are *digits* metrics, not comparable with
Inception FID/IS.

Metrics (``evaluate(model, limit=None, seed=0)``):

* ``digits_fid``: Frechet distance between 64-d features of ``n_fake`` samples and of the
  360 test images;
* ``digits_is``: ``exp E_x KL(p(y|x) || p(y))`` of the digits classifier on the same
  samples (one split; at most 10);
* conditional models also get ``digits_intra_fid`` (mean over the 10 classes of the FID
  between ``n_per_class`` samples of class ``c`` and all 1,797 real images of class ``c``,
  as the projection paper's intra-FID) and ``class_accuracy`` (how often the classifier
  recognises the requested class in those samples).

Samples are drawn in eval mode from ``torch.Generator().manual_seed(seed)``; the whole
evaluation runs single-threaded so the numbers do not depend on the thread count.
"""

from __future__ import annotations

import functools

import torch

from zoo_core.eval import single_thread

__all__ = ["DigitsGeneration", "FontDigitsGeneration"]


@functools.lru_cache(maxsize=1)
def _feature_net():
    from zoo_sngan.fid import train_digits_feature_net

    with single_thread(), torch.enable_grad():
        return train_digits_feature_net(seed=0)


@functools.lru_cache(maxsize=1)
def _font_feature_net():
    from zoo_sngan.fid import train_fontdigits_feature_net

    with single_thread(), torch.enable_grad():
        return train_fontdigits_feature_net(seed=0)


class DigitsGeneration:
    """Task ``generation/digits32`` (scikit-learn digits upsampled to 32x32 RGB).

    Args:
        n_fake: samples for ``digits_fid`` and ``digits_is``.
        n_per_class: samples per class for ``digits_intra_fid`` (conditional models).
        batch_size: sampling batch.
    """

    name = "generation/digits32"

    def __init__(self, *, n_fake: int = 1000, n_per_class: int = 200, batch_size: int = 250) -> None:
        if n_fake < 2 or n_per_class < 2 or batch_size < 1:
            raise ValueError(f"n_fake and n_per_class must be >= 2 and batch_size >= 1; got "
                             f"{n_fake}, {n_per_class}, {batch_size}")
        self.n_fake, self.n_per_class, self.batch_size = n_fake, n_per_class, batch_size

    def tensors(self, split: str):
        """``(images, labels)`` of a split (``train``, ``test`` or ``all``)."""
        from zoo_sngan.data import digits32_tensors

        return digits32_tensors(split)

    # the real images the metrics compare with: FID/IS against ``fid_split``, intra-FID per
    # class against ``intra_split``
    fid_split, intra_split = "test", "all"

    def dataset(self, split: str):
        """The split as a TensorDataset of ``(image, label)``."""
        from torch.utils.data import TensorDataset

        return TensorDataset(*self.tensors(split))

    def feature_net(self):
        """The digits classifier whose 64-d features define digits-FID (trained once)."""
        return _feature_net()

    @torch.no_grad()
    def _samples(self, model, n: int, labels, gen: torch.Generator) -> torch.Tensor:
        out = []
        for start in range(0, n, self.batch_size):
            k = min(self.batch_size, n - start)
            y = None if labels is None else labels[start:start + k]
            out.append(model.sample(k, y, generator=gen).float().cpu())
        return torch.cat(out)

    @torch.no_grad()
    def evaluate(self, model, *, limit: int | None = None, seed: int = 0,
                 n_fake: int | None = None, n_per_class: int | None = None) -> dict[str, float]:
        """Digits-FID, digits-IS, the classifier's mean max-softmax on the samples
        (``digits_max_softmax``; and intra-FID, class accuracy if conditional) of ``model``.

        Args:
            model: an :class:`~zoo_sngan.models.SNGAN` (anything with ``sample`` and
                ``n_classes``); put in eval mode here.
            limit: cap on the number of samples (fast checks; numbers are then noisier).
            seed: seeds the latents and labels.
            n_fake, n_per_class: override the task defaults.
        """
        from zoo_sngan.fid import FrechetDistance

        n_fake = int(n_fake or self.n_fake)
        n_per_class = int(n_per_class or self.n_per_class)
        if limit is not None:
            n_fake, n_per_class = min(n_fake, max(2, limit)), min(n_per_class, max(2, limit // 10))
        model.eval()
        net = self.feature_net()
        with single_thread():
            gen = torch.Generator().manual_seed(seed)
            fakes = self._samples(model, n_fake, None, gen)
            real, _ = self.tensors(self.fid_split)
            fid = FrechetDistance(net)
            fid.update(real, real=True)
            fid.update(fakes, real=False)
            probs = net.classify(fakes).double().softmax(-1)
            marginal = probs.mean(0, keepdim=True)
            kl = (probs * (probs.clamp_min(1e-30).log() - marginal.log())).sum(-1)
            results = {"digits_fid": round(float(fid.compute()), 5),
                       "digits_is": round(float(kl.mean().exp()), 5),
                       # how sure the classifier is that a sample is some digit (1 = certain)
                       "digits_max_softmax": round(float(probs.max(-1).values.mean()), 5)}
            n_classes = int(getattr(model, "n_classes", 0) or 0)
            if n_classes:
                real_all, labels_all = self.tensors(self.intra_split)
                intra, correct = [], 0
                for c in range(n_classes):
                    labels = torch.full((n_per_class,), c, dtype=torch.long)
                    fc = self._samples(model, n_per_class, labels, gen)
                    correct += int((net.classify(fc).argmax(-1) == c).sum())
                    m = FrechetDistance(net)
                    m.update(real_all[labels_all == c], real=True)
                    m.update(fc, real=False)
                    intra.append(float(m.compute()))
                results["digits_intra_fid"] = round(sum(intra) / len(intra), 5)
                results["class_accuracy"] = round(correct / (n_classes * n_per_class), 5)
        return results


class FontDigitsGeneration(DigitsGeneration):
    """Task ``generation/fontdigits32``: digits rendered from matplotlib's fonts with random
    affine distortions (:mod:`zoo_sngan.fontdigits`), 32x32.

    The same metrics as ``generation/digits32``, with a :class:`~zoo_sngan.fid.DigitsFeatureNet`
    trained on the fontdigits32 train split (seed 0, 4 epochs, single-threaded, ~1 minute,
    cached per process; 0.95 accuracy on the test split): ``digits_fid`` against the 2,000
    test images (half from held-out fonts), ``digits_intra_fid`` per class against the 1,200
    train images of that class, ``class_accuracy`` of the classifier on class-conditional
    samples.
    """

    name = "generation/fontdigits32"
    fid_split, intra_split = "test", "train"

    def tensors(self, split: str):
        """``(images, labels)`` of the ``train`` or ``test`` split."""
        from zoo_sngan.fontdigits import font_digits32_tensors

        return font_digits32_tensors(split)

    def feature_net(self):
        """The fontdigits classifier whose 64-d features define digits-FID (trained once)."""
        return _font_feature_net()
