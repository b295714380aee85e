#!/bin/sh
# "api" serves the floor list; "web" serves the dashboard page on :8000.
set -e
if [ "$1" = api ]; then
  mkdir -p /api && echo "{\"floors\":\"${FLOORS}\"}" > /api/index.html
  exec httpd -f -p 8000 -h /api
fi
exec httpd -f -p 8000 -h /www
