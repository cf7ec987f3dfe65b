#!/usr/bin/env sh
# test/dnsapi/dns_testpdns.sh - a dnsapi script in the form of acme.sh's,
# written for acme's tests (ISC, like acme): TXT records in PowerDNS
# through its HTTP API, by _get and _post (PATCH), the API's URL and key
# kept with _saveaccountconf_mutable, as acme.sh's own scripts do.
#   TPDNS_Url    the API's base URL (http://127.0.0.1:PORT)
#   TPDNS_Token  its X-API-Key
# A name holds every value added and not removed (a name and its wildcard
# share _acme-challenge.NAME).

dns_testpdns_add() {
  _tpdns_setup "$1" || return 1
  _tpdns_values "$1" || return 1
  _tpdns_put "$1" "$_tpdns_have{\"content\": \"\\\"$2\\\"\", \"disabled\": false}"
}

dns_testpdns_rm() {
  _tpdns_setup "$1" || return 1
  _tpdns_values "$1" || return 1
  _tpdns_keep=$(printf '%s' "$_tpdns_have" | tr '}' '\n' | grep -v "$2" |
    grep content | sed 's/$/}/' | tr -d '\n')
  _tpdns_put "$1" "$_tpdns_keep"
}

# The credentials (from the environment, else saved), the zone of $1.
_tpdns_setup() {
  TPDNS_Url="${TPDNS_Url:-$(_readaccountconf_mutable TPDNS_Url)}"
  TPDNS_Token="${TPDNS_Token:-$(_readaccountconf_mutable TPDNS_Token)}"
  if [ -z "$TPDNS_Url" ] || [ -z "$TPDNS_Token" ]; then
    _err "set TPDNS_Url and TPDNS_Token"
    return 1
  fi
  _saveaccountconf_mutable TPDNS_Url "$TPDNS_Url"
  _saveaccountconf_mutable TPDNS_Token "$TPDNS_Token"
  _secure_debug TPDNS_Token "$TPDNS_Token"
  _debug TPDNS_Token "$TPDNS_Token"
  export _H1="X-API-Key: $TPDNS_Token"
  _tpdns_base="$TPDNS_Url/api/v1/servers/localhost/zones"
  if ! _tpdns_zones="$(_get "$_tpdns_base")"; then
    _err "cannot list the zones"
    return 1
  fi
  _debug2 zones "$_tpdns_zones"
  _tpdns_i=2
  while :; do
    _tpdns_zone=$(printf '%s' "$1" | cut -d . -f "$_tpdns_i"-)
    if [ -z "$_tpdns_zone" ]; then
      _err "no zone for $1"
      return 1
    fi
    if _contains "$_tpdns_zones" "\"name\": \"$_tpdns_zone\.\""; then
      _info "zone $_tpdns_zone"
      return 0
    fi
    _tpdns_i=$(_math "$_tpdns_i" + 1)
  done
}

# The record objects of $1's TXT values now, each "{...}", in a row.
_tpdns_values() {
  _tpdns_r=$(_get "$_tpdns_base/$_tpdns_zone.") || return 1
  _tpdns_have=$(printf '%s' "$_tpdns_r" | _normalizeJson |
    _egrep_o "\"name\":\"$1\\.\",\"records\":\\[[^]]*\\]" |
    _egrep_o '\{"content":"[^}]*\}' | tr -d '\n')
  _debug have "$_tpdns_have"
}

# Set $1's TXT values to the record objects $2 (none: delete them).
_tpdns_put() {
  if [ -n "$2" ]; then
    _tpdns_body="{\"rrsets\": [{\"name\": \"$1.\", \"type\": \"TXT\", \"ttl\": 1, \"changetype\": \"REPLACE\", \"records\": [$(printf '%s' "$2" | sed 's/}{/}, {/g')]}]}"
  else
    _tpdns_body="{\"rrsets\": [{\"name\": \"$1.\", \"type\": \"TXT\", \"changetype\": \"DELETE\"}]}"
  fi
  _debug body "$_tpdns_body"
  _post "$_tpdns_body" "$_tpdns_base/$_tpdns_zone." "" PATCH \
    application/json >/dev/null || return 1
  if ! grep -q '^HTTP/1\.[01] 204' "$HTTP_HEADER"; then
    _err "PowerDNS said: $(_head_n 1 <"$HTTP_HEADER")"
    return 1
  fi
}
