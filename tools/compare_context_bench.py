"""Pairs Baton's Context benchmark (Google Benchmark JSON) with Go's (go test -bench
text) and prints a markdown table: ns/op of each (median of the repetitions) and the
ratio. Usage: compare_context_bench.py CPP_JSON GO_TXT"""
import json
import re
import statistics
import sys


def go_name(cpp_name):
    m = re.fullmatch(r"BM_ValueLookup(Nearest|Farthest)/(\d+)", cpp_name)
    if m:
        return "ValueLookup/depth=%s/%s" % (m.group(2), m.group(1).lower())
    return cpp_name[len("BM_"):]


def main(cpp_json, go_txt):
    cpp = {}
    for b in json.load(open(cpp_json))["benchmarks"]:
        if b.get("aggregate_name") == "median":
            cpp[b["run_name"]] = b["real_time"] if b["time_unit"] == "ns" else None
    go = {}
    for line in open(go_txt):
        m = re.match(r"Benchmark(\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op", line)
        if m:
            go.setdefault(m.group(1), []).append(float(m.group(3)))
    print("| operation | Baton ns/op | Go ns/op | Baton/Go |")
    print("|---|---:|---:|---:|")
    worst = 0.0
    for name, ns in cpp.items():
        runs = go.get(go_name(name))
        if not runs or ns is None:
            continue
        g = statistics.median(runs)
        ratio = ns / g
        worst = max(worst, ratio)
        print("| %s | %.2f | %.2f | %.2f%s |" % (name[3:], ns, g, ratio,
                                                  "" if ratio <= 0.5 else " ✗"))
    print("\nworst ratio: %.2f (target <= 0.50)" % worst)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
