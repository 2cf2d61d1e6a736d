"""Ships the top-level ``resources/`` folder inside the wheel as ``mailbox_audit_resources``
(so ``pip install .`` finds event maps, templates and the demo case); everything else is
declared in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["forensics", "forensics.*", "app", "app.*"]) + ["mailbox_audit_resources"],
    package_dir={"mailbox_audit_resources": "resources"},
    package_data={"mailbox_audit_resources": ["**/*"]},
)
