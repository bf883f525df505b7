"""The official side of benchmarks/ssdrl_parity.py: runs under Chainer (its own venv), never
imported by the plugin. Usage: CHAINER_PYTHON ssdrl_parity_official.py OFFICIAL_DIR IN.npz OUT_DIR

Builds the official classifiers (weights seeded by numpy), saves them with
``chainer.serializers.save_npz`` (the files our converter reads), runs the official forward,
``wrm_attack``, ``adversarial_attack`` and ``sswrm_loss`` on the batch in IN.npz, times the
forward (batch 1 and the training batch) and one official ``Updater.update()`` (method ssdrl),
and writes everything to OUT_DIR/official.npz. Harness-only swap: ``F.dropout`` is the identity
for the conv-large checks (dropout masks cannot be shared across frameworks).
"""

import os
import sys
import time

import numpy as np

official, inputs, out = sys.argv[1:4]
sys.path.insert(0, os.path.abspath(official))
import chainer  # noqa: E402
import chainer.functions as F  # noqa: E402

import attacks  # noqa: E402  (official modules)
import updater as official_updater  # noqa: E402
from classifiers.mnistcnn import MNISTClassifier  # noqa: E402
from classifiers import svhncnn  # noqa: E402

data = dict(np.load(inputs))
res = {}
reps = int(data["reps"])


def log(msg):
    print(f"[official {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def timed(fn, n=reps):
    fn()
    ts = []
    for _ in range(n):
        t = time.process_time()
        fn()
        ts.append(time.process_time() - t)
    return float(np.median(ts))


def seeded(link, seed):
    rng = np.random.RandomState(seed)
    for name, p in sorted(link.namedparams()):
        p.array[...] = rng.uniform(-1, 1, p.shape).astype(np.float32) * np.sqrt(3.0 / max(p.size // p.shape[0], 1))
    for name, l in sorted(link.namedlinks()):
        if hasattr(l, "avg_mean"):
            l.avg_mean[...] = rng.normal(0, 0.1, l.avg_mean.shape)
            l.avg_var[...] = rng.uniform(0.5, 1.5, l.avg_var.shape)


# --- MNISTClassifier (ELU, no BN): forward, WRM, PGM, SSDRL loss, timings ------------------------
cls = MNISTClassifier(ch=64, n_classes=10, activation="elu")
seeded(cls, 0)
chainer.serializers.save_npz(os.path.join(out, "MNISTClassifier_official.npz"), cls)
x, y, x_ul = data["x"], data["y"].astype(np.int32), data["x_ul"]
g = float(data["gamma"])
with chainer.using_config("train", False):
    res["mnist_logits"] = cls(x).array
    res["mnist_wrm"] = attacks.wrm_attack(cls, chainer.Variable(x), y, steps=5, c_type="square", gamma=g,
                                          alpha=1.0, clip_x=True).array
    res["mnist_pgm"] = attacks.adversarial_attack(cls, chainer.Variable(x), y, steps=15, eps=2.0,
                                                  alpha=2.0 / (1 + np.log(15)) * 0.1).array
    res["mnist_sswrm"] = np.asarray(attacks.sswrm_loss(cls, chainer.Variable(x_ul), steps=5, loss_type="cross_entropy",
                                                       c_type="square", gamma=g, alpha=1.0, lamb=-1.0).array)
    res["mnist_sswrm_fast"] = np.asarray(attacks.sswrm_loss(cls, chainer.Variable(x_ul), steps=5,
                                                            loss_type="cross_entropy", c_type="square", gamma=g,
                                                            alpha=1.0, lamb=-1.0, max_classes=1).array)
    log("MNIST checks done")
    x1 = x[:1]
    res["time_forward_b1"] = timed(lambda: cls(x1))
    res["time_forward_b64"] = timed(lambda: cls(x))

labelled = chainer.datasets.TupleDataset(x, y)
unlabelled = chainer.datasets.TupleDataset(x_ul, np.full(len(x_ul), -1, np.int32))
for key, max_classes in (("time_step_ssdrl", None), ("time_step_fast", 1)):
    step_cls = MNISTClassifier(ch=64, n_classes=10, activation="elu")
    seeded(step_cls, 0)
    opt = chainer.optimizers.Adam(alpha=1e-3)
    opt.setup(step_cls)
    its = {"main": chainer.iterators.SerialIterator(labelled, len(x)),
           "unlabeled": chainer.iterators.SerialIterator(unlabelled, len(x_ul))}
    kwargs = dict(method="ssdrl", gamma=g, lamb=-1.0, steps=5, alpha=1.0, clip_x=True, classifier=step_cls,
                  iterator=its, optimizer=opt)
    if max_classes:
        kwargs["max_classes"] = max_classes
    upd = official_updater.Updater(**kwargs)
    res[key] = timed(upd.update, n=max(2, reps // 3))
    log(f"{key}: {res[key]:.3f} s")

# --- conv-large (SVHN: BN on the logits), dropout as identity -------------------------------------
F.dropout = lambda h, ratio=0.5, **kw: h
svhncnn.F.dropout = F.dropout
ch = int(data["convlarge_ch"])
big = svhncnn.SVHNClassifier(ch=ch, n_classes=10)
seeded(big, 1)
chainer.serializers.save_npz(os.path.join(out, "SVHNClassifier_official.npz"), big)
xc, yc = data["xc"], data["yc"].astype(np.int32)
with chainer.using_config("train", False):
    res["svhn_logits_eval"] = big(xc).array
with chainer.using_config("train", True), chainer.using_config("user_update_bn_stats", False):
    res["svhn_logits_train"] = big(xc).array
    res["svhn_wrm_train"] = attacks.wrm_attack(big, chainer.Variable(xc), yc, steps=3, c_type="square",
                                               gamma=g, alpha=1.0, clip_x=True).array
    res["svhn_sswrm_train"] = np.asarray(attacks.sswrm_loss(big, chainer.Variable(xc), steps=3,
                                                            loss_type="cross_entropy", c_type="square", gamma=g,
                                                            alpha=1.0, lamb=-1.0, max_classes=3).array)
res["svhn_avg_mean_after"] = big.b0_0.avg_mean.copy()
np.savez(os.path.join(out, "official.npz"), **res)
print("official side done")
