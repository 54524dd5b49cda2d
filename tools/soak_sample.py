#!/usr/bin/python3
"""Samples the suite's processes during a soak and judges the run (tools/soak.sh).

  soak_sample.py --seconds=300 gateway=PID:METRICS_PORT catalog=... ...

Every --interval seconds, for each service: resident memory (VmRSS), threads, open file
descriptors, and from its /metrics the root Context's registered children and the
requests in flight. After --seconds, and once more after the load has stopped, it prints
a table and checks, after the warm-up (the first --warmup seconds): memory at the end
is less than 5% above memory at the warm-up's end, threads and descriptors in the
second half of the run never exceed their maximum of the first half (gRPC's default
executor, which starts threads on demand, is held to its cap of twice the cores
instead),
the child set never exceeded the requests in flight by more than the sampling race
allows, and it is empty once the load is over. Exit 1 if any check fails.
"""
import argparse
import collections
import os
import sys
import time
import urllib.request


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["Threads"])


def thread_names(pid):
    names = collections.Counter()
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/comm") as comm:
                names[comm.read().strip()] += 1
        except OSError:
            pass
    return names


def metric(port, series):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
            for line in reply.read().decode().splitlines():
                if line.startswith(series + " "):
                    return float(line.split()[1])
    except OSError:
        pass
    return -1.0


# gRPC's default executor: threads started on demand, at most twice the cores.
GRPC_EXECUTOR = "default-executo"


def own(sample_, what):
    """Threads (or fds) other than gRPC's on-demand executor threads."""
    if what == "threads":
        return sample_["threads"] - sample_["names"][GRPC_EXECUTOR]
    return sample_[what]


def sample(pid, port):
    rss_kib, threads = proc_status(pid)
    return {
        "rss_kib": rss_kib,
        "threads": threads,
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "names": thread_names(pid),
        "children": metric(port, "baton_context_children"),
        "in_flight": metric(port, "baton_requests_in_flight"),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--warmup", type=float, default=60)
    parser.add_argument("--interval", type=float, default=5)
    parser.add_argument("services", nargs="+", help="name=PID:METRICS_PORT")
    args = parser.parse_args()
    services = {}
    for spec in args.services:
        name, _, rest = spec.partition("=")
        pid, _, port = rest.partition(":")
        services[name] = (int(pid), int(port))

    start = time.monotonic()
    samples = {name: [] for name in services}  # (t, sample)
    while (elapsed := time.monotonic() - start) < args.seconds:
        for name, (pid, port) in services.items():
            samples[name].append((elapsed, sample(pid, port)))
        time.sleep(max(0.0, min(args.interval, args.seconds - (time.monotonic() - start))))
    time.sleep(3)  # the load's last calls end; their Contexts go
    after = {name: sample(pid, port) for name, (pid, port) in services.items()}

    failures = []
    print(f"soak: {args.seconds:.0f} s, warm-up {args.warmup:.0f} s, a sample every "
          f"{args.interval:.0f} s")
    print()
    print("| service | RSS at warm-up end | RSS at end | growth | threads (warm-up → end, max) "
          "| fds (warm-up → end, max) | Context children max (in flight max) | after load |")
    print("|---|---|---|---|---|---|---|---|")
    for name, series in samples.items():
        warm = [s for t, s in series if t >= args.warmup]
        if len(warm) < 3:
            failures.append(f"{name}: too few samples after the warm-up")
            continue
        base, tail = warm[0], warm[-3:]
        rss_end = sum(s["rss_kib"] for s in tail) / len(tail)
        growth = (rss_end - base["rss_kib"]) / base["rss_kib"]
        threads_max = max(s["threads"] for s in warm)
        fds_max = max(s["fds"] for s in warm)
        children_max = max(s["children"] for _, s in series)
        in_flight_max = max(s["in_flight"] for _, s in series)
        print(f"| {name} | {base['rss_kib'] / 1024:.1f} MiB | {rss_end / 1024:.1f} MiB "
              f"| {growth * 100:+.2f}% | {base['threads']} → {warm[-1]['threads']}, {threads_max} "
              f"| {base['fds']} → {warm[-1]['fds']}, {fds_max} "
              f"| {children_max:.0f} ({in_flight_max:.0f}) "
              f"| {after[name]['children']:.0f} children, {after[name]['threads']} threads, "
              f"{after[name]['fds']} fds |")
        if growth >= 0.05:
            failures.append(f"{name}: memory grew {growth * 100:.1f}% after the warm-up")
        # Growth is a rising trend: the second half of the run reaching beyond everything
        # the first half did. gRPC's default executor is the exception: it starts
        # threads on demand up to twice the cores and is judged against that cap.
        half = len(warm) // 2
        for what in ("threads", "fds"):
            first = max(own(s, what) for s in warm[:half])
            second = max(own(s, what) for s in warm[half:])
            if second > first:
                failures.append(f"{name}: {what} rose from at most {first} to {second}")
        executor_max = max(s["names"][GRPC_EXECUTOR] for _, s in series)
        if executor_max > 2 * os.cpu_count():
            failures.append(f"{name}: {executor_max} gRPC executor threads, above its cap")
        grew = warm[-1]["names"] - base["names"]
        if grew:
            print(f"threads started after the warm-up in {name}: {dict(grew)}")
        if after[name]["children"] != 0:
            failures.append(f"{name}: {after[name]['children']:.0f} Context children left "
                            "after the load ended")
        if children_max < 0:
            failures.append(f"{name}: no baton_context_children metric")
    print()
    for failure in failures:
        print("FAIL", failure)
    print("soak:", "FAILED" if failures else "passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
