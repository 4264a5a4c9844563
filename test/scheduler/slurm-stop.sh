#!/usr/bin/env bash
# Stops the daemons test/scheduler/slurm-start.sh started (by their pid files in DIR); munged stays.
dir=${1:?usage: slurm-stop.sh DIR}
for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid"; do
  [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
exit 0
