"""A skops model file with a type outside the allow-list is refused before anything runs."""

from __future__ import annotations

import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from marketing_utils.model_io import UntrustedModelError, load_model
from tests.reliability.marker_payload import Payload


def test_foreign_type_is_refused_by_name_and_never_constructed(tmp_path):
    marker = tmp_path / "EXECUTED"
    model = make_pipeline(LogisticRegression())
    model.steps.append(("payload", Payload(str(marker))))
    path = tmp_path / "propensity_model.skops"
    sio.dump(model, path)
    assert not marker.exists()

    try:
        load_model(path)
    except UntrustedModelError as error:
        message = str(error)
    else:
        raise AssertionError("an untrusted model file was loaded")

    assert "tests.reliability.marker_payload.Payload" in message
    assert str(path) in message
    assert "The file was not loaded" in message
    assert not marker.exists()
    # Loading it for real would run the payload: the refusal is what kept it from running.
    sio.load(path, trusted=[*sio.get_untrusted_types(file=path)])
    assert marker.exists()
