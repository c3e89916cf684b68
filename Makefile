# Concurrency katas in C. The targets are the interface: see README.md.
#   make [status]                 where you are and what to run next
#   make test [EX=03] [SRC=dir]   build and run an exercise's tests (all without EX)
#   make test EX=03 T=2           one part (tests/03-race/test_2_*.c), or T=suite::name one test
#   make helgrind EX=03 [SRC=dir] prove the code free of races and lock-order errors
#   make hint [EX=03] [N=2]       the next hint (or hint N) for the first failing part
#   make watch [EX=03]            tests again on every save; keys n(ext) h(int) r(erun) q(uit)
#   make reset EX=03              the stub back (your file kept as a backup)
#   make compare EX=03            once it passes: your code beside the reference solution
#   make check                    the repository's self-test (what CI runs)
#   make mutants [EX=03]          the tests against mutated solutions (contributors; slow)
#   make bench [EX=08]            the benchmarks: processes, threads, coroutines, speedups
#   make loopbench [EX=03] [N=5]  how fast make test and make watch answer after a save (contributors)
#   make grade / grade-all / release / gradescope   graded coursework (README: For instructors)
#   make deps                     install what is missing (Debian/Ubuntu)
#   make clean                    remove build/

# The system Python starts fastest; -S: the tools need only the standard library.
# The engine's bytecode is kept in build/.pycache, never beside the sources, even
# where PYTHONDONTWRITEBYTECODE is set (a clean tree): each command starts 0.1 s sooner.
PYTHON ?= $(firstword $(wildcard /usr/bin/python3) python3)
PYENV = PYTHONDONTWRITEBYTECODE= PYTHONPYCACHEPREFIX='$(CURDIR)/build/.pycache'
KATA = $(PYENV) $(PYTHON) -S tools/kata.py
ARGS = --ex '$(EX)' --src '$(SRC)' --n '$(N)' --t '$(T)'
ENGINE_TARGETS := status test helgrind hint compdb check
ENGINE_TARGETS += bench mutants loopbench
ENGINE_TARGETS += watch reset compare
GRADE_TARGETS := grade grade-all release gradescope
ENGINE_TARGETS += $(GRADE_TARGETS)
$(GRADE_TARGETS): ARGS += --results '$(RESULTS)' --out '$(OUT)' --submissions '$(SUBMISSIONS)' --hidden '$(HIDDEN)'

ifneq ($(shell uname -s),Linux)
$(error kata: unsupported OS '$(shell uname -s)': the katas need Linux (pthreads, /proc, valgrind); use a Linux machine, VM, container or WSL)
endif

# Bad input and missing tools stop here, with one line, before anything runs.
GOALS := $(or $(MAKECMDGOALS),status)
ifneq ($(filter $(ENGINE_TARGETS),$(GOALS)),)
ifeq ($(shell command -v $(PYTHON)),)
$(error kata: $(PYTHON) not found: run `make deps`)
endif
PREFLIGHT := $(shell $(PYENV) $(PYTHON) -S tools/preflight.py '$(firstword $(filter $(ENGINE_TARGETS),$(GOALS)))' '$(EX)' '$(SRC)' '$(N)' '$(RESULTS)' '$(OUT)' '$(SUBMISSIONS)' '$(HIDDEN)' '$(T)')
ifneq ($(PREFLIGHT),)
$(error $(PREFLIGHT))
endif
endif

.DEFAULT_GOAL := status
.PHONY: $(ENGINE_TARGETS) deps clean

$(ENGINE_TARGETS):
	@$(KATA) $@ $(ARGS)

deps:
	@sh tools/deps.sh

clean:
	rm -rf build
