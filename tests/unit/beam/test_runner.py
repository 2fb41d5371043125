"""Runner plumbing: --runner and Beam options become PipelineOptions; bad ones are refused."""

from __future__ import annotations

import pytest

from datacheck.beam import RUNNERS, beam_pipeline_options
from datacheck.errors import OptionError


def test_direct_runner_options_reach_the_pipeline_options() -> None:
    options = beam_pipeline_options("DirectRunner", ["--direct_num_workers=2"]).get_all_options()
    assert options["direct_num_workers"] == 2
    assert options["direct_running_mode"] == "multi_processing"
    assert options["runner"] == "FnApiRunner"


def test_an_explicit_running_mode_is_kept() -> None:
    options = beam_pipeline_options(
        "DirectRunner", ["--direct_num_workers=4", "--direct_running_mode=multi_threading"]
    ).get_all_options()
    assert options["direct_running_mode"] == "multi_threading"


@pytest.mark.parametrize("runner", [r for r in RUNNERS if r != "DirectRunner"])
def test_other_runners_are_passed_by_name(runner: str) -> None:
    assert beam_pipeline_options(runner).get_all_options()["runner"] == runner


def test_runner_specific_options_are_known() -> None:
    options = beam_pipeline_options("FlinkRunner", ["--flink_master=host:8081"])
    assert options.get_all_options()["flink_master"] == "host:8081"


def test_unknown_runner_is_refused() -> None:
    with pytest.raises(OptionError, match="runner='HadoopRunner': unknown runner"):
        beam_pipeline_options("HadoopRunner")


def test_misspelt_beam_option_is_refused() -> None:
    with pytest.raises(OptionError, match="--direct_num_worker: not a Beam pipeline option"):
        beam_pipeline_options("DirectRunner", ["--direct_num_worker=2"])


def test_runner_among_beam_options_is_refused() -> None:
    with pytest.raises(OptionError, match="give the runner before"):
        beam_pipeline_options("DirectRunner", ["--runner=FlinkRunner"])


def test_a_path_among_beam_options_is_refused() -> None:
    with pytest.raises(OptionError, match=r"b\.csv: not a Beam option"):
        beam_pipeline_options("DirectRunner", ["b.csv"])
