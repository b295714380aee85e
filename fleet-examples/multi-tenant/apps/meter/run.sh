#!/bin/sh
# Appends a simulated meter reading every 10 seconds.
mkdir -p /readings
while true; do echo "$METER_ID $(date +%s) $((RANDOM % 1000))" >> /readings/meter.log; sleep 10; done
