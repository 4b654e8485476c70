"""Feature building on a Dask cluster of worker processes gives the pandas results."""

from __future__ import annotations

import os

import dask.dataframe as dd
import pytest
from distributed import get_task_stream

from marketing_utils.compute import dask_client
from marketing_utils.errors import WorkbookError
from marketing_utils.preprocess.features import customer_features, make_labels, rfm_summary
from tests.unit.preprocess.test_features import assert_same_frames, random_tables

pytestmark = [
    pytest.mark.filterwarnings("ignore:Dask support is moving:FutureWarning"),
    pytest.mark.xdist_group("dask_cluster"),
]


@pytest.fixture(scope="module")
def client():
    # The cluster the workbook starts without a scheduler address, at CI size.
    client = dask_client(n_workers=2, threads_per_worker=1)
    yield client
    client.close()


def test_the_local_cluster_has_two_single_threaded_worker_processes(client):
    workers = client.scheduler_info()["workers"].values()
    assert [w["nthreads"] for w in workers] == [1, 1]
    pids = client.run(os.getpid)  # separate processes, not threads of this one
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()


def test_features_on_the_cluster_equal_pandas(client):
    log, returns, people = random_tables()
    options = {"cutoff": "2023-10-01", "windows": (7, 30, 400)}
    expected = customer_features(log, customers=people, returns=returns, **options)
    distributed = dd.from_pandas(log, npartitions=6)
    with get_task_stream(client) as stream:
        result = customer_features(
            distributed, customers=people, returns=dd.from_pandas(returns, npartitions=2), **options
        )
    assert_same_frames(result, expected)
    assert_same_frames(rfm_summary(distributed), rfm_summary(log))
    labels = make_labels(distributed, cutoff="2023-10-01", horizon_days=30)
    assert_same_frames(labels, make_labels(log, cutoff="2023-10-01", horizon_days=30))
    # The partitions were processed by both worker processes of the cluster.
    workers = {task["worker"] for task in stream.data}
    assert workers == set(client.scheduler_info()["workers"])


def test_an_unreachable_scheduler_is_named():
    with pytest.raises(WorkbookError, match=r"no Dask scheduler answered at 'tcp://127.0.0.1:9'"):
        dask_client("tcp://127.0.0.1:9", timeout=1)
    with pytest.raises(ValueError, match="expected a Dask scheduler address"):
        dask_client("127.0.0.1:8786")
