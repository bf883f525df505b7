"""The drop-in example runs and shows what it claims (GTA invariant, absolute embedding not)."""

import re
import runpy
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "drop_in_attention.py"


def test_drop_in_example(capsys):
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    gta, absolute = (float(m) for m in re.findall(r"= ([0-9.e+-]+)", capsys.readouterr().out))
    assert gta < 1e-5 and absolute > 0.1
