"""The quickstart example runs and shows what it promises: IR, code, one trace."""

import importlib.util
import pathlib

EXAMPLE = pathlib.Path(__file__).parents[2] / "examples" / "quickstart.py"


def test_quickstart_prints_ir_code_and_one_trace(capsys):
    spec = importlib.util.spec_from_file_location("quickstart", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()
    out = capsys.readouterr().out
    assert "func gelu(%0: f32[s0,s1])" in out
    assert "def gelu_numpy(" in out
    assert "CacheInfo(hits=2, misses=1, entries=1)" in out
    errors = [float(line.rsplit(" ", 1)[1]) for line in out.splitlines() if "max error" in line]
    assert len(errors) == 3 and max(errors) < 1e-5
