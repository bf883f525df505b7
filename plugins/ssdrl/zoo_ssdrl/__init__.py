"""zoo-ssdrl: semi-supervised distributionally robust learning (Najafi et al., NeurIPS 2019,
arXiv:1905.13021), a PyTorch reimplementation of pfnet-research/ssdrl (Chainer, MIT)."""

__version__ = "0.1.0"
