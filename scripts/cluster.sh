#!/usr/bin/env bash
# A local cluster on loopback: a throw-away PostgreSQL, N app processes on it and nginx in front,
# sticky per browser. What `make cluster` / `make cluster-stop`, the cluster test and the cluster
# benchmark start (README, "Several processes, and deploying for a province").
#   scripts/cluster.sh start DIR N [PORT]   prints the URL (http://127.0.0.1:PORT) when every process answers
#   scripts/cluster.sh stop DIR             ends nginx, the app processes and PostgreSQL
# Ports: nginx PORT (default 8600), the app processes PORT+1 … PORT+N, PostgreSQL PORT+N+1, all on
# 127.0.0.1. Everything lives in DIR: cluster.env (what runs), database_url, app-I.log/.pid,
# nginx/ (its config, pid, access.log, error.log, temp folders), pg/ (data and server.log).
# `stop` ends the processes and keeps DIR (logs, data): a later `start DIR` reuses the database.
# Debian's binaries: nginx (apt-get install nginx-light) and PostgreSQL (apt-get install postgresql).
# As root (CI), PostgreSQL runs as `postgres` (scripts/pg_cluster.sh) and nginx's workers as nobody.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
py=${CLUSTER_PYTHON:-$root/.venv/bin/python}
cmd=${1:-}; dir=${2:-}
usage() { echo "dùng: scripts/cluster.sh start THƯ_MỤC SỐ_TIẾN_TRÌNH [CỔNG] | stop THƯ_MỤC" >&2; exit 2; }
[ -n "$cmd" ] && [ -n "$dir" ] || usage
dir=$(realpath -m -- "$dir")
STOP_WAIT_S=20       # a process that ignores SIGTERM this long gets SIGKILL
START_WAIT_S=${CLUSTER_START_TIMEOUT:-180}   # every app answering through nginx (a busy 2-core machine)

# --- processes: each started in its own session (setsid), so that its whole group is ended ----
alive() {   # pid alive and not a zombie (nobody may reap an orphan here)
  local state
  state=$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}
ours() {   # pid from pid file $1 is alive and still runs a command line containing $2 (no pid reuse)
  local pid command
  [ -f "$1" ] && pid=$(cat "$1") && [ -n "$pid" ] && alive "$pid" \
    && command=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) && [[ "$command" == *"$2"* ]]
}
end_group() {   # end the process group of pid file $1 (if it runs $2): TERM, then KILL after STOP_WAIT_S
  local file=$1 what=$2 pid waited=0
  if ours "$file" "$what"; then
    pid=$(cat "$file")
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    while alive "$pid" && [ "$waited" -lt $((STOP_WAIT_S * 10)) ]; do sleep 0.1; waited=$((waited + 1)); done
    if alive "$pid"; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      waited=0
      while alive "$pid" && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
    fi
  fi
  rm -f -- "$file"
}
port_free() {   # as the servers bind (SO_REUSEADDR): a port left in TIME_WAIT by a stopped cluster is free
  "$py" -c 'import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

stop_all() {
  [ -f "$dir/cluster.env" ] || { echo "$dir không phải thư mục của một cụm (không có cluster.env)." >&2; return 1; }
  end_group "$dir/nginx/nginx.run.pid" nginx
  local f
  for f in "$dir"/app-*.pid; do [ -e "$f" ] && end_group "$f" indicators.web.serve; done
  if [ -f "$dir/pg/data/postmaster.pid" ]; then "$root/scripts/pg_cluster.sh" stop "$dir/pg"; fi
}

case "$cmd" in
  stop)
    stop_all
    echo "Đã dừng cụm trong $dir (nhật ký và dữ liệu vẫn ở đó)."
    ;;
  start)
    n=${3:-}; port=${4:-8600}
    [[ "$n" =~ ^[1-9][0-9]?$ ]] || usage
    [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1024 ] && [ $((port + n + 1)) -le 65535 ] || usage
    nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
    if [ ! -x "$nginx_bin" ]; then
      echo "Chưa cài nginx: hãy cài gói nginx của Debian (sudo apt-get install nginx-light, hoặc nginx)." >&2
      exit 1
    fi
    [ -x "$py" ] || { echo "Không thấy Python của dự án ($py): chạy make cluster (tạo .venv trước)." >&2; exit 1; }
    if [ -e "$dir" ] && [ -n "$(ls -A -- "$dir")" ] && [ ! -f "$dir/cluster.env" ]; then
      echo "Thư mục $dir đã có dữ liệu khác: hãy chọn một thư mục trống cho cụm." >&2; exit 1
    fi
    for f in "$dir"/app-*.pid "$dir/nginx/nginx.run.pid"; do
      if ours "$f" indicators.web.serve || ours "$f" nginx; then
        echo "Cụm trong $dir đang chạy; dừng bằng: scripts/cluster.sh stop $dir" >&2; exit 1
      fi
    done
    pg_port=$((port + n + 1))
    for p in $(seq "$port" "$pg_port"); do
      port_free "$p" || { echo "Cổng $p đang bận: chọn cổng khác (CỔNG … CỔNG+$((n + 1)) phải trống)." >&2; exit 1; }
    done
    mkdir -p "$dir/nginx/tmp"
    rm -f "$dir"/app-*.pid
    if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$dir"; then
      echo "Người dùng postgres không vào được $dir: chọn thư mục mà mọi người dùng đi qua được (vd. /tmp/cum)." >&2
      exit 1
    fi
    printf 'N=%s\nPORT=%s\nAPP_PORTS="%s"\nPG_PORT=%s\n' "$n" "$port" "$(seq -s ' ' $((port + 1)) $((port + n)))" \
      "$pg_port" >"$dir/cluster.env"
    failed() { echo "Khởi động cụm thất bại; đang dừng những gì đã chạy (nhật ký trong $dir)." >&2; stop_all || true; }
    trap failed ERR
    trap 'failed; exit 130' INT TERM

    url=$("$root/scripts/pg_cluster.sh" start "$dir/pg" "$pg_port")
    echo "$url" >"$dir/database_url"

    # The app processes start (imports, preload) while init-db creates or migrates the database:
    # no page runs before `start` has returned.
    for i in $(seq 1 "$n"); do
      (cd "$root" && INDICATORS_DATABASE_URL=$url PYTHONUNBUFFERED=1 exec setsid "$py" -m indicators.web.serve \
        --server.port $((port + i)) --server.headless true --server.address 127.0.0.1 \
        --browser.gatherUsageStats false --server.fileWatcherType none \
        </dev/null >"$dir/app-$i.log" 2>&1) &
      echo $! >"$dir/app-$i.pid"
    done
    (cd "$root" && env -u INDICATORS_DATABASE_URL "$py" -m indicators init-db --db "$url")

    # nginx: its own prefix, config, pid, logs and temp folders in DIR; nothing of /etc/nginx.
    ngx=$dir/nginx
    {
      echo "# Written by scripts/cluster.sh start $dir $n $port: $n app processes behind 127.0.0.1:$port."
      echo "daemon off;"
      if [ "$(id -u)" = 0 ]; then echo "user nobody nogroup;"; fi   # the workers touch no file in DIR
      cat <<EOF
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/error.log notice;
events { worker_connections 1024; }

http {
    log_format cluster '\$remote_addr [\$time_local] "\$request" \$status \$body_bytes_sent '
                       'upstream=\$upstream_addr route=\$route rt=\$request_time';
    access_log $ngx/access.log cluster;
    client_body_temp_path $ngx/tmp/body;
    proxy_temp_path $ngx/tmp/proxy;
    fastcgi_temp_path $ngx/tmp/fastcgi;
    uwsgi_temp_path $ngx/tmp/uwsgi;
    scgi_temp_path $ngx/tmp/scgi;
    # Uploads up to 20 MB (the app's limit), kept in memory: the workers never write a temp file.
    client_max_body_size 21m;
    client_body_buffer_size 21m;
    proxy_max_temp_file_size 0;

    map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
    # Sticky per browser: Streamlit keeps a session (its state, uploaded files, /media/ files) in
    # the memory of the process holding its websocket. A browser's first request gets a random
    # route (the request's id) in the cookie st_route; every later request of that browser,
    # the websocket included, carries it and is hashed to the same process.
    map \$cookie_st_route \$route { '' \$request_id; default \$cookie_st_route; }
    map \$cookie_st_route \$route_cookie { '' "st_route=\$request_id; Path=/; HttpOnly; SameSite=Lax"; default ''; }

    upstream streamlit {
        # A process that refuses or times out is skipped for fail_timeout; its browsers go to
        # the next process on the ring (the same one for every request of a browser).
        hash \$route consistent;
EOF
      for i in $(seq 1 "$n"); do echo "        server 127.0.0.1:$((port + i)) max_fails=1 fail_timeout=10s;"; done
      cat <<EOF
    }

    server {
        listen 127.0.0.1:$port;
EOF
      for i in $(seq 1 "$n"); do   # each process's health through nginx: what `start` waits for
        echo "        location = /_cluster/app-$i/health { proxy_pass http://127.0.0.1:$((port + i))/_stcore/health; }"
      done
      cat <<EOF
        location / {
            proxy_pass http://streamlit;
            proxy_http_version 1.1;
            proxy_set_header Upgrade \$http_upgrade;          # Streamlit runs on a websocket (/_stcore/stream)
            proxy_set_header Connection \$connection_upgrade;
            proxy_set_header Host \$http_host;                # with the port: Streamlit compares it with Origin
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_buffering off;
            proxy_connect_timeout 5s;
            proxy_read_timeout 86400s;                       # an idle page keeps its websocket
            proxy_send_timeout 86400s;
            proxy_next_upstream error timeout;
            add_header Set-Cookie \$route_cookie always;     # only on a browser's first request
            add_header X-Upstream \$upstream_addr always;    # which process answered (local cluster only)
        }
    }
}
EOF
    } >"$ngx/nginx.conf"
    "$nginx_bin" -t -q -p "$ngx/" -c "$ngx/nginx.conf" -e "$ngx/error.log"
    (exec setsid "$nginx_bin" -p "$ngx/" -c "$ngx/nginx.conf" -e "$ngx/error.log" </dev/null >>"$ngx/error.log" 2>&1) &
    echo $! >"$ngx/nginx.run.pid"

    # Wait for each process's /_stcore/health through nginx, or for a process to die.
    "$py" - "$dir" "$port" "$n" "$START_WAIT_S" <<'PY'
import pathlib, sys, time, urllib.request
folder, port, n, limit = pathlib.Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
def alive(pid_file):
    try:
        state = pathlib.Path(f"/proc/{pid_file.read_text().strip()}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
def tail(log):
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(không có nhật ký)"
waiting = {i: f"http://127.0.0.1:{port}/_cluster/app-{i}/health" for i in range(1, n + 1)}
end = time.monotonic() + limit
while waiting:
    if not alive(folder / "nginx" / "nginx.run.pid"):
        sys.exit(f"nginx đã dừng khi khởi động:\n{tail(folder / 'nginx' / 'error.log')}")
    for i, url in list(waiting.items()):
        if not alive(folder / f"app-{i}.pid"):
            sys.exit(f"Tiến trình ứng dụng {i} đã dừng khi khởi động:\n{tail(folder / f'app-{i}.log')}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.read().decode().strip() == "ok":
                    del waiting[i]
        except OSError:
            pass
    if waiting and time.monotonic() > end:
        sys.exit(f"Tiến trình ứng dụng {sorted(waiting)} chưa trả lời sau {limit:.0f} giây (nhật ký trong {folder}).")
    if waiting:
        time.sleep(0.2)   # the poll interval of a wait for a state
PY
    trap - ERR INT TERM
    echo "Cụm: $n tiến trình ứng dụng (cổng $(seq -s ', ' $((port + 1)) $((port + n)))) trên PostgreSQL $url, nginx phía trước."
    echo "Nhật ký: $dir (app-*.log, nginx/access.log, pg/server.log). Dừng: scripts/cluster.sh stop $dir"
    echo "http://127.0.0.1:$port"
    ;;
  *) usage ;;
esac
