"""Runs `cairn sim` and renders its report.html in headless Chromium: no console error, no failed load, the verdict
tables and charts present; a screenshot goes to $CAIRN_TEST_OUTPUT/sim/report.png (default test-output/sim)."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "explorer-tests"))
from browser import Browser  # noqa: E402

OUTPUT = os.path.join(os.environ.get("CAIRN_TEST_OUTPUT", "test-output"), "sim")


def main():
    cairn = os.environ["CAIRN_BIN"]
    with tempfile.TemporaryDirectory(prefix="cairn-sim-report-") as out:
        run = subprocess.run([cairn, "sim", "--scenario", "baseline", "--years", "0.25", "--out", out],
                             capture_output=True, text=True, timeout=600)
        print(run.stdout + run.stderr)
        if run.returncode != 0:
            print(f"cairn sim exited with {run.returncode}")
            return 1
        os.makedirs(OUTPUT, exist_ok=True)
        with Browser() as b:
            page = b.visit("file://" + os.path.join(out, "report.html"))
            shot = b.screenshot(os.path.join(OUTPUT, "report.png"))
            print(f"screenshot {os.path.abspath(shot) if isinstance(shot, str) else os.path.abspath(os.path.join(OUTPUT, 'report.png'))}")
            svgs = b.call("Runtime.evaluate", expression="document.querySelectorAll('svg polyline').length",
                          returnByValue=True)["result"]["value"]
        failures = []
        if page.problems:
            failures.append(f"the browser reported problems: {page.problems}")
        if not (page.h1 or "").startswith("cairn sim"):
            failures.append(f"unexpected heading {page.h1!r}")
        if "Verdicts" not in page.text or "conservation" not in page.text:
            failures.append("the verdicts or checks are missing from the page")
        if svgs < 5:
            failures.append(f"only {svgs} chart lines rendered")
        for f in failures:
            print("FAIL:", f)
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
