"""The data-parallel training example runs on a LocalCluster of two processes: its first
gradient equals the whole-array one, its loss falls, each worker traces once, and it
classifies held-out points."""

import importlib.util
import pathlib
import sys

import pytest

pytest.importorskip("dask.distributed", reason="dask is in the test extra")
EXAMPLES = pathlib.Path(__file__).parents[2] / "examples"


def test_dask_train_matches_whole_array_gradient_and_learns(capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))  # the workers import mlp_train from there too
    spec = importlib.util.spec_from_file_location("dask_train", EXAMPLES / "dask_train.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    accuracy = module.main(steps=40)
    out = capsys.readouterr().out
    (difference,) = [line for line in out.splitlines() if line.startswith("step 0:")]
    assert float(difference.split()[-1]) < 1e-5  # float32 sums in another order
    losses = [float(line.split()[-1]) for line in out.splitlines() if "  loss " in line]
    assert losses[-1] < losses[0] / 5
    assert "traces per worker: [1, 1]" in out
    assert accuracy > 0.9
    sys.modules.pop("mlp_train", None)
