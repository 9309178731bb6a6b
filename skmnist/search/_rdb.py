"""Optuna's database storage with heartbeats that survive a database restart.

Imported by :func:`skmnist.search.open_storage` only, when a database storage is
opened: importing it imports Optuna and SQLAlchemy.
"""

import warnings

import optuna

from skmnist.search._storage import lost_connection, lost_connection_errors

__all__ = ["HeartbeatRetryingRDBStorage"]


class HeartbeatRetryingRDBStorage(optuna.storages.RDBStorage):
    """``RDBStorage`` whose heartbeat rides out a lost connection.

    Optuna records a running trial's heartbeat from a thread that ends at the
    first error. A database restart in the middle of a heartbeat's commit would
    end it with a traceback, and the live trial, no longer beating, would be
    failed as stale by the other workers and run twice. Here a heartbeat whose
    connection broke is retried once on a new connection (which waits for a
    restarting server, ``open_storage``'s ``reconnect_timeout``); if that fails
    too, the beat is skipped with a one-line warning and the thread beats again
    at the next interval. Other errors still raise.
    """

    def record_heartbeat(self, trial_id):
        for _ in range(2):
            try:
                return super().record_heartbeat(trial_id)
            except (
                optuna.exceptions.StorageInternalError,
                *lost_connection_errors(),
            ) as exc:
                message = lost_connection(exc)
                if message is None:
                    raise
        warnings.warn(
            f"skipped a heartbeat of trial {trial_id}: lost the connection to the "
            f"storage ({message}); the next one is due in "
            f"{self.heartbeat_interval} s",
            RuntimeWarning,
            stacklevel=2,
        )
