# Sourced by the file benchmarks (bench/import.sh, bench/reconcile.sh) after they set `lines` and `small`: the
# output folder, GNU time for wall time and peak RSS, and the private PostgreSQL cluster with its admin URL.
out=bench/out
mkdir -p "$out"

if [ ! -x /usr/bin/time ]; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq time >/dev/null
    else echo "bench: install GNU time (sudo apt-get install time)" >&2; exit 1; fi
fi

scripts/pg.sh start >/dev/null
admin_url=$(scripts/pg.sh url postgres)
