"""Package discovery, the one thing pyproject.toml cannot say here.

Every package under tool/ is found automatically (a hand-kept list once left hubfleet.planning
out of the wheel), and the input schemas at the repository root join them as hubfleet.schemas
(package-dir in pyproject.toml), and our charts/ as hubfleet.charts. The rest of the metadata
is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[
        *find_namespace_packages("tool", include=["hubfleet", "hubfleet.*"], exclude=["*.__pycache__"]),
        "hubfleet.schemas",
        "hubfleet.charts",
    ]
)
