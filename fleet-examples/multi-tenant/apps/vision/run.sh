#!/bin/sh
# Simulated detector: reports a people count every 10 seconds.
while true; do echo "$MODEL people=$(( $(date +%s) % 7 ))"; sleep 10; done
