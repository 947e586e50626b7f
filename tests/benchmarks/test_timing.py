"""What one timed sample of jitlib-bench runs: its calls and its waits for the device."""

import numpy as np

from benchmarks import timing


class Recorder:
    """A call returning its count, and a sync remembering what it waited for."""

    def __init__(self):
        self.calls = 0
        self.synced = []

    def call(self) -> int:
        self.calls += 1
        return self.calls

    def sync(self, out) -> None:
        self.synced.append(out)


def test_a_host_sample_is_one_call_and_its_sync():
    recorder = Recorder()
    unit = timing.sample(recorder.call, recorder.sync, seconds=0)
    unit.run()
    assert unit.calls == 1 and recorder.calls == 1 and recorder.synced == [1]


def test_a_device_sample_batches_calls_and_waits_once_for_the_last():
    recorder = Recorder()
    unit = timing.sample(recorder.call, recorder.sync, seconds=1.0)
    assert recorder.calls == 2 and recorder.synced == [1, 2]  # a warm-up and a measured call
    unit.run()
    assert 1 < unit.calls <= timing.MAX_CALLS_PER_SAMPLE
    assert recorder.calls == 2 + unit.calls
    assert recorder.synced == [1, 2, recorder.calls]


def test_median_times_are_per_call_and_positive():
    recorder = Recorder()
    units = [
        timing.sample(recorder.call, recorder.sync, seconds=1e-3),
        timing.Sample(lambda: np.ones(4)),
    ]
    before = recorder.calls
    times = timing.median_times(units, repeat=3)
    assert recorder.calls == before + 4 * units[0].calls  # a warm-up round, then 3
    assert all(t > 0 for t in times)
