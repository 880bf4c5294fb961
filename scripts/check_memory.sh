#!/usr/bin/env bash
# Memory check of the running scorewatch processes, as the monitoring guide's
# `scripts/check_memory.py` did for the old gunicorn workers.
#
# Usage: scripts/check_memory.sh [--budget-mb N] [--warn-percent P] [--url URL]
#   --budget-mb     memory budget in MB (default 512, Render's free-plan cap)
#   --warn-percent  exit non-zero when a process or the total is above P% of the budget
#                   (default 80)
#   --url           API base URL whose /health is also asked (default
#                   $SCOREWATCH_API_URL or http://127.0.0.1:${PORT:-8000})
# Exit codes: 0 within budget, 1 above the warning threshold, 2 bad usage,
#             3 no scorewatch process found.
set -euo pipefail

budget_mb=512
warn_percent=80
url="${SCOREWATCH_API_URL:-http://127.0.0.1:${PORT:-8000}}"

while [ $# -gt 0 ]; do
  case "$1" in
    --budget-mb) budget_mb="${2:?--budget-mb needs a number}"; shift 2 ;;
    --warn-percent) warn_percent="${2:?--warn-percent needs a number}"; shift 2 ;;
    --url) url="${2:?--url needs a URL}"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "check_memory: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$budget_mb$warn_percent" in
  *[!0-9]*) echo "check_memory: --budget-mb and --warn-percent take whole numbers" >&2; exit 2 ;;
esac

warn_kb=$(( budget_mb * 1024 * warn_percent / 100 ))
total_kb=0
found=0
status=0

printf '%-8s %-22s %10s\n' PID PROCESS RSS_MB
for status_file in /proc/[0-9]*/status; do
  pid_dir=${status_file%/status}
  name=$(awk '/^Name:/ {print $2}' "$status_file" 2>/dev/null) || continue
  case "$name" in
    scorewatch|scorewatch-dash*) ;;
    *) continue ;;
  esac
  rss_kb=$(awk '/^VmRSS:/ {print $2}' "$status_file" 2>/dev/null)
  [ -n "$rss_kb" ] || continue
  found=$((found + 1))
  total_kb=$((total_kb + rss_kb))
  printf '%-8s %-22s %10.1f\n' "${pid_dir#/proc/}" "$name" "$(awk -v k="$rss_kb" 'BEGIN {print k / 1024}')"
done

if [ "$found" -eq 0 ]; then
  echo "check_memory: no scorewatch process is running (start one with 'scorewatch serve')" >&2
  exit 3
fi

printf '%-31s %10.1f  (budget %d MB, warning above %d%%)\n' TOTAL \
  "$(awk -v k="$total_kb" 'BEGIN {print k / 1024}')" "$budget_mb" "$warn_percent"

if command -v curl >/dev/null 2>&1; then
  if health=$(curl -fsS --max-time 2 "$url/health" 2>/dev/null); then
    echo "health ($url/health): $health"
  else
    echo "health: $url/health did not answer (is the API on another port? use --url)"
  fi
fi

if [ "$total_kb" -gt "$warn_kb" ]; then
  echo "WARNING: scorewatch uses $((total_kb / 1024)) MB, above ${warn_percent}% of the ${budget_mb} MB budget" >&2
  status=1
fi
exit "$status"
