# bench/lib.sh: small helpers the benchmark scripts share (sourced).
#
# put/get keep named figures in "$results" (set by the caller before use);
# log writes a timestamped line to stderr; now, sleep_until and fsub do
# fractional-second time arithmetic.

put() { echo "$1=$2" >> "$results"; }
get() { local v; v=$(grep "^$1=" "$results" | tail -n 1 | cut -d= -f2-); echo "${v:--}"; }
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

now() { date +%s.%N; }
# sleep until the given epoch (fractional)
sleep_until() {
	local d
	d=$(awk -v t="$1" -v n="$(now)" 'BEGIN { d = t - n; if (d < 0) d = 0; printf "%.3f", d }')
	sleep "$d"
}
fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
