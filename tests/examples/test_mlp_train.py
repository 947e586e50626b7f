"""The MLP training example runs, its loss falls, and it classifies held-out points."""

import importlib.util
import pathlib

EXAMPLE = pathlib.Path(__file__).parents[2] / "examples" / "mlp_train.py"


def test_mlp_train_loss_falls_and_held_out_accuracy_is_above_95_percent(capsys):
    spec = importlib.util.spec_from_file_location("mlp_train", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()
    out = capsys.readouterr().out
    losses = [float(line.split()[-1]) for line in out.splitlines() if line.startswith("step")]
    assert len(losses) >= 3 and losses[-1] < losses[0] / 10
    (accuracy,) = [line for line in out.splitlines() if line.startswith("held-out accuracy:")]
    assert float(accuracy.split()[2]) > 0.95
    assert "misses=1," in out  # every step reused one trace
