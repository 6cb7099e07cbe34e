#!/usr/bin/env bash
# Build-time benchmark of the generated types (BENCHMARKS.md, "Generated code"): clean
# builds and rustdoc of this checkout, of an older revision, and of stratosphere 0.1.0
# (crates.io) for the same 16 services, interleaved so that machine load hits all alike.
#
#   codegen/bench-build.sh [--before REV] [--rounds N] [--full] [--doc]
#
# Everything is built in a temporary directory outside the repository (stratosphere is a
# crates.io dependency of a throwaway crate there; none of its code is kept). Prints one line
# per build: what, wall seconds, CPU seconds (user + system of cargo and every rustc it ran:
# steadier than wall time when other work shares the machine), and the load average.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BEFORE=""
ROUNDS=3
FULL=0
DOC=0
while [ $# -gt 0 ]; do
  case "$1" in
    --before) BEFORE=$2; shift ;;
    --rounds) ROUNDS=$2; shift ;;
    --full) FULL=1 ;;
    --doc) DOC=1 ;;
    *) echo "usage: codegen/bench-build.sh [--before REV] [--rounds N] [--full] [--doc]" >&2; exit 2 ;;
  esac
  shift
done
WORK=${BENCH_DIR:-$(mktemp -d /tmp/stackforge-bench.XXXXXX)}
echo "# work dir: $WORK; rustc: $(rustc --version); cores: $(nproc)"

# The 16 services of `default-services`, as stratosphere features.
SERVICES="ec2 ecs elasticloadbalancingv2 rds iam logs secretsmanager applicationautoscaling ecr dynamodb elasticache kms s3 ssm cloudwatch autoscaling"
mkdir -p "$WORK/strato/src"
{
  echo '[package]'
  echo 'name = "strato-bench"'
  echo 'version = "0.0.0"'
  echo 'edition = "2021"'
  echo 'publish = false'
  echo '[dependencies]'
  printf 'stratosphere = { version = "=0.1.0", features = ['
  for s in $SERVICES; do printf '"aws_%s", ' "$s"; done
  echo '] }'
  echo '[workspace]'
} > "$WORK/strato/Cargo.toml"
: > "$WORK/strato/src/lib.rs"
(cd "$WORK/strato" && cargo fetch -q)

rm -rf "$WORK/after" && mkdir -p "$WORK/after"
(cd "$ROOT" && tar --exclude=./target --exclude=./.venv --exclude=./.git --exclude=./out -cf - . | tar -xf - -C "$WORK/after")
(cd "$WORK/after" && cargo fetch -q)
if [ -n "$BEFORE" ]; then
  rm -rf "$WORK/before" && mkdir -p "$WORK/before"
  (cd "$ROOT" && git archive "$BEFORE" | tar -xf - -C "$WORK/before")
  (cd "$WORK/before" && cargo fetch -q)
fi

run() { # label dir command...
  local label=$1 dir=$2; shift 2
  rm -rf "$WORK/target-$label"
  local s e cpu
  s=$(date +%s.%N)
  # Not incremental: a user builds stackforge (like stratosphere) as a registry dependency.
  (cd "$dir" && CARGO_INCREMENTAL=0 CARGO_TARGET_DIR="$WORK/target-$label" /usr/bin/time -f "%U %S" -o "$WORK/$label.cpu" "$@" >"$WORK/$label.log" 2>&1) || { echo "$label FAILED (see $WORK/$label.log)"; return; }
  e=$(date +%s.%N)
  cpu=$(awk '{print $1 + $2}' "$WORK/$label.cpu")
  printf '%-24s wall %6.1f s   cpu %6.1f s   load %s\n' "$label" "$(echo "$e - $s" | bc)" "$cpu" "$(cut -d' ' -f1 /proc/loadavg)"
  rm -rf "$WORK/target-$label"   # disk is shared
}

for r in $(seq "$ROUNDS"); do
  run "stratosphere-default" "$WORK/strato" cargo build -q
  [ -n "$BEFORE" ] && run "before-default" "$WORK/before" cargo build -q -p stackforge --lib
  run "after-default" "$WORK/after" cargo build -q -p stackforge --lib
done
if [ "$FULL" = 1 ]; then
  [ -n "$BEFORE" ] && run "before-full" "$WORK/before" cargo build -q -p stackforge --lib --features full
  run "after-full" "$WORK/after" cargo build -q -p stackforge --lib --features full
fi
if [ "$DOC" = 1 ]; then
  [ -n "$BEFORE" ] && run "before-doc-default" "$WORK/before" cargo doc -q -p stackforge --no-deps
  run "after-doc-default" "$WORK/after" cargo doc -q -p stackforge --no-deps
  if [ "$FULL" = 1 ]; then
    [ -n "$BEFORE" ] && run "before-doc-full" "$WORK/before" cargo doc -q -p stackforge --no-deps --features full
    run "after-doc-full" "$WORK/after" cargo doc -q -p stackforge --no-deps --features full
  fi
fi
