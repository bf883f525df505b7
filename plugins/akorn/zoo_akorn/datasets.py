"""The AKOrN object-discovery paper datasets as the official code reads them (no torch here).

Each spec names the files the official loaders (``source/data/datasets/objs/*.py``) open;
``zoo data`` lists them and the tasks find them with ``zoo_core.data.dataset_root``.
The multi-object sets (Tetrominoes, Multi-dSprites, CLEVR) come as TFRecords and are turned
into npz files by the official ``data/convert_tfrecord_to_np.py``: per set, the first 64
scenes are ``*_eval.npz``, the next 320 ``*_test.npz``, then 10,000 ``*_val.npz`` and the
rest ``*_train.npz``; each holds ``images`` ``[N, 3, H, W]`` in [0, 1] and ``labels``
``[N, H, W]`` (0 background, 1.. objects).
"""

from __future__ import annotations

from zoo_core.data import DatasetSpec

_CONVERT = ("then write the npz files with the official `python data/convert_tfrecord_to_np.py "
            "--dataset_name={}` (autonomousvision/akorn; data/download_synths.sh does both)")

CLEVRTEX = DatasetSpec(
    name="clevrtex",
    title="CLEVRTex (Karazija et al., NeurIPS 2021 Datasets and Benchmarks): full, OOD and CAMO",
    url="https://www.robots.ox.ac.uk/~vgg/data/clevrtex/",
    layout=("clevrtex_full/*/CLEVRTEX_full_??????.png", "clevrtex_full/*/CLEVRTEX_full_??????_flat.png",
            "clevrtex_outd/*/CLEVRTEX_outd_??????.png", "clevrtex_camo/*/CLEVRTEX_camo_??????.png"),
    note=("unpack clevrtex_full_part1..5.tar.gz, clevrtex_outd.tar.gz and clevrtex_camo.tar.gz "
          "here, as the official data/download_clevrtex.sh does (each image needs its _flat.png mask)"),
)

TETROMINOES = DatasetSpec(
    name="tetrominoes",
    title="Tetrominoes (DeepMind multi-object-datasets; AKOrN npz layout, 32x32)",
    url="https://github.com/google-deepmind/multi_object_datasets",
    layout=("tetrominoes_train.npz", "tetrominoes_test.npz"),
    note="download tetrominoes/tetrominoes_train.tfrecords, " + _CONVERT.format("tetrominoes"),
)

DSPRITES = DatasetSpec(
    name="dsprites",
    title="Multi-dSprites colored_on_grayscale (DeepMind multi-object-datasets; AKOrN npz layout, 64x64)",
    url="https://github.com/google-deepmind/multi_object_datasets",
    layout=("colored_on_grayscale_train.npz", "colored_on_grayscale_test.npz"),
    note=("download multi_dsprites/multi_dsprites_colored_on_grayscale.tfrecords, "
          + _CONVERT.format("multi_dsprites") + " (the official data/multi_dsprites/ folder)"),
)

CLEVR = DatasetSpec(
    name="clevr",
    title="CLEVR6 (CLEVR with masks, DeepMind multi-object-datasets; AKOrN npz layout, 128x128)",
    url="https://github.com/google-deepmind/multi_object_datasets",
    layout=("clevr_train.npz", "clevr_test.npz"),
    note=("download clevr_with_masks/clevr_with_masks_train.tfrecords, " + _CONVERT.format("clevr_with_masks")
          + " (crop [29:221, 64:256], 128 px, at most 6 objects); it writes clevr_with_masks_*.npz, "
          "which the official loader reads as clevr_*.npz: rename them"),
)

__all__ = ["CLEVRTEX", "TETROMINOES", "DSPRITES", "CLEVR"]
