"""Batched feature extraction over files and folders: ``torchspec extract``.

The command is a pipeline of stages, one module each, run by one of two engines:

1. :mod:`~torchspec.extract.discover`: the audio files and their one output name each;
2. :mod:`~torchspec.extract.plan`: what is up to date, what is computed, in which batches;
3. :mod:`~torchspec.extract.decode`: a file to a waveform at the feature's rate;
4. :mod:`~torchspec.extract.compute`: features of a batch, long clips in exact pieces, and
   the checks on their values;
5. :mod:`~torchspec.extract.store`: ``.npy`` files or Parquet shards, written atomically;
6. :mod:`~torchspec.extract.record`: the append-only manifest.

:mod:`~torchspec.extract.run` calls them in that order; :mod:`~torchspec.extract.local` (this
process, one rank each under ``torchrun``) and :mod:`~torchspec.extract.ray_engine` (Ray Data:
decoding in CPU tasks, features in an actor pool) move the batches.

Guarantees, with either engine (tests/test_extract_faults.py, tests/test_extract_ray.py):

- Identity: every input (its resolved path: absolute, relative and symlinked spellings are one
  input) has one output name below ``--out``. With several input folders each keeps its folder
  name as the first part of its outputs. An output that the manifest says was made from another
  source is never overwritten or taken as up to date: the run stops up front (exit 2) naming
  both files. Names are data, never patterns; names too long for the file system are shortened
  with a stable hash and the full source path is in the manifest.
- Safety: one run per ``--out`` at a time (a lock; ``--wait`` to queue); files are written to a
  temporary file in the same folder, fsynced and renamed, never outside ``--out``'s real path,
  and a record enters the manifest only once its output is durable: a run killed at any moment
  leaves only complete outputs and the next run does the rest.
- Bounded memory: clips are sorted by length and batched by total samples
  (``max_batch_seconds``); a longer clip is computed in overlapping pieces whose frames are
  stitched exactly (each kept frame reads the same samples as in the whole clip).
- Honest results: non-finite audio or features, and values that overflow ``--dtype``, fail the
  file with the reason and leave no output; the manifest records the parameters, dtype and
  torchspec version of every output, a rerun recomputes outputs made with other parameters and
  supersedes (npy: removes) the output of an input that now fails.
"""

from .compute import check_values, compute
from .decode import DecodeOptions, decode
from .discover import AUDIO_SUFFIXES, CollisionError, Item, discover, example_files
from .plan import Plan, make_plan, plan_batches
from .record import Summary
from .run import DTYPES, ENGINES, SHARD_MB, run
from .store import FORMATS

__all__ = [
    "AUDIO_SUFFIXES",
    "DTYPES",
    "ENGINES",
    "FORMATS",
    "SHARD_MB",
    "CollisionError",
    "DecodeOptions",
    "Item",
    "Plan",
    "Summary",
    "check_values",
    "compute",
    "decode",
    "discover",
    "example_files",
    "make_plan",
    "plan_batches",
    "run",
]
