"""Summarise a py-spy ``--format raw`` (collapsed stacks) file: the functions with the most samples.

py-spy record -f raw -o stacks.txt --pid PID --duration 10
.venv/bin/python bench/profile_stacks.py stacks.txt [--top 30] [--match scoreboard]
"""

from __future__ import annotations

import argparse
from collections import Counter


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--match", default="", help="only frames containing this text")
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    with open(args.path) as stacks:
        for line in stacks:
            stack, _, count = line.rstrip().rpartition(" ")
            samples = int(count)
            total += samples
            frames = stack.split(";")
            for frame in set(frames):
                if args.match in frame:
                    inclusive[frame] += samples
            own[frames[-1]] += samples
    print(f"{total} samples; inclusive %:")
    for frame, samples in inclusive.most_common(args.top):
        print(f"{100 * samples / total:5.1f}  {frame[:150]}")
    print("self %:")
    for frame, samples in own.most_common(15):
        print(f"{100 * samples / total:5.1f}  {frame[:150]}")


if __name__ == "__main__":
    main()
