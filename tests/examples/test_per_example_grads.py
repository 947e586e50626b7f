"""The per-example gradients example runs and its vmap(grad) matches a loop over examples."""

import importlib.util
import pathlib

EXAMPLE = pathlib.Path(__file__).parents[2] / "examples" / "per_example_grads.py"


def test_per_example_grads_match_the_loop(capsys):
    spec = importlib.util.spec_from_file_location("per_example_grads", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()  # asserts vmap(grad) against the loop itself
    out = capsys.readouterr().out
    assert "per-example gradient shapes: [(256, 16, 32), (256, 32), (256, 32), (256,)]" in out
    (line,) = [line for line in out.splitlines() if line.startswith("max difference")]
    assert float(line.rsplit(" ", 1)[1]) < 1e-5
    assert "largest gradient norms" in out
