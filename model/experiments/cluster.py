"""Reaching Dask: a running scheduler at an address (checked within a time limit), or a local cluster.

A scheduler is asked who it is before anything is written: an address where nothing listens, or a
program that is not a Dask scheduler (a web server, say), is reported within ``timeout`` seconds
instead of hanging. Only point a sweep at a scheduler you trust: Dask unpickles what it receives,
so a scheduler can run any code on the machine that connects to it, and the other way round.

The local cluster listens on the loopback interface only (its scheduler and its dashboard).
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from model.experiments.spec import ExperimentError, SweepUnavailable

CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler (sweep --connect-timeout)
HANDSHAKE_SECONDS = 2.0  # and then to hear it answer as a Dask scheduler


def scheduler_address(scheduler: str | None) -> str | None:
    """The address given, else $DASK_SCHEDULER_ADDRESS; None for a local cluster."""
    return scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or None


def check_scheduler(address: str, timeout: float = CONNECT_TIMEOUT) -> dict:
    """The scheduler's identity; SweepUnavailable if no Dask scheduler answers within ``timeout`` seconds."""
    try:
        with ThreadPoolExecutor(1) as thread:  # its own event loop: this works inside a notebook too
            identity = thread.submit(asyncio.run, _identify(address, timeout)).result()
    except ValueError as error:
        raise ExperimentError(f"--scheduler {address}: not the address of a Dask scheduler ({error}); "
                              "expected e.g. tcp://host:8786") from None
    except TimeoutError:  # connected, but no Dask handshake came back
        raise SweepUnavailable(f"--scheduler {address}: something listens there, but it is not a Dask scheduler "
                               f"(no answer to Dask's handshake within {timeout + HANDSHAKE_SECONDS:g} s)") from None
    except OSError as error:  # nothing listens, no route, or the connection closed (CommClosedError)
        raise SweepUnavailable(f"--scheduler {address}: cannot reach a Dask scheduler within {timeout:g} s "
                               f"({error}); is it running, and is the address right?") from None
    if not isinstance(identity, dict) or identity.get("type") != "Scheduler":
        raise SweepUnavailable(f"--scheduler {address}: answers, but is not a Dask scheduler")
    return identity


async def _identify(address: str, timeout: float):
    from distributed.comm import connect
    from distributed.security import Security

    async def ask():
        comm = await connect(address, timeout=timeout, **Security().get_connection_args("client"))
        try:
            await comm.write({"op": "identity"})
            return await comm.read()
        finally:
            comm.abort()

    # connect() gives up on an address where nothing answers after `timeout`, but waits for ever for the
    # handshake of a program that accepts the connection and says nothing: bound the whole, a little later.
    return await asyncio.wait_for(ask(), timeout + HANDSHAKE_SECONDS)


@contextmanager
def scheduler_client(address: str, timeout: float = CONNECT_TIMEOUT):
    """A Client of the checked scheduler at ``address``."""
    from distributed import Client

    check_scheduler(address, timeout)
    with Client(address, timeout=timeout) as client:
        yield client


@contextmanager
def local_client(workers: int | None = None):
    """A Client of a new local cluster: ``workers`` processes of one thread (default one per core)."""
    from distributed import Client, LocalCluster

    # Workers' logs only at CRITICAL: a run's errors reach the sweep's own records (its failing points), and a
    # worker whose heartbeat meets the scheduler already closing logs a harmless CommClosedError traceback at
    # ERROR on the way out (dask/distributed#7105), seen at the end of a 3-minute calibration search.
    with LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=logging.CRITICAL) as cluster, \
            Client(cluster) as client:
        yield client
