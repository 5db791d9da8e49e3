#!/usr/bin/env bash
# A client session against a running FitTech API, as the original's clients
# use it: register, log in, onboarding POST/GET/PUT, food and workout logs,
# dashboard. Prints each step with its HTTP status and fails on an unexpected
# one.   Usage: client-session.sh [BASE_URL]   (default http://127.0.0.1:8000)
set -euo pipefail
base="${1:-http://127.0.0.1:8000}"
email="session-$(date +%s)-$$@example.com"
password="correct horse battery staple"
body=$(mktemp)
trap 'rm -f "$body"' EXIT

# step EXPECTED METHOD PATH [curl args...]: prints "METHOD PATH -> STATUS" and the body.
step() {
  local expected=$1 method=$2 path=$3
  shift 3
  local status
  status=$(curl -sS -o "$body" -w '%{http_code}' -X "$method" "$base$path" "$@")
  # The token is a credential: never print it.
  printf '%-6s %-32s -> %s  %s\n' "$method" "$path" "$status" \
    "$(sed 's/"access_token":"[^"]*"/"access_token":"<redacted>"/' "$body" | head -c 160)"
  if [[ "$status" != "$expected" ]]; then
    echo "FAILED: expected $expected" >&2
    exit 1
  fi
}
json() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" "$body"; }

step 200 GET /health
step 201 POST /auth/register -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}"
id=$(json id)
step 400 POST /auth/register -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}"
step 200 POST /auth/token --data-urlencode "username=$email" --data-urlencode "password=$password"
token=$(json access_token)
auth=(-H "authorization: Bearer $token")
step 400 POST /auth/token --data-urlencode "username=$email" --data-urlencode "password=wrong"
step 401 GET "/users/$id/onboarding"
step 404 GET "/users/$id/onboarding" "${auth[@]}"
step 404 GET /dashboard "${auth[@]}"
step 201 POST "/users/$id/onboarding" "${auth[@]}" -H 'content-type: application/json' \
  -d "{\"user_id\":$id,\"name\":\"Ada\",\"birthdate\":\"1990-06-15\",\"sex\":\"female\",\"height\":165,\"weight\":60,\"main_goal\":\"maintain\",\"work_schedule\":\"moderate\",\"sleep_hours\":7.5}"
step 400 POST "/users/$id/onboarding" "${auth[@]}" -H 'content-type: application/json' -d '{}'
step 200 GET "/users/$id/onboarding" "${auth[@]}"
step 200 PUT "/users/$id/onboarding" "${auth[@]}" -H 'content-type: application/json' \
  -d '{"name":"Ada","birthdate":"1990-06-15","sex":"female","height":165,"weight":58,"main_goal":"lose","work_schedule":"light"}'
step 403 GET "/users/$((id + 100000))/onboarding" "${auth[@]}"
step 201 POST "/users/$id/food-logs" "${auth[@]}" -H 'content-type: application/json' \
  -d '{"food_name":"oats","serving_size":80,"serving_unit":"g","calories":300,"protein":10,"carbs":54,"fats":6}'
step 422 POST "/users/$id/food-logs" "${auth[@]}" -H 'content-type: application/json' -d '{"calories":"many"}'
step 200 GET "/users/$id/food-logs" "${auth[@]}"
step 201 POST "/users/$id/workout-logs" "${auth[@]}" -H 'content-type: application/json' \
  -d '{"workout_type":"run","duration":1800,"total_distance":5.2,"avg_heart_rate":150}'
step 200 GET "/users/$id/workout-logs" "${auth[@]}"
step 200 GET /dashboard "${auth[@]}"
echo "client session OK"
