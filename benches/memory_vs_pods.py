#!/usr/bin/env python3
"""Peak memory of `kubesim run` against the number of pods, on scenarios/scale-5k.ron.

Writes copies of scale-5k.ron with every Deployment's replicas scaled by 0, 1/3, 2/3 and 1 (same
5,000 nodes), runs each to 28m (after the ramp-up, before the rolling update) and prints one
line per run: pods, peak memory (the `peak memory` line of `kubesim run`), events, wall time.
docs/performance.md gives the figures.

    cargo build --release -p kubesim
    python3 benches/memory_vs_pods.py [--kubesim target/release/kubesim] [--until 28m]
"""

import argparse
import os
import re
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def scaled(text, num, den):
    return re.sub(r"replicas: (\d+)", lambda m: f"replicas: {int(m.group(1)) * num // den}", text)


def field(out, name):
    m = re.search(rf"^{name}: (.*)$", out, re.M)
    return m.group(1) if m else "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kubesim", default=os.path.join(ROOT, "target/release/kubesim"))
    ap.add_argument("--until", default="28m")
    args = ap.parse_args()
    src = os.path.join(ROOT, "scenarios/scale-5k.ron")
    text = open(src).read()
    print("pods\tpeak memory\tevents\twall time")
    with tempfile.TemporaryDirectory() as d:
        # The scheduler configuration is found next to the scenario.
        os.symlink(os.path.join(ROOT, "scenarios/scale-5k-scheduler.yaml"),
                   os.path.join(d, "scale-5k-scheduler.yaml"))
        for num in (0, 1, 2, 3):
            body = scaled(text, num, 3)
            pods = sum(int(r) for r in re.findall(r"replicas: (\d+)", body))
            path = os.path.join(d, f"scale-5k-{num}of3.ron")
            open(path, "w").write(body)
            out = subprocess.run([args.kubesim, "run", path, "--until", args.until],
                                 capture_output=True, text=True).stdout
            print(f"{pods}\t{field(out, 'peak memory')}\t{field(out, 'events')}\t{field(out, 'wall time')}",
                  flush=True)


if __name__ == "__main__":
    main()
