# Two commands do everything on a fresh machine: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install browser run test lint bench clean

install: $(STAMP)

# Ray (the `ray` extra) is installed so `make test` runs the Ray engine's tests; the base install needs no Ray.
# Torch first: torch==2.13.0 is a CPU build lying on this disk; any other torch request pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check torch==2.13.0
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev,ray]'
	touch $(STAMP)

run: install
	$(VENV)/bin/newsdedup run seeds --out results --report

# Headless Chromium for the report's browser tests, from Debian packages (no browser download). Without root
# the step says so and the browser tests skip with the reason.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null && exit 0; \
	if [ "$$(id -u)" = 0 ]; then (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver) \
	  || echo "make browser: apt-get could not install chromium; the browser tests will skip"; \
	else echo "make browser: not root, chromium and chromium-driver not installed; the browser tests will skip"; fi

test: install browser
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check cluster cli tests benchmarks
	$(VENV)/bin/mypy

bench: install  # the quick set: 4 min 44 s on a quiet 2-core machine (benchmarks/README.md)
	$(PY) benchmarks/bench_stories.py
	$(PY) benchmarks/bench_syndication.py --quick
	$(PY) benchmarks/bench_pairs.py --quick
	$(PY) benchmarks/bench_speed.py --quick
	$(PY) benchmarks/bench_living.py --quick
	$(PY) benchmarks/bench_dedup.py --quick

clean:
	rm -rf $(VENV) results
