#!/bin/sh
# Answers every UDP datagram on $PORT with the service name and zone (a stand-in for CoAP).
echo "$SERVICE listening on udp/$PORT (zone $ZONE)"
while true; do
  echo "$SERVICE $ZONE" | nc -u -l -p "$PORT" -w 1 >/dev/null 2>&1 || sleep 1
done
