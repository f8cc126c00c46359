#!/bin/sh
# Demo deploy script for the `command` engine (issue 4): prints the steps a real container deploy
# would log, per component. Reads OPSBOT_PRODUCT / OPSBOT_RELEASE / OPSBOT_ENV / OPSBOT_TASK_ID and
# OPSBOT_VERSION_<COMPONENT_UPPER_SNAKE> from the environment. DEPLOY_FAIL=1 makes it fail (tests).
# DEPLOY_SLEEP overrides the per-step pause (default 0.2 s).
set -eu

product="${OPSBOT_PRODUCT:-demo}"
release="${OPSBOT_RELEASE:-unknown}"
envname="${OPSBOT_ENV:-unknown}"
task="${OPSBOT_TASK_ID:-0}"
registry="${DEPLOY_REGISTRY:-registry.example.com}"
pause="${DEPLOY_SLEEP:-0.2}"

step() {
  printf '%s\n' "$*"
  sleep "$pause" 2>/dev/null || true
}

printf 'deploy task %s: %s %s -> %s\n' "$task" "$product" "$release" "$envname"
step "login registry $registry"

# Components come from the OPSBOT_VERSION_* variables: OPSBOT_VERSION_COMPONENT_A=v1.1.0 -> component-a.
env | grep '^OPSBOT_VERSION_' | sort | while IFS='=' read -r key version; do
  name=$(printf '%s' "${key#OPSBOT_VERSION_}" | tr 'A-Z_' 'a-z-')
  step "pull image $registry/$product/$name:$version"
  step "stop container $name"
  if [ "${DEPLOY_FAIL:-0}" = "1" ]; then
    printf 'error: container %s failed to start\n' "$name" >&2
    exit 1
  fi
  step "run container $name"
done

printf 'deploy finished: %s %s on %s\n' "$product" "$release" "$envname"
exit 0
