"""Data-quality suites (Great Expectations 1.x) for every roleprint stage.

Usage (e.g. from a Dagster asset check)::

    from data_quality import run_suite

    result = run_suite("responsibility_labels", df, categories=["tooling", "other"])
    passed, metadata = result.success, result.to_metadata()

Importing this package is cheap; Great Expectations is imported on the first ``run_suite``.
"""

from data_quality.results import FailedExpectation, SuiteResult
from data_quality.runner import run_suite, run_suite_by_parts
from data_quality.suites import SUITE_NAMES

__all__ = ["SUITE_NAMES", "FailedExpectation", "SuiteResult", "run_suite", "run_suite_by_parts"]
