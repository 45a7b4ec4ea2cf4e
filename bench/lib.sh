# Shared by the bench/*/run.sh scripts (sourced from the repository root).

# need_root WHAT: exit unless running as root; WHAT says what needs it.
need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "run.sh: needs root ($1); try: sudo $0" >&2
		exit 1
	fi
}

# need_bins BIN...: exit unless every program is installed.
need_bins() {
	for bin in "$@"; do
		command -v "$bin" >/dev/null 2>&1 || { echo "run.sh: $bin not found (scripts/deps.sh installs it)" >&2; exit 1; }
	done
}

# bench_rev: the gokeepalived revision to report, naming uncommitted changes.
bench_rev() {
	rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	dirty=$(git status --porcelain -- cmd internal go.mod go.sum 2>/dev/null | awk '{print $2}' | tr '\n' ' ')
	if [ -n "$dirty" ]; then
		rev="$rev + uncommitted changes in: $dirty"
	fi
	echo "$rev"
}

# abs_path PATH: PATH made absolute against the current directory ("" stays "").
abs_path() {
	case "$1" in
	"") echo "" ;;
	/*) echo "$1" ;;
	*) echo "$PWD/$1" ;;
	esac
}
