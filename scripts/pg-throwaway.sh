#!/usr/bin/env bash
# pg-throwaway.sh — source it: pg_start DIR starts a throwaway PostgreSQL
# server in DIR on 127.0.0.1 (as the postgres OS user when run as root) and
# sets PG_URL (maintenance database) and PG_PORT; pg_stop stops it. Returns 1
# with a message when initdb and pg_ctl are not installed. Used by
# bench-shared.sh (internal/pgtest does the same for the Go tests).

pg_bin() {
	command -v "$1" 2> /dev/null && return 0
	local c found=
	for c in /usr/lib/postgresql/*/bin/"$1" /usr/pgsql-*/bin/"$1"; do
		[ -x "$c" ] && found=$(printf '%s\n%s\n' "$found" "$c" | sort -V | tail -n 1)
	done
	[ -n "$found" ] && echo "$found"
}

pg_as() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
	PG_DIR=$1
	PG_INITDB=$(pg_bin initdb) || true
	PG_CTL=$(pg_bin pg_ctl) || true
	if [ -z "$PG_INITDB" ] || [ -z "$PG_CTL" ]; then
		echo "PostgreSQL is not installed (initdb, pg_ctl not found): skipped" >&2
		return 1
	fi
	mkdir -p "$PG_DIR"
	[ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
	pg_as "$PG_INITDB" -D "$PG_DIR/data" -A trust -U postgres -E UTF8 --no-locale --no-sync > "$PG_DIR/initdb.log" 2>&1 || {
		cat "$PG_DIR/initdb.log" >&2
		return 1
	}
	for _ in 1 2 3 4 5; do
		PG_PORT=$((20000 + RANDOM % 20000))
		if pg_as "$PG_CTL" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 \
			-o "-k $PG_DIR -h 127.0.0.1 -p $PG_PORT -c fsync=off -c full_page_writes=off -c max_connections=200" start > /dev/null; then
			export PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
			return 0
		fi
	done
	tail -n 20 "$PG_DIR/postgres.log" >&2
	return 1
}

# pg_createdb NAME — create a database and print its URL.
pg_createdb() {
	pg_as "$(dirname "$PG_CTL")/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE $1" > /dev/null 2>&1 ||
		psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE $1" > /dev/null
	echo "postgres://postgres@127.0.0.1:$PG_PORT/$1?sslmode=disable"
}

pg_stop() {
	if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
		pg_as "$PG_CTL" -D "$PG_DIR/data" -m fast -w stop > /dev/null 2>&1 || true
	fi
}
