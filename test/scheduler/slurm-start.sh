#!/usr/bin/env bash
# Starts a single-node Slurm cluster on this machine for test/scheduler/slurm.test.ts: munged,
# slurmctld and slurmd as root, configured by a slurm.conf written to $1 (a fresh folder), with
# select/cons_tres and no cgroups (proctrack/linuxproc, task/none), so it also runs in containers.
# Prints the SLURM_CONF path on success; exits non-zero with the failing step's log otherwise.
set -euo pipefail
dir=${1:?usage: slurm-start.sh DIR}
mkdir -p "$dir/state" "$dir/spool" "$dir/log"
host=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ { print int($2 / 1024 / 2) }' /proc/meminfo)

# munge: a key (Debian's package makes one; make one if it is missing), then the daemon
if [ ! -s /etc/munge/munge.key ]; then
  mkdir -p /etc/munge && dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
fi
mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
if ! munge -n >/dev/null 2>&1; then
  # as the munge user when it can (on some sandboxes /dev/null is not writable by other users, and
  # munged exits with 'Failed to open "/dev/null"'): then as root, which --force allows
  runuser -u munge -- /usr/sbin/munged >"$dir/log/munged.out" 2>&1 || /usr/sbin/munged --force >>"$dir/log/munged.out" 2>&1 || { cat "$dir/log/munged.out" >&2; exit 1; }
  for _ in $(seq 50); do munge -n >/dev/null 2>&1 && break; sleep 0.1; done
  touch "$dir/munged.started" # so slurm-stop.sh stops it again
  munge -n | unmunge >/dev/null || { echo "munged does not answer" >&2; exit 1; }
fi

cat >"$dir/slurm.conf" <<CONF
ClusterName=nnchip-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=${SLURMCTLD_PORT:-16817}
SlurmdPort=${SLURMD_PORT:-16818}
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
/usr/sbin/slurmctld -i || { cat "$dir/log/slurmctld.log" >&2; exit 1; }
/usr/sbin/slurmd || { cat "$dir/log/slurmd.log" >&2; exit 1; }
for _ in $(seq 100); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
  [ "$state" = "idle" ] && { echo "$SLURM_CONF"; exit 0; }
  sleep 0.2
done
echo "the node never became idle (state: ${state:-none})" >&2
tail -20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2
exit 1
