"""The Ray engine (``--engine ray``): Ray Data decodes in CPU tasks and computes in an actor
pool; this process (the driver) checks, writes and records, exactly as the local engine does.

The driver plans the batches (by total samples, as the local engine) and hands Ray one row
per batch; a decode task turns the row's files into waveforms (or reasons), an actor computes
the batch with the same :func:`~torchspec.extract.compute.compute_decoded` and returns the
arrays. So outputs equal the local engine's (bit for bit in float32 on the CPU, tested), and
the output folder only needs to be on the driver's machine; the inputs must be readable at the
same paths on every node (a shared or object file system).

Faults: Ray Data retries a decode task whose worker process dies and restarts an actor that
dies, retrying its batch, without limit (its defaults for tasks and actor pools, which we keep:
a file that cannot be decoded is data, recorded as failed, never an exception, so only dead
processes are retried). A killed driver leaves only complete outputs; the next run does the
rest. Both are tested on a local Ray instance (tests/test_extract_ray.py).
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..features import FeatureSpec, Pipeline
from ..outputs import ExtractEnvironmentError
from .compute import Feature, compute_decoded
from .decode import DecodeOptions, decode
from .discover import Item
from .job import Job
from .record import Recorder

DECODE_CPUS = 0.5


def ray_module() -> Any:
    """``ray`` with Ray Data, or an ImportError naming the extra."""
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise ImportError("--engine ray needs Ray Data: pip install 'torchspec[ray]'") from exc
    return ray


def connect(address: str | None) -> None:
    """Join Ray: the instance this process already joined, else a new local one (``address``
    None), a running cluster (``"auto"``), or a remote one (``"ray://host:port"``).

    Raises:
        ImportError: Ray Data is not installed.
        ExtractEnvironmentError: the cluster cannot be reached.
    """
    ray = ray_module()
    if ray.is_initialized():
        return
    for name in ("ray", "ray.data"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        ray.init(
            address=address or "local",
            include_dashboard=False,
            configure_logging=True,
            logging_level="error",
            log_to_driver=False,
        )
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ExtractEnvironmentError(f"--ray-address {address}: {exc}") from exc


def default_actors(resources: dict[str, float]) -> int:
    """One actor per GPU of the cluster; without GPUs half its CPUs (the rest decode)."""
    gpus = int(resources.get("GPU", 0))
    return gpus if gpus else max(1, int(resources.get("CPU", 1)) // 2)


@dataclass(frozen=True)
class Placement:
    """Where the features are computed: ``actors`` actors, each on one GPU or one CPU."""

    actors: int
    gpu: bool


def place(device: str, actors: int | None) -> Placement:
    """The actor pool for ``--device`` and ``--ray-actors`` on the joined cluster, checked
    before anything is written: CPU actors take one CPU each and decoding must keep at least
    ``DECODE_CPUS`` (Ray Data would otherwise wait for a CPU forever).

    Raises:
        ExtractEnvironmentError: ``--device cuda`` on a cluster without GPUs.
        ValueError: too many or too few actors for the cluster.
    """
    resources = ray_module().cluster_resources()
    gpus = int(resources.get("GPU", 0))
    if device.startswith("cuda") and not gpus:
        raise ExtractEnvironmentError(f"--device {device}: the Ray cluster has no GPU")
    gpu = gpus > 0 and device != "cpu"
    if actors is None:
        actors = default_actors(resources)
    if actors < 1:
        raise ValueError(f"--ray-actors must be >= 1, got {actors}")
    cpus = resources.get("CPU", 0.0)
    if not gpu and actors + DECODE_CPUS > cpus:
        most = int(cpus - DECODE_CPUS)
        advice = f"use at most {most}" if most >= 1 else "the CPU engine needs 2 CPUs"
        raise ValueError(
            f"--ray-actors {actors}: CPU actors take one CPU each and decoding needs "
            f"{DECODE_CPUS} more, but the Ray cluster has {cpus:g} CPUs; {advice}"
        )
    return Placement(actors, gpu)


def run_ray(job: Job, recorder: Recorder, placement: Placement, *, progress: bool | None) -> None:
    """Compute every planned batch of ``job`` on Ray and record the results as they come."""
    ray = ray_module()
    if not job.plan.batches:
        return
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = bool(progress)
    context.print_on_execution_start = False
    rows = [
        {"batch": k, "items": pickle.dumps([(i, job.plan.pending[i]) for i in batch])}
        for k, batch in enumerate(job.plan.batches)
    ]
    data = ray.data.from_items(rows, override_num_blocks=len(rows))
    # Half a CPU per decode task: two decode beside each busy core, and resources unlike the
    # actors', so Ray Data keeps decoding as tasks of their own instead of fusing it into the
    # actors (it fuses a task stage into an actor stage that asks for the same resources).
    decoded = data.map(_decode_row, fn_kwargs={"options": job.decode}, num_cpus=DECODE_CPUS)
    features = decoded.map_batches(
        _FeatureActor,
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=placement.actors),
        num_gpus=1 if placement.gpu else 0,
        num_cpus=0 if placement.gpu else 1,
        fn_constructor_kwargs={
            "recipe": recipe(job.feature),
            "cuda": placement.gpu,
            "dtype": job.compute_dtype,
            "max_samples": job.max_samples,
        },
    )
    for row in features.iter_rows():
        for index, result, samples in pickle.loads(row["payload"]):
            array = torch.from_numpy(result) if isinstance(result, np.ndarray) else result
            recorder.computed(job.plan.pending[index], array, samples)


def recipe(feature: Feature) -> Any:
    """What an actor needs to rebuild ``feature``: the spec (plain data) or the saved file."""
    if isinstance(feature, Pipeline):
        return feature.spec
    return feature  # a SavedFrontend pickles as its file's bytes


def _decode_row(row: dict[str, Any], options: DecodeOptions) -> dict[str, Any]:
    items: list[tuple[int, Item]] = pickle.loads(row["items"])
    out = []
    for index, item in items:
        result = decode(item, options)
        out.append((index, result if isinstance(result, str) else result.numpy()))
    return {"batch": row["batch"], "payload": pickle.dumps(out)}


class _FeatureActor:
    """Holds the frontend on its device; computes one planned batch per call."""

    def __init__(self, recipe: Any, cuda: bool, dtype: torch.dtype, max_samples: int) -> None:
        self.feature: Feature = recipe.pipeline() if isinstance(recipe, FeatureSpec) else recipe
        self.device = torch.device("cuda" if cuda else "cpu")
        self.dtype, self.max_samples = dtype, max_samples
        self.feature.frontend.to(device=self.device, dtype=dtype)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        payloads = []
        for payload in batch["payload"]:
            decoded = [
                (index, clip if isinstance(clip, str) else torch.from_numpy(clip))
                for index, clip in pickle.loads(payload)
            ]
            results = compute_decoded(
                self.feature,
                decoded,
                max_samples=self.max_samples,
                device=self.device,
                dtype=self.dtype,
            )
            payloads.append(
                pickle.dumps(
                    [
                        (index, result if isinstance(result, str) else result.numpy(), samples)
                        for index, result, samples in results
                    ]
                )
            )
        return {"batch": batch["batch"], "payload": np.array(payloads, dtype=object)}
