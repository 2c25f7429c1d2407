#!/usr/bin/env bash
# Start, stop or check a private Docker engine for the test suite, and write the
# containers.conf that Podman needs on this kind of machine.
#
#   scripts/start-engines.sh start [DIR]   start dockerd under DIR; print the exports to use it
#   scripts/start-engines.sh stop [DIR]    stop that dockerd and remove DIR
#   scripts/start-engines.sh status [DIR]  exit 0 when the engine under DIR answers
#
# DIR defaults to $COMPOSECONV_ENGINE_DIR, else /tmp/composeconv-engines.
# `start` prints shell exports on stdout (everything else goes to stderr), so
#   eval "$(scripts/start-engines.sh start)"
# sets DOCKER_HOST and CONTAINERS_CONF in the calling shell.
#
# The engine needs root. Only one dockerd can own the docker0 bridge and the
# swarm ports of a machine at a time, so start one and share it.
set -euo pipefail

usage() {
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

cmd=${1:-}
[ -n "$cmd" ] || usage
dir=${2:-${COMPOSECONV_ENGINE_DIR:-/tmp/composeconv-engines}}
case "$dir" in
/*) ;;
*) dir="$(pwd)/$dir" ;;
esac
dir=${dir%/}
sock="$dir/docker.sock"
pidfile="$dir/docker.pid"
log="$dir/dockerd.log"
timeout=${COMPOSECONV_DOCKERD_TIMEOUT:-90}

say() { echo "start-engines: $*" >&2; }

# A client that can talk to the engine; any recent one negotiates the API version.
docker_cli() {
    if [ -n "${COMPOSECONV_DOCKER_CLI:-}" ]; then
        echo "$COMPOSECONV_DOCKER_CLI"
    elif command -v docker >/dev/null 2>&1; then
        command -v docker
    elif [ -x /usr/bin/docker ]; then
        echo /usr/bin/docker
    else
        return 1
    fi
}

answers() {
    local cli
    [ -S "$sock" ] || return 1
    cli=$(docker_cli) || return 1
    DOCKER_HOST="unix://$sock" timeout 20 "$cli" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

pid_alive() {
    [ -f "$pidfile" ] || return 1
    local pid
    pid=$(cat "$pidfile" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# Processes whose command line names DIR: dockerd, its containerd and the shims.
procs_under_dir() {
    local p cmdline
    for p in /proc/[0-9]*; do
        cmdline=$({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null) || continue
        case "$cmdline" in
        *"$dir/"*) echo "${p#/proc/}" ;;
        esac
    done
}

unmount_under_dir() {
    local m
    # deepest first
    awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
}

print_exports() {
    echo "export DOCKER_HOST=unix://$sock"
    echo "export CONTAINERS_CONF=$dir/containers.conf"
}

write_containers_conf() {
    # No systemd here: cgroupfs and file events. The ulimits are the defaults that
    # Podman otherwise fails to apply when the hard limit is lower than its own.
    cat >"$dir/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
}

stop_engine() {
    local pid
    if pid_alive; then
        pid=$(cat "$pidfile")
        say "stopping dockerd (pid $pid) under $dir"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 300); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            say "dockerd did not stop in 30 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    # A killed dockerd leaves its containerd and shims behind.
    for pid in $(procs_under_dir); do
        [ "$pid" = "$$" ] && continue
        kill -KILL "$pid" 2>/dev/null || true
    done
    unmount_under_dir
}

start_engine() {
    if [ "$(id -u)" != 0 ]; then
        say "dockerd needs root"
        exit 1
    fi
    command -v dockerd >/dev/null 2>&1 || { say "dockerd not found (apt-get install docker.io)"; exit 1; }
    docker_cli >/dev/null || { say "no docker client found (apt-get install docker.io)"; exit 1; }
    mkdir -p "$dir"
    write_containers_conf
    if answers; then
        say "dockerd under $dir already answers"
        print_exports
        return 0
    fi
    # Leftovers of an engine that died: stop what remains and start clean.
    stop_engine
    rm -rf "$dir/data" "$dir/exec" "$sock" "$pidfile"
    mkdir -p "$dir/data" "$dir/exec"
    say "starting dockerd under $dir"
    # setsid: a Ctrl-C in the terminal that started the tests must not kill the
    # engine before the tests have had a chance to stop it cleanly.
    setsid dockerd \
        --data-root "$dir/data" \
        --exec-root "$dir/exec" \
        --pidfile "$pidfile" \
        -H "unix://$sock" \
        >"$log" 2>&1 </dev/null &
    local dpid=$! started=$SECONDS
    while [ $((SECONDS - started)) -lt "$timeout" ]; do
        if answers; then
            say "dockerd ready after $((SECONDS - started)) s"
            print_exports
            return 0
        fi
        kill -0 "$dpid" 2>/dev/null || pid_alive || break
        sleep 0.25
    done
    say "dockerd did not become ready; last lines of $log:"
    tail -n 30 "$log" >&2 || true
    stop_engine
    exit 1
}

case "$cmd" in
start) start_engine ;;
stop)
    stop_engine
    rm -rf "$dir"
    ;;
status) answers ;;
*) usage ;;
esac
