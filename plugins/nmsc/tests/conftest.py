import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def tiny(c_list=(0, 4, 8, 16), q_num=5, seed=0):
    """A small random-init model in eval mode, its BatchNorm statistics moved off the defaults."""
    from zoo_nmsc.model import NMSC

    torch.manual_seed(seed)
    model = NMSC(c_list=c_list, q_num=q_num, width=4, ctx_width=8)
    model.train()
    with torch.no_grad():
        model(torch.rand(2, 3, 64, 64))  # BN running stats from data
    return model.eval()
