"""Browser latency: from pressing Enter to the answer with its [n] markers, on the default corpus.

Starts `python app.py` on a fresh database (it indexes corpus/), opens it in headless Chromium,
and for each question (Arabic and English seed questions, alternating, asked in a new
conversation each time) measures the time from Enter to the first `a.cite` marker of the answer
and to the finished answer. The first question of each language is reported separately as
"first" (it warms what a process warms once).

    python benchmarks/ui_latency.py --rounds 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perf_common as pc  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["من توسط بين أرمينيا وأذربيجان؟", "Who mediated between Armenia and Azerbaijan?"]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="times each question is asked")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = pc.free_port()
    db = tempfile.mkdtemp(prefix="isnad-ui-latency-")
    env = {**os.environ, "RAG_DB_DIR": db, "RAG_PORT": str(port), "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False", "ANONYMIZED_TELEMETRY": "False"}
    app = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    samples: dict[str, list[tuple[float, float]]] = {q: [] for q in QUESTIONS}
    try:
        pc.wait_http(url, 300)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(url)
            page.wait_for_selector("#question textarea", timeout=60_000)
            for _ in range(args.rounds):
                for question in QUESTIONS:
                    n = page.locator("#chat .turn").count()
                    turn = f"#chat .turn:nth-child({n + 1})"
                    page.fill("#question textarea", question)
                    start = time.perf_counter()
                    page.press("#question textarea", "Enter")
                    page.wait_for_selector(f"{turn} .msg.bot a.cite", timeout=60_000)
                    marker = time.perf_counter() - start
                    page.wait_for_selector(f"{turn} .msg.bot.done", timeout=60_000)
                    samples[question].append((marker, time.perf_counter() - start))
            browser.close()
    finally:
        app.terminate()
        app.wait(timeout=30)
    print(f"load average during the run: {os.getloadavg()[0]:.2f} (2 cores)")
    print("| question | first: marker / done (s) | later p50 marker | later max marker | later p50 done |")
    print("|---|---|---|---|---|")
    for question, runs in samples.items():
        first, later = runs[0], runs[1:] or runs
        print(f"| {question} | {first[0]:.2f} / {first[1]:.2f} | {statistics.median(m for m, _ in later):.2f} | "
              f"{max(m for m, _ in later):.2f} | {statistics.median(d for _, d in later):.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
