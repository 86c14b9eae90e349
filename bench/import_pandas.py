"""pandas.read_csv over every CSV file of a K-EmoCon copy: the baseline of bench/import.mjs.

Reads only (no sorting, de-duplication or writing), with pandas' default C parser.
Prints JSON: seconds, CPU seconds, pandas version, peak memory.
"""
import json
import os
import resource
import sys
import time

import pandas


def main(root: str) -> None:
    files = []
    for folder, _dirs, names in os.walk(root):
        files.extend(os.path.join(folder, name) for name in names if name.endswith('.csv'))
    started = time.perf_counter()
    cpu_started = time.process_time()
    rows = 0
    for path in sorted(files):
        rows += len(pandas.read_csv(path))
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'seconds': seconds, 'rows': rows, 'files': len(files), 'cpuSeconds': cpu_seconds, 'version': pandas.__version__, 'peakMegabytes': peak}))


if __name__ == '__main__':
    main(sys.argv[1])
