"""Counts GoogleTest cases in the test.xml files Bazel wrote for the given targets.

Usage: count_test_cases.py TESTLOGS_DIR LABEL...
Prints failing cases, then one line "N passed, N failed[, N skipped]". A target without
a test.xml (it failed to build, crashed or timed out) counts as one failed case. A
target run several times (--runs_per_test) counts the cases of every run.
"""
import glob
import os
import sys
import xml.etree.ElementTree as ElementTree


def label_to_xmls(testlogs, label):
    """The test.xml files of the target's last `bazel test`: one, or one per run."""
    package, _, name = label.lstrip("/").partition(":")
    directory = os.path.join(testlogs, package, name)
    single = os.path.join(directory, "test.xml")
    runs = glob.glob(os.path.join(directory, "run_*_of_*", "test.xml"))
    if not runs:
        return [single]
    newest = max(runs, key=os.path.getmtime)
    # Whichever kind the last invocation wrote: the other may be left from an earlier one.
    if os.path.exists(single) and os.path.getmtime(single) >= os.path.getmtime(newest):
        return [single]
    of_total = os.path.basename(os.path.dirname(newest)).rpartition("_of_")[2]
    return sorted(glob.glob(os.path.join(directory, "run_*_of_" + of_total, "test.xml")))


def count(xml_path):
    """Returns (passed, failed names, skipped) for one test.xml."""
    root = ElementTree.parse(xml_path).getroot()
    passed, failed, skipped = 0, [], 0
    cases = list(root.iter("testcase"))
    for case in cases:
        if case.get("result") == "suppressed" or case.get("status") == "notrun":
            continue
        if case.get("result") == "skipped" or case.find("skipped") is not None:
            skipped += 1
        elif case.find("failure") is not None or case.find("error") is not None:
            failed.append("%s.%s" % (case.get("classname"), case.get("name")))
        else:
            passed += 1
    if not cases:
        # Not a GoogleTest binary (or it crashed before writing cases): Bazel's own
        # summary element says whether the target passed.
        errors = int(root.get("errors", "0")) + int(root.get("failures", "0"))
        for suite in root.iter("testsuite"):
            errors += int(suite.get("errors", "0")) + int(suite.get("failures", "0"))
        if errors:
            failed.append(os.path.dirname(xml_path))
        else:
            passed += 1
    return passed, failed, skipped


def main(argv):
    testlogs, labels = argv[1], argv[2:]
    passed, failed, skipped = 0, [], 0
    for label in labels:
        for xml_path in label_to_xmls(testlogs, label):
            if not os.path.exists(xml_path):
                failed.append(label + " (no result: did not build or did not run)")
                continue
            p, f, k = count(xml_path)
            passed += p
            skipped += k
            failed += ["%s %s" % (label, name) for name in f]
    for name in failed:
        print("FAILED: " + name)
    line = "%d passed, %d failed" % (passed, len(failed))
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 1 if failed or not labels else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
