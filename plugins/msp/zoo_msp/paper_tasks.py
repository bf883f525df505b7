"""Sequence-prediction tasks on the paper's datasets, read from the user's local copy.

Evaluation is the sequential-digits one (:class:`zoo_msp.tasks.SequentialDigitsTask`:
per-step prediction error against copy-last-frame, equivariance error, block structure of
``M*`` after SBD); what changes per dataset is the data, the sequence lengths and the SBD
sequences, as the official notebooks set them:

=========================  ==========  ===========  ======  ======================================
task                       train T     eval T       T_cond  data (official generator arguments)
=========================  ==========  ===========  ======  ======================================
sequential-mnist           3 (max 9)   10 (max 10)  2       MNIST digit 4; rotation, hue, translation
sequential-mnist-bg        3 (max 9)   10           2       the same on the authors' backgrounds
sequential-mnist-bg-full   3 (max 9)   10           2       all digits on backgrounds
sequential-mnist-accl      10          20           5       digit 4, accelerated laws, no translation
3dshapes                   3           8            2       shape 0 (``train=True``, also for eval)
smallnorb                  3           6            2       elevation and azimuth; test split for eval
=========================  ==========  ===========  ======  ======================================

SBD collects ``M*`` on training-split sequences as ``block_diagonalization.ipynb`` does:
MNIST variants ``T = 10`` with velocities +-0.2; 3DShapes ``T = 8``; SmallNORB ``T = 6``.
"""

from __future__ import annotations

from zoo_msp import paper_data
from zoo_msp.tasks import SequentialDigitsTask

__all__ = ["SequentialMNISTTask", "SequentialMNISTBgTask", "SequentialMNISTBgFullTask",
           "SequentialMNISTAcclTask", "ThreeDShapesTask", "SmallNORBTask"]

_ACCL = dict(angle_velocity=(-0.2, 0.2), angle_accl=(-0.025, 0.025), color_velocity=(-0.2, 0.2),
             color_accl=(-0.025, 0.025), max_pos=(0.0, 0.0), max_trans_accl=(0.0, 0.0))


class SequentialMNISTTask(SequentialDigitsTask):
    """Sequential MNIST (official ``configs/mnist``): digit 4, rotation, hue and translation."""

    name = "sequence-prediction/sequential-mnist"
    datasets = ("mnist",)
    background = False
    only_digit: int | None = 4

    def _mnist(self, split, **laws):
        return paper_data.mnist_sequences(split, background=self.background, only_digit=self.only_digit,
                                          **laws)

    def dataset(self, split: str = "train", *, T: int | None = None, seed: int = 0, length: int | None = None):
        """``T`` frames; training uses ``max_T = 9``, evaluation (``T`` given) ``max_T = T``."""
        T_max = 9 if T is None or split == "train" else T
        return self._mnist(split, T=T or self.train_T, max_T=T_max, seed=seed, length=length)

    def sbd_dataset(self):
        return self._mnist("train", T=10, max_T=10, angle_velocity=(-0.2, 0.2), color_velocity=(-0.2, 0.2))


class SequentialMNISTBgTask(SequentialMNISTTask):
    """MNIST-bg (official ``configs/mnist_bg``): digit 4 on the authors' backgrounds."""

    name = "sequence-prediction/sequential-mnist-bg"
    datasets = ("mnist-bg",)
    background = True


class SequentialMNISTBgFullTask(SequentialMNISTBgTask):
    """MNIST-bg-full (``configs/mnist_bg`` with ``only_use_digit4=False``): all digits on backgrounds."""

    name = "sequence-prediction/sequential-mnist-bg-full"
    only_digit = None


class SequentialMNISTAcclTask(SequentialMNISTTask):
    """Accelerated Sequential MNIST (official ``configs/mnist_accl``): digit 4, ``T = max_T = 10``."""

    name = "sequence-prediction/sequential-mnist-accl"
    train_T, T_cond, eval_T = 10, 5, 20

    def dataset(self, split: str = "train", *, T: int | None = None, seed: int = 0, length: int | None = None):
        T = T or self.train_T
        return self._mnist(split, T=T, max_T=T, seed=seed, length=length, **_ACCL)

    def sbd_dataset(self):
        return self._mnist("train", T=self.T_cond, max_T=self.T_cond, **_ACCL)


class ThreeDShapesTask(SequentialDigitsTask):
    """3DShapes factor sequences (official ``configs/3dshapes``; notebooks evaluate on shape 0 too)."""

    name = "sequence-prediction/3dshapes"
    datasets = ("3dshapes",)
    train_T, T_cond, eval_T = 3, 2, 8

    def dataset(self, split: str = "train", *, T: int | None = None, seed: int = 0, length: int | None = None):
        paper_data.is_train(split)  # validated only: the notebooks evaluate on the training shape too
        return paper_data.shapes3d_sequences(T=T or self.train_T, seed=seed, length=length or 5000)

    def sbd_dataset(self):
        return paper_data.shapes3d_sequences(T=self.eval_T)


class SmallNORBTask(SequentialDigitsTask):
    """SmallNORB elevation/azimuth sequences (official ``configs/smallNORB``)."""

    name = "sequence-prediction/smallnorb"
    datasets = ("smallnorb",)
    train_T, T_cond, eval_T = 3, 2, 6

    def dataset(self, split: str = "train", *, T: int | None = None, seed: int = 0, length: int | None = None):
        return paper_data.smallnorb_sequences(split, T=T or self.train_T, seed=seed, length=length or 5000)

    def sbd_dataset(self):
        return paper_data.smallnorb_sequences("train", T=self.eval_T)
