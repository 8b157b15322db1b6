"""The admin cleanup: finished jobs older than a cutoff deleted in batches, each its own transaction.

One statement over every matching job would hold its locks, and the results'
row versions, for as long as the whole deletion takes, however many jobs
match. Batches keep each transaction short, so workers and users writing at
the same time wait at most one batch.
"""

from datetime import datetime
from typing import NamedTuple

from litestar.datastructures import State

from service.database import connection, queries, transaction

BATCH_JOBS = 100
"""Jobs deleted per transaction (a job has up to 500 result pages)."""


class CleanupTotals(NamedTuple):
    deleted_jobs: int
    deleted_results: int
    cutoff_date: datetime


async def delete_finished_jobs(
    state: State, status: str, older_than_days: int, batch_jobs: int = BATCH_JOBS
) -> CleanupTotals:
    """Delete the jobs of `status` created more than `older_than_days` ago, with their results."""
    async with connection(state) as db:
        cutoff: datetime = await queries.cleanup_cutoff(db, older_than_days=older_than_days)
    jobs = results = 0
    while True:
        async with transaction(state) as tx:
            batch = await queries.cleanup_jobs_batch(tx, status=status, cutoff=cutoff, batch_size=batch_jobs)
        jobs += batch.deleted_jobs
        results += batch.deleted_results
        if batch.deleted_jobs < batch_jobs:
            return CleanupTotals(jobs, results, cutoff)
