"""jitlib in one page: jit a plain numpy function, look at its IR and generated code, and
call it at three batch sizes with one trace.

Run: python examples/quickstart.py
"""

import numpy as np

import jitlib as jl


@jl.jit
def gelu(x):
    # Plain numpy: this runs (and debugs) without @jl.jit too.
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x**3)))


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 128)).astype(np.float32)

    print("The traced IR (shapes are symbols, so one trace serves every batch size):")
    print(jl.make_ir(gelu.fn)(x).as_text())
    print("\nAfter the optimisation passes (x**3 became multiplies):")
    lowered = gelu.lower(x)
    print(lowered.as_text())
    print("\nThe generated numpy code:")
    print(lowered.compile().source)

    for batch in (32, 64, 48):
        x = rng.standard_normal((batch, 128)).astype(np.float32)
        y = gelu(x)
        expected = 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x**3)))
        error = np.abs(y - expected).max()
        print(f"batch {batch}: output {y.shape} {y.dtype}, max error vs numpy {error:.1e}")
    print(gelu.cache_info(), "<- three calls, one trace")


if __name__ == "__main__":
    main()
