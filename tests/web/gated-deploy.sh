#!/bin/sh
# A deploy script for the web console tests: prints a line, then waits for a gate file the test creates
# (event-driven from the test's side: no timing guess), so the test can watch lines arrive in the page.
# Gates: $GATE_DIR/<task>-1 and $GATE_DIR/<task>-2. The second line carries markup that must show as text.
set -eu
task="${OPSBOT_TASK_ID:-0}"
printf 'step one of task %s\n' "$task"
while [ ! -f "$GATE_DIR/$task-1" ]; do sleep 0.05; done
printf '%s\n' 'step two <script>window.__pwned=1</script> <b>bold</b>'
while [ ! -f "$GATE_DIR/$task-2" ]; do sleep 0.05; done
printf 'deploy finished\n'
