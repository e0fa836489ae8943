#!/bin/bash
# test/run-tests.sh: the project's single test command.
#
# Owns: running every test stage from a fresh clone on a fresh Debian 12,
# as root, idempotently:
#   deps          apt-get install what the stages need (skipped if present)
#   build         make in a scratch copy; any compiler warning fails it
#   install       make install (as root)
#   installcheck  pg_regress in a throwaway instance (make installcheck)
#   harness-asan      test/harness: check_schedule under ASan+UBSan
#   harness-valgrind  test/harness: check_schedule under valgrind
#   harness-fuzz      test/harness: libFuzzer for FUZZ_SECONDS (default 30)
#   tap           prove test/t/*.pl against real clusters
# Every stage runs even if an earlier one failed (except those that need
# the build, which are marked FAIL without running so a stale install can
# never make them pass).  Exit status is non-zero if any stage failed.
#
# Servers refuse to run as root, so everything that starts one, and the
# build itself, runs as the `postgres` user in a scratch copy of the tree
# (mktemp -d) that is removed on exit, with any server left in it stopped.
#
# Environment: PG_PREFIX (see below), FUZZ_SECONDS (default 30), TAP_JOBS (default 2: TAP tests run
# in parallel), KEEP_SCRATCH=1 to keep the copy.

set -uo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# PG_PREFIX: a relocated copy of Debian's PostgreSQL 15 tree (usr/lib,
# usr/share, usr/include under it) to build, install and test against
# instead of the system one, so that two copies of the work can be tested
# side by side without installing over each other (default: the system's).
# PostgreSQL finds its files relative to its binaries, so a copy is made
# with: mkdir -p P/usr/lib/postgresql P/usr/share/postgresql P/usr/include;
# cp -a /usr/lib/postgresql/15 P/usr/lib/postgresql/;
# cp -a /usr/share/postgresql/15 P/usr/share/postgresql/;
# cp -a /usr/include/postgresql P/usr/include/
PG_PREFIX=${PG_PREFIX:-}
if [ -n "$PG_PREFIX" ]; then
	PG_CONFIG=$PG_PREFIX/usr/lib/postgresql/15/bin/pg_config
else
	PG_CONFIG=/usr/bin/pg_config
fi
PG_BIN=$PG_PREFIX/usr/lib/postgresql/15/bin
PG_PERL=$PG_PREFIX/usr/lib/postgresql/15/lib/pgxs/src/test/perl
PG_REGRESS=$PG_PREFIX/usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
# TAP tests run two at a time: each has its own cluster, ports and
# loopback servers, and every wait is bounded from what it waits for, so
# they pass on a busy machine (a second copy of the suite beside them, too)
TAP_JOBS=${TAP_JOBS:-2}
SCRATCH_PREFIX=/tmp/cronext-test.

# what the stages use; .ci/run installs the same list
PACKAGES=(
	postgresql-15 postgresql-server-dev-15 postgresql-15-cron libcurl4-openssl-dev
	libipc-run-perl build-essential clang clang-14 libclang-rt-14-dev
	valgrind make perl python3 openssl tzdata ca-certificates patroni etcd-server
)

STAGES=()
RESULTS=()
TIMES=()
BUILD_OK=0

say() { printf '\n=== %s\n' "$*"; }

# run_stage NAME FUNCTION: run it, record PASS/FAIL and its duration
run_stage() {
	local name=$1 fn=$2 start rc
	say "[$name] start"
	start=$(date +%s)
	"$fn"
	rc=$?
	STAGES+=("$name")
	TIMES+=("$(($(date +%s) - start))s")
	if [ "$rc" -eq 0 ]; then
		RESULTS+=(PASS)
		say "[$name] PASS"
	else
		RESULTS+=(FAIL)
		say "[$name] FAIL (exit $rc)"
	fi
	return 0
}

# a stage that needs the build: marked FAIL, not run, if the build failed
run_built_stage() {
	if [ "$BUILD_OK" -eq 1 ]; then
		run_stage "$1" "$2"
	else
		say "[$1] FAIL: not run because the build failed"
		STAGES+=("$1")
		RESULTS+=("FAIL")
		TIMES+=("-")
	fi
}

as_postgres() {
	runuser -u postgres -- "$@"
}

# Stop every server whose data directory lies under $1 (ours only: found
# by their postmaster.pid files, never by process name).
stop_servers_under() {
	local dir=$1 pidfile datadir
	[ -d "$dir" ] || return 0
	while IFS= read -r pidfile; do
		datadir=$(dirname "$pidfile")
		echo "stopping leftover server in $datadir"
		as_postgres "$PG_BIN/pg_ctl" -D "$datadir" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
	done < <(find "$dir" -name postmaster.pid -type f 2>/dev/null)
}

cleanup() {
	if [ -n "${SCRATCH:-}" ] && [ -d "$SCRATCH" ]; then
		stop_servers_under "$SCRATCH"
		if [ "${KEEP_SCRATCH:-0}" = 1 ]; then
			echo "scratch copy kept in $SCRATCH"
		else
			rm -rf "$SCRATCH"
		fi
	fi
}

# ---- stages ----------------------------------------------------------------

stage_deps() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "all packages already installed"
	else
		echo "installing: ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update || return 1
		apt-get install -y --no-install-recommends "${missing[@]}" || return 1
	fi
	# the postgres user comes with postgresql-common; it runs the servers
	id postgres >/dev/null 2>&1 || { echo "user postgres missing"; return 1; }
	local tool
	for tool in "$PG_CONFIG" "$PG_BIN/initdb" "$PG_BIN/pg_ctl" "$PG_REGRESS" clang gcc valgrind prove python3 openssl; do
		command -v "$tool" >/dev/null 2>&1 || { echo "missing: $tool"; return 1; }
	done
}

stage_build() {
	local log=$LOGS/build.log rc
	as_postgres make -C "$WORK" PG_CONFIG="$PG_CONFIG" clean >/dev/null 2>&1
	as_postgres make -C "$WORK" PG_CONFIG="$PG_CONFIG" -j"$(nproc)" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ]; then
		echo "build failed (make exit $rc)"
		return 1
	fi
	if grep -n 'warning:' "$log"; then
		echo "build produced compiler warnings (above); warnings are failures"
		return 1
	fi
	BUILD_OK=1
}

stage_install() {
	make -C "$WORK" PG_CONFIG="$PG_CONFIG" install
}

stage_installcheck() {
	local rc f
	as_postgres make -C "$WORK" PG_CONFIG="$PG_CONFIG" installcheck
	rc=$?
	if [ "$rc" -ne 0 ]; then
		for f in "$WORK/test/regression.diffs" "$WORK/regression.diffs"; do
			[ -f "$f" ] || continue
			say "$f"
			cat "$f"
		done
		for f in "$WORK"/tmp_regress/log/postmaster.log "$WORK"/*/tmp_regress/log/postmaster.log \
			"$WORK"/log/postmaster.log; do
			[ -f "$f" ] || continue
			say "tail of $f"
			tail -n 100 "$f"
		done
	fi
	return "$rc"
}

stage_harness() {
	as_postgres make -C "$WORK/test/harness" PG_CONFIG="$PG_CONFIG" "$1" FUZZ_SECONDS="$FUZZ_SECONDS"
}
stage_harness_asan() { stage_harness asan; }
stage_harness_valgrind() { stage_harness valgrind; }
stage_harness_fuzz() { stage_harness fuzz; }

stage_tap() {
	local rc f tests=()
	for f in "$WORK"/test/t/*.pl; do
		[ -f "$f" ] && tests+=("test/t/$(basename "$f")")
	done
	if [ ${#tests[@]} -eq 0 ]; then
		echo "no TAP tests found in test/t"
		return 1
	fi
	(cd "$WORK" && as_postgres env \
		PATH="$PG_BIN:$PATH" \
		TESTDIR="$WORK" \
		PG_REGRESS="$PG_REGRESS" \
		prove -j "$TAP_JOBS" --timer -I "$PG_PERL" -I "$WORK/test/t" "${tests[@]}")
	rc=$?
	if [ "$rc" -ne 0 ]; then
		for f in "$WORK"/tmp_check/log/*; do
			[ -f "$f" ] || continue
			say "tail of $f"
			tail -n 80 "$f"
		done
	fi
	return "$rc"
}

# ---- main ------------------------------------------------------------------

if [ "$(id -u)" -ne 0 ]; then
	echo "test/run-tests.sh must run as root (it installs packages and the extension)" >&2
	exit 2
fi

# servers and initdb refuse a working directory they cannot read (root's)
cd /

# servers left by an earlier run that was killed before its cleanup (a
# run still going, beside this one, is left alone: its pid is alive)
for old in "$SCRATCH_PREFIX"*; do
	[ -d "$old" ] || continue
	if [ -f "$old/owner.pid" ] && kill -0 "$(cat "$old/owner.pid")" 2>/dev/null; then
		continue
	fi
	stop_servers_under "$old"
	rm -rf "$old"
done

trap cleanup EXIT
trap 'exit 130' INT TERM

run_stage deps stage_deps

SCRATCH=$(mktemp -d "${SCRATCH_PREFIX}XXXXXX")
echo $$ > "$SCRATCH/owner.pid"
WORK=$SCRATCH/cronext
LOGS=$SCRATCH/logs
mkdir -p "$WORK" "$LOGS"
# a clean copy: no VCS data, no build products from the developer's tree
tar -C "$ROOT" \
	--exclude=./.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
	--exclude=./test/harness/build --exclude=./tmp_regress --exclude=./tmp_check \
	--exclude=./test/results --exclude=./test/regression.diffs --exclude=./test/regression.out \
	-cf - . | tar -C "$WORK" -xf -
if id postgres >/dev/null 2>&1; then
	chown -R postgres:postgres "$SCRATCH"
fi
echo "scratch copy: $WORK"

run_stage build stage_build
run_built_stage install stage_install
run_built_stage installcheck stage_installcheck
run_stage harness-asan stage_harness_asan
run_stage harness-valgrind stage_harness_valgrind
run_stage harness-fuzz stage_harness_fuzz
run_built_stage tap stage_tap

say "summary"
failed=0
for i in "${!STAGES[@]}"; do
	printf '  %-18s %-5s %s\n' "${STAGES[$i]}" "${RESULTS[$i]}" "${TIMES[$i]}"
	[ "${RESULTS[$i]}" = PASS ] || failed=1
done
if [ "$failed" -eq 0 ]; then
	echo "ALL STAGES PASSED"
else
	echo "SOME STAGES FAILED"
fi
exit "$failed"
