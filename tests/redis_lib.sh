# redis_lib.sh: a real redis-server for the tests, sourced after lib.sh
# by the scripts that need one (redis.sh, redis_consume.sh, ...).
#
#   redis_skip_unless_installed     prints a SKIP line and exits 0 if not
#   free_port                       a port nothing answers on now
#   redis_start NAME PORT [ARGS]    a redis-server in $T/NAME on 127.0.0.1;
#                                   its pid in NAME_pid, also in $T/pids
#
# Servers go into $T/pids, which lib.sh's exit trap kills. A server gets
# no descriptor above 2, so a script's pipes on 3 and 4 close when the
# script closes them.

redis_skip_unless_installed() {
    if ! command -v redis-server >/dev/null 2>&1 ||
       ! command -v redis-cli >/dev/null 2>&1; then
        echo "ok - # SKIP redis-server not installed (make deps installs it)"
        exit 0
    fi
}

# not a promise (another process may take it), so starts are checked.
# Drawn below the kernel's ephemeral range (ip_local_port_range): a port
# in it can be the local end of any outgoing connection on the machine
# (the other tests' clients), which no ping sees and which makes
# redis-server's bind fail.
free_port() {
    lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
    case $lo in ''|*[!0-9]*) lo=32768 ;; esac
    [ "$lo" -gt 11024 ] || lo=32768
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        p=$((10000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % (lo - 10000)))
        if ! redis-cli -p "$p" ping >/dev/null 2>&1; then
            echo "$p"; return; fi
    done
    echo 0
}

redis_start() {
    name=$1 port=$2; shift 2
    mkdir -p "$T/$name"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$T/$name" \
        --save "" --appendonly no "$@" >"$T/$name.log" 2>&1 3>&- 4>&- &
    eval "${name}_pid=$!"
    echo $! >>"$T/pids"
    wait_for "grep -q 'Ready to accept' '$T/$name.log'" 30 ||
        { echo "# redis $name did not start:"; tail -n 5 "$T/$name.log" |
          sed 's/^/#   /'; }
}
