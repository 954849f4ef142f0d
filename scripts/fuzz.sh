#!/usr/bin/env bash
# Long runs of the schema-driven fuzzer and the stateful model test (the suite runs short ones):
#
#   npm run fuzz -- --runs 100000 --seed 7                 the fuzzer only
#   npm run fuzz -- --model-runs 2000 --seed 7             the model test only
#   npm run fuzz -- --runs 100000 --model-runs 2000        both, with the suite's seed (20261125)
#   npm run fuzz -- --runs 1 --seed 7 --path '3:1'         replay one failing case (fast-check's path)
#
# Both run through jest, with the setup `npm test` uses (a fresh database, the app over real HTTP); the
# spec files read their size and seed from the environment variables set here. --report FILE keeps the
# fuzzer's per-operation status counts as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: npm run fuzz -- [--runs N] [--model-runs N] [--model-max-commands N] [--seed S] [--path P] [--report FILE]" >&2; exit 2; }
integer() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "$1 must be a positive integer, got '$2'" >&2; exit 2; }; }

runs='' model_runs='' seed=20261125 path='' report='' max_commands=''
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || usage
  case "$1" in
    --runs) integer "$1" "$2"; runs=$2 ;;
    --model-runs) integer "$1" "$2"; model_runs=$2 ;;
    --model-max-commands) integer "$1" "$2"; max_commands=$2 ;;
    --seed) [[ "$2" =~ ^-?[0-9]+$ ]] || { echo "--seed must be an integer, got '$2'" >&2; exit 2; }; seed=$2 ;;
    --path) path=$2 ;;
    --report) report=$2 ;;
    *) usage ;;
  esac
  shift 2
done

specs=()
export FUZZ_SEED=$seed MODEL_SEED=$seed
if [ -n "$runs" ] || [ -z "$model_runs" ]; then
  specs+=(test/fuzz.e2e-spec.ts)
  export FUZZ_RUNS=${runs:-2000} FUZZ_PATH=$path FUZZ_REPORT=$report
fi
if [ -n "$model_runs" ]; then
  specs+=(test/model.e2e-spec.ts)
  export MODEL_RUNS=$model_runs MODEL_MAX_COMMANDS=${max_commands:-25}
  if [ -z "$runs" ]; then export MODEL_PATH=$path; fi
fi

exec node --experimental-vm-modules --disable-warning=ExperimentalWarning node_modules/jest/bin/jest.js \
  --selectProjects e2e --runTestsByPath "${specs[@]}"
