"""Loading the repository's manifest files, in worker processes when the repository is big.

Why processes: parsing YAML is CPU-bound Python (the libyaml events become Python objects), so threads
would not help. Workers read and parse contiguous chunks of the sorted file list and send back what the
loader collected (objects, RL001 findings, notes, suppression texts, other documents); the chunks are
merged in file order, so a run with ``--jobs N`` gives exactly what ``--jobs 1`` gives. Sending parsed
data back costs about half a parse, so small repositories (below ``MIN_BYTES`` of manifests) always load
in-process, as does ``--jobs 1``. ``READYLINT_PARALLEL_MIN_BYTES`` overrides the threshold (tests, tuning).
"""
from __future__ import annotations

import gc
import os

MIN_BYTES = 16 * 1024 * 1024  # manifest bytes below which a pool costs more than it saves
MIN_FILES = 32
FREEZE_MIN_OBJECTS = 1000  # Kubernetes objects from which freezing the heap pays (small runs, tests: never)
CHUNKS_PER_JOB = 4  # several chunks per worker keep them busy when file sizes differ
MAIN_SHARE = 1.0  # this process parses 1/jobs of the bytes (measured best: unpickling costs it less than a worker pickles)
MERGED = ("objects", "findings", "notes", "texts", "documents")  # what _Loader.load_file accumulates

_worker_args = None  # (root, config) in a worker process


def default_jobs() -> int:
    """The CPUs this process may run on (the affinity mask, not the machine's count, inside containers)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def load_files(loader, files: list[str], suffixes, jobs: int | None, progress=None) -> None:
    """Load every manifest of ``files`` into ``loader``, in parallel when it is worth it.

    The cyclic garbage collector is off meanwhile: loading builds millions of acyclic containers, and the
    collector would scan the growing heap again and again (40% of the load time of a 180 MB tree). After a
    big load the loaded data is frozen out of later collections too (gc.freeze: the rules would otherwise
    pay for full scans of it, a third of a 20-copy benchmark run); it is still freed by reference counting."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        _load_files(loader, files, suffixes, jobs, progress)
    finally:
        if enabled:
            gc.enable()
    if len(loader.objects) >= FREEZE_MIN_OBJECTS:
        gc.freeze()


def _load_files(loader, files: list[str], suffixes, jobs: int | None, progress) -> None:
    manifests = [path for path in files if path.endswith(suffixes)]
    jobs = default_jobs() if jobs is None else jobs
    plan = _plan(loader.root, manifests, jobs) if jobs > 1 else None
    if plan is None:
        for number, path in enumerate(files, 1):
            if path.endswith(suffixes):
                loader.load_file(path)
            if progress is not None:
                progress(number, len(files))
        return
    head, chunks = plan
    done = 0

    def loaded(count):  # the indicator counts manifests here, scaled to the file count it shows
        nonlocal done
        done += count
        if progress is not None:
            progress(len(files) if done == len(manifests) else done * len(files) // len(manifests), len(files))

    _load_with_workers(loader, head, chunks, jobs, loaded)


def _plan(root: str, manifests: list[str], jobs: int):
    """(the files this process parses, the chunks for the workers), or None for a small repository.

    Contiguous runs of the sorted list, so merging in order keeps file order. This process takes the first
    share, smaller than a worker's, because it also unpickles what the workers send back."""
    if len(manifests) < MIN_FILES:
        return None
    sizes = []
    for path in manifests:
        try:
            sizes.append(os.stat(os.path.join(root, path)).st_size)
        except OSError:
            sizes.append(0)
    total = sum(sizes)
    if total < int(os.environ.get("READYLINT_PARALLEL_MIN_BYTES", MIN_BYTES)):
        return None
    head_bytes = total * MAIN_SHARE / jobs
    target = max(int((total - head_bytes) / ((jobs - 1) * CHUNKS_PER_JOB)), 1)
    head, chunks, current, size = [], [], [], 0
    for path, nbytes in zip(manifests, sizes):
        if head_bytes > 0:
            head.append(path)
            head_bytes -= nbytes
            continue
        current.append(path)
        size += nbytes
        if size >= target:
            chunks.append(current)
            current, size = [], 0
    if current:
        chunks.append(current)
    return (head, chunks) if chunks else None


def _load_with_workers(loader, head: list[str], chunks: list[list[str]], jobs: int, loaded) -> None:
    """Workers parse the chunks while this process parses the head; results merge in chunk order. If the
    pool cannot run (no processes allowed, a worker died), the remaining chunks load in-process."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)  # fork: modules already loaded
    try:
        pool = ProcessPoolExecutor(max_workers=min(jobs - 1, len(chunks)), mp_context=context,
                                   initializer=_init_worker, initargs=((loader.root, loader.config),))
        futures = [pool.submit(_load_chunk, chunk) for chunk in chunks]
    except OSError:
        pool, futures = None, [None] * len(chunks)
    try:
        for path in head:
            loader.load_file(path)
            loaded(1)
        for chunk, future in zip(chunks, futures):
            try:
                state, extra = future.result() if future is not None else (None, True)
            except (OSError, BrokenProcessPool):
                state, extra = None, True
            if extra:  # no result, or the loader grew state this module does not merge: do it here
                for path in chunk:
                    loader.load_file(path)
                loaded(len(chunk))
                continue
            loader.objects.extend(state["objects"])
            loader.findings.extend(state["findings"])
            loader.notes.extend(state["notes"])
            loader.texts.update(state["texts"])
            for path, docs in state["documents"].items():
                loader.documents.setdefault(path, []).extend(docs)
            loaded(len(chunk))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _init_worker(args) -> None:
    global _worker_args
    _worker_args = args
    gc.disable()  # a short-lived process that only builds acyclic data


def _load_chunk(paths: list[str]):
    """(what the loader collected for ``paths``, names of any other loader state that changed)."""
    from .api import _Loader

    root, config = _worker_args
    loader = _Loader(root, config)
    before = {name: _size(value) for name, value in vars(loader).items() if name not in MERGED}
    for path in paths:
        loader.load_file(path)
    extra = [name for name, value in vars(loader).items() if name not in MERGED and _size(value) != before.get(name)]
    return {name: getattr(loader, name) for name in MERGED}, extra


def _size(value):
    return len(value) if isinstance(value, (list, dict, set)) else id(value)
