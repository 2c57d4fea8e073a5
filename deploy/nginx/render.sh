#!/usr/bin/env bash
# Render deploy/nginx/*.conf into DIR as a self-contained nginx.conf that runs without root:
# everything under DIR, listening on 127.0.0.1:PORT, proxying to UPSTREAM (host:port) and
# serving STATIC_ROOT at /static/ and DIR/media at /media/. With TLS_PORT, the TLS server block too (self-signed cert).
#   deploy/nginx/render.sh DIR PORT UPSTREAM STATIC_ROOT [TLS_PORT]
# Then: nginx -t -p DIR -c DIR/nginx.conf -e DIR/error.log  (or without -t, in the foreground)
set -euo pipefail
dir=$1 port=$2 upstream=$3 static_root=$4 tls_port=${5:-}
src="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$dir"
for name in emporium.conf emporium-locations.conf emporium-tls.conf emporium-media-disk.conf; do
  sed -e "s#server web:8000#server $upstream#" \
      -e "s#/etc/nginx/snippets/emporium-locations.conf#$dir/emporium-locations.conf#" \
      -e "s#/etc/nginx/snippets/emporium-media.conf#$dir/emporium-media.conf#" \
      -e "s#/var/log/nginx/access.log#$dir/access.log#" \
      -e "s#/srv/emporium/static/#${static_root%/}/#" \
      -e "s#/srv/emporium/media/#$dir/media/#" \
      -e "s#/etc/nginx/tls/#$dir/#" \
      -e "s#listen 80;#listen 127.0.0.1:$port;#" \
      "$src/$name" > "$dir/$name"
done
# Media from MEDIA_ROOT on disk (MEDIA_BUCKET unset), as on a single host.
mv "$dir/emporium-media-disk.conf" "$dir/emporium-media.conf"
includes="include $dir/emporium.conf;"
if [ -n "$tls_port" ]; then
  # The TLS file's plain server (redirects for shop.example.com) shares PORT by name.
  sed -i -e "s#listen 443 ssl http2;#listen 127.0.0.1:$tls_port ssl http2;#" \
      -e "s#listen \[::\]:443 ssl http2;##" "$dir/emporium-tls.conf"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=shop.example.com \
    -addext "subjectAltName=DNS:shop.example.com,DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem" 2>/dev/null
  includes="$includes include $dir/emporium-tls.conf;"
fi
cat > "$dir/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    $includes
}
CONF
