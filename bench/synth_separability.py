"""How separable the planted arousal is in a synthetic K-EmoCon copy (made by `emoheal synth`).

For every rated 5-s interval of every debate: 10 features (mean and SD of HR, EDA, TEMP, BVP and of the
ACC magnitude) and the label of the EmoHeal paper (aggregated external arousal > 2). A logistic regression
is trained leaving one debate pair out at a time (subject-independent), and compared with the majority
class of the training folds. Only numpy/pandas/scipy (Debian packages): /usr/bin/python3 bench/synth_separability.py DIR
"""
import sys

import numpy as np
import pandas as pd
import scipy.stats


def features(root: str):
    subjects = pd.read_csv(f'{root}/metadata/subjects.csv')
    rows, labels, groups = [], [], []
    for _, subject in subjects.iterrows():
        pid = int(subject.pid)
        signals = {kind: pd.read_csv(f'{root}/e4_data/{pid}/E4_{kind}.csv') for kind in ['HR', 'EDA', 'TEMP', 'BVP', 'ACC']}
        ratings = pd.read_csv(f'{root}/emotion_annotations/aggregated_external_annotations/P{pid}.external.csv')
        for _, rating in ratings.iterrows():
            end = subject.startTime + rating.seconds * 1000
            row = []
            for kind in ['HR', 'EDA', 'TEMP', 'BVP']:
                frame = signals[kind]
                values = frame[(frame.timestamp >= end - 5000) & (frame.timestamp < end)].value.values
                row += [values.mean(), values.std()]
            acc = signals['ACC'][(signals['ACC'].timestamp >= end - 5000) & (signals['ACC'].timestamp < end)]
            magnitude = np.sqrt(acc.x ** 2 + acc.y ** 2 + acc.z ** 2)
            row += [magnitude.mean(), magnitude.std()]
            rows.append(row)
            labels.append(1 if rating.arousal > 2 else 0)
            groups.append((pid - 1) // 2)
    return np.array(rows), np.array(labels), np.array(groups)


def logistic_regression(x, y, steps=3000, rate=0.1, decay=1e-3):
    weights, bias = np.zeros(x.shape[1]), 0.0
    for _ in range(steps):
        error = 1 / (1 + np.exp(-(x @ weights + bias))) - y
        weights -= rate * (x.T @ error / len(y) + decay * weights)
        bias -= rate * error.mean()
    return weights, bias


def main(root: str) -> None:
    x, y, groups = features(root)
    model, majority = [], []
    for pair in sorted(set(groups)):
        test, train = groups == pair, groups != pair
        mean, sd = x[train].mean(0), x[train].std(0) + 1e-9
        weights, bias = logistic_regression((x[train] - mean) / sd, y[train])
        predicted = ((x[test] - mean) / sd) @ weights + bias > 0
        model.append((predicted == y[test]).mean())
        majority.append((y[test] == (1 if y[train].mean() > 0.5 else 0)).mean())
    print(f'intervals {len(y)}, high arousal {y.mean():.3f}')
    print(f'leave-one-pair-out accuracy: logistic regression {np.mean(model):.3f}, majority class {np.mean(majority):.3f}')
    for index, name in [(0, 'HR mean'), (2, 'EDA mean'), (3, 'EDA SD'), (4, 'TEMP mean')]:
        print(f'Spearman rho of {name} with the label: {scipy.stats.spearmanr(x[:, index], y)[0]:.3f}')


if __name__ == '__main__':
    main(sys.argv[1])
