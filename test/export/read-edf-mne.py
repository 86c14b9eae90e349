"""Reads an EDF+/BDF+ file with MNE-Python and prints what MNE makes of it as JSON, for test/export/edf.test.ts.

MNE upsamples every channel to the highest rate of those it reads, so each channel is read on its own to get its
samples at its own rate, unchanged.
"""
import json
import sys

import mne

# MNE turns volt-like units into volts; the test compares in the file's own unit.
VOLT_SCALE = {'uV': 1e-6, 'µV': 1e-6, 'mV': 1e-3, 'V': 1.0}


def main(path):
    mne.set_log_level('ERROR')
    read = mne.io.read_raw_bdf if path.lower().endswith('.bdf') else mne.io.read_raw_edf
    raw = read(path, preload=False)
    # MNE keeps only units it knows (V, uV...) on the Raw; its header parser has the text the file holds.
    try:
        from mne.io.edf.edf import _read_header
        header_units = _read_header(path, exclude=(), infer_types=False)[1]
    except Exception:  # a private function: another MNE version may lack it, and then units are not compared
        header_units = {}
    channels = {}
    for name in raw.ch_names:
        one = read(path, include=[name], preload=True)
        unit = header_units.get(name, one._orig_units.get(name, ''))
        channels[name] = {
            'sfreq': one.info['sfreq'],
            'unit': unit,
            'data': (one.get_data()[0] / VOLT_SCALE.get(unit, 1.0)).tolist(),
        }
    annotations = [
        {'onset': float(a['onset']), 'duration': float(a['duration']), 'description': a['description']}
        for a in raw.annotations
    ]
    print(json.dumps({
        'mne': mne.__version__,
        'measDate': raw.info['meas_date'].isoformat() if raw.info['meas_date'] else None,
        'channels': channels,
        'annotations': annotations,
    }))


if __name__ == '__main__':
    main(sys.argv[1])
