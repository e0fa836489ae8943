# cronext: PGXS build.  `make && make install`, then `make installcheck`
# runs the pg_regress suite in a throwaway instance that preloads cronext
# (see test/regress.conf).  The whole test suite is test/run-tests.sh.

MODULE_big = cronext
OBJS = \
	src/api/cronext.o \
	src/api/db_events.o \
	src/api/error_context.o \
	src/api/job_changed.o \
	src/api/job_guard.o \
	src/api/job_guard_http.o \
	src/api/job_guard_row.o \
	src/api/lock_guard.o \
	src/api/settings.o \
	src/api/shared.o \
	src/api/shared_queues.o \
	src/api/sql_api.o \
	src/api/watch_api.o \
	src/common/delivery.o \
	src/common/schedule_pg.o \
	src/common/text_clip.o \
	src/core/next_run.o \
	src/core/policy.o \
	src/core/schedule.o \
	src/http/http_check.o \
	src/http/http_dispatch.o \
	src/http/http_read.o \
	src/http/http_request.o \
	src/http/http_worker.o \
	src/launcher/launcher.o \
	src/scheduler/after_pass.o \
	src/scheduler/alerts.o \
	src/scheduler/decide.o \
	src/scheduler/fair_share.o \
	src/scheduler/home_db.o \
	src/scheduler/job_cache.o \
	src/scheduler/ledger.o \
	src/scheduler/lock_timeout.o \
	src/scheduler/manual_runs.o \
	src/scheduler/name_pool.o \
	src/scheduler/role_shares.o \
	src/scheduler/run_check.o \
	src/scheduler/run_launch.o \
	src/scheduler/run_reports.o \
	src/scheduler/run_resume.o \
	src/scheduler/runs.o \
	src/scheduler/scheduler.o \
	src/worker/exec_command.o \
	src/worker/job_worker.o \
	src/worker/run_record.o \
	src/worker/session_state.o \
	src/worker/worker_pool.o

EXTENSION = cronext
# the install script of the current version, the base version's (for
# the upgrade test and for CREATE EXTENSION cronext VERSION '1.0') and
# the upgrade chain
DATA = $(wildcard $(srcdir)/sql/cronext--*.sql) cronext--1.0.control
PGFILEDESC = "cronext - scheduled SQL and HTTP jobs inside PostgreSQL"

REGRESS = schedule_syntax next_runs timezones api security ledger http_api one_off pg_cron_api declare watch
REGRESS_OPTS = --inputdir=$(srcdir)/test --outputdir=test \
	--temp-instance=./tmp_regress --temp-config=$(srcdir)/test/regress.conf

SHLIB_LINK = -lcurl
# one folder per part: the pure core, the launcher, the scheduler, the job
# workers, HTTP, the SQL API and shared state, and server-side helpers
SRC_DIRS = core launcher scheduler worker http api common
PG_CPPFLAGS = $(addprefix -I$(srcdir)/src/,$(SRC_DIRS))

EXTRA_CLEAN = $(addsuffix /*.bc,$(addprefix src/,$(SRC_DIRS))) tmp_regress test/results test/regression.diffs test/regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track headers: rebuild every object when any header changes,
# so that no object keeps an old layout of a shared struct
$(OBJS): $(wildcard $(srcdir)/src/*/*.h)
