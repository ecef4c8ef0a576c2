#!/usr/bin/env python3
"""Counts the results in lit's xUnit XML files (lit --xunit-xml-output).

  lit-results.py FILE.xml...

Prints one line "PASSED FAILED" to stdout and the name of every failed test
to stderr. A test counts as passed when lit ran it and it did not fail (PASS,
XFAIL); as failed when it has a <failure> (FAIL, XPASS, TIMEOUT, ...);
skipped tests (UNSUPPORTED, excluded) count in neither. A missing or
unreadable file counts as one failed test: the suite did not report.
"""
import sys
import xml.etree.ElementTree as ET


def main():
    passed = failed = 0
    for path in sys.argv[1:]:
        try:
            root = ET.parse(path).getroot()
        except (OSError, ET.ParseError) as e:
            print("lit-results: %s: %s" % (path, e), file=sys.stderr)
            failed += 1
            continue
        for case in root.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                print("FAILED: %s.%s" % (case.get("classname"), case.get("name")),
                      file=sys.stderr)
            elif case.find("skipped") is None:
                passed += 1
    print(passed, failed)


if __name__ == "__main__":
    main()
