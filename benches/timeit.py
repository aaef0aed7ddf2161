#!/usr/bin/env python3
"""Times commands side by side for scripts/compare-with-sops.sh.

    timeit.py RUNS CMD [ARG...] [--- CMD [ARG...]]...

Each command is an argv (no shell; use `sh -c '…'` for a pipeline). Every command runs once to
warm the page cache, then the commands run RUNS rounds, one run of each per round, so that a
change in the machine's load falls on all of them alike. stdin, stdout and stderr are
/dev/null. One line per command: median wall ms, minimum wall ms, median CPU ms (user + system
of the child and its waited-for children, from wait4) and the last exit code.

Wall times on a shared machine are inflated by other load; CPU time much less (it does not
count time spent waiting for a core), which is why both are printed.
"""
import os
import statistics
import sys
import time


def run_once(argv):
    # posix_spawn (vfork and exec in glibc): the child's usage is the program's own, not a
    # copy of this Python process.
    null = os.open(os.devnull, os.O_RDWR)
    actions = [(os.POSIX_SPAWN_DUP2, null, fd) for fd in (0, 1, 2)]
    start = time.perf_counter_ns()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = (time.perf_counter_ns() - start) / 1e6
    os.close(null)
    cpu = (usage.ru_utime + usage.ru_stime) * 1000
    return wall, cpu, os.waitstatus_to_exitcode(status)


def main():
    runs = int(sys.argv[1])
    commands, current = [], []
    for arg in sys.argv[2:]:
        if arg == "---":
            commands.append(current)
            current = []
        else:
            current.append(arg)
    commands.append(current)
    for argv in commands:
        run_once(argv)
    walls = [[] for _ in commands]
    cpus = [[] for _ in commands]
    codes = [0 for _ in commands]
    for _ in range(runs):
        for i, argv in enumerate(commands):
            wall, cpu, codes[i] = run_once(argv)
            walls[i].append(wall)
            cpus[i].append(cpu)
    for w, c, code in zip(walls, cpus, codes):
        print(f"{statistics.median(w):.2f} {min(w):.2f} {statistics.median(c):.2f} {code}")


if __name__ == "__main__":
    main()
