"""Write and execute the example notebooks (outputs are committed; CI re-runs them with
``pytest --nbmake notebooks/``). Run: python notebooks/make_notebooks.py [NAME ...]"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).parent


def cells(*sources: str) -> list:
    out = []
    for source in sources:
        source = source.strip("\n")
        if source.startswith("# "):
            out.append(nbformat.v4.new_markdown_cell(source[2:]))
        else:
            out.append(nbformat.v4.new_code_cell(source))
    return out


SETUP = """
%matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import torch
import torchspec
from torchspec.extract import example_files
torch.manual_seed(0)
"""

NOTEBOOKS = {
    "01_quick_tour": cells(
        "# Quick tour: linear, log-frequency, mel and CQT of a bundled recording, each row's "
        "frequency as an array, plots with correct axes.",
        SETUP,
        """
path = [p for p in example_files() if "chirp" in p.name][0]
audio, sr = torchspec.load(path, mono=True)
print(path.name, tuple(audio.shape), sr, "Hz")
""",
        """
layers = {
    "linear STFT": torchspec.Spectrogram(2048, hop_length=256, sample_rate=sr),
    "log-frequency STFT": torchspec.Spectrogram(4096, hop_length=256, freq_scale="log",
                                                f_min=50.0, f_max=8000.0, n_bins=120, sample_rate=sr),
    "mel": torchspec.MelSpectrogram(sr, n_fft=2048, hop_length=256, n_mels=96),
    "CQT": torchspec.CQT(sr, hop_length=256, f_min=32.70, n_bins=84, power=1.0),
}
fig, axes = plt.subplots(2, 2, figsize=(12, 7))
for ax, (name, layer) in zip(axes.flat, layers.items()):
    out = layer(audio)[0]
    torchspec.plot(layer, out, ax=ax, title=name)
    hz = layer.frequencies
    print(f"{name:20s} shape {tuple(out.shape)}  rows {hz[0]:.1f} .. {hz[-1]:.1f} Hz")
fig.tight_layout()
plt.show()
""",
    ),
    "02_librosa_side_by_side": cells(
        "# librosa side by side: mel in dB with ref=max, MFCC, CQT from a chosen fmin; the "
        "differences printed.",
        SETUP,
        """
import warnings
warnings.filterwarnings("ignore", message="IProgress not found")
import librosa
from torchspec.presets import LibrosaMelSpectrogram, LibrosaMFCC
path = [p for p in example_files() if "tones" in p.name][0]
audio, sr = torchspec.load(path, mono=True, dtype=torch.float64)
y = audio[0].numpy()
""",
        """
mel_db_librosa = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr), ref=np.max)
mel_db = torchspec.AmplitudeToDB(top_db=80.0, ref="max")(LibrosaMelSpectrogram(sr=sr, dtype=torch.float64)(audio[0]))
print("mel dB   max |difference|:", float(np.abs(mel_db.numpy() - mel_db_librosa).max()), "dB")
mfcc_librosa = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=20)
mfcc = LibrosaMFCC(sr=sr, n_mfcc=20, dtype=torch.float64)(audio[0])
print("MFCC     max |difference|:", float(np.abs(mfcc.numpy() - mfcc_librosa).max()))
cqt_librosa = np.abs(librosa.cqt(y, sr=sr, fmin=110.0, n_bins=48, hop_length=256))
cqt = torchspec.CQT(sr, hop_length=256, f_min=110.0, n_bins=48, power=1.0, dtype=torch.float64)(audio[0])
print("CQT      relative difference:", float(np.linalg.norm(cqt.numpy() - cqt_librosa) / np.linalg.norm(cqt_librosa)),
      "(librosa resamples per octave; torchspec computes the wavelet definition)")
""",
        """
fig, axes = plt.subplots(1, 2, figsize=(12, 3.5))
axes[0].imshow(mel_db_librosa, origin="lower", aspect="auto"); axes[0].set_title("librosa mel dB")
axes[1].imshow(mel_db.numpy(), origin="lower", aspect="auto"); axes[1].set_title("torchspec mel dB")
plt.show()
""",
    ),
    "03_back_to_audio": cells(
        "# Back to audio: inverse STFT round trip, mel to audio and MFCC to audio with "
        "Griffin-Lim; audio players and the measured spectral convergence.",
        SETUP,
        """
from IPython.display import Audio, display
path = [p for p in example_files() if "tones" in p.name][0]
audio, sr = torchspec.load(path, mono=True)
x = audio[0]
stft = torchspec.Spectrogram(1024, hop_length=256, power=None)
back = torchspec.InverseSpectrogram(1024, hop_length=256)(stft(x), x.shape[-1])
print("iSTFT round trip relative error:", float((back - x).norm() / x.norm()))

def convergence(y):
    target = stft(x).abs()
    rebuilt = stft(y[: x.shape[-1]]).abs()
    return float((target - rebuilt).norm() / target.norm())
""",
        """
mel_layer = torchspec.MelSpectrogram(sr, n_fft=1024, hop_length=256, n_mels=128)
mel = mel_layer(x)
linear = torchspec.InverseMelScale(513, 128, sr)(mel)
from_mel = torchspec.GriffinLim(1024, 32, hop_length=256, length=x.shape[-1])(linear)
mfcc = torchspec.MFCC(sr, 40, melkwargs={"n_fft": 1024, "hop_length": 256, "n_mels": 128})(x)
mel_back = torchspec.InverseMFCC(40, 128)(mfcc)
from_mfcc = torchspec.GriffinLim(1024, 32, hop_length=256, length=x.shape[-1])(
    torchspec.InverseMelScale(513, 128, sr)(mel_back))
print("spectral convergence, mel -> audio :", round(convergence(from_mel), 3))
print("spectral convergence, MFCC -> audio:", round(convergence(from_mfcc), 3))
display(Audio(x.numpy(), rate=sr), Audio(from_mel.numpy(), rate=sr), Audio(from_mfcc.numpy(), rate=sr))
""",
        "# The mel spectrogram in dB of the original and of each reconstruction: the tones' "
        "partials survive; Griffin-Lim's phase estimate smears onsets and fills quiet gaps, "
        "and the 40 MFCCs lose the fine spectral detail.",
        """
fig, axes = plt.subplots(1, 3, figsize=(15, 4), sharey=True)
for ax, (name, y) in zip(axes, [("original", x), ("mel -> audio", from_mel), ("MFCC -> audio", from_mfcc)]):
    torchspec.plot(mel_layer, mel_layer(y), ax=ax, title=name)  # dB re each one's peak
fig.tight_layout()
plt.show()
""",
    ),
    "04_training_input": cells(
        "# Training input: features extracted with `torchspec extract` (here as Parquet shards) "
        "read back with `torchspec.FeatureDataset` and batched with `pad_collate` into a tiny "
        "model; mono and stereo files handled with `--mono`.",
        SETUP,
        """
import tempfile
from pathlib import Path
from torchspec import FeatureDataset, pad_collate
from torchspec.cli import main
out = Path(tempfile.mkdtemp()) / "features"
main(["extract", "--out", str(out), "--feature", "mel", "--n-mels", "64", "--sample-rate", "16000",
      "--mono", "--db", "--format", "parquet"])
data = FeatureDataset(out)  # the current outputs only, whatever reruns happened before
print([(Path(record["source"]).name, record["shape"]) for _, record in data])
records = torchspec.read_manifest(out)  # the same current records, without a Dataset
again = torchspec.recompute(records[0])  # the first feature computed again from its source
print("recomputed equals stored:", bool(torch.allclose(again, data[0][0], atol=1e-3)))
""",
        """
FRAMES = 32

def crop(batch):
    # pad to the longest clip (with a dB floor), then one random window of FRAMES per batch
    features, lengths, records = pad_collate(batch, pad_value=-80.0)
    start = int(torch.randint(0, max(1, int(lengths.min()) - FRAMES), ()))
    labels = torch.tensor([data.records.index(r) for r in records])
    return features[:, 0, :, start : start + FRAMES], labels

loader = torch.utils.data.DataLoader(data, batch_size=3, shuffle=True, collate_fn=crop)
model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64 * FRAMES, len(data)))
optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
losses = []
for epoch in range(30):
    for features, labels in loader:
        loss = torch.nn.functional.cross_entropy(model(features / 80.0), labels)
        optimiser.zero_grad(); loss.backward(); optimiser.step()
    losses.append(loss.item())
print("loss first / last epoch:", round(losses[0], 3), round(losses[-1], 3))
""",
        """
fig, axes = plt.subplots(1, 4, figsize=(16, 3.5), gridspec_kw={"width_ratios": [1.3, 1, 1, 1]})
axes[0].plot(losses); axes[0].set_xlabel("epoch"); axes[0].set_ylabel("cross-entropy")
axes[0].set_title("training loss")
features, labels = next(iter(loader))
for ax, feature, label in zip(axes[1:], features, labels):
    ax.imshow(feature.numpy(), origin="lower", aspect="auto", vmin=-80, vmax=0)
    ax.set_title(f"{Path(data.records[int(label)]['source']).name} (dB)")
    ax.set_xlabel("frame"); ax.set_ylabel("mel band")
fig.tight_layout()
plt.show()
""",
    ),
    "05_learnable_frontend": cells(
        "# A learnable frontend fine-tuned inside a small model: SincNet band-pass filters "
        "and a linear classifier learn to tell noisy tones at 1000 and 1080 Hz apart, which "
        "the initial mel-spaced bands blur; the filters before and after.",
        SETUP,
        """
SR = 8000

def tones(n, seed):
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, 2, (n,), generator=g)
    t = torch.arange(SR // 4) / SR
    hz = torch.where(labels == 0, 1000.0, 1080.0)[:, None]
    phase = 2 * np.pi * torch.rand(n, 1, generator=g)
    return torch.randn(n, t.numel(), generator=g) + 0.3 * torch.sin(2 * np.pi * hz * t + phase), labels

class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.sinc = torchspec.SincFilterbank(n_filters=8, kernel_size=101, sample_rate=SR,
                                             hop_length=16, f_max=3800.0)
        self.classifier = torch.nn.Linear(8, 2)
    def forward(self, x):
        energy = torch.nn.functional.avg_pool1d(self.sinc(x).square(), 4)  # band energies
        return self.classifier(energy.clamp_min(1e-8).log().mean(-1))

def train(model, learn_frontend):
    groups = [{"params": model.classifier.parameters(), "lr": 0.05}]
    if learn_frontend:
        groups.append({"params": model.sinc.parameters(), "lr": 0.03})
    optimiser = torch.optim.Adam(groups)
    for step in range(150):
        x, y = tones(32, step)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimiser.zero_grad(); loss.backward(); optimiser.step()
    x, y = tones(400, 10_000)
    with torch.no_grad():
        return float((model(x).argmax(-1) == y).float().mean())

torch.manual_seed(0); frozen = Model()
print("held-out accuracy, frozen filters :", train(frozen, learn_frontend=False))
torch.manual_seed(0); tuned = Model()
before = tuned.sinc.filters().detach().clone()
print("held-out accuracy, filters trained:", train(tuned, learn_frontend=True))
""",
        """
def response_db(filters):
    spectrum = np.abs(np.fft.rfft(filters.numpy(), 8192, axis=-1)) ** 2
    return 10 * np.log10(spectrum + 1e-12)

hz = np.fft.rfftfreq(8192, 1 / SR)
fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
for ax, filters, title in ((axes[0], before, "initial (mel-spaced)"),
                           (axes[1], tuned.sinc.filters().detach(), "after training")):
    ax.plot(hz, response_db(filters).T, linewidth=1)
    for tone in (1000, 1080):
        ax.axvline(tone, color="k", linestyle="--", linewidth=0.8)
    ax.set(xlim=(0, 2500), ylim=(-60, 5), xlabel="Hz", title=title)
axes[0].set_ylabel("response (dB)")
plt.show()
low, high = (t.detach() for t in tuned.sinc.cutoffs())
print("band edges between the tones (Hz):",
      [round(float(e)) for e in torch.cat([low, high]) if 1000 < e < 1080])
""",
    ),
    "06_streaming": cells(
        "# Streaming: a recording fed to a mel spectrogram in 20 ms chunks, as a live microphone "
        "would feed it. The streamed frames equal the offline layer's; the step form exports to "
        "ONNX and runs in ONNX Runtime with its state as explicit inputs and outputs.",
        SETUP,
        """
path = [p for p in example_files() if "tones" in p.name][0]
audio, sr = torchspec.load(path, mono=True)
x = audio[0].double()
layer = torchspec.MelSpectrogram(sr, n_fft=1024, hop_length=256, n_mels=64).double()
stream = torchspec.stream(layer)
chunk = int(0.02 * sr)
pieces, counts = [], []
for start in range(0, x.shape[-1], chunk):
    frames = stream.push(x[start : start + chunk])
    pieces.append(frames)
    counts.append(frames.shape[-1])
pieces.append(stream.flush())
streamed = torch.cat(pieces, dim=-1)
offline = layer(x)
print(path.name, f"{x.shape[-1] / sr:.2f} s at {sr} Hz in {len(counts)} chunks of {chunk} samples")
print("frames per push:", counts[:12], "...  latency:", stream.latency, "samples")
print("streamed", tuple(streamed.shape), "offline", tuple(offline.shape))
print(f"largest difference: {float((streamed - offline).abs().max() / offline.abs().max()):.1e} of the peak")
""",
        "# Streamed and offline spectrograms (dB), and their difference relative to the offline "
        "peak: float64 rounding only (or exactly equal).",
        """
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
torchspec.plot(layer, streamed, ax=axes[0], title="streamed, 20 ms chunks")
torchspec.plot(layer, offline, ax=axes[1], title="offline, whole signal")
difference = (streamed - offline).abs() / offline.abs().max()
image = axes[2].imshow(torch.log10(difference + 1e-20).numpy(), origin="lower", aspect="auto",
                       vmin=-20, vmax=-14, cmap="magma")
axes[2].set(title="log10 |streamed - offline| / peak (1e-20: equal)", xlabel="frame", ylabel="mel band")
fig.colorbar(image, ax=axes[2])
fig.tight_layout()
plt.show()
""",
        "# The step form: a fixed chunk, the state as tensors. Exported to ONNX and looped in ONNX "
        "Runtime it gives the same frames after the warm-up frames (which precede the signal).",
        """
import logging
import tempfile
import warnings
import onnxruntime
from torchspec import steps

logging.getLogger("torch.onnx").setLevel(logging.ERROR)  # the exporter's notes on torchvision
step = steps.step(layer.float(), chunk=1024)  # reflect padding: more than n_fft // 2
state = step.initial_state(1)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    program = torch.onnx.export(step, (x[None, :1024].float(), *state), dynamo=True, verbose=False)
onnx_path = tempfile.mkdtemp() + "/mel_step.onnx"
program.save(onnx_path)
session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
names = [i.name for i in session.get_inputs()]
current, out = [s.numpy() for s in state], []
for start in range(0, x.shape[-1] - 1023, 1024):
    piece = x[None, start:start + 1024].float().numpy()
    frames, *current = session.run(None, dict(zip(names, [piece, *current])))
    out.append(frames)
onnx_frames = torch.from_numpy(np.concatenate(out, axis=-1))[0, :, step.warmup:]
n = onnx_frames.shape[-1]
error = (onnx_frames - offline[:, :n].float()).abs().max() / offline.abs().max()
print(f"ONNX Runtime step loop: {n} frames, largest difference {float(error):.1e} of the peak")
""",
    ),
    "07_music_features": cells(
        "# Music features: chroma (from the STFT and from the CQT), onset strength and the "
        "tempogram of bundled recordings, computed by torchspec and by librosa, side by side, "
        "with their differences. torchspec computes a whole batch at once, on any device; "
        "librosa one clip at a time.",
        SETUP
        + """import warnings
warnings.filterwarnings("ignore", message=".*IProgress")  # tqdm, imported by librosa's deps
warnings.filterwarnings("ignore", message="n_fft=.* is too large")  # librosa's own CQT octaves
import librosa
""",
        """
tones_path = [p for p in example_files() if "tones" in p.name][0]
pulses_path = [p for p in example_files() if "pulses" in p.name][0]
sr = 22050  # librosa's default rate
tones = torchspec.load(tones_path, sample_rate=sr, mono=True)[0][0].double()
pulses = torchspec.load(pulses_path, sample_rate=sr, mono=True)[0][0].double()
print(tones_path.name, f"{tones.shape[-1] / sr:.2f} s;", pulses_path.name, f"{pulses.shape[-1] / sr:.2f} s at {sr} Hz")

def peak_error(ours, reference):
    return float(np.abs(ours.numpy() - reference).max() / np.abs(reference).max())

results = {
    "chroma_stft": (torchspec.ChromaSTFT(sr=sr).double()(tones), librosa.feature.chroma_stft(y=tones.numpy(), sr=sr)),
    "chroma_cqt": (torchspec.ChromaCQT(sr=sr).double()(tones), librosa.feature.chroma_cqt(y=tones.numpy(), sr=sr)),
    "onset_strength": (torchspec.OnsetStrength(sr=sr).double()(pulses), librosa.onset.onset_strength(y=pulses.numpy(), sr=sr)),
    "tempogram": (torchspec.Tempogram(sr=sr, win_length=64).double()(pulses),
                  librosa.feature.tempogram(y=pulses.numpy(), sr=sr, win_length=64)),
}
for name, (ours, reference) in results.items():
    print(f"{name:15s} shape {tuple(ours.shape)}  largest difference {peak_error(ours, reference):.1e} of librosa's peak")
""",
        "# `chroma_stft`, onset strength and the tempogram agree to float64 rounding (librosa's "
        "float32 filterbanks). `chroma_cqt` differs by up to a few percent: librosa computes its "
        "CQT by resampling octave by octave, torchspec the wavelet transform librosa defines; "
        "on the same CQT magnitude (`C=`) the two chroma functions agree to rounding:",
        """
C = np.abs(librosa.cqt(tones.numpy(), sr=sr, bins_per_octave=36, n_bins=252))
same_input = torchspec.functional.chroma_cqt(torch.from_numpy(C))
print(f"chroma_cqt of one C: {peak_error(same_input, librosa.feature.chroma_cqt(C=C)):.1e} of the peak")
""",
        """
fig, axes = plt.subplots(3, 2, figsize=(13, 9))
for row, name in enumerate(["chroma_stft", "chroma_cqt", "tempogram"]):
    ours, reference = results[name]
    for ax, values, who in ((axes[row, 0], ours.numpy(), "torchspec"), (axes[row, 1], reference, "librosa")):
        image = ax.imshow(values, origin="lower", aspect="auto", cmap="magma")
        ax.set(title=f"{name}: {who}", xlabel="frame",
               ylabel="lag (frames)" if name == "tempogram" else "pitch class (0 = C)")
        fig.colorbar(image, ax=ax)
fig.tight_layout()
plt.show()
""",
        """
ours, reference = results["onset_strength"]
times = np.arange(reference.shape[-1]) * 512 / sr
plt.figure(figsize=(12, 3))
plt.plot(times, reference, lw=3, alpha=0.5, label="librosa")
plt.plot(times, ours.numpy(), "k--", lw=1, label="torchspec")
plt.xlabel("time (s)"); plt.ylabel("onset strength"); plt.legend(); plt.title("onset strength of the pulses")
plt.show()
""",
        "# Batched: three clips in one call, each item equal to the layer on that clip alone "
        "(and so to librosa on that clip); the tuning is estimated for each item on its own.",
        """
batch = torch.stack([tones, 0.5 * tones.roll(4000), pulses[: tones.shape[-1]]])
chroma = torchspec.ChromaSTFT(sr=sr).double()
together = chroma(batch)
alone = torch.stack([chroma(item) for item in batch])
print("batch", tuple(together.shape), "largest difference to one at a time:", float((together - alone).abs().max()))
""",
    ),
}


def main(names: list[str]) -> None:
    """Execute and write the notebooks named (all when none is)."""
    for name, content in NOTEBOOKS.items():
        if names and name not in names:
            continue
        notebook = nbformat.v4.new_notebook(cells=content)
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(HERE)}},
        ).execute()
        nbformat.write(notebook, HERE / f"{name}.ipynb")
        print("wrote", name)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
