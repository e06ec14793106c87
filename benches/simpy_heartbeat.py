#!/usr/bin/env python3
"""The heartbeat workload of scenarios/scale-5k.ron in SimPy, as a yardstick for kubesim.

N nodes each renew a Lease every 10 s (plus up to 4 % jitter, as the kubelet) for one virtual
hour, through one API server process: each renewal is a request that travels a link (1-5 ms),
waits for the API server (one request at a time, a 1-3 ms commit), and comes back (1-5 ms).
Events are counted as kubesim counts them, one per input an actor handles: the kubelet's timer,
the request at the API server, the commit, the response at the kubelet, and the watch event at
the node-lifecycle-controller (5 per renewal; kubesim's idle node also GETs its Node every 10 s,
3 more).

    pip install simpy
    python3 benches/simpy_heartbeat.py            # 5000 nodes, 1 h
    python3 benches/simpy_heartbeat.py --nodes 1000 --hours 0.5

Prints the events, the wall time and events per second. docs/performance-e2e.md compares
them with `kubesim run` on a 5000-node scenario without workload.
"""

import argparse
import random
import time

import simpy

RENEW_S = 10.0
JITTER = 0.04
LINK_MS = (1.0, 5.0)
COMMIT_MS = (1.0, 3.0)


class Counter:
    def __init__(self):
        self.events = 0


def link(rng):
    return rng.uniform(*LINK_MS) / 1000.0


def apiserver(env, inbox, watchers, count, rng):
    """One process: takes requests in arrival order, commits each, answers, notifies."""
    while True:
        req = yield inbox.get()
        count.events += 1  # the request arrives
        yield env.timeout(rng.uniform(*COMMIT_MS) / 1000.0)
        count.events += 1  # the commit
        req.succeed()  # the response goes back on the node's link
        watchers.put(req)  # the watch event to the node-lifecycle-controller


def node_lifecycle(env, watchers, count):
    while True:
        yield watchers.get()
        count.events += 1  # a Lease watch event


def kubelet(env, inbox, count, rng):
    yield env.timeout(rng.uniform(0, RENEW_S))
    while True:
        count.events += 1  # the renewal timer
        yield env.timeout(link(rng))
        done = env.event()
        yield inbox.put(done)
        yield done
        yield env.timeout(link(rng))
        count.events += 1  # the response
        yield env.timeout(RENEW_S * (1 + rng.uniform(0, JITTER)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=5000)
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    env = simpy.Environment()
    inbox = simpy.Store(env)
    watchers = simpy.Store(env)
    count = Counter()
    env.process(apiserver(env, inbox, watchers, count, rng))
    env.process(node_lifecycle(env, watchers, count))
    for _ in range(a.nodes):
        env.process(kubelet(env, inbox, count, rng))
    start = time.perf_counter()
    env.run(until=a.hours * 3600)
    wall = time.perf_counter() - start
    print(f"nodes: {a.nodes}")
    print(f"virtual time: {a.hours * 3600:.0f} s")
    print(f"events: {count.events}")
    print(f"wall time: {wall:.3f} s")
    print(f"events/s: {count.events / wall:.0f}")


if __name__ == "__main__":
    main()
