"""Set BLAS thread counts from the command line before NumPy/torch load.

OpenBLAS reads OPENBLAS_NUM_THREADS once, when the library is loaded, so the
bench scripts call configure_from_argv() before their first numpy/torch
import.  This module must not import numpy itself.
"""

import os

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def set_blas_threads(n):
    """Set the BLAS/OpenMP thread-count variables to n."""
    for var in THREAD_VARS:
        os.environ[var] = str(n)


def threads_from_argv(argv):
    """Return the value given to --threads in argv, or None when absent."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return None


def configure_from_argv(argv):
    """Apply --threads N, else $OPENBLAS_NUM_THREADS, else 1; return the count."""
    n = threads_from_argv(argv) or os.environ.get("OPENBLAS_NUM_THREADS") or "1"
    set_blas_threads(n)
    return int(n)
