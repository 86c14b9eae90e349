"""fastavro over every .avro file of an EmbracePlus download: the peer of `node bench/import.mjs --embraceplus`.

Decodes each file and turns every non-empty stream into numpy arrays with its sample times
(start + i / fs, per sensor), as a lab's own Python reader would; no joining, checking or writing.
Prints JSON: seconds, CPU seconds, fastavro version, peak memory.
"""
import json
import os
import resource
import sys
import time

import fastavro
import numpy


def main(root: str) -> None:
    files = []
    for folder, _dirs, names in os.walk(root):
        files.extend(os.path.join(folder, name) for name in names if name.endswith('.avro'))
    started = time.perf_counter()
    cpu_started = time.process_time()
    samples = 0
    kept = []
    for path in sorted(files):
        with open(path, 'rb') as handle:
            record = next(fastavro.reader(handle))
        raw = record['rawData']
        for name, stream in raw.items():
            if 'samplingFrequency' not in stream or not stream['samplingFrequency']:
                continue
            values = numpy.column_stack([numpy.asarray(stream[a]) for a in ('x', 'y', 'z') if a in stream]) \
                if 'x' in stream else numpy.asarray(stream['values'])
            times = stream['timestampStart'] + numpy.arange(len(values)) * (1e6 / stream['samplingFrequency'])
            kept.append((values, times))
            samples += len(values)
        kept.append(numpy.asarray(raw['systolicPeaks']['peaksTimeNanos'], dtype=numpy.int64))
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({'seconds': seconds, 'samples': samples, 'files': len(files), 'cpuSeconds': cpu_seconds,
                      'version': fastavro.__version__, 'peakMegabytes': peak}))


if __name__ == '__main__':
    main(sys.argv[1])
