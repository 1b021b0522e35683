#!/bin/sh
# Wrapper for the task runner: prepare the environment, then exec, so
# that the runner (not this shell) is the process superd supervises.
export TASKS_STARTED_BY=superd
cd "$(dirname "$0")/.." || exit 1
exec "$(dirname "$0")/worker" --tasks "$TASKS_CONCURRENCY"
