#!/usr/bin/env bash
# Real backing servers on 127.0.0.1 for tests and the distributed mode, without Docker:
#   PostgreSQL (Debian package, private cluster), Apache Kafka 4.x KRaft (Maven Central jars),
#   S3Proxy (Maven Central jars, filesystem backend) and Mailpit (built with `go install`).
#
# Usage: deploy/local/servers.sh install|start [names]|stop [names]|status|env|versions|reset
#   names: postgres kafka s3 mailpit (default: all)
#
# Caches (downloads, builds) live in <repo>/.cache, runtime state in <repo>/var/local-servers
# (BLUEMAP_SERVERS_DIR overrides). Ports: BLUEMAP_PG_PORT, BLUEMAP_KAFKA_PORT,
# BLUEMAP_KAFKA_CONTROLLER_PORT, BLUEMAP_S3_PORT, BLUEMAP_SMTP_PORT, BLUEMAP_MAILPIT_HTTP_PORT.
# Per-server functions are dispatched as "${prefix}_launch" etc., which shellcheck cannot follow.
# shellcheck disable=SC2317
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
CACHE_DIR="${BLUEMAP_CACHE_DIR:-$REPO_ROOT/.cache}"
STATE_DIR="${BLUEMAP_SERVERS_DIR:-$REPO_ROOT/var/local-servers}"
# Servers resolve paths from their own working dirs, so relative overrides must be made absolute.
[[ "$CACHE_DIR" == /* ]] || CACHE_DIR="$PWD/$CACHE_DIR"
[[ "$STATE_DIR" == /* ]] || STATE_DIR="$PWD/$STATE_DIR"

HOST=127.0.0.1
PG_PORT="${BLUEMAP_PG_PORT:-55432}"
KAFKA_PORT="${BLUEMAP_KAFKA_PORT:-59092}"
KAFKA_CONTROLLER_PORT="${BLUEMAP_KAFKA_CONTROLLER_PORT:-59093}"
S3_PORT="${BLUEMAP_S3_PORT:-58333}"
SMTP_PORT="${BLUEMAP_SMTP_PORT:-51025}"
MAILPIT_HTTP_PORT="${BLUEMAP_MAILPIT_HTTP_PORT:-58025}"

PG_SUPERUSER=bluemap
S3_ACCESS_KEY=bluemap
S3_SECRET_KEY=bluemap-secret-key

# 4.4.0 is the wanted release; 4.1.x is the newest line known to resolve if it ever is not served.
KAFKA_FALLBACK_VERSION=4.1.2
MAILPIT_MODULE=github.com/axllent/mailpit
MAILPIT_VERSION=v1.33.1

START_TIMEOUT="${BLUEMAP_START_TIMEOUT:-120}"
STOP_TIMEOUT="${BLUEMAP_STOP_TIMEOUT:-30}"
LOCK_TIMEOUT="${BLUEMAP_LOCK_TIMEOUT:-300}"
ALL_SERVERS=(postgres kafka s3 mailpit)

KAFKA_LIBS="$CACHE_DIR/kafka-libs"
S3PROXY_LIBS="$CACHE_DIR/s3proxy-libs"
GO_ROOT="$CACHE_DIR/go"
GOBIN_DIR="$CACHE_DIR/gobin"
MAILPIT_BIN="$GOBIN_DIR/mailpit"

# ---------------------------------------------------------------------------- helpers

log() { printf '[servers] %s\n' "$*" >&2; }
die() {
    printf '[servers] ERROR: %s\n' "$*" >&2
    exit 1
}

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# Loopback connect probe without depending on nc/ss.
port_open() { (: <>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# apt-get only as root; a developer without root gets told what to install instead.
apt_install() {
    if ! is_root; then
        die "missing Debian packages: $*; run: sudo apt-get install -y $*"
    fi
    log "apt-get install $*"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

need_cmd() {
    local cmd=$1 pkg=$2
    command -v "$cmd" >/dev/null 2>&1 || apt_install "$pkg"
}

java_cmd() {
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
        printf '%s\n' "$JAVA_HOME/bin/java"
    else
        need_cmd java default-jre-headless
        command -v java
    fi
}

# Runs mvn with a private local repository so nothing lands in ~/.m2; output only on failure.
mvn_copy_deps() {
    local pom=$1 out=$2 mvnlog
    shift 2
    need_cmd mvn maven
    mkdir -p "$CACHE_DIR"
    mvnlog="$CACHE_DIR/mvn-$(basename "$(dirname "$pom")").log"
    if ! mvn -B -f "$pom" -Dmaven.repo.local="$CACHE_DIR/m2" "$@" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out" >"$mvnlog" 2>&1; then
        log_tail "$mvnlog"
        return 1
    fi
}

file_sha() { sha256sum "$1" | cut -d' ' -f1; }

# Background process management. The marker (a path unique to this state dir) guards
# against acting on an unrelated process that reused a stale pid.
pid_alive() {
    local pidfile=$1 marker=$2 pid
    [[ -f "$pidfile" ]] || return 1
    pid="$(<"$pidfile")"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"
}

# setsid + nohup: the server must outlive this script and the terminal that ran it.
# 9>&-: a server inheriting the lock fd would hold the lock for its whole life.
launch() {
    local pidfile=$1 logfile=$2
    shift 2
    [[ -f "$logfile" ]] && mv -f "$logfile" "$logfile.1"
    nohup setsid "$@" >"$logfile" 2>&1 </dev/null 9>&- &
    printf '%s\n' "$!" >"$pidfile"
}

stop_pid() {
    local name=$1 pidfile=$2 marker=$3 pid waited=0
    if ! pid_alive "$pidfile" "$marker"; then
        rm -f "$pidfile"
        return 0
    fi
    pid="$(<"$pidfile")"
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && ((waited < STOP_TIMEOUT * 10)); do
        sleep 0.1
        waited=$((waited + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "$name did not exit within ${STOP_TIMEOUT}s, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
    rm -f "$pidfile"
}

log_tail() {
    local logfile=$1
    if [[ -f "$logfile" ]]; then
        printf -- '----- last lines of %s -----\n' "$logfile" >&2
        tail -n 40 "$logfile" >&2
        printf -- '-----\n' >&2
    fi
}

# Polls <ready_fn> until it succeeds; fails fast when <alive_fn> says the process died.
wait_ready() {
    local name=$1 logfile=$2 ready_fn=$3 alive_fn=$4 start=$SECONDS
    while ! "$ready_fn"; do
        if ! "$alive_fn"; then
            printf '[servers] ERROR: %s exited during startup\n' "$name" >&2
            log_tail "$logfile"
            return 1
        fi
        if ((SECONDS - start >= START_TIMEOUT)); then
            printf '[servers] ERROR: %s not ready after %ss\n' "$name" "$START_TIMEOUT" >&2
            log_tail "$logfile"
            return 1
        fi
        sleep 0.3
    done
    log "$name ready ($((SECONDS - start))s)"
}

require_port_free() {
    local name=$1 port=$2
    if port_open "$port"; then
        die "$name: port $HOST:$port is already in use by another process (set the BLUEMAP_*_PORT variable)"
    fi
}

# ---------------------------------------------------------------------------- postgres

PG_BIN=""
PG_DIR="$STATE_DIR/postgres"
PG_LOCATION_FILE="$STATE_DIR/postgres.location"

# Newest installed server wins; Debian installs it under /usr/lib/postgresql/<major>.
pg_find_bin() {
    local initdb
    if [[ -n "${BLUEMAP_PG_BINDIR:-}" ]]; then
        PG_BIN="$BLUEMAP_PG_BINDIR"
        return 0
    fi
    initdb="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1)"
    [[ -n "$initdb" ]] || return 1
    PG_BIN="$(dirname "$initdb")"
}

pg_install() {
    if ! pg_find_bin; then
        apt_install postgresql postgresql-client
        pg_find_bin || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb found"
    fi
    [[ -x "$PG_BIN/initdb" ]] || die "no initdb in $PG_BIN"
}

# PostgreSQL refuses to run as root, so as root everything runs as the postgres user.
pg_run() {
    if is_root; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# A state dir under a private parent (e.g. a 0700 mktemp clone) is unreachable for the
# postgres user; the cluster then lives in /var/tmp and a pointer file records where.
pg_resolve_dir() {
    if [[ -f "$PG_LOCATION_FILE" ]]; then
        PG_DIR="$(<"$PG_LOCATION_FILE")"
    fi
}

pg_prepare_dir() {
    pg_resolve_dir
    mkdir -p "$PG_DIR"
    is_root || return 0
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' user (apt-get install postgresql)"
    chown postgres: "$PG_DIR"
    if ! runuser -u postgres -- test -w "$PG_DIR"; then
        local alt
        alt="/var/tmp/bluemap-pg-$(printf '%s' "$STATE_DIR" | sha256sum | cut -c1-12)"
        log "postgres user cannot reach $PG_DIR; using $alt"
        rmdir "$PG_DIR" 2>/dev/null || true
        PG_DIR="$alt"
        mkdir -p "$PG_DIR"
        chown postgres: "$PG_DIR"
        printf '%s\n' "$PG_DIR" >"$PG_LOCATION_FILE"
    fi
}

pg_data() { printf '%s\n' "$PG_DIR/data"; }
pg_log() { printf '%s\n' "$PG_DIR/postgres.log"; }

pg_init_cluster() {
    local data
    data="$(pg_data)"
    [[ -f "$data/PG_VERSION" ]] && return 0
    log "initdb $data"
    pg_run "$PG_BIN/initdb" -D "$data" -U "$PG_SUPERUSER" --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 ||
        { log_tail "$PG_DIR/initdb.log"; die "initdb failed"; }
    printf "\ninclude_if_exists = 'bluemap.conf'\n" | pg_run tee -a "$data/postgresql.conf" >/dev/null
    # Trust only on loopback: the cluster is a private throwaway for tests.
    pg_run tee "$data/pg_hba.conf" >/dev/null <<EOF
local all all trust
host all all 127.0.0.1/32 trust
EOF
}

# Rewritten on every start so port and tuning env vars always apply.
pg_write_conf() {
    local fsync=on full_page_writes=on
    if [[ "${BLUEMAP_PG_FAST:-0}" == 1 ]]; then
        fsync=off
        full_page_writes=off
    fi
    pg_run tee "$(pg_data)/bluemap.conf" >/dev/null <<EOF
# Written by deploy/local/servers.sh on each start; edits are overwritten.
listen_addresses = '$HOST'
port = $PG_PORT
# TCP only: socket paths under a deep state dir can exceed the 107-byte limit.
unix_socket_directories = ''
max_connections = 200
shared_buffers = 128MB
synchronous_commit = off
fsync = $fsync
full_page_writes = $full_page_writes
log_min_messages = warning
log_line_prefix = '%m [%p] '
EOF
}

pg_running() {
    pg_resolve_dir
    [[ -n "$PG_BIN" ]] || pg_find_bin || return 1
    [[ -f "$(pg_data)/PG_VERSION" ]] || return 1
    pg_run "$PG_BIN/pg_ctl" status -D "$(pg_data)" >/dev/null 2>&1
}

# -U/-d: the default (OS user) role does not exist, and the server would log a FATAL per probe.
pg_ready() { "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres -t 1; }

pg_launch() {
    pg_install
    pg_prepare_dir
    pg_running && return 0
    require_port_free postgres "$PG_PORT"
    pg_init_cluster
    pg_write_conf
    pg_run "$PG_BIN/pg_ctl" start -W -D "$(pg_data)" -l "$(pg_log)" >/dev/null 9>&-
}

pg_wait() { wait_ready postgres "$(pg_log)" pg_ready pg_running; }

pg_stop() {
    if pg_running; then
        log "stopping postgres"
        pg_run "$PG_BIN/pg_ctl" stop -D "$(pg_data)" -m fast -w -t "$STOP_TIMEOUT" >/dev/null
    fi
}

pg_version() {
    if pg_find_bin; then "$PG_BIN/postgres" --version; else echo "postgres: not installed"; fi
}

pg_dsn() { printf 'postgresql://%s@%s:%s/postgres\n' "$PG_SUPERUSER" "$HOST" "$PG_PORT"; }

# ---------------------------------------------------------------------------- kafka

KAFKA_DIR="$STATE_DIR/kafka"
KAFKA_PROPS="$KAFKA_DIR/server.properties"
KAFKA_PID="$KAFKA_DIR/kafka.pid"
KAFKA_LOG="$KAFKA_DIR/kafka.log"

# The stamp holds the pom's hash, so editing the pom triggers a clean re-fetch.
kafka_install() {
    local pom="$SCRIPT_DIR/kafka/pom.xml" stamp="$KAFKA_LIBS/.stamp" tmp version
    if [[ -f "$stamp" && "$(cut -d' ' -f1 "$stamp")" == "$(file_sha "$pom")" ]]; then
        return 0
    fi
    tmp="$KAFKA_LIBS.tmp"
    rm -rf "$tmp"
    log "fetching Kafka jars from Maven Central into $KAFKA_LIBS"
    version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$pom")"
    if ! mvn_copy_deps "$pom" "$tmp"; then
        log "kafka $version not resolvable, falling back to $KAFKA_FALLBACK_VERSION"
        version=$KAFKA_FALLBACK_VERSION
        rm -rf "$tmp"
        mvn_copy_deps "$pom" "$tmp" -Dkafka.version="$version"
    fi
    printf '%s %s\n' "$(file_sha "$pom")" "$version" >"$tmp/.stamp"
    rm -rf "$KAFKA_LIBS"
    mv "$tmp" "$KAFKA_LIBS"
}

# Generated once per state dir: KRaft refuses to start on data formatted for another id.
kafka_cluster_id() {
    local f="$KAFKA_DIR/cluster-id"
    if [[ ! -s "$f" ]]; then
        head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$f"
    fi
    cat "$f"
}

kafka_write_props() {
    cat >"$KAFKA_PROPS" <<EOF
# Written by deploy/local/servers.sh on each start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$KAFKA_PORT,CONTROLLER://$HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=3
auto.create.topics.enable=true
# One node: every internal topic must be satisfiable with a single replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions make the first consumer group / transaction start faster.
offsets.topic.num.partitions=5
transaction.state.log.num.partitions=5
# Tests join groups constantly; the default 3 s delay would slow each one.
group.initial.rebalance.delay.ms=0
EOF
}

# Sets KAFKA_JVM to the java command line shared by the storage tool and the broker.
kafka_jvm() {
    KAFKA_JVM=("$(java_cmd)" -Xms128m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20
        -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true
        -Dlog4j2.configurationFile="$SCRIPT_DIR/kafka/log4j2.xml" -Dkafka.logs.dir="$KAFKA_DIR"
        -cp "$KAFKA_LIBS/*")
}

kafka_running() { pid_alive "$KAFKA_PID" "$KAFKA_PROPS"; }
kafka_ready() { grep -q 'Kafka Server started' "$KAFKA_LOG" 2>/dev/null; }

kafka_launch() {
    kafka_install
    mkdir -p "$KAFKA_DIR"
    kafka_running && return 0
    require_port_free kafka "$KAFKA_PORT"
    require_port_free kafka-controller "$KAFKA_CONTROLLER_PORT"
    kafka_write_props
    kafka_jvm
    if [[ ! -f "$KAFKA_DIR/data/meta.properties" ]]; then
        log "formatting Kafka storage"
        "${KAFKA_JVM[@]}" kafka.tools.StorageTool format -t "$(kafka_cluster_id)" -c "$KAFKA_PROPS" \
            --ignore-formatted >"$KAFKA_DIR/format.log" 2>&1 ||
            { log_tail "$KAFKA_DIR/format.log"; die "kafka storage format failed"; }
    fi
    launch "$KAFKA_PID" "$KAFKA_LOG" "${KAFKA_JVM[@]}" kafka.Kafka "$KAFKA_PROPS"
}

kafka_wait() { wait_ready kafka "$KAFKA_LOG" kafka_ready kafka_running; }
kafka_stop() { stop_pid kafka "$KAFKA_PID" "$KAFKA_PROPS"; }

kafka_version() {
    local jar
    jar="$(find "$KAFKA_LIBS" -maxdepth 1 -name 'kafka_2.13-*.jar' 2>/dev/null | head -n 1)"
    if [[ -n "$jar" ]]; then
        jar="$(basename "$jar" .jar)"
        echo "kafka ${jar#kafka_2.13-} (Scala 2.13, KRaft)"
    else
        echo "kafka: not installed"
    fi
}

# ---------------------------------------------------------------------------- s3 (S3Proxy)

S3_DIR="$STATE_DIR/s3"
S3_PROPS="$S3_DIR/s3proxy.properties"
S3_PID="$S3_DIR/s3proxy.pid"
S3_LOG="$S3_DIR/s3proxy.log"

s3_install() {
    local pom="$SCRIPT_DIR/s3proxy/pom.xml" stamp="$S3PROXY_LIBS/.stamp" tmp
    if [[ -f "$stamp" && "$(cut -d' ' -f1 "$stamp")" == "$(file_sha "$pom")" ]]; then
        return 0
    fi
    tmp="$S3PROXY_LIBS.tmp"
    rm -rf "$tmp"
    log "fetching S3Proxy jars from Maven Central into $S3PROXY_LIBS"
    mvn_copy_deps "$pom" "$tmp"
    printf '%s\n' "$(file_sha "$pom")" >"$tmp/.stamp"
    rm -rf "$S3PROXY_LIBS"
    mv "$tmp" "$S3PROXY_LIBS"
}

s3_write_props() {
    cat >"$S3_PROPS" <<EOF
# Written by deploy/local/servers.sh on each start; edits are overwritten.
s3proxy.endpoint=http://$HOST:$S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_ACCESS_KEY
s3proxy.credential=$S3_SECRET_KEY
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$S3_DIR/data
EOF
}

s3_running() { pid_alive "$S3_PID" "$S3_PROPS"; }
# Any HTTP answer (S3Proxy gives 403 to an anonymous GET /) means it is serving.
s3_ready() {
    local code
    code="$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://$HOST:$S3_PORT/" 2>/dev/null || true)"
    [[ -n "$code" && "$code" != 000 ]]
}

s3_launch() {
    s3_install
    need_cmd curl curl
    mkdir -p "$S3_DIR/data"
    s3_running && return 0
    require_port_free s3 "$S3_PORT"
    s3_write_props
    local java
    java="$(java_cmd)"
    launch "$S3_PID" "$S3_LOG" "$java" -Xms64m -Xmx256m -XX:+UseSerialGC \
        -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true \
        -Dlogback.configurationFile="$SCRIPT_DIR/s3proxy/logback.xml" \
        -cp "$S3PROXY_LIBS/*" org.gaul.s3proxy.Main --properties "$S3_PROPS"
}

s3_wait() { wait_ready s3 "$S3_LOG" s3_ready s3_running; }
s3_stop() { stop_pid s3 "$S3_PID" "$S3_PROPS"; }

s3_version() {
    local jar
    jar="$(find "$S3PROXY_LIBS" -maxdepth 1 -name 's3proxy-*.jar' 2>/dev/null | head -n 1)"
    if [[ -n "$jar" ]]; then
        jar="$(basename "$jar" .jar)"
        echo "s3proxy ${jar#s3proxy-} (jclouds filesystem-nio2)"
    else
        echo "s3proxy: not installed"
    fi
}

# ---------------------------------------------------------------------------- mailpit

MAILPIT_DIR="$STATE_DIR/mailpit"
MAILPIT_PID="$MAILPIT_DIR/mailpit.pid"
MAILPIT_LOG="$MAILPIT_DIR/mailpit.log"
MAILPIT_DB="$MAILPIT_DIR/mailpit.db"

# Every Go directory points into the cache so a build never touches ~/go or ~/.cache.
go_env() {
    env GOPATH="$GO_ROOT" GOMODCACHE="$GO_ROOT/pkg/mod" GOCACHE="$GO_ROOT/build-cache" \
        GOBIN="$GOBIN_DIR" GOTOOLCHAIN=local GOFLAGS="-mod=mod -modcacherw" "$@"
}

mailpit_built_version() {
    [[ -x "$MAILPIT_BIN" ]] || return 1
    go_env go version -m "$MAILPIT_BIN" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

mailpit_install() {
    if [[ "$(mailpit_built_version || true)" == "$MAILPIT_VERSION" ]]; then
        return 0
    fi
    command -v go >/dev/null 2>&1 || die "Go >= 1.24 is required to build Mailpit (Debian 12's golang-go is too old)"
    log "building $MAILPIT_MODULE@$MAILPIT_VERSION (first time only)"
    mkdir -p "$GOBIN_DIR"
    go_env go install "$MAILPIT_MODULE@$MAILPIT_VERSION"
}

mailpit_running() { pid_alive "$MAILPIT_PID" "$MAILPIT_DB"; }
mailpit_ready() { curl -sf -o /dev/null -m 2 "http://$HOST:$MAILPIT_HTTP_PORT/readyz" 2>/dev/null; }

# Offline machine: no update check, and no reverse DNS per SMTP connection.
mailpit_launch() {
    mailpit_install
    need_cmd curl curl
    mkdir -p "$MAILPIT_DIR"
    mailpit_running && return 0
    require_port_free mailpit-smtp "$SMTP_PORT"
    require_port_free mailpit-http "$MAILPIT_HTTP_PORT"
    launch "$MAILPIT_PID" "$MAILPIT_LOG" "$MAILPIT_BIN" \
        --smtp "$HOST:$SMTP_PORT" --listen "$HOST:$MAILPIT_HTTP_PORT" \
        --smtp-auth-accept-any --smtp-auth-allow-insecure \
        --database "$MAILPIT_DB" --disable-version-check --smtp-disable-rdns
}

mailpit_wait() { wait_ready mailpit "$MAILPIT_LOG" mailpit_ready mailpit_running; }
mailpit_stop() { stop_pid mailpit "$MAILPIT_PID" "$MAILPIT_DB"; }

mailpit_version() {
    local v
    if v="$(mailpit_built_version)" && [[ -n "$v" ]]; then
        echo "mailpit $v"
    else
        echo "mailpit: not installed"
    fi
}

# ---------------------------------------------------------------------------- commands

# Maps user-facing names (default: all) to function prefixes in PREFIXES.
resolve_names() {
    local name
    PREFIXES=()
    (($#)) || set -- "${ALL_SERVERS[@]}"
    for name in "$@"; do
        case "$name" in
        postgres | pg) PREFIXES+=(pg) ;;
        kafka) PREFIXES+=(kafka) ;;
        s3) PREFIXES+=(s3) ;;
        mailpit | smtp) PREFIXES+=(mailpit) ;;
        *) die "unknown server '$name' (expected: ${ALL_SERVERS[*]})" ;;
        esac
    done
}

# Serialises concurrent invocations (e.g. parallel test jobs calling `start`).
take_lock() {
    mkdir -p "$STATE_DIR"
    exec 9>"$STATE_DIR/.lock"
    flock -w "$LOCK_TIMEOUT" 9 || die "another servers.sh run holds $STATE_DIR/.lock for over ${LOCK_TIMEOUT}s"
}

cmd_install() {
    mkdir -p "$CACHE_DIR"
    pg_install
    kafka_install
    s3_install
    mailpit_install
    log "install complete"
}

cmd_start() {
    local prefix failed=()
    resolve_names "$@"
    take_lock
    # Launch everything first, then wait: the JVMs boot in parallel.
    for prefix in "${PREFIXES[@]}"; do
        "${prefix}_launch"
    done
    for prefix in "${PREFIXES[@]}"; do
        "${prefix}_wait" || failed+=("$prefix")
    done
    ((${#failed[@]} == 0)) || die "failed to start: ${failed[*]}"
}

cmd_stop() {
    local prefix pid pids=() rc=0
    resolve_names "$@"
    [[ -d "$STATE_DIR" ]] || return 0
    take_lock
    # In parallel: each server needs a second or two to shut down cleanly.
    for prefix in "${PREFIXES[@]}"; do
        "${prefix}_stop" &
        pids+=("$!")
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || rc=1
    done
    return "$rc"
}

cmd_status() {
    local rc=0
    status_line() {
        local name=$1 prefix=$2 where=$3
        if "${prefix}_running"; then
            printf '%-9s running  %s\n' "$name" "$where"
        else
            printf '%-9s stopped\n' "$name"
            rc=3
        fi
    }
    status_line postgres pg "$HOST:$PG_PORT"
    status_line kafka kafka "$HOST:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT)"
    status_line s3 s3 "http://$HOST:$S3_PORT"
    status_line mailpit mailpit "smtp $HOST:$SMTP_PORT, http://$HOST:$MAILPIT_HTTP_PORT"
    printf 'state: %s\n' "$STATE_DIR"
    return "$rc"
}

cmd_env() {
    cat <<EOF
export BLUEMAP_PG_DSN=$(pg_dsn)
export BLUEMAP_KAFKA_BOOTSTRAP=$HOST:$KAFKA_PORT
export BLUEMAP_S3_ENDPOINT=$HOST:$S3_PORT
export BLUEMAP_S3_ACCESS_KEY=$S3_ACCESS_KEY
export BLUEMAP_S3_SECRET_KEY=$S3_SECRET_KEY
export BLUEMAP_SMTP_HOST=$HOST
export BLUEMAP_SMTP_PORT=$SMTP_PORT
export BLUEMAP_MAILPIT_API=http://$HOST:$MAILPIT_HTTP_PORT
EOF
}

cmd_versions() {
    pg_version
    kafka_version
    s3_version
    mailpit_version
    "$(java_cmd)" -version 2>&1 | head -n 1 | sed 's/^/java (kafka, s3proxy): /'
}

cmd_reset() {
    cmd_stop
    pg_resolve_dir
    # Guard against a state dir that is empty or the filesystem root.
    [[ -n "$STATE_DIR" && "$STATE_DIR" != / ]] || die "refusing to delete '$STATE_DIR'"
    if [[ "$PG_DIR" != "$STATE_DIR/postgres" ]]; then
        rm -rf "$PG_DIR"
    fi
    rm -rf "$STATE_DIR"
    log "removed $STATE_DIR"
}

usage() {
    sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

main() {
    local cmd=${1:-help}
    (($#)) && shift
    case "$cmd" in
    install) cmd_install ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    restart)
        cmd_stop "$@"
        cmd_start "$@"
        ;;
    status) cmd_status ;;
    env) cmd_env ;;
    versions) cmd_versions ;;
    reset) cmd_reset ;;
    help | -h | --help) usage ;;
    *)
        usage >&2
        exit 2
        ;;
    esac
}

# Same line: a running instance never reads a later edit of this file.
main "$@"; exit
