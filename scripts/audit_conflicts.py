#!/usr/bin/env python3
"""How often an audit append loses its chain head to another, by simulation and on paper.

An append reads a partition's head, then writes its event conditional on that head: it loses
(HeadMoved, and retries on another partition) when another append to the same partition
commits in between. With appends arriving at random (Poisson, rate L across P partitions picked
at random) and a window W between the head read and the commit, the first attempt loses with
p = 1 - exp(-L * W / P), so the rate at which 1 append in 100 retries is L = -ln(0.99) * P / W.
The simulation checks that formula on random arrivals. Usage: audit_conflicts.py [seed]
"""
import bisect, math, random, sys

# Windows between the head read and the commit, derived from measured parts (docs/BENCHMARKS.md):
# login reads the head in its first step and commits after the password check: Argon2id verify,
# 306 ms of CPU (two lanes of 153 ms, docs/BENCHMARKS.md), 528 ms at 1024 MB (0.58 vCPU), plus two
# store steps and the transaction at an assumed 5 ms each (scripts/cost_model.py, the same
# inputs). A head read just before the commit (one step, then the transaction): 10 ms.
WINDOWS = {"login, head read in step 1 (now)": 0.543, "head read just before the commit": 0.010}


def simulate(rate, partitions, window, events, rng):
    t, arrivals = 0.0, []
    for _ in range(events):
        t += rng.expovariate(rate)
        arrivals.append((t, rng.randrange(partitions)))
    commits = [[] for _ in range(partitions)]
    for start, p in arrivals:
        commits[p].append(start + window)
    lost = 0
    for start, p in arrivals:
        c = commits[p]
        # Another append's commit strictly inside (read, own commit) moved the head.
        if bisect.bisect_left(c, start + window) - bisect.bisect_right(c, start) > 0:
            lost += 1
    return lost / events


def main():
    rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 23)
    print("| window | partitions | appends/s at 1 % retries (formula) | at that rate, simulated |")
    print("|---|---|---|---|")
    for name, w in WINDOWS.items():
        for p in (16, 64, 256):
            limit = -math.log(0.99) * p / w
            sim = simulate(limit, p, w, 200_000, rng)
            print(f"| {name} ({w * 1000:.0f} ms) | {p} | {limit:,.1f} | {100 * sim:.2f} % |")


if __name__ == "__main__":
    main()
