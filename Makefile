# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast dist wheelhouse clean

$(STAMP): pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# check_qt_libs: on Linux, names the missing X11 libraries Qt needs and the command installing them
run: $(STAMP)
	$(PY) build_spec/check_qt_libs.py
	$(PY) -m app --identities resources/demo-identities.csv resources/demo

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

test-fast: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m "not slow"

demo: $(STAMP) ; rm -rf resources/demo && $(PY) -m forensics.cli.main synth --scenario contoso --events 1500 --seed 1 --formats evtx iis2003 mailbox-audit-xml ual --out resources/demo --identities-out resources/demo-identities.csv

PLATFORM       ?= win_amd64
PYTHON_VERSION ?= 3.11

dist: $(STAMP)
	$(PY) -m pip install --quiet -e '.[build]'
	$(PY) -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller build_spec/mailbox_audit.spec
	@du -sh dist/mailbox-audit

wheelhouse: $(STAMP)
	$(PY) build_spec/wheelhouse.py --platform $(PLATFORM) --python-version $(PYTHON_VERSION) --out wheelhouse

clean:
	rm -rf $(VENV) build dist *.egg-info
