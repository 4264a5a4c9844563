#!/usr/bin/env bash
# Stops the daemons test/scheduler/slurm-start.sh started (by their pid files in DIR), and munged
# when that script started it.
dir=${1:?usage: slurm-stop.sh DIR}
for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid"; do
  [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
[ -e "$dir/munged.started" ] && /usr/sbin/munged --stop >/dev/null 2>&1
exit 0
