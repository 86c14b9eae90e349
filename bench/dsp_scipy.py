"""scipy/numpy peer of bench/dsp.mjs: the same steps on the same arrays (read from the binary file dsp.mjs wrote).

Filtering is scipy.signal.sosfiltfilt with scipy.signal.butter(..., output='sos') sections. The per-window
work has no scipy function of its own, so it is the numpy/scipy form a Python pipeline would use:
- PPG peaks: NeuroKit2's _ppg_findpeaks_elgendi as test/fixtures/dsp/make_fixtures.py writes it (numpy
  boxcars by np.convolve, a Python loop over blocks of interest with scipy.signal.find_peaks(prominence=...)),
  then heart rate by np.diff and np.interp (linear, as ours);
- EDA peaks: find_peaks + peak_prominences, relative threshold, onsets by np.searchsorted on find_peaks(-x);
- quality per 5-s window: numpy on a (windows, samples) reshape (valid/clipped fractions, flat runs by a
  cumulative sum, beat-interval CV by np.bincount);
- motion: magnitude by np.sqrt, running median by scipy.ndimage.median_filter(mode='nearest') (edges differ
  from ours, which shrinks the window there), per-window fraction by a reshape;
- window features (signal/window-features.ts's definitions, as test/fixtures/dsp/make_fixtures.py computes
  them): the filters once per stream, then per 5-s window np.searchsorted slices and numpy reductions (slopes by
  a closed-form least squares on the slice, HRV from np.diff of the beats inside); motion fraction as above.
Prints JSON: wall and CPU seconds per step (medians of the repeats after one warm-up), versions, peak memory,
CPU time.
"""
import json
import resource
import sys
import time

import numpy as np
import scipy
import scipy.ndimage as nd
import scipy.signal as ss

# The NeuroKit2 re-derivations the fixtures use, from one file.
sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parent.parent / 'test' / 'fixtures' / 'dsp'))
from neurokit_reference import elgendi as elgendi_peaks  # noqa: E402


def elgendi(signal, fs):
    return np.asarray(elgendi_peaks(signal, fs))

WINDOW = 5.0


def read_data(path):
    with open(path, 'rb') as f:
        raw = f.read()
    newline = raw.index(b'\n')
    header = json.loads(raw[:newline].decode('utf8'))
    offset = newline + 1
    arrays = {}
    for name, length in header['arrays']:
        arrays[name] = np.frombuffer(raw, dtype='<f8', count=length, offset=offset).copy()
        offset += length * 8
    return header, arrays


def write_data(path, arrays):
    header = {'arrays': [[name, int(len(a))] for name, a in arrays.items()]}
    with open(path, 'wb') as f:
        f.write((json.dumps(header) + '\n').encode('utf8'))
        for a in arrays.values():
            f.write(np.asarray(a, dtype='<f8').tobytes())


def heart_rate(peaks, fs, length):
    intervals = np.diff(peaks) / fs
    at_beats = np.empty(len(peaks))
    at_beats[1:] = 60 / intervals
    at_beats[0] = 60 / intervals.mean()
    return np.interp(np.arange(length), peaks, at_beats)


def eda_peaks(phasic, amplitude_min=0.1):
    peaks, _ = ss.find_peaks(phasic)
    prom = ss.peak_prominences(phasic, peaks)[0]
    peaks = peaks[prom / prom.max() >= amplitude_min]
    troughs, _ = ss.find_peaks(-phasic)
    before = np.searchsorted(troughs, peaks) - 1
    keep = before >= 0
    return troughs[before[keep]], peaks[keep]


def window_quality(x, fs, valid_min=-np.inf, valid_max=np.inf, clip_low=-np.inf, clip_high=np.inf,
                   flat_seconds=1.0, peaks=None):
    size = int(round(WINDOW * fs))
    flat_run = max(2, int(round(flat_seconds * fs)))
    count = len(x) // size  # the bench's records are whole windows long
    w = x[:count * size].reshape(count, size)
    valid = (np.isfinite(w) & (w >= valid_min) & (w <= valid_max)).mean(axis=1)
    clipped = ((w <= clip_low) | (w >= clip_high)).mean(axis=1)
    same = np.zeros((count, size), dtype=np.int64)
    same[:, 1:] = w[:, 1:] == w[:, :-1]
    c = np.cumsum(same, axis=1)
    k = flat_run - 1  # flat_run equal samples = k equal steps in a row
    flat = ((c[:, k:] - c[:, :-k]) == k).any(axis=1) if k < size else np.zeros(count, dtype=bool)
    regularity = np.ones(count)
    if peaks is not None:
        which = peaks // size
        d = np.diff(peaks).astype(float)
        inside = which[1:] == which[:-1]
        wi = which[1:][inside]
        d = d[inside]
        n = np.bincount(wi, minlength=count)[:count].astype(float)
        s1 = np.bincount(wi, weights=d, minlength=count)[:count]
        s2 = np.bincount(wi, weights=d * d, minlength=count)[:count]
        with np.errstate(divide='ignore', invalid='ignore'):
            mean = s1 / n
            sd = np.sqrt(np.maximum(0, (s2 - n * mean * mean) / (n - 1)))
            regularity = np.where(n < 2, 0.0, np.clip(1 - sd / mean / 0.3, 0, 1))
    return valid * (1 - clipped) * (~flat) * regularity


def motion(ax, ay, az, fs, window_seconds=2.0):
    magnitude = np.sqrt(ax * ax + ay * ay + az * az)
    half = max(1, int(round(window_seconds * fs / 2)))
    level = nd.median_filter(magnitude, size=2 * half + 1, mode='nearest')
    threshold = 0.1 * np.sort(magnitude)[len(magnitude) // 2]
    flags = np.abs(magnitude - level) > threshold
    size = int(round(WINDOW * fs))
    count = len(flags) // size
    return flags[:count * size].reshape(count, size).mean(axis=1)


T0 = 1.7e12
NN_RANGE = (300.0, 2000.0)


def slope_per_minute(y, fs):
    n = len(y)
    t = np.arange(n) - (n - 1) / 2
    return float((t * (y - y.mean())).sum() / (t * t).sum() * fs * 60)


def window_features(d, rates, sos_low, sos_high, sos_bvp):
    f32 = lambda x: x.astype(np.float32).astype(np.float64)  # noqa: E731  (the product stores float32)
    eda, bvp, temp = f32(d['eda']), f32(d['bvp']), f32(d['temp'])
    ax, ay, az = f32(d['accX']), f32(d['accY']), f32(d['accZ'])
    tonic = ss.sosfiltfilt(sos_low, eda)  # 4 Hz EDA: no 3 Hz clean, as NeuroKit2
    phasic = ss.sosfiltfilt(sos_high, eda)
    onsets, peaks = eda_peaks(phasic)
    amplitudes = phasic[peaks] - phasic[onsets]
    beats = elgendi(ss.sosfiltfilt(sos_bvp, bvp), rates['bvp'])
    magnitude = np.sqrt(ax * ax + ay * ay + az * az)
    times = {k: T0 + np.arange(n) * 1000.0 / rates[k] for k, n in
             (('eda', len(eda)), ('bvp', len(bvp)), ('temp', len(temp)), ('acc', len(ax)))}
    count = int(len(eda) / rates['eda'] // WINDOW)
    out = {k: np.full(count, np.nan) for k in ['edaTonicMean', 'edaTonicSlope', 'scrCount', 'scrAmplitude', 'hrMean',
                                              'meanNN', 'sdnn', 'rmssd', 'pnn50', 'tempMean', 'tempSlope',
                                              'accMagnitude', 'accEnergy']}
    for w in range(count):
        s, e = T0 + w * WINDOW * 1000, T0 + (w + 1) * WINDOW * 1000
        a, b = np.searchsorted(times['eda'], [s, e])
        out['edaTonicMean'][w] = tonic[a:b].mean()
        out['edaTonicSlope'][w] = slope_per_minute(tonic[a:b], rates['eda'])
        p, q = np.searchsorted(peaks, [a, b])
        out['scrCount'][w] = q - p
        if q > p:
            out['scrAmplitude'][w] = amplitudes[p:q].mean()
        a, b = np.searchsorted(times['bvp'], [s, e])
        p, q = np.searchsorted(beats, [a, b])
        nn = np.diff(beats[p:q]) * 1000.0 / rates['bvp']
        nn = nn[(nn >= NN_RANGE[0]) & (nn <= NN_RANGE[1])]
        if len(nn) >= 2:
            out['hrMean'][w] = (60000.0 / nn).mean()
        if len(nn) >= 3:
            diff = np.diff(nn)
            out['meanNN'][w] = nn.mean()
            out['sdnn'][w] = nn.std(ddof=1)
            out['rmssd'][w] = np.sqrt((diff * diff).mean())
            if len(diff) >= 20:
                out['pnn50'][w] = 100 * (np.abs(diff) > 50).mean()
        a, b = np.searchsorted(times['temp'], [s, e])
        out['tempMean'][w] = temp[a:b].mean()
        out['tempSlope'][w] = slope_per_minute(temp[a:b], rates['temp'])
        a, b = np.searchsorted(times['acc'], [s, e])
        out['accMagnitude'][w] = magnitude[a:b].mean()
        out['accEnergy'][w] = magnitude[a:b].var()
    motion_fraction = motion(ax, ay, az, rates['acc'])
    return out, motion_fraction


def main(data_path, out_path, repeats):
    header, d = read_data(data_path)
    rates = header['rates']
    sos_bvp = ss.butter(2, [0.5, 8], 'bandpass', fs=rates['bvp'], output='sos')
    sos_low = ss.butter(2, 0.05, 'lowpass', fs=rates['eda'], output='sos')
    sos_high = ss.butter(2, 0.05, 'highpass', fs=rates['eda'], output='sos')
    sos_16 = ss.butter(4, 3, 'lowpass', fs=rates['eda16'], output='sos')
    out = {}

    def ppg():
        out['ppgPeaks'] = elgendi(out['bvp'], rates['bvp'])
        return heart_rate(out['ppgPeaks'], rates['bvp'], len(out['bvp']))

    def quality():
        out['qualityBvp'] = window_quality(d['bvp'], rates['bvp'], flat_seconds=1, peaks=out['ppgPeaks'])
        out['qualityEda'] = window_quality(d['eda'], rates['eda'], valid_min=0.01, valid_max=100, flat_seconds=5)

    def phasic():
        out['tonic'] = ss.sosfiltfilt(sos_low, d['eda'])
        out['phasic'] = ss.sosfiltfilt(sos_high, d['eda'])

    steps = [
        ('bvp band-pass 0.5-8 Hz order 2 (ppgClean)', 'scipy.signal.sosfiltfilt',
         lambda: out.__setitem__('bvp', ss.sosfiltfilt(sos_bvp, d['bvp']))),
        ('eda tonic+phasic 0.05 Hz order 2 (edaPhasic)', 'scipy.signal.sosfiltfilt x2 (low-pass, high-pass)', phasic),
        ('eda 16 Hz low-pass 3 Hz order 4 (edaClean)', 'scipy.signal.sosfiltfilt',
         lambda: out.__setitem__('eda16', ss.sosfiltfilt(sos_16, d['eda16']))),
        ('ppg Elgendi peaks + heart rate', 'NeuroKit2-style Elgendi (numpy + find_peaks per block), np.interp', ppg),
        ('eda SCR peaks (edaPeaks)', 'find_peaks + peak_prominences + searchsorted',
         lambda: out.__setitem__('edaPeaks', eda_peaks(out['phasic'])[1])),
        ('quality per 5-s window (BVP with beats, EDA)', 'numpy reshape per window, bincount for beats', quality),
        ('motion flags + fraction per 5-s window', 'np.sqrt + scipy.ndimage.median_filter + reshape',
         lambda: out.__setitem__('motion', motion(d['accX'], d['accY'], d['accZ'], rates['acc']))),
        ('window features, every 5-s window (windowFeatures)',
         'sosfiltfilt/find_peaks/Elgendi once per stream, numpy per window (searchsorted slices)',
         lambda: out.__setitem__('features', window_features(d, rates, sos_low, sos_high, sos_bvp))),
    ]
    results = {}
    for name, method, fn in steps:
        fn()
        times = []
        cpu = []
        for _ in range(repeats):
            started = time.perf_counter()
            cpu_started = time.process_time()
            fn()
            cpu.append(time.process_time() - cpu_started)
            times.append(time.perf_counter() - started)
        times.sort()
        cpu.sort()
        results[name] = {'seconds': times[len(times) // 2], 'min': times[0], 'max': times[-1],
                         'cpuSeconds': cpu[len(cpu) // 2], 'method': method}
    arrays = {k: out[k] for k in
              ['bvp', 'tonic', 'phasic', 'eda16', 'ppgPeaks', 'edaPeaks', 'qualityBvp', 'qualityEda', 'motion']}
    arrays.update({'feature_' + k: v for k, v in out['features'][0].items()})
    write_data(out_path, arrays)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({'steps': results, 'scipy': scipy.__version__, 'numpy': np.__version__,
                      'peakMegabytes': usage.ru_maxrss / 1024, 'cpuSeconds': usage.ru_utime + usage.ru_stime}))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
