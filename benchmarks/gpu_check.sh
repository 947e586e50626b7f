#!/usr/bin/env bash
# One prepared check of the Triton backend on a CUDA GPU: the Triton and codegen suites on
# Triton's real compiler, then jitlib-bench on the GPU against JAX and torch.compile. Run it
# from the repository root; it installs nothing and needs no network:
#
#     PYTHONPATH=. OUT=/some/dir bash benchmarks/gpu_check.sh
#
# Results go to $OUT (default ./gpu-out): summary.txt (each step's exit status and seconds),
# env.txt (GPU and library versions), pytest-<i>.log/.xml, bench.json/.log and
# bench-rest.json/.log. The bench writes its JSON after every workload, so a step cut short
# keeps what it measured ("partial": true).
#
# About 8 minutes in all; every step runs under `timeout`:
#   (a) pytest tests/triton_backend tests/codegen (no -x: every failure is listed), no interpreter: 170 s. About 2,600
#       tests, most compiling a kernel (about 0.3 s each), so they run in $SHARDS processes
#       at once (benchmarks/gpu_check_plugin.py splits them; pytest-xdist may be missing).
#       Each process stops by itself after 150 s, so pytest still writes its summary.
#   (b) jitlib-bench --backend triton --compare jax,torch at the default (GPU) sizes: 200 s.
#       Each workload runs in a new process that imports and compiles it under jitlib, JAX
#       and torch.compile (about 30 s with torch.compile), so six workloads are compared:
#       softmax, layernorm, cross_entropy, adam, mlp, attention.
#   (c) jitlib-bench --backend triton on the other seven workloads, without comparisons: 100 s.
set -u

OUT=${OUT:-./gpu-out}
PYTHON=${PYTHON:-python}
SHARDS=${SHARDS:-12}
export PYTHONPATH=${PYTHONPATH:-.}
unset TRITON_INTERPRET # the real compiler and the GPU, never Triton's interpreter
mkdir -p "$OUT"
SUMMARY="$OUT/summary.txt"
: >"$SUMMARY"

step() { # step NAME COMMAND...: runs the command, records its exit status and seconds
    local name=$1 start rc
    shift
    start=$(date +%s)
    "$@"
    rc=$?
    echo "$name: exit $rc in $(($(date +%s) - start)) s" | tee -a "$SUMMARY"
}

environment() {
    nvidia-smi
    "$PYTHON" - <<'EOF'
import importlib, sys
print("python", sys.version.split()[0])
for name in ("numpy", "triton", "cupy", "jax", "torch"):
    try:
        print(name, importlib.import_module(name).__version__)
    except Exception as error:  # reported, not hidden: this file says what is missing
        print(name, "unavailable:", type(error).__name__, error)
try:
    import cupy
    print("cupy devices:", cupy.cuda.runtime.getDeviceCount())
except Exception as error:
    print("cupy devices: none:", type(error).__name__, error)
EOF
}

suites() { # (a): the shards run at once; the step fails when any shard fails
    local i rc=0 pids=()
    for ((i = 0; i < SHARDS; i++)); do
        PYTEST_SHARD="$i/$SHARDS" PYTEST_DEADLINE_S=150 timeout -k 10 170 \
            "$PYTHON" -m pytest -q -p benchmarks.gpu_check_plugin \
            --junitxml="$OUT/pytest-$i.xml" tests/triton_backend tests/codegen \
            >"$OUT/pytest-$i.log" 2>&1 &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || rc=$?
        echo "  shard $i/$SHARDS: $(tail -n 1 "$OUT/pytest-$i.log")" >>"$SUMMARY"
    done
    return "$rc"
}

bench() { # bench NAME SECONDS ARGS...: jitlib-bench on the GPU, its table in NAME.log
    local name=$1 seconds=$2
    shift 2
    timeout -k 10 "$seconds" "$PYTHON" -m jitlib.bench --backend triton \
        --json "$OUT/$name.json" "$@" >"$OUT/$name.log" 2>&1
}

COMPARED=(--workload softmax --workload layernorm --workload cross_entropy --workload adam
    --workload mlp --workload attention)
REST=(--workload gelu --workload rmsnorm --workload logsumexp --workload per_example_grads
    --workload mlp_train_step --workload per_example_grads_vmap --workload adam_inplace)

step env environment >"$OUT/env.txt" 2>&1
step "(a) pytest" suites
step "(b) bench --compare jax,torch" bench bench 200 --compare jax,torch "${COMPARED[@]}"
step "(c) bench, other workloads" bench bench-rest 100 "${REST[@]}"
cat "$SUMMARY"
