"""The report figures are drawn (PNG files) for a digits model and the two-moons boundary."""

import zoo
from zoo_ssdrl.figures import draw
from zoo_ssdrl.tasks import DigitsTask, MoonsTask


def test_figures(tmp_path):
    task = DigitsTask()
    task.gammas, task.eps = (0.5, 2.0), (1.0, 2.0)
    figs = draw(zoo.create("erm-digits"), task, tmp_path / "d", name="erm-digits", limit=20)
    moons = MoonsTask()
    moons.gammas, moons.eps = (1.0,), (0.1,)
    figs += draw(zoo.create("erm-moons"), moons, tmp_path / "m", name="erm-moons", limit=20)
    assert len(figs) == 3
    for _, path in figs:
        assert path.stat().st_size > 5000 and path.read_bytes()[:4] == b"\x89PNG"


def test_published_peers_are_the_other_models_of_the_task_from_their_cards():
    import zoo
    from zoo_ssdrl.figures import published_peers

    peers = published_peers("ssdrl-digits")
    assert "ssdrl-digits (card)" not in peers
    assert {"erm-digits (card)", "drl-digits (card)", "ssdrl-fast-digits (card)"} <= set(peers)
    card = dict(zoo.entry("drl-digits").results)
    assert peers["drl-digits (card)"][0]["pgm_error_e1"] == card["pgm_error_e1"]
    assert not any(p.endswith("moons (card)") for p in peers)   # another task
