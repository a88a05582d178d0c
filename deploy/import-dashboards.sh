#!/bin/sh
# Import ciem's index patterns, visualisations and the "ciem: standing risk" dashboard into
# OpenSearch Dashboards (overwriting earlier versions of the same objects).
#   deploy/import-dashboards.sh [DASHBOARDS_URL]      default: http://localhost:5601
# With the security plugin on, set DASHBOARDS_AUTH=user:password.
set -eu
url="${1:-${DASHBOARDS_URL:-http://localhost:5601}}"
here="$(cd "$(dirname "$0")" && pwd)"
set -- -sS --fail-with-body -X POST "$url/api/saved_objects/_import?overwrite=true" \
  -H "osd-xsrf: true" --form "file=@$here/dashboards/ciem-saved-objects.ndjson"
if [ -n "${DASHBOARDS_AUTH:-}" ]; then set -- "$@" -u "$DASHBOARDS_AUTH"; fi
curl "$@"
echo
