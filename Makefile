# cronext: PGXS build.  `make && make install`, then `make installcheck`
# runs the pg_regress suite in a throwaway instance that preloads cronext
# (see test/regress.conf).  The whole test suite is test/run-tests.sh.

MODULE_big = cronext
OBJS = \
	src/cronext.o \
	src/decide.o \
	src/exec_command.o \
	src/fair_share.o \
	src/http_check.o \
	src/http_dispatch.o \
	src/http_request.o \
	src/http_worker.o \
	src/job_cache.o \
	src/job_worker.o \
	src/ledger.o \
	src/lock_guard.o \
	src/lock_timeout.o \
	src/manual_runs.o \
	src/next_run.o \
	src/run_check.o \
	src/run_launch.o \
	src/runs.o \
	src/schedule.o \
	src/schedule_pg.o \
	src/scheduler.o \
	src/settings.o \
	src/shared.o \
	src/sql_api.o \
	src/text_clip.o \
	src/worker_pool.o

EXTENSION = cronext
# the install script of the current version, the base version's (for
# the upgrade test and for CREATE EXTENSION cronext VERSION '1.0') and
# the upgrade chain
DATA = $(wildcard $(srcdir)/sql/cronext--*.sql) cronext--1.0.control
PGFILEDESC = "cronext - scheduled SQL and HTTP jobs inside PostgreSQL"

REGRESS = schedule_syntax next_runs timezones api security ledger http_api one_off pg_cron_api
REGRESS_OPTS = --inputdir=$(srcdir)/test --outputdir=test \
	--temp-instance=./tmp_regress --temp-config=$(srcdir)/test/regress.conf

SHLIB_LINK = -lcurl
PG_CPPFLAGS = -I$(srcdir)/src

EXTRA_CLEAN = tmp_regress test/results test/regression.diffs test/regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track headers: rebuild every object when any header changes,
# so that no object keeps an old layout of a shared struct
$(OBJS): $(wildcard $(srcdir)/src/*.h)
