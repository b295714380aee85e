#!/bin/sh
# Simulated BLE collector: writes one reading per sensor every POLL_SECONDS and serves them.
set -e
mkdir -p /data /www
echo ok > /www/health
(while true; do
  for sensor in $(echo "${SENSORS:-temperature}" | tr ',' ' '); do
    echo "{\"floor\":\"${FLOOR}\",\"sensor\":\"$sensor\",\"at\":$(date +%s)}" > "/www/$sensor"
  done
  cp /www/* /data/ 2>/dev/null || true
  sleep "${POLL_SECONDS:-5}"
done) &
exec httpd -f -p 8080 -h /www
